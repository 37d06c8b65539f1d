//! Search before registering: candidates for a described child, ranked by the matcher, each with
//! the reasons of its score, each projected through the caller's mask. A caller that may not read
//! `identity` of a child gets no candidate for it.

use chrono::{Months, NaiveDate};

use crate::alert::{Alert, AlertEvent, EventType, PossibleMatch};
use crate::audit::{Action, Outcome};
use crate::category::{Category, CategorySet};
use crate::matching::{MatchingConfig, Probe, Reason, Scorer, probe_of, query_keys};
use crate::minor::{Identity, MinorData, MinorStatus, Sex};
use crate::policy::Operation;
use crate::ports::AuditUnavailable;
use crate::projection::{MinorView, project};
use crate::record::Minor;
use crate::usecase::minors::{Audited, Denied, Minors, Request, Trail};
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
#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit {
    pub score: f64,
    pub reasons: Vec<Reason>,
    pub record: MinorView,
}

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error(transparent)]
    Denied(#[from] Denied),
    #[error(transparent)]
    Invalid(#[from] FieldErrors),
    #[error(transparent)]
    Unavailable(#[from] AuditUnavailable),
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

impl Audited for SearchError {
    fn outcome(&self) -> Outcome {
        match self {
            Self::Denied(Denied::PurposeMissing(_)) => Outcome::PurposeMissing,
            Self::Denied(_) => Outcome::Denied,
            Self::Invalid(_) => Outcome::Rejected,
            Self::Unavailable(_) | Self::Unknown(_) => Outcome::Failed,
        }
    }
}

/// Records looked at, at most, before scoring: the name index ranks them (see
/// `MinorRepository::candidates`), so the true record of a fair description is among the first.
pub const CANDIDATE_POOL: usize = 200;

impl Minors {
    /// Ranked candidates at or above the matching configuration's candidate threshold.
    pub fn search(
        &self,
        rq: &Request,
        query: &SearchQuery,
        config: &MatchingConfig,
    ) -> Result<Vec<SearchHit>, SearchError> {
        self.search_excluding(rq, query, config, None)
    }

    fn search_excluding(
        &self,
        rq: &Request,
        query: &SearchQuery,
        config: &MatchingConfig,
        exclude: Option<&str>,
    ) -> Result<Vec<SearchHit>, SearchError> {
        let mut trail = Trail::new(rq, Action::Search, &[], self.clock.now());
        let result = (|| {
            let purpose = self.check_purpose(rq, Operation::Search)?;
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
            let today = self.clock.now().date_naive();
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
                return Err(errors.into());
            }
            let probe = Probe {
                names,
                date_of_birth: query.date_of_birth,
                age_range: query.date_of_birth.map_or(query.age_range, |_| None),
                sex: query.sex,
                nationalities: query.nationalities.clone(),
                languages: query.languages.clone(),
                distinguishing_marks: query.distinguishing_marks.clone(),
            };
            // An age range stands for the date of birth at its middle.
            let born = probe.date_of_birth.or_else(|| {
                probe.age_range.and_then(|(lo, hi)| {
                    today.checked_sub_months(Months::new(6 * (u32::from(lo) + u32::from(hi))))
                })
            });
            let scorer = Scorer::new(&probe, &config.weights, today);
            let mut hits: Vec<SearchHit> = Vec::new();
            for minor in self
                .minors
                .candidates(&query_keys(&probe.names, born), CANDIDATE_POOL)?
            {
                if exclude == Some(minor.id.as_str()) {
                    continue;
                }
                let relation = minor.relation_to(&rq.caller);
                if !self.policy.permits(
                    rq.caller.role,
                    Operation::Search,
                    Some(purpose),
                    relation.into(),
                ) {
                    continue;
                }
                let mask = self.policy.mask(rq.caller.role, purpose, relation);
                let Some(identity) = minor
                    .data
                    .identity
                    .as_ref()
                    .filter(|_| mask.read.contains(Category::Identity))
                else {
                    continue;
                };
                let candidate = readable_probe(&minor, identity, mask.read, today);
                let (value, reasons) = scorer.score(&candidate);
                if value >= config.thresholds.candidate {
                    hits.push(SearchHit {
                        score: value,
                        reasons,
                        record: project(&minor, mask, purpose),
                    });
                }
            }
            hits.sort_by(|a, b| b.score.total_cmp(&a.score));
            hits.truncate(query.limit);
            trail.entry.minors = hits.iter().map(|h| h.record.id.clone()).collect();
            trail.entry.categories = hits.iter().fold(CategorySet::EMPTY, |all, h| {
                all.union(h.record.data.present_categories())
            });
            Ok(hits)
        })();
        trail.close(self.audit.as_ref(), result)
    }
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

impl Minors {
    /// The possible-match events a registration of `data` as record `id` raises: one for each
    /// missing child (a record with an open alert) the matcher scores at or above the
    /// possible-match threshold. The comparison sees both records whole; the events are rendered
    /// later for each agency handling the alert, through that agency's own mask.
    pub(crate) fn possible_match_events(
        &self,
        id: &str,
        data: &MinorData,
        config: &MatchingConfig,
    ) -> anyhow::Result<Vec<(AlertEvent, Alert)>> {
        let Some(identity) = data.identity.as_ref() else {
            return Ok(vec![]);
        };
        let mut probe = probe_of(identity);
        if probe.names.is_empty() {
            return Ok(vec![]);
        }
        probe.distinguishing_marks = data
            .physical
            .as_ref()
            .map(|p| p.distinguishing_marks.clone())
            .unwrap_or_default();
        let now = self.clock.now();
        let today = now.date_naive();
        let keys = query_keys(&probe.names, probe.date_of_birth);
        let scorer = Scorer::new(&probe, &config.weights, today);
        let mut events = Vec::new();
        for candidate in self.minors.candidates(&keys, CANDIDATE_POOL)? {
            if candidate.status != MinorStatus::Missing {
                continue;
            }
            let Some(their_identity) = candidate.data.identity.as_ref() else {
                continue;
            };
            let theirs = readable_probe(&candidate, their_identity, CategorySet::all(), today);
            let (value, _) = scorer.score(&theirs);
            if value < config.thresholds.possible_match {
                continue;
            }
            let Some(alert) = self.alerts.open_for_minor(&candidate.id)? else {
                continue;
            };
            let event = AlertEvent {
                id: self.ids.new_id(),
                kind: EventType::PossibleMatch,
                alert_id: alert.id.clone(),
                minor_id: candidate.id.clone(),
                time: now,
                possible_match: Some(PossibleMatch {
                    minor_id: id.to_owned(),
                    score: value,
                }),
            };
            events.push((event, alert));
        }
        Ok(events)
    }

    /// Children already in the registry who may be the one just registered: candidates at or above
    /// the possible-match threshold, other than the record itself, through the caller's mask. The
    /// disclosure is audited as a search.
    pub fn possible_matches(
        &self,
        rq: &Request,
        registered: &MinorView,
        config: &MatchingConfig,
    ) -> Result<Vec<SearchHit>, SearchError> {
        let Some(identity) = registered.data.identity.as_ref() else {
            return Ok(vec![]);
        };
        let probe = probe_of(identity);
        if probe.names.is_empty() {
            return Ok(vec![]);
        }
        let query = SearchQuery {
            names: probe.names,
            date_of_birth: probe.date_of_birth,
            age_range: None,
            sex: probe.sex,
            nationalities: probe.nationalities,
            languages: probe.languages,
            distinguishing_marks: registered
                .data
                .physical
                .as_ref()
                .map(|p| p.distinguishing_marks.clone())
                .unwrap_or_default(),
            limit: 10,
        };
        let hits = self.search_excluding(rq, &query, config, Some(&registered.id))?;
        Ok(hits
            .into_iter()
            .filter(|h| h.score >= config.thresholds.possible_match)
            .collect())
    }
}
