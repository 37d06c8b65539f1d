//! Register, consult, amend, list children's records and their history and photos, each through the
//! access policy: the caller's role, stated purpose and relation to the child decide what is read or
//! written, field category by field category.

use std::sync::Arc;

use crate::agency::{AgencyId, AgencyKind};
use crate::audit::{Action, AuditEntry, Outcome};
use crate::category::{Category, CategorySet};
use crate::matching::MatchingConfig;
use crate::minor::patch::{apply_merge_patch, parse_data, touched_categories};
use crate::minor::validate::validate;
use crate::minor::{MinorData, MinorStatus, PhotoRef, Photos};
use crate::page::{Page, PageRequest};
use crate::policy::{Facts, Grant, Mask, Operation, Permit, Policy, Standing};
use crate::ports::{
    AgencyRepository, AlertRepository, AuditLog, AuditUnavailable, Change, Clock, IdGenerator,
    MinorRepository, NewEvent, NewPhoto, PhotoCleaner, StoredPhoto, UpdateMinorError,
};
use crate::principal::Principal;
use crate::projection::{MinorView, RevisionView, project, project_revision};
use crate::purpose::Purpose;
use crate::record::{Actor, ListScope, Minor, MinorFilter, relation};
use crate::validation::FieldErrors;

/// Why a caller may not touch a child's data; every variant is a refusal (403), except `NotFound`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    #[error("{0}")]
    PurposeMissing(String),
    #[error("the role `{role}` may not access child data for the purpose `{purpose}`")]
    PurposeNotPermitted { role: String, purpose: Purpose },
    #[error("no access to this child for the purpose `{0}`")]
    NoAccessToChild(Purpose),
    #[error("not permitted to write: {}", .0.join(", "))]
    WriteNotPermitted(Vec<String>),
    /// The operation is not permitted to the caller in its standing to this child or alert.
    #[error("the role `{role}` may not {operation} here{}", .purpose.map(|p| format!(" for the purpose `{p}`")).unwrap_or_default())]
    OperationNotPermitted {
        role: String,
        operation: Operation,
        purpose: Option<Purpose>,
    },
    /// A resolution with an outcome no permit of the role allows it.
    #[error("the role `{role}` may not resolve this alert as `{outcome}`")]
    OutcomeNotPermitted { role: String, outcome: String },
    /// A listing filter names a category the caller may not read.
    #[error(
        "the filter `{filter}` needs read access to `{category}`, which the role `{role}` does not have for the purpose `{purpose}`"
    )]
    FilterNotPermitted {
        filter: String,
        category: Category,
        role: String,
        purpose: Purpose,
    },
}

/// The records service: the use cases over the ports they need.
#[derive(Clone)]
pub struct Minors {
    pub minors: Arc<dyn MinorRepository>,
    pub agencies: Arc<dyn AgencyRepository>,
    /// Read only: to find the open alert of a missing child a registration may match.
    pub alerts: Arc<dyn AlertRepository>,
    pub policy: Arc<Policy>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGenerator>,
    pub photos: Arc<dyn PhotoCleaner>,
    pub audit: Arc<dyn AuditLog>,
}

/// One request on child data: who asks, for which stated purpose (`Err` holds the raw header
/// value, empty if absent), and the request id that ties the audit entry to the logs.
#[derive(Debug, Clone)]
pub struct Request {
    pub caller: Principal,
    pub purpose: Result<Purpose, String>,
    pub request_id: String,
}

/// How an error ends up in the audit trail.
pub trait Audited {
    fn outcome(&self) -> Outcome;
}

fn denied_outcome(d: &Denied) -> Outcome {
    match d {
        Denied::PurposeMissing(_) => Outcome::PurposeMissing,
        _ => Outcome::Denied,
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    #[error(transparent)]
    Denied(#[from] Denied),
    #[error(transparent)]
    Invalid(#[from] FieldErrors),
    #[error(transparent)]
    Unavailable(#[from] AuditUnavailable),
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

#[derive(Debug, thiserror::Error)]
pub enum ConsultError {
    #[error(transparent)]
    Denied(#[from] Denied),
    #[error("no record with id `{0}`")]
    NotFound(String),
    /// The record was merged into `into`: the child's record is there.
    #[error("record `{id}` was merged into `{into}`")]
    Merged { id: String, into: String },
    #[error(transparent)]
    Unavailable(#[from] AuditUnavailable),
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

#[derive(Debug, thiserror::Error)]
pub enum AmendError {
    #[error(transparent)]
    Denied(#[from] Denied),
    #[error("no record with id `{0}`")]
    NotFound(String),
    /// The record was merged into `into`; changes go there.
    #[error("record `{id}` was merged into `{into}`: change that record instead")]
    Merged { id: String, into: String },
    #[error(transparent)]
    Invalid(#[from] FieldErrors),
    #[error("If-Match is required: send the ETag of the version the change is based on")]
    PreconditionRequired,
    #[error(
        "the record changed: it is at version {current}; fetch it again and reapply the change"
    )]
    Stale { current: i64 },
    #[error(transparent)]
    Unavailable(#[from] AuditUnavailable),
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

#[derive(Debug, thiserror::Error)]
pub enum ListMinorsError {
    #[error(transparent)]
    Denied(#[from] Denied),
    #[error(transparent)]
    Unavailable(#[from] AuditUnavailable),
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

#[derive(Debug, thiserror::Error)]
pub enum AddPhotoError {
    #[error(transparent)]
    Denied(#[from] Denied),
    #[error("no record with id `{0}`")]
    NotFound(String),
    #[error("the photo is refused: {0}")]
    Rejected(String),
    #[error(transparent)]
    Unavailable(#[from] AuditUnavailable),
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

#[derive(Debug, thiserror::Error)]
pub enum GetPhotoError {
    #[error(transparent)]
    Denied(#[from] Denied),
    #[error("no such photo")]
    NotFound,
    #[error(transparent)]
    Unavailable(#[from] AuditUnavailable),
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// The `If-Match` precondition of a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precondition {
    /// `*`: whatever version is current.
    Any,
    /// The version the caller saw.
    Version(i64),
    /// Entity tags none of which names a version (a weak or foreign tag, an empty list): they
    /// match no version, so the change fails as a stale one would (RFC 9110, section 13.1.1). Judged
    /// here, after the purpose and the caller's rights, so that such a request is refused in the
    /// same order, and audited, like any other.
    NoVersion,
}

/// A record's revisions as the caller may see them, and the categories withheld from it.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryView {
    pub revisions: Vec<RevisionView>,
    pub withheld: Vec<Category>,
}

/// How often a photo upload retries when a concurrent change moved the record on.
const PHOTO_ATTEMPTS: usize = 5;

/// Most photos one record keeps.
pub const MAX_PHOTOS: usize = 20;

impl Audited for RegisterError {
    fn outcome(&self) -> Outcome {
        match self {
            Self::Denied(d) => denied_outcome(d),
            Self::Invalid(_) => Outcome::Rejected,
            Self::Unavailable(_) | Self::Unknown(_) => Outcome::Failed,
        }
    }
}

impl Audited for ConsultError {
    fn outcome(&self) -> Outcome {
        match self {
            Self::Denied(d) => denied_outcome(d),
            Self::NotFound(_) | Self::Merged { .. } => Outcome::NotFound,
            Self::Unavailable(_) | Self::Unknown(_) => Outcome::Failed,
        }
    }
}

impl Audited for AmendError {
    fn outcome(&self) -> Outcome {
        match self {
            Self::Denied(d) => denied_outcome(d),
            Self::NotFound(_) => Outcome::NotFound,
            Self::Merged { .. } => Outcome::Rejected,
            Self::Invalid(_) | Self::PreconditionRequired | Self::Stale { .. } => Outcome::Rejected,
            Self::Unavailable(_) | Self::Unknown(_) => Outcome::Failed,
        }
    }
}

impl Audited for ListMinorsError {
    fn outcome(&self) -> Outcome {
        match self {
            Self::Denied(d) => denied_outcome(d),
            Self::Unavailable(_) | Self::Unknown(_) => Outcome::Failed,
        }
    }
}

impl Audited for AddPhotoError {
    fn outcome(&self) -> Outcome {
        match self {
            Self::Denied(d) => denied_outcome(d),
            Self::NotFound(_) => Outcome::NotFound,
            Self::Rejected(_) => Outcome::Rejected,
            Self::Unavailable(_) | Self::Unknown(_) => Outcome::Failed,
        }
    }
}

impl Audited for GetPhotoError {
    fn outcome(&self) -> Outcome {
        match self {
            Self::Denied(d) => denied_outcome(d),
            Self::NotFound => Outcome::NotFound,
            Self::Unavailable(_) | Self::Unknown(_) => Outcome::Failed,
        }
    }
}

/// The audit entry of one use case, filled in as it runs.
pub(crate) struct Trail {
    pub(crate) entry: AuditEntry,
    /// The entry was committed with the change itself.
    pub(crate) written: bool,
}

impl Trail {
    pub(crate) fn new(
        rq: &Request,
        action: Action,
        minors: &[&str],
        at: chrono::DateTime<chrono::Utc>,
    ) -> Self {
        Self {
            entry: AuditEntry {
                at,
                subject: Some(rq.caller.subject.clone()),
                agency: Some(rq.caller.agency.to_string()),
                role: Some(rq.caller.role.to_string()),
                purpose: rq.purpose.as_ref().ok().copied(),
                action,
                minors: minors.iter().map(|m| (*m).to_owned()).collect(),
                categories: CategorySet::EMPTY,
                outcome: Outcome::Success,
                request_id: rq.request_id.clone(),
            }
            .normalised(),
            written: false,
        }
    }

    /// The entry as committed with a successful change.
    pub(crate) fn for_change(&self, changed: CategorySet) -> AuditEntry {
        AuditEntry {
            categories: changed,
            outcome: Outcome::Success,
            ..self.entry.clone()
        }
    }

    /// Appends the entry with the result's outcome unless the change already committed it. If the
    /// trail cannot take it, the result becomes `Unavailable`: nothing is disclosed unaudited.
    pub(crate) fn close<T, E: Audited + From<AuditUnavailable>>(
        mut self,
        audit: &dyn AuditLog,
        result: Result<T, E>,
    ) -> Result<T, E> {
        if self.written && result.is_ok() {
            return result;
        }
        match &result {
            Ok(_) => {}
            Err(e) => {
                self.entry.outcome = e.outcome();
                self.entry.categories = CategorySet::EMPTY;
            }
        }
        audit.append(self.entry)?;
        result
    }
}

/// The stated purpose, or the refusal (400) of a missing or unknown one.
pub(crate) fn stated(rq: &Request) -> Result<Purpose, Denied> {
    rq.purpose.clone().map_err(|raw| {
        Denied::PurposeMissing(if raw.is_empty() {
            "the X-Purpose header is required for child data".to_owned()
        } else {
            format!("`{raw}` is not a purpose")
        })
    })
}

/// The stated purpose, if some permit of the caller's role names `op` for it; otherwise the
/// purpose is refused before any child is looked at.
pub(crate) fn purpose_for(policy: &Policy, rq: &Request, op: Operation) -> Result<Purpose, Denied> {
    let purpose = stated(rq)?;
    if policy.names_purpose(rq.caller.role, op, purpose) {
        Ok(purpose)
    } else {
        Err(Denied::PurposeNotPermitted {
            role: rq.caller.role.to_string(),
            purpose,
        })
    }
}

/// Refuses unless the policy permits `op` for `purpose` (`None`: an operation without one) to the
/// caller in standing `facts`.
pub(crate) fn permitted(
    policy: &Policy,
    caller: &Principal,
    op: Operation,
    purpose: Option<Purpose>,
    facts: Facts,
) -> Result<(), Denied> {
    if policy.permits(caller.role, op, purpose, facts) {
        Ok(())
    } else {
        Err(Denied::OperationNotPermitted {
            role: caller.role.to_string(),
            operation: op,
            purpose,
        })
    }
}

impl Minors {
    pub(crate) fn check_purpose(&self, rq: &Request, op: Operation) -> Result<Purpose, Denied> {
        purpose_for(&self.policy, rq, op)
    }

    /// Refuses `op` on `minor` unless permitted in the caller's standing to the child; a caller
    /// refused there has no access to the child.
    pub(crate) fn permitted_on(
        &self,
        caller: &Principal,
        op: Operation,
        purpose: Purpose,
        minor: &Minor,
    ) -> Result<(), Denied> {
        if self.policy.permits(
            caller.role,
            op,
            Some(purpose),
            minor.relation_to(caller).into(),
        ) {
            Ok(())
        } else {
            Err(Denied::NoAccessToChild(purpose))
        }
    }

    /// The caller's mask on a stored record; refuses when it reads nothing.
    fn readable_mask(
        &self,
        caller: &Principal,
        purpose: Purpose,
        minor: &Minor,
    ) -> Result<Mask, Denied> {
        let mask = self
            .policy
            .mask(caller.role, purpose, minor.relation_to(caller));
        if mask.read.is_empty() {
            return Err(Denied::NoAccessToChild(purpose));
        }
        Ok(mask)
    }

    fn load(&self, id: &str) -> anyhow::Result<Option<Minor>> {
        self.minors.find(id)
    }

    fn trail(&self, rq: &Request, action: Action, minors: &[&str]) -> Trail {
        Trail::new(rq, action, minors, self.clock.now())
    }

    /// Agencies named by placement and guardianship must exist and be of a fitting kind.
    fn check_references(&self, data: &MinorData) -> anyhow::Result<FieldErrors> {
        let mut errors = FieldErrors::default();
        let refs = [
            (
                "placement.current_agency",
                data.placement_agency(),
                &[AgencyKind::ReceptionCentre, AgencyKind::YouthCare][..],
            ),
            (
                "guardianship.guardian_agency",
                data.guardian_agency(),
                &[AgencyKind::Guardian][..],
            ),
        ];
        for (path, id, kinds) in refs {
            let Some(id) = id else { continue };
            let agency = match AgencyId::parse(id) {
                Ok(parsed) => self.agencies.find(&parsed)?,
                Err(_) => None,
            };
            match agency {
                None => errors.push(path, format!("no agency `{id}`")),
                Some(a) if !kinds.contains(&a.kind) => errors.push(
                    path,
                    format!(
                        "agency `{id}` is of kind `{}`; expected {}",
                        a.kind,
                        kinds
                            .iter()
                            .map(|k| format!("`{k}`"))
                            .collect::<Vec<_>>()
                            .join(" or ")
                    ),
                ),
                Some(_) => {}
            }
        }
        Ok(errors)
    }

    pub(crate) fn validated(&self, data: MinorData) -> Result<MinorData, RegisterError> {
        let data = validate(data, self.clock.now().date_naive())?;
        let errors = self.check_references(&data)?;
        if errors.is_empty() {
            Ok(data)
        } else {
            Err(errors.into())
        }
    }

    /// Registers a new child. The caller must be allowed to write every category it supplies, judged
    /// on the record as it will be (a reception centre registers a child placed with itself). When
    /// the child may be a missing child (see `possible_match_events`), the possible-match events
    /// are stored with the record, in its transaction.
    pub fn register(
        &self,
        rq: &Request,
        body: &serde_json::Value,
        matching: &MatchingConfig,
    ) -> Result<MinorView, RegisterError> {
        let id = self.ids.new_id();
        let mut trail = self.trail(rq, Action::Register, &[&id]);
        let result = (|| {
            let purpose = self.check_purpose(rq, Operation::Register)?;
            let data = parse_data(body)?;
            let present = data.present_categories();
            if present.is_empty() {
                let mut e = FieldErrors::default();
                e.push("", "a record needs at least one category");
                return Err(e.into());
            }
            let to_be = relation(&data, MinorStatus::Active, &rq.caller.agency);
            permitted(
                &self.policy,
                &rq.caller,
                Operation::Register,
                Some(purpose),
                to_be.into(),
            )?;
            let mask = self.policy.mask(rq.caller.role, purpose, to_be);
            denied_writes(present, mask)?;
            let data = self.validated(data)?;
            let audit = trail.for_change(data.present_categories());
            let events = self.possible_match_events(&id, &data, matching)?;
            let minor = self.minors.insert(
                &id,
                &data,
                &Actor::new(&rq.caller, purpose),
                audit.at,
                Some(&audit),
                &events
                    .iter()
                    .map(|(event, alert)| NewEvent { event, alert })
                    .collect::<Vec<_>>(),
            )?;
            trail.written = true;
            Ok(self.view_after_write(&rq.caller, purpose, &minor))
        })();
        trail.close(self.audit.as_ref(), result)
    }

    /// The record through the caller's mask, or a refusal if it reads nothing of this child.
    pub fn consult(&self, rq: &Request, id: &str) -> Result<MinorView, ConsultError> {
        let mut trail = self.trail(rq, Action::Read, &[id]);
        let result = (|| {
            let purpose = self.check_purpose(rq, Operation::Consult)?;
            let minor = self
                .load(id)?
                .ok_or_else(|| ConsultError::NotFound(id.to_owned()))?;
            if let Some(into) = minor.merged_into {
                return Err(ConsultError::Merged {
                    id: id.to_owned(),
                    into,
                });
            }
            self.permitted_on(&rq.caller, Operation::Consult, purpose, &minor)?;
            let mask = self.readable_mask(&rq.caller, purpose, &minor)?;
            let view = project(&minor, mask, purpose);
            trail.entry.categories = view.data.present_categories();
            Ok(view)
        })();
        trail.close(self.audit.as_ref(), result)
    }

    /// Applies a JSON merge patch based on the `if_match` precondition. The caller must be allowed to
    /// write every category the patch names, judged on the record as it is now.
    pub fn amend(
        &self,
        rq: &Request,
        id: &str,
        if_match: Option<Precondition>,
        patch: &serde_json::Value,
    ) -> Result<MinorView, AmendError> {
        let mut trail = self.trail(rq, Action::Amend, &[id]);
        let result = (|| {
            // A caller that may consult for this purpose but not amend is told which fields it
            // may not write, as one whose grants do not cover them.
            let purpose = self
                .check_purpose(rq, Operation::Amend)
                .or_else(|_| self.check_purpose(rq, Operation::Consult))?;
            let minor = self
                .load(id)?
                .ok_or_else(|| AmendError::NotFound(id.to_owned()))?;
            if let Some(into) = minor.merged_into {
                return Err(AmendError::Merged {
                    id: id.to_owned(),
                    into,
                });
            }
            let mut mask = self
                .policy
                .mask(rq.caller.role, purpose, minor.relation_to(&rq.caller));
            if self
                .permitted_on(&rq.caller, Operation::Amend, purpose, &minor)
                .is_err()
            {
                mask.write = CategorySet::EMPTY;
            }
            if mask.read.is_empty() && mask.write.is_empty() {
                return Err(Denied::NoAccessToChild(purpose).into());
            }
            denied_writes(touched_categories(patch), mask)?;
            let expected = match if_match.ok_or(AmendError::PreconditionRequired)? {
                Precondition::Any => minor.version,
                Precondition::Version(v) => v,
                Precondition::NoVersion => {
                    return Err(AmendError::Stale {
                        current: minor.version,
                    });
                }
            };
            if expected != minor.version {
                return Err(AmendError::Stale {
                    current: minor.version,
                });
            }
            let data = apply_merge_patch(&minor.data, patch)?;
            let data = self.validated(data).map_err(|e| match e {
                RegisterError::Denied(d) => AmendError::Denied(d),
                RegisterError::Invalid(f) => AmendError::Invalid(f),
                RegisterError::Unavailable(u) => AmendError::Unavailable(u),
                RegisterError::Unknown(u) => AmendError::Unknown(u),
            })?;
            let changed = minor.data.changed_categories(&data);
            if changed.is_empty() {
                return Ok(self.view_after_write(&rq.caller, purpose, &minor));
            }
            let actor = Actor::new(&rq.caller, purpose);
            let audit = trail.for_change(changed);
            let updated = self
                .minors
                .update(
                    id,
                    &Change {
                        expected_version: expected,
                        data: &data,
                        changed,
                        photo: None,
                        actor: &actor,
                        at: audit.at,
                        audit: &audit,
                    },
                )
                .map_err(|e| match e {
                    UpdateMinorError::NotFound(id) => AmendError::NotFound(id),
                    UpdateMinorError::Stale { current } => AmendError::Stale { current },
                    UpdateMinorError::Unknown(e) => AmendError::Unknown(e),
                })?;
            trail.written = true;
            Ok(self.view_after_write(&rq.caller, purpose, &updated))
        })();
        trail.close(self.audit.as_ref(), result)
    }

    /// What the writer sees of the record after its own change: the mask on the new state (a change
    /// can end the caller's relation to the child, and then it sees only the core fields).
    pub(crate) fn view_after_write(
        &self,
        caller: &Principal,
        purpose: Purpose,
        minor: &Minor,
    ) -> MinorView {
        project(
            minor,
            self.policy
                .mask(caller.role, purpose, minor.relation_to(caller)),
            purpose,
        )
    }

    /// Every revision, projected through the caller's current mask on the child.
    pub fn history(&self, rq: &Request, id: &str) -> Result<HistoryView, ConsultError> {
        let mut trail = self.trail(rq, Action::History, &[id]);
        let result = (|| {
            let purpose = self.check_purpose(rq, Operation::History)?;
            let minor = self
                .load(id)?
                .ok_or_else(|| ConsultError::NotFound(id.to_owned()))?;
            self.permitted_on(&rq.caller, Operation::History, purpose, &minor)?;
            let mask = self.readable_mask(&rq.caller, purpose, &minor)?;
            // A revision that changed only withheld categories is not shown at all: its time and
            // author would tell when, and by whom, something the caller may not read was edited.
            // (One that changed no category, such as a merge closing a duplicate, is shown.)
            let revisions: Vec<RevisionView> = self
                .minors
                .history(id)?
                .iter()
                .filter(|r| r.changed.is_empty() || r.changed.iter().any(|c| mask.read.contains(c)))
                .map(|r| project_revision(r, mask))
                .collect();
            trail.entry.categories = revisions.iter().fold(CategorySet::EMPTY, |all, r| {
                all.union(r.data.present_categories())
            });
            Ok(HistoryView {
                revisions,
                withheld: mask.withheld().iter().collect(),
            })
        })();
        trail.close(self.audit.as_ref(), result)
    }

    /// Records the caller may read something of, each through its own mask.
    pub fn list(
        &self,
        rq: &Request,
        filter: &MinorFilter,
        page: &PageRequest<i64>,
    ) -> Result<Page<MinorView, i64>, ListMinorsError> {
        let mut trail = self.trail(rq, Action::List, &[]);
        let result = (|| {
            let purpose = self.check_purpose(rq, Operation::List)?;
            let reach = self.policy.reach(rq.caller.role, purpose);
            let listed = self
                .policy
                .standings(rq.caller.role, Operation::List, purpose);
            // Children listed: where the caller reads something and a permit lists them.
            let always = reach.always && listed.contains(&Standing::Always);
            let assigned = (reach.always || reach.assigned)
                && (listed.contains(&Standing::Always) || listed.contains(&Standing::Assigned));
            let missing = (reach.always || reach.active_alert)
                && (listed.contains(&Standing::Always) || listed.contains(&Standing::ActiveAlert));
            if !(always || assigned || missing) {
                return Ok(Page {
                    items: vec![],
                    next: None,
                });
            }
            self.check_filters(rq, purpose, filter, always, assigned, missing)?;
            let scope = if always {
                ListScope::Everything
            } else {
                ListScope::Related {
                    agency: rq.caller.agency.clone(),
                    assigned,
                    missing,
                }
            };
            let page = self.minors.list(&scope, filter, page)?;
            let items: Vec<MinorView> = page
                .items
                .iter()
                .filter_map(|(_, minor)| {
                    let relation = minor.relation_to(&rq.caller);
                    let mask = self.policy.mask(rq.caller.role, purpose, relation);
                    let listed = self.policy.permits(
                        rq.caller.role,
                        Operation::List,
                        Some(purpose),
                        relation.into(),
                    );
                    (listed && !mask.read.is_empty()).then(|| project(minor, mask, purpose))
                })
                .collect();
            trail.entry.minors = items.iter().map(|v| v.id.clone()).collect();
            trail.entry.categories = items.iter().fold(CategorySet::EMPTY, |all, v| {
                all.union(v.data.present_categories())
            });
            Ok(Page {
                items,
                next: page.next,
            })
        })();
        trail.close(self.audit.as_ref(), result)
    }

    /// Cleans and stores a photo and lists it in the record's `photos`; needs write access to
    /// `photos`. Retries on a concurrent change, since an upload does not depend on other fields.
    pub fn add_photo(
        &self,
        rq: &Request,
        id: &str,
        bytes: &[u8],
    ) -> Result<PhotoRef, AddPhotoError> {
        let mut trail = self.trail(rq, Action::PhotoUpload, &[id]);
        let result = (|| {
            let purpose = self.check_purpose(rq, Operation::PhotoUpload)?;
            let clean = self
                .photos
                .clean(bytes)
                .map_err(|e| AddPhotoError::Rejected(e.0))?;
            let photo = NewPhoto {
                id: self.ids.new_id(),
                content_type: clean.content_type.clone(),
                bytes: clean.bytes,
            };
            let actor = Actor::new(&rq.caller, purpose);
            let mut changed = CategorySet::EMPTY;
            changed.insert(Category::Photos);
            let audit = trail.for_change(changed);
            for _ in 0..PHOTO_ATTEMPTS {
                let minor = self
                    .load(id)?
                    .ok_or_else(|| AddPhotoError::NotFound(id.to_owned()))?;
                let mask = self
                    .policy
                    .mask(rq.caller.role, purpose, minor.relation_to(&rq.caller));
                self.permitted_on(&rq.caller, Operation::PhotoUpload, purpose, &minor)?;
                if !mask.write.contains(Category::Photos) {
                    return Err(if mask.read.is_empty() {
                        Denied::NoAccessToChild(purpose)
                    } else {
                        Denied::WriteNotPermitted(vec![Category::Photos.to_string()])
                    }
                    .into());
                }
                let reference = PhotoRef {
                    id: photo.id.clone(),
                    content_type: clean.content_type.clone(),
                    width: clean.width,
                    height: clean.height,
                    bytes: photo.bytes.len() as u64,
                    uploaded_at: audit.at,
                };
                let mut data = minor.data.clone();
                let photos = data.photos.get_or_insert_with(Photos::default);
                if photos.items.len() >= MAX_PHOTOS {
                    return Err(AddPhotoError::Rejected(format!(
                        "a record keeps at most {MAX_PHOTOS} photos"
                    )));
                }
                photos.items.push(reference.clone());
                let change = Change {
                    expected_version: minor.version,
                    data: &data,
                    changed,
                    photo: Some(&photo),
                    actor: &actor,
                    at: audit.at,
                    audit: &audit,
                };
                match self.minors.update(id, &change) {
                    Ok(_) => {
                        trail.written = true;
                        return Ok(reference);
                    }
                    Err(UpdateMinorError::Stale { .. }) => continue,
                    Err(UpdateMinorError::NotFound(id)) => return Err(AddPhotoError::NotFound(id)),
                    Err(UpdateMinorError::Unknown(e)) => return Err(e.into()),
                }
            }
            Err(anyhow::anyhow!(
                "the record kept changing during {PHOTO_ATTEMPTS} attempts to add a photo"
            )
            .into())
        })();
        trail.close(self.audit.as_ref(), result)
    }

    /// A photo's bytes, under the same policy as the `photos` category.
    pub fn photo(
        &self,
        rq: &Request,
        minor_id: &str,
        photo_id: &str,
    ) -> Result<StoredPhoto, GetPhotoError> {
        let mut trail = self.trail(rq, Action::PhotoRead, &[minor_id]);
        let result = (|| {
            let purpose = self.check_purpose(rq, Operation::PhotoRead)?;
            let minor = self.load(minor_id)?.ok_or(GetPhotoError::NotFound)?;
            self.permitted_on(&rq.caller, Operation::PhotoRead, purpose, &minor)?;
            let mask = self.readable_mask(&rq.caller, purpose, &minor)?;
            if !mask.read.contains(Category::Photos) {
                return Err(GetPhotoError::Denied(Denied::NoAccessToChild(purpose)));
            }
            let listed = minor
                .data
                .photos
                .as_ref()
                .is_some_and(|p| p.items.iter().any(|i| i.id == photo_id));
            if !listed {
                return Err(GetPhotoError::NotFound);
            }
            let photo = self
                .minors
                .photo(minor_id, photo_id)?
                .ok_or(GetPhotoError::NotFound)?;
            trail.entry.categories.insert(Category::Photos);
            Ok(photo)
        })();
        trail.close(self.audit.as_ref(), result)
    }

    /// The grants and permits of the caller's role, as loaded.
    pub fn effective_policy(&self, caller: &Principal) -> (Vec<Grant>, Vec<Permit>) {
        (
            self.policy.grants_for(caller.role).cloned().collect(),
            self.policy.permits_for(caller.role).cloned().collect(),
        )
    }

    /// Refuses a listing filter on a category the caller may not read of every child the listing
    /// may return (`always`, `assigned`, `missing`: the scope's standings).
    fn check_filters(
        &self,
        rq: &Request,
        purpose: Purpose,
        filter: &MinorFilter,
        always: bool,
        assigned: bool,
        missing: bool,
    ) -> Result<(), Denied> {
        let mut standings = Vec::new();
        if always {
            standings.push(crate::policy::Relation::default());
        }
        if assigned {
            standings.push(crate::policy::Relation {
                assigned: true,
                active_alert: false,
            });
        }
        if missing {
            standings.push(crate::policy::Relation {
                assigned: false,
                active_alert: true,
            });
        }
        for (name, category) in filter.categories() {
            let readable = standings.iter().all(|r| {
                self.policy
                    .mask(rq.caller.role, purpose, *r)
                    .read
                    .contains(category)
            });
            if !readable {
                return Err(Denied::FilterNotPermitted {
                    filter: name.to_owned(),
                    category,
                    role: rq.caller.role.to_string(),
                    purpose,
                });
            }
        }
        Ok(())
    }
}

/// Refuses a write that touches a category outside the caller's write mask, naming them all.
fn denied_writes(touched: CategorySet, mask: Mask) -> Result<(), Denied> {
    let refused = touched.difference(mask.write);
    if refused.is_empty() {
        Ok(())
    } else {
        Err(Denied::WriteNotPermitted(
            refused.iter().map(|c| c.to_string()).collect(),
        ))
    }
}
