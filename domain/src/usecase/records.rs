//! Children's records: register, consult, amend, list, history and photos, each through the
//! access policy: the caller's role, stated purpose and relation to the child decide what is read
//! or written, field category by field category.

use std::sync::Arc;

use chrono::NaiveDate;
use serde::Serialize;

use crate::agency::{AgencyId, AgencyKind};
use crate::audit::Action;
use crate::category::{Category, CategorySet};
use crate::matching::{MatchingConfig, query_keys};
use crate::minor::patch::{apply_merge_patch, parse_data, touched_categories};
use crate::minor::validate::validate;
use crate::minor::{MinorData, MinorStatus, PhotoRef, Photos};
use crate::page::{Page, PageRequest};
use crate::policy::{Mask, Operation, Relation, Standing};
use crate::ports::{
    AgencyRepository, AlertRepository, Change, IdGenerator, MinorReader, MinorWriter, NewEvent,
    NewPhoto, PhotoCleaner, StoredPhoto, UpdateMinorError,
};
use crate::projection::{HistoryView, MinorView, project};
use crate::purpose::Purpose;
use crate::record::{Actor, ListScope, Minor, MinorFilter, relation};
use crate::usecase::kernel::{Conflict, Denied, Failure, Kernel, Request};
use crate::usecase::search::{CANDIDATE_POOL, Matches, SearchHit, disclose, probe_of_data};
use crate::validation::FieldErrors;

/// The `If-Match` precondition of a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precondition {
    /// The version the caller saw.
    Version(i64),
    /// Entity tags none of which names a version (a weak or foreign tag, an empty list): they
    /// match no version, so the change fails as a stale one would (RFC 9110, section 13.1.1). Judged
    /// here, after the purpose and the caller's rights, so that such a request is refused in the
    /// same order, and audited, like any other.
    NoVersion,
}

/// The answer to a registration: the record as the registrant may now see it, and the children
/// already registered who may be this one (candidates at or above the possible-match threshold,
/// through the registrant's mask), found with the same look-up as the possible-match events.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Registered {
    #[serde(flatten)]
    pub record: MinorView,
    pub possible_matches: Vec<SearchHit>,
}

/// A photo stored, and the version of the record that lists it (the ETag of the next change).
#[derive(Debug, Clone, PartialEq)]
pub struct PhotoAdded {
    pub photo: PhotoRef,
    pub version: i64,
}

/// How often a photo upload retries when a concurrent change moved the record on.
const PHOTO_ATTEMPTS: usize = 5;

/// Most photos one record keeps.
pub const MAX_PHOTOS: usize = 20;

/// Most possible matches a registration answers with.
const POSSIBLE_MATCHES: usize = 10;

/// The ports of the records service.
pub struct RecordPorts {
    pub minors: Arc<dyn MinorReader>,
    pub writer: Arc<dyn MinorWriter>,
    pub agencies: Arc<dyn AgencyRepository>,
    /// Read only: to find the open alert of a missing child a registration may match.
    pub alerts: Arc<dyn AlertRepository>,
    pub ids: Arc<dyn IdGenerator>,
    pub photos: Arc<dyn PhotoCleaner>,
}

/// The records service.
#[derive(Clone)]
pub struct Records {
    kernel: Kernel,
    minors: Arc<dyn MinorReader>,
    writer: Arc<dyn MinorWriter>,
    agencies: Arc<dyn AgencyRepository>,
    alerts: Arc<dyn AlertRepository>,
    ids: Arc<dyn IdGenerator>,
    photos: Arc<dyn PhotoCleaner>,
    matching: Arc<MatchingConfig>,
}

impl Records {
    pub fn new(kernel: Kernel, ports: RecordPorts, matching: Arc<MatchingConfig>) -> Self {
        Self {
            kernel,
            minors: ports.minors,
            writer: ports.writer,
            agencies: ports.agencies,
            alerts: ports.alerts,
            ids: ports.ids,
            photos: ports.photos,
            matching,
        }
    }

    /// Registers a new child. The caller must be allowed to write every category it supplies,
    /// judged on the record as it will be (a reception centre registers a child placed with
    /// itself). Candidates are looked up once: a missing child among them that the matcher scores
    /// as a possible match raises a possible-match event, stored with the record in its
    /// transaction; those the caller may search are its possible matches, audited as a search.
    pub fn register(&self, rq: &Request, body: &serde_json::Value) -> Result<Registered, Failure> {
        let id = self.ids.new_id();
        let (record, purpose, candidates) =
            self.kernel.audited(rq, Action::Register, &[&id], |trail| {
                let purpose = self.kernel.purpose(rq, Operation::Register)?;
                let data = parse_data(body)?;
                let present = data.present_categories();
                if present.is_empty() {
                    return Err(Failure::invalid("", "a record needs at least one category"));
                }
                let to_be = relation(&data, MinorStatus::Active, &rq.caller.agency);
                self.kernel.permitted(
                    &rq.caller,
                    Operation::Register,
                    Some(purpose),
                    to_be.into(),
                )?;
                let mask = self.kernel.policy().mask(rq.caller.role, purpose, to_be);
                denied_writes(present, mask)?;
                let data = validated(self.agencies.as_ref(), data, self.kernel.now().date_naive())?;
                let probe = probe_of_data(&data);
                let candidates = match &probe {
                    Some(p) => self
                        .minors
                        .candidates(&query_keys(&p.names, p.date_of_birth), CANDIDATE_POOL)?,
                    None => vec![],
                };
                let events = match &probe {
                    Some(p) => self.matches().possible_match_events(
                        &id,
                        p,
                        &candidates,
                        self.alerts.as_ref(),
                        self.ids.as_ref(),
                    )?,
                    None => vec![],
                };
                let audit = trail.for_change(data.present_categories());
                let minor = self.writer.insert(
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
                trail.committed();
                Ok((
                    self.kernel.view(&rq.caller, purpose, &minor),
                    purpose,
                    candidates,
                ))
            })?;
        let possible_matches = self.possible_matches(rq, purpose, &record, &candidates)?;
        Ok(Registered {
            record,
            possible_matches,
        })
    }

    /// The candidates of a registration the registrant may search for its purpose, scored on what
    /// it reads of the record it registered, at or above the possible-match threshold: a
    /// disclosure of other children, audited as a search. None (and nothing recorded) when the
    /// registrant reads no name of the record or may not search for this purpose.
    fn possible_matches(
        &self,
        rq: &Request,
        purpose: Purpose,
        registered: &MinorView,
        candidates: &[Minor],
    ) -> Result<Vec<SearchHit>, Failure> {
        let Some(probe) = probe_of_data(&registered.data) else {
            return Ok(vec![]);
        };
        if !self
            .kernel
            .policy()
            .names_purpose(rq.caller.role, Operation::Search, purpose)
        {
            return Ok(vec![]);
        }
        self.kernel.audited(rq, Action::Search, &[], |trail| {
            let mut hits: Vec<SearchHit> = self
                .matches()
                .for_caller(&rq.caller, purpose, &probe, candidates)
                .into_iter()
                .filter(|h| h.score >= self.matching.thresholds.possible_match)
                .collect();
            hits.truncate(POSSIBLE_MATCHES);
            disclose(trail, &hits);
            Ok(hits)
        })
    }

    fn matches(&self) -> Matches<'_> {
        Matches {
            kernel: &self.kernel,
            config: &self.matching,
            today: self.kernel.now().date_naive(),
        }
    }

    /// The record `id`, if it exists.
    fn load(&self, id: &str) -> Result<Minor, Failure> {
        self.minors.find(id)?.ok_or_else(|| Failure::no_record(id))
    }

    /// The record through the caller's mask, or a refusal if it reads nothing of this child.
    pub fn consult(&self, rq: &Request, id: &str) -> Result<MinorView, Failure> {
        self.kernel.audited(rq, Action::Read, &[id], |trail| {
            let purpose = self.kernel.purpose(rq, Operation::Consult)?;
            let minor = self.load(id)?;
            if let Some(into) = minor.merged_into {
                return Err(Failure::Moved {
                    id: id.to_owned(),
                    into,
                });
            }
            self.kernel
                .permitted_on(&rq.caller, Operation::Consult, purpose, &minor)?;
            let mask = self.kernel.readable_mask(&rq.caller, purpose, &minor)?;
            let view = project(&minor, mask, purpose);
            trail.discloses(view.data.present_categories());
            Ok(view)
        })
    }

    /// Applies a JSON merge patch based on the `if_match` precondition. The caller must be allowed
    /// to write every category the patch names, judged on the record as it is now.
    pub fn amend(
        &self,
        rq: &Request,
        id: &str,
        if_match: Option<Precondition>,
        patch: &serde_json::Value,
    ) -> Result<MinorView, Failure> {
        self.kernel.audited(rq, Action::Amend, &[id], |trail| {
            // A caller that may consult for this purpose but not amend is told which fields it
            // may not write, as one whose grants do not cover them.
            let purpose = self
                .kernel
                .purpose(rq, Operation::Amend)
                .or_else(|_| self.kernel.purpose(rq, Operation::Consult))?;
            let minor = self.load(id)?;
            if let Some(into) = minor.merged_into {
                return Err(Conflict::Merged {
                    id: id.to_owned(),
                    into,
                }
                .into());
            }
            let mut mask = self.kernel.mask(&rq.caller, purpose, &minor);
            if self
                .kernel
                .permitted_on(&rq.caller, Operation::Amend, purpose, &minor)
                .is_err()
            {
                mask.write = CategorySet::EMPTY;
            }
            if mask.read.is_empty() && mask.write.is_empty() {
                return Err(Denied::NoAccessToChild(purpose).into());
            }
            erased(&minor)?;
            denied_writes(touched_categories(patch), mask)?;
            let stale = |current| Failure::from(UpdateMinorError::Stale { current });
            let expected = match if_match.ok_or(Conflict::PreconditionRequired)? {
                Precondition::Version(v) => v,
                Precondition::NoVersion => return Err(stale(minor.version)),
            };
            if expected != minor.version {
                return Err(stale(minor.version));
            }
            let data = apply_merge_patch(&minor.data, patch)?;
            let data = validated(self.agencies.as_ref(), data, self.kernel.now().date_naive())?;
            let changed = minor.data.changed_categories(&data);
            if changed.is_empty() {
                return Ok(self.kernel.view(&rq.caller, purpose, &minor));
            }
            let actor = Actor::new(&rq.caller, purpose);
            let audit = trail.for_change(changed);
            let updated = self.writer.update(
                id,
                &Change {
                    expected_version: expected,
                    data: &data,
                    changed,
                    photo: None,
                    removed_photo: None,
                    lifecycle: None,
                    actor: &actor,
                    at: audit.at,
                    audit: &audit,
                },
            )?;
            trail.committed();
            Ok(self.kernel.view(&rq.caller, purpose, &updated))
        })
    }

    /// Every revision, projected through the caller's current mask on the child (see
    /// [`HistoryView::of`] for which revisions are shown).
    pub fn history(&self, rq: &Request, id: &str) -> Result<HistoryView, Failure> {
        self.kernel.audited(rq, Action::History, &[id], |trail| {
            let purpose = self.kernel.purpose(rq, Operation::History)?;
            let minor = self.load(id)?;
            self.kernel
                .permitted_on(&rq.caller, Operation::History, purpose, &minor)?;
            let mask = self.kernel.readable_mask(&rq.caller, purpose, &minor)?;
            let history = HistoryView::of(id, &self.minors.history(id)?, mask, purpose);
            trail.discloses(history.revisions.iter().fold(CategorySet::EMPTY, |all, r| {
                all.union(r.data.present_categories())
            }));
            Ok(history)
        })
    }

    /// Records the caller may read something of, each through its own mask.
    pub fn list(
        &self,
        rq: &Request,
        filter: &MinorFilter,
        page: &PageRequest<i64>,
    ) -> Result<Page<MinorView, i64>, Failure> {
        self.kernel.audited(rq, Action::List, &[], |trail| {
            let purpose = self.kernel.purpose(rq, Operation::List)?;
            let Some(scope) = self.scope(rq, purpose, filter)? else {
                return Ok(Page {
                    items: vec![],
                    next: None,
                });
            };
            let policy = self.kernel.policy();
            let page = self.minors.list(&scope, filter, page)?;
            let items: Vec<MinorView> = page
                .items
                .iter()
                .filter_map(|(_, minor)| {
                    let relation = minor.relation_to(&rq.caller);
                    let mask = policy.mask(rq.caller.role, purpose, relation);
                    let listed = policy.permits(
                        rq.caller.role,
                        Operation::List,
                        Some(purpose),
                        relation.into(),
                    );
                    (listed && !mask.read.is_empty()).then(|| project(minor, mask, purpose))
                })
                .collect();
            trail.concerns(items.iter().map(|v| v.id.clone()).collect());
            trail.discloses(items.iter().fold(CategorySet::EMPTY, |all, v| {
                all.union(v.data.present_categories())
            }));
            Ok(Page {
                items,
                next: page.next,
            })
        })
    }

    /// The children a listing may return: where the caller reads something and a permit lists
    /// them (`None`: none at all); refuses a filter on a category the caller may not read of
    /// every child the listing may return.
    fn scope(
        &self,
        rq: &Request,
        purpose: Purpose,
        filter: &MinorFilter,
    ) -> Result<Option<ListScope>, Denied> {
        let policy = self.kernel.policy();
        let reach = policy.reach(rq.caller.role, purpose);
        let listed = policy.standings(rq.caller.role, Operation::List, purpose);
        let always = reach.always && listed.contains(&Standing::Always);
        let assigned = (reach.always || reach.assigned)
            && (listed.contains(&Standing::Always) || listed.contains(&Standing::Assigned));
        let missing = (reach.always || reach.active_alert)
            && (listed.contains(&Standing::Always) || listed.contains(&Standing::ActiveAlert));
        if !(always || assigned || missing) {
            return Ok(None);
        }
        let mut standings = Vec::new();
        if always {
            standings.push(Relation::default());
        }
        if assigned {
            standings.push(Relation {
                assigned: true,
                ..Relation::default()
            });
        }
        if missing {
            standings.push(Relation {
                active_alert: true,
                ..Relation::default()
            });
        }
        for (name, category) in filter.categories() {
            let readable = standings.iter().all(|r| {
                policy
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
        let scope = if always {
            ListScope::Everything
        } else {
            ListScope::Related {
                agency: rq.caller.agency.clone(),
                assigned,
                missing,
            }
        };
        Ok(Some(scope))
    }

    /// Cleans and stores a photo and lists it in the record's `photos`; needs write access to
    /// `photos`. Retries on a concurrent change, since an upload does not depend on other fields.
    pub fn add_photo(&self, rq: &Request, id: &str, bytes: &[u8]) -> Result<PhotoAdded, Failure> {
        self.kernel
            .audited(rq, Action::PhotoUpload, &[id], |trail| {
                let purpose = self.kernel.purpose(rq, Operation::PhotoUpload)?;
                let clean = self
                    .photos
                    .clean(bytes)
                    .map_err(|e| Failure::Refused(format!("the photo is refused: {}", e.0)))?;
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
                    let minor = self.load(id)?;
                    let mask = self.kernel.mask(&rq.caller, purpose, &minor);
                    self.kernel.permitted_on(
                        &rq.caller,
                        Operation::PhotoUpload,
                        purpose,
                        &minor,
                    )?;
                    erased(&minor)?;
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
                        return Err(Failure::Refused(format!(
                            "the photo is refused: a record keeps at most {MAX_PHOTOS} photos"
                        )));
                    }
                    photos.items.push(reference.clone());
                    let change = Change {
                        expected_version: minor.version,
                        data: &data,
                        changed,
                        photo: Some(&photo),
                        removed_photo: None,
                        lifecycle: None,
                        actor: &actor,
                        at: audit.at,
                        audit: &audit,
                    };
                    match self.writer.update(id, &change) {
                        Ok(updated) => {
                            trail.committed();
                            return Ok(PhotoAdded {
                                photo: reference,
                                version: updated.version,
                            });
                        }
                        Err(UpdateMinorError::Stale { .. }) => continue,
                        Err(other) => return Err(other.into()),
                    }
                }
                Err(anyhow::anyhow!(
                    "the record kept changing during {PHOTO_ATTEMPTS} attempts to add a photo"
                )
                .into())
            })
    }

    /// A photo's bytes, under the same policy as the `photos` category.
    pub fn photo(
        &self,
        rq: &Request,
        minor_id: &str,
        photo_id: &str,
    ) -> Result<StoredPhoto, Failure> {
        self.kernel
            .audited(rq, Action::PhotoRead, &[minor_id], |trail| {
                let no_photo = || Failure::NotFound("no such photo".to_owned());
                let purpose = self.kernel.purpose(rq, Operation::PhotoRead)?;
                let minor = self.minors.find(minor_id)?.ok_or_else(no_photo)?;
                self.kernel
                    .permitted_on(&rq.caller, Operation::PhotoRead, purpose, &minor)?;
                let mask = self.kernel.readable_mask(&rq.caller, purpose, &minor)?;
                if !mask.read.contains(Category::Photos) {
                    return Err(Denied::NoAccessToChild(purpose).into());
                }
                let listed = minor
                    .data
                    .photos
                    .as_ref()
                    .is_some_and(|p| p.items.iter().any(|i| i.id == photo_id));
                if !listed {
                    return Err(no_photo());
                }
                let photo = self
                    .minors
                    .photo(minor_id, photo_id)?
                    .ok_or_else(no_photo)?;
                trail.discloses_also(Category::Photos);
                Ok(photo)
            })
    }
}

/// Refuses a write to a record a retention rule erased: only its tombstone remains, and nothing
/// is written to it again.
pub(crate) fn erased(minor: &Minor) -> Result<(), Failure> {
    match minor.lifecycle.erased_at {
        Some(at) => Err(Conflict::State(format!(
            "record `{}` was erased on {} under a retention rule: only its tombstone remains",
            minor.id,
            at.date_naive()
        ))
        .into()),
        None => Ok(()),
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

/// `data` validated as of `today`, with the agencies named by placement and guardianship existing
/// and of a fitting kind; every offending field is named.
pub(crate) fn validated(
    agencies: &dyn AgencyRepository,
    data: MinorData,
    today: NaiveDate,
) -> Result<MinorData, Failure> {
    let data = validate(data, today)?;
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
            Ok(parsed) => agencies.find(&parsed)?,
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
    if errors.is_empty() {
        Ok(data)
    } else {
        Err(errors.into())
    }
}
