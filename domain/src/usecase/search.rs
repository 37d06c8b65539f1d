//! Search before registering: candidates for a described child, ranked by the matcher, each with
//! the reasons of its score, each projected through the caller's mask. A caller that may not read
//! `identity` of a child gets no candidate for it.

use chrono::NaiveDate;

use crate::audit::{Action, Outcome};
use crate::category::{Category, CategorySet};
use crate::matching::{MatchingConfig, Probe, Reason, probe_of, query_keys, score};
use crate::minor::Sex;
use crate::ports::AuditUnavailable;
use crate::projection::{MinorView, project};
use crate::usecase::minors::{Audited, Denied, Minors, Request, Trail};
use crate::validation::FieldErrors;

/// What the caller knows of the child sought.
#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    /// Names in any script and spelling (full names or parts).
    pub names: Vec<String>,
    pub date_of_birth: Option<NaiveDate>,
    pub sex: Option<Sex>,
    pub nationalities: Vec<String>,
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

/// Records looked at, at most, before scoring.
const CANDIDATE_POOL: usize = 500;

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
            let purpose = self.check_purpose(rq)?;
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
            if !errors.is_empty() {
                return Err(errors.into());
            }
            let probe = Probe {
                names,
                date_of_birth: query.date_of_birth,
                age_range: None,
                sex: query.sex,
                nationalities: query.nationalities.clone(),
            };
            let mut hits: Vec<SearchHit> = Vec::new();
            for minor in self
                .minors
                .candidates(&query_keys(&probe.names), CANDIDATE_POOL)?
            {
                if exclude == Some(minor.id.as_str()) {
                    continue;
                }
                let mask = self
                    .policy
                    .mask(rq.caller.role, purpose, minor.relation_to(&rq.caller));
                let Some(identity) = minor
                    .data
                    .identity
                    .as_ref()
                    .filter(|_| mask.read.contains(Category::Identity))
                else {
                    continue;
                };
                let (value, reasons) = score(&probe, &probe_of(identity), &config.weights, today);
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

impl Minors {
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
            sex: probe.sex,
            nationalities: probe.nationalities,
            limit: 10,
        };
        let hits = self.search_excluding(rq, &query, config, Some(&registered.id))?;
        Ok(hits
            .into_iter()
            .filter(|h| h.score >= config.thresholds.possible_match)
            .collect())
    }
}
