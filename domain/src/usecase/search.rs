//! Search before registering: candidates for a described child, ranked by the matcher, each with
//! the reasons of its score, each projected through the caller's mask. A caller that may not read
//! `identity` of a child gets no candidate for it. The scoring of candidates is shared with the
//! registration (`records`), which looks candidates up once for its possible matches and for the
//! possible-match events of a missing child.

use std::sync::Arc;

use chrono::{Months, NaiveDate};
use serde::Serialize;

use crate::alert::{Alert, AlertEvent, EventType, PossibleMatch};
use crate::audit::Action;
use crate::category::{Category, CategorySet};
use crate::matching::{MatchingConfig, Probe, Reason, Scorer, probe_of, query_keys};
use crate::minor::{Identity, MinorData, MinorStatus, Sex};
use crate::policy::{Operation, Relation};
use crate::ports::{AlertRepository, IdGenerator, MinorReader};
use crate::principal::Principal;
use crate::projection::{MinorView, project};
use crate::purpose::Purpose;
use crate::record::Minor;
use crate::usecase::kernel::{Denied, Failure, Kernel, Request, Trail};
use crate::validation::FieldErrors;

/// What the caller knows of the child sought.
#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    /// Names in any script and spelling (full names or parts).
    pub names: Vec<String>,
    pub date_of_birth: Option<NaiveDate>,
    /// Estimated age today in whole years, lowest and highest, when the date of birth is unknown.
    pub age_range: Option<(u8, u8)>,
    pub sex: Option<Sex>,
    pub nationalities: Vec<String>,
    /// ISO 639 codes.
    pub languages: Vec<String>,
    /// Free-text descriptions of scars, tattoos, birthmarks; compared only with the records whose
    /// physical description the caller may read.
    pub distinguishing_marks: Vec<String>,
    /// How many candidates at most (1 to 50).
    pub limit: usize,
}

/// One candidate: its score in [0, 1], why, and the record through the caller's mask.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchHit {
    pub score: f64,
    pub reasons: Vec<Reason>,
    pub record: MinorView,
}

/// Records looked at, at most, before scoring: the name index ranks them (see
/// `MinorReader::candidates`), so the true record of a fair description is among the first.
pub const CANDIDATE_POOL: usize = 200;

/// The search service.
#[derive(Clone)]
pub struct Search {
    kernel: Kernel,
    minors: Arc<dyn MinorReader>,
    matching: Arc<MatchingConfig>,
}

impl Search {
    pub fn new(
        kernel: Kernel,
        minors: Arc<dyn MinorReader>,
        matching: Arc<MatchingConfig>,
    ) -> Self {
        Self {
            kernel,
            minors,
            matching,
        }
    }

    /// Ranked candidates at or above the matching configuration's candidate threshold, at most
    /// `query.limit`, each through the caller's mask. Audited with the children and categories
    /// returned.
    pub fn search(&self, rq: &Request, query: &SearchQuery) -> Result<Vec<SearchHit>, Failure> {
        self.kernel.audited(rq, Action::Search, &[], |trail| {
            let purpose = self.kernel.purpose(rq, Operation::Search)?;
            self.can_match(rq, purpose)?;
            let today = self.kernel.now().date_naive();
            let probe = checked(query, today)?;
            // An age range stands for the date of birth at its middle.
            let born = probe.date_of_birth.or_else(|| {
                probe.age_range.and_then(|(lo, hi)| {
                    today.checked_sub_months(Months::new(6 * (u32::from(lo) + u32::from(hi))))
                })
            });
            let candidates = self
                .minors
                .candidates(&query_keys(&probe.names, born), CANDIDATE_POOL)?;
            let mut hits = Matches {
                kernel: &self.kernel,
                config: &self.matching,
                today,
            }
            .for_caller(&rq.caller, purpose, &probe, &candidates);
            hits.truncate(query.limit);
            disclose(trail, &hits);
            Ok(hits)
        })
    }
}

impl Search {
    /// Refuses a search under a purpose that reads the identity only of children already in the
    /// caller's care when another purpose the role may search under reads every child's (or every
    /// missing child's): the answer could not find a child registered elsewhere, yet would look
    /// like "not registered". A role whose every search is bounded to its own children (a
    /// guardian and its wards) is not refused: that is the only search it has.
    fn can_match(&self, rq: &Request, purpose: Purpose) -> Result<(), Denied> {
        let policy = self.kernel.policy();
        let role = rq.caller.role;
        let beyond_care = Relation {
            assigned: false,
            active_alert: true,
            restricted: false,
        };
        let reaches = |p: Purpose| {
            policy
                .mask(role, p, beyond_care)
                .read
                .contains(Category::Identity)
        };
        if reaches(purpose) {
            return Ok(());
        }
        let accepted: Vec<Purpose> = policy
            .purposes_for(role, Operation::Search)
            .into_iter()
            .filter(|p| reaches(*p))
            .collect();
        if accepted.is_empty() {
            return Ok(());
        }
        Err(Denied::SearchCannotMatch { purpose, accepted })
    }
}

/// The probe of a query, or every field that is wrong with it.
fn checked(query: &SearchQuery, today: NaiveDate) -> Result<Probe, FieldErrors> {
    let mut errors = FieldErrors::default();
    let names: Vec<String> = query
        .names
        .iter()
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty())
        .collect();
    if names.is_empty() {
        errors.push("names", "at least one name is needed");
    }
    if names.len() > 10 || names.iter().any(|n| n.chars().count() > 200) {
        errors.push("names", "at most 10 names of at most 200 characters");
    }
    if !(1..=50).contains(&query.limit) {
        errors.push("limit", "must be between 1 and 50");
    }
    if query.date_of_birth.is_some_and(|d| d > today) {
        errors.push("date_of_birth", "is in the future");
    }
    if query.age_range.is_some_and(|(lo, hi)| lo > hi || hi > 25) {
        errors.push("age", "age_min must not exceed age_max, nor age_max 25");
    }
    if query.distinguishing_marks.len() > 10
        || query
            .distinguishing_marks
            .iter()
            .any(|m| m.chars().count() > 200)
    {
        errors.push(
            "distinguishing_marks",
            "at most 10 marks of at most 200 characters",
        );
    }
    if query.nationalities.len() > 10 || query.languages.len() > 10 {
        errors.push("nationalities", "at most 10 nationalities and 10 languages");
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Probe {
        names,
        date_of_birth: query.date_of_birth,
        age_range: query.date_of_birth.map_or(query.age_range, |_| None),
        sex: query.sex,
        nationalities: query.nationalities.clone(),
        languages: query.languages.clone(),
        distinguishing_marks: query.distinguishing_marks.clone(),
    })
}

/// Names the hits' children and the categories their records disclose in the audit entry.
pub(crate) fn disclose(trail: &mut Trail, hits: &[SearchHit]) {
    trail.concerns(hits.iter().map(|h| h.record.id.clone()).collect());
    trail.discloses(hits.iter().fold(CategorySet::EMPTY, |all, h| {
        all.union(h.record.data.present_categories())
    }));
}

/// What the matcher may compare of a record: its identity, the age range of its age assessment
/// (carried forward to today) and its distinguishing marks, each only if `readable` holds its
/// category, so that no score reveals what the caller may not read.
fn readable_probe(
    minor: &Minor,
    identity: &Identity,
    readable: CategorySet,
    today: NaiveDate,
) -> Probe {
    let mut probe = probe_of(identity);
    if readable.contains(Category::AgeAssessment)
        && let Some(assessment) = &minor.data.age_assessment
        && let (Some(lo), Some(hi)) = (assessment.estimated_age_min, assessment.estimated_age_max)
    {
        let since = assessment
            .decided_on
            .unwrap_or_else(|| minor.registered_at.date_naive());
        let elapsed = u8::try_from(today.years_since(since).unwrap_or(0)).unwrap_or(u8::MAX);
        probe.age_range = Some((lo.saturating_add(elapsed), hi.saturating_add(elapsed)));
    }
    if readable.contains(Category::Physical)
        && let Some(physical) = &minor.data.physical
    {
        probe.distinguishing_marks = physical.distinguishing_marks.clone();
    }
    probe
}

/// The probe of a record's own data (identity, with its distinguishing marks), if it has a name
/// to look up.
pub(crate) fn probe_of_data(data: &MinorData) -> Option<Probe> {
    let mut probe = probe_of(data.identity.as_ref()?);
    if probe.names.is_empty() {
        return None;
    }
    probe.distinguishing_marks = data
        .physical
        .as_ref()
        .map(|p| p.distinguishing_marks.clone())
        .unwrap_or_default();
    Some(probe)
}

/// Scores candidates against a probe.
pub(crate) struct Matches<'a> {
    pub kernel: &'a Kernel,
    pub config: &'a MatchingConfig,
    pub today: NaiveDate,
}

impl Matches<'_> {
    /// The candidates at or above the candidate threshold that the caller may search for
    /// `purpose` and whose identity it reads, best first, each scored on what the caller reads of
    /// it and projected through its mask.
    pub(crate) fn for_caller(
        &self,
        caller: &Principal,
        purpose: Purpose,
        probe: &Probe,
        candidates: &[Minor],
    ) -> Vec<SearchHit> {
        let scorer = Scorer::new(probe, &self.config.weights, self.today);
        let policy = self.kernel.policy();
        let mut hits: Vec<SearchHit> = Vec::new();
        for minor in candidates {
            let relation = minor.relation_to(caller);
            if !policy.permits(
                caller.role,
                Operation::Search,
                Some(purpose),
                relation.into(),
            ) {
                continue;
            }
            let mask = policy.mask(caller.role, purpose, relation);
            let Some(identity) = minor
                .data
                .identity
                .as_ref()
                .filter(|_| mask.read.contains(Category::Identity))
            else {
                continue;
            };
            let candidate = readable_probe(minor, identity, mask.read, self.today);
            let (value, reasons) = scorer.score(&candidate);
            if value >= self.config.thresholds.candidate {
                hits.push(SearchHit {
                    score: value,
                    reasons,
                    record: project(minor, mask, purpose),
                });
            }
        }
        hits.sort_by(|a, b| b.score.total_cmp(&a.score));
        hits
    }

    /// The possible-match events a registration of record `id` (whose data gave `probe`) raises:
    /// one for each missing child (a record with an open alert) among the candidates that the
    /// matcher scores at or above the possible-match threshold. The comparison sees both records
    /// whole; the events are rendered later for each agency handling the alert, through that
    /// agency's own mask.
    pub(crate) fn possible_match_events(
        &self,
        id: &str,
        probe: &Probe,
        candidates: &[Minor],
        alerts: &dyn AlertRepository,
        ids: &dyn IdGenerator,
    ) -> anyhow::Result<Vec<(AlertEvent, Alert)>> {
        let now = self.kernel.now();
        let scorer = Scorer::new(probe, &self.config.weights, self.today);
        let mut events = Vec::new();
        for candidate in candidates {
            if candidate.status != MinorStatus::Missing {
                continue;
            }
            let Some(their_identity) = candidate.data.identity.as_ref() else {
                continue;
            };
            let theirs = readable_probe(candidate, their_identity, CategorySet::all(), self.today);
            let (value, _) = scorer.score(&theirs);
            if value < self.config.thresholds.possible_match {
                continue;
            }
            let Some(alert) = alerts.open_for_minor(&candidate.id)? else {
                continue;
            };
            let event = AlertEvent {
                id: ids.new_id(),
                kind: EventType::PossibleMatch,
                alert_id: alert.id.clone(),
                minor_id: candidate.id.clone(),
                time: now,
                possible_match: Some(PossibleMatch {
                    minor_id: id.to_owned(),
                    score: value,
                }),
                notice: None,
                absence: None,
                task: None,
            };
            events.push((event, alert));
        }
        Ok(events)
    }
}
