//! One in-memory store behind every storage port: agencies, records with their revisions and
//! photos, alerts with the outbox, subscriptions with their dead letters, and the audit trail. A
//! write takes the one lock, so each is all or nothing as the ports require.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, Utc};

use crate::agency::{Agency, AgencyId, AgencyKind, NewAgency};
use crate::alert::{Alert, AlertStatus, Following};
use crate::audit::{AuditEntry, ChainedEntry, GENESIS_HASH, Verifier, VerifyReport, link_hash};
use crate::matching::{KeyQuery, index_keys};
use crate::minor::{MinorData, MinorStatus};
use crate::page::{Page, PageRequest};
use crate::ports::{
    AgencyRepository, AlertChange, AlertFilter, AlertRepository, AuditLog, AuditUnavailable,
    Backlog, Change, CreateAlertError, DeadLetter, HealthCheck, InsertAgencyError, Lane, Merge,
    MinorReader, MinorWriter, NewEvent, Outbox, OutboxEvent, Progress, Resolution,
    StatisticsSource, StoredPhoto, Subscription, SubscriptionChange, SubscriptionRepository,
    SubscriptionStatus, UpdateAlertError, UpdateMinorError,
};
use crate::record::{Actor, ListScope, Minor, MinorFilter, Revision, relation};
use crate::statistics::Facts;

/// A stored record with what belongs to it.
#[derive(Debug, Clone)]
struct Stored {
    seq: i64,
    minor: Minor,
    revisions: Vec<Revision>,
    photos: HashMap<String, StoredPhoto>,
}

/// A dead letter with its subscription and resolution.
#[derive(Debug, Clone)]
struct Letter {
    subscription: String,
    letter: DeadLetter,
    resolved: Option<Resolution>,
}

#[derive(Default)]
struct State {
    agencies: Vec<Agency>,
    minors: Vec<Stored>,
    alerts: Vec<(i64, Alert)>,
    outbox: Vec<(DateTime<Utc>, OutboxEvent)>,
    absences: Vec<crate::episode::Absence>,
    tasks: Vec<(i64, crate::episode::Task)>,
    horizon: i64,
    subscriptions: Vec<Subscription>,
    letters: Vec<Letter>,
    /// When each subscription is due next, once a round set it (an attempt or a look).
    due_at: HashMap<String, DateTime<Utc>>,
    /// The audit chain, hashed as the real trail is.
    audit: Vec<ChainedEntry>,
    /// The audit trail refuses every entry (fail-closed tests).
    audit_down: bool,
}

impl State {
    fn stored(&mut self, id: &str) -> Option<&mut Stored> {
        self.minors.iter_mut().find(|s| s.minor.id == id)
    }

    fn append(&mut self, entries: &[AuditEntry]) -> Result<(), AuditUnavailable> {
        if self.audit_down {
            return Err(AuditUnavailable("the test trail is down".into()));
        }
        for entry in entries {
            let seq = self.audit.len() as i64 + 1;
            let prev_hash = self
                .audit
                .last()
                .map_or_else(|| GENESIS_HASH.to_owned(), |e| e.hash.clone());
            let hash = link_hash(&prev_hash, seq, entry);
            self.audit.push(ChainedEntry {
                seq,
                entry: entry.clone(),
                prev_hash,
                hash,
            });
        }
        Ok(())
    }

    /// Appends an event about an absence or a task (no alert stored with it).
    fn write_other(&mut self, event: &crate::alert::AlertEvent) {
        let seq = self.outbox.last().map_or(0, |(_, o)| o.seq) + 1;
        self.outbox.push((
            event.time,
            OutboxEvent {
                seq,
                event: event.clone(),
                alert: None,
            },
        ));
    }

    /// What an alert change brings besides the alert: the absence it closes, the tasks it
    /// creates, their events.
    fn write_episode(&mut self, change: &AlertChange<'_>) {
        if let Some(closed) = change.absence
            && let Some(a) = self
                .absences
                .iter_mut()
                .find(|a| a.id == closed.id && a.status == crate::episode::AbsenceStatus::Open)
        {
            *a = closed.clone();
        }
        for t in change.tasks {
            let seq = self.tasks.len() as i64 + 1;
            self.tasks.push((seq, t.clone()));
        }
        for e in change.more_events {
            self.write_other(e);
        }
    }

    fn write_events(&mut self, at: DateTime<Utc>, events: &[NewEvent<'_>]) {
        for e in events {
            let seq = self.outbox.last().map_or(0, |(_, o)| o.seq) + 1;
            self.outbox.push((
                at,
                OutboxEvent {
                    seq,
                    event: e.event.clone(),
                    alert: Some(e.alert.clone()),
                },
            ));
        }
    }
}

/// The store. Cheap to share behind an `Arc` as every storage port at once.
#[derive(Default)]
pub struct Memory {
    state: Mutex<State>,
}

impl Memory {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Every audit entry appended so far, in order.
    pub fn audit_entries(&self) -> Vec<AuditEntry> {
        self.lock().audit.iter().map(|e| e.entry.clone()).collect()
    }

    /// Changes the audit entry at `seq` behind the trail's back, as someone with the database
    /// files could.
    pub fn tamper(&self, seq: i64, change: impl FnOnce(&mut AuditEntry)) {
        if let Some(e) = self.lock().audit.iter_mut().find(|e| e.seq == seq) {
            change(&mut e.entry);
        }
    }

    /// Makes the audit trail refuse (`true`) or take (`false`) entries.
    pub fn set_audit_down(&self, down: bool) {
        self.lock().audit_down = down;
    }

    /// Every outbox event, in order.
    pub fn events(&self) -> Vec<OutboxEvent> {
        self.lock().outbox.iter().map(|(_, e)| e.clone()).collect()
    }

    /// Every stored alert.
    pub fn alerts(&self) -> Vec<Alert> {
        self.lock().alerts.iter().map(|(_, a)| a.clone()).collect()
    }

    /// Every subscription.
    pub fn subscriptions(&self) -> Vec<Subscription> {
        self.lock().subscriptions.clone()
    }

    /// How many records are stored.
    pub fn record_count(&self) -> usize {
        self.lock().minors.len()
    }

    /// Stores an agency as given.
    pub fn add_agency(&self, agency: Agency) {
        self.lock().agencies.push(agency);
    }
}

impl AgencyRepository for Memory {
    fn insert(
        &self,
        agency: &NewAgency,
        created_at: DateTime<Utc>,
    ) -> Result<Agency, InsertAgencyError> {
        let mut s = self.lock();
        if s.agencies.iter().any(|a| a.id == agency.id) {
            return Err(InsertAgencyError::Duplicate(agency.id.clone()));
        }
        let stored = Agency {
            id: agency.id.clone(),
            kind: agency.kind,
            name: agency.name.clone(),
            country: agency.country.clone(),
            created_at,
        };
        s.agencies.push(stored.clone());
        Ok(stored)
    }

    fn find(&self, id: &AgencyId) -> anyhow::Result<Option<Agency>> {
        Ok(self.lock().agencies.iter().find(|a| &a.id == id).cloned())
    }

    fn remembered(&self, id: &AgencyId) -> Option<Option<Agency>> {
        AgencyRepository::find(self, id).ok()
    }

    fn of_kinds(&self, kinds: &[AgencyKind]) -> anyhow::Result<Vec<Agency>> {
        let mut found: Vec<Agency> = self
            .lock()
            .agencies
            .iter()
            .filter(|a| kinds.contains(&a.kind))
            .cloned()
            .collect();
        found.sort_by(|a, b| a.id.as_str().cmp(b.id.as_str()));
        Ok(found)
    }

    fn list(&self, page: &PageRequest<AgencyId>) -> anyhow::Result<Page<Agency, AgencyId>> {
        let mut all: Vec<Agency> = self.lock().agencies.clone();
        all.sort_by(|a, b| a.id.as_str().cmp(b.id.as_str()));
        let items = all
            .into_iter()
            .filter(|a| {
                page.after
                    .as_ref()
                    .is_none_or(|after| a.id.as_str() > after.as_str())
            })
            .take(page.limit.get() + 1)
            .collect();
        Ok(Page::from_overfetch(items, page.limit, |a| a.id.clone()))
    }
}

impl MinorWriter for Memory {
    fn insert(
        &self,
        id: &str,
        data: &MinorData,
        actor: &Actor,
        at: DateTime<Utc>,
        audit: Option<&AuditEntry>,
        events: &[NewEvent<'_>],
    ) -> anyhow::Result<Minor> {
        let mut s = self.lock();
        if let Some(entry) = audit {
            s.append(std::slice::from_ref(entry))?;
        }
        let seq = s.minors.len() as i64 + 1;
        let minor = Minor {
            id: id.to_owned(),
            registry_number: format!("UAM-2026-{seq:06}"),
            status: MinorStatus::Active,
            version: 1,
            registered_at: at,
            updated_at: at,
            data: data.clone(),
            merged_into: None,
            lifecycle: Default::default(),
        };
        s.minors.push(Stored {
            seq,
            minor: minor.clone(),
            revisions: vec![Revision {
                version: 1,
                at,
                actor: actor.clone(),
                changed: data.present_categories(),
                data: data.clone(),
                redacted: crate::category::CategorySet::EMPTY,
            }],
            photos: HashMap::new(),
        });
        s.write_events(at, events);
        Ok(minor)
    }

    fn update(&self, id: &str, change: &Change<'_>) -> Result<Minor, UpdateMinorError> {
        let mut s = self.lock();
        let current = s
            .stored(id)
            .ok_or_else(|| UpdateMinorError::NotFound(id.to_owned()))?
            .minor
            .version;
        if current != change.expected_version {
            return Err(UpdateMinorError::Stale { current });
        }
        s.append(std::slice::from_ref(change.audit))
            .map_err(|e| UpdateMinorError::Unknown(e.into()))?;
        let stored = s
            .stored(id)
            .ok_or_else(|| UpdateMinorError::NotFound(id.to_owned()))?;
        stored.minor.version += 1;
        stored.minor.data = change.data.clone();
        stored.minor.updated_at = change.at;
        stored.revisions.push(Revision {
            version: stored.minor.version,
            at: change.at,
            actor: change.actor.clone(),
            changed: change.changed,
            data: change.data.clone(),
            redacted: crate::category::CategorySet::EMPTY,
        });
        if let Some(photo) = change.photo {
            stored.photos.insert(
                photo.id.clone(),
                StoredPhoto {
                    content_type: photo.content_type.clone(),
                    bytes: photo.bytes.clone(),
                },
            );
        }
        if let Some(photo) = change.removed_photo {
            stored.photos.remove(photo);
        }
        if let Some(lifecycle) = change.lifecycle {
            stored.minor.lifecycle = lifecycle.clone();
        }
        Ok(stored.minor.clone())
    }

    fn change_lifecycle(
        &self,
        id: &str,
        change: &crate::ports::LifecycleChange<'_>,
    ) -> Result<Minor, UpdateMinorError> {
        let mut s = self.lock();
        let current = s
            .stored(id)
            .ok_or_else(|| UpdateMinorError::NotFound(id.to_owned()))?
            .minor
            .version;
        if current != change.expected_version {
            return Err(UpdateMinorError::Stale { current });
        }
        s.append(std::slice::from_ref(change.audit))
            .map_err(|e| UpdateMinorError::Unknown(e.into()))?;
        let stored = s
            .stored(id)
            .ok_or_else(|| UpdateMinorError::NotFound(id.to_owned()))?;
        stored.minor.lifecycle = change.lifecycle.clone();
        if change.moves_version || change.erasure.is_some() {
            stored.minor.updated_at = change.at;
        }
        if change.moves_version && change.erasure.is_none() {
            stored.minor.version += 1;
        }
        if let Some((data, erasure)) = change.erasure {
            stored.minor.version += 1;
            stored.minor.data = data.clone();
            let keep = crate::category::CategorySet::all().difference(erasure.categories);
            for r in &mut stored.revisions {
                r.data = r.data.retain(keep);
            }
            if erasure.photos || erasure.record {
                stored.photos.clear();
            }
            if erasure.record {
                stored.revisions.clear();
            } else if erasure.revisions {
                stored
                    .revisions
                    .retain(|r| r.version >= change.expected_version);
            }
        }
        Ok(stored.minor.clone())
    }

    fn redact(
        &self,
        id: &str,
        redaction: &crate::ports::Redaction<'_>,
    ) -> Result<Minor, UpdateMinorError> {
        let mut s = self.lock();
        let stored = s
            .stored(id)
            .ok_or_else(|| UpdateMinorError::NotFound(id.to_owned()))?;
        if stored.minor.version != redaction.expected_version {
            return Err(UpdateMinorError::Stale {
                current: stored.minor.version,
            });
        }
        let revision = stored
            .revisions
            .iter_mut()
            .find(|r| r.version == redaction.revision)
            .ok_or_else(|| UpdateMinorError::NotFound(id.to_owned()))?;
        revision.data = revision
            .data
            .retain(crate::category::CategorySet::all().difference(redaction.categories));
        revision.redacted = revision.redacted.union(redaction.categories);
        stored.minor.lifecycle = redaction.lifecycle.clone();
        let minor = stored.minor.clone();
        s.append(std::slice::from_ref(redaction.audit))
            .map_err(|e| UpdateMinorError::Unknown(e.into()))?;
        Ok(minor)
    }

    fn merge(&self, merge: &Merge<'_>) -> Result<Minor, UpdateMinorError> {
        let mut s = self.lock();
        for (id, expected) in [
            (merge.survivor, merge.survivor_version),
            (merge.duplicate, merge.duplicate_version),
        ] {
            let current = s
                .stored(id)
                .ok_or_else(|| UpdateMinorError::NotFound(id.to_owned()))?
                .minor
                .version;
            if current != expected {
                return Err(UpdateMinorError::Stale { current });
            }
        }
        s.append(std::slice::from_ref(merge.audit))
            .map_err(|e| UpdateMinorError::Unknown(e.into()))?;
        let photos = s
            .stored(merge.duplicate)
            .map(|d| d.photos.clone())
            .unwrap_or_default();
        if let Some(duplicate) = s.stored(merge.duplicate) {
            duplicate.minor.status = MinorStatus::Merged;
            duplicate.minor.merged_into = Some(merge.survivor.to_owned());
            duplicate.minor.version += 1;
        }
        let survivor = s
            .stored(merge.survivor)
            .ok_or_else(|| UpdateMinorError::NotFound(merge.survivor.to_owned()))?;
        survivor.minor.version += 1;
        survivor.minor.data = merge.data.clone();
        survivor.minor.updated_at = merge.at;
        survivor.photos.extend(photos);
        survivor.revisions.push(Revision {
            version: survivor.minor.version,
            at: merge.at,
            actor: merge.actor.clone(),
            changed: merge.changed,
            data: merge.data.clone(),
            redacted: crate::category::CategorySet::EMPTY,
        });
        Ok(survivor.minor.clone())
    }
}

impl MinorReader for Memory {
    fn find(&self, id: &str) -> anyhow::Result<Option<Minor>> {
        Ok(self.lock().stored(id).map(|s| s.minor.clone()))
    }

    fn history(&self, id: &str) -> anyhow::Result<Vec<Revision>> {
        Ok(self
            .lock()
            .stored(id)
            .map(|s| s.revisions.clone())
            .unwrap_or_default())
    }

    fn list(
        &self,
        scope: &ListScope,
        filter: &MinorFilter,
        page: &PageRequest<i64>,
    ) -> anyhow::Result<Page<(i64, Minor), i64>> {
        let s = self.lock();
        let items: Vec<(i64, Minor)> = s
            .minors
            .iter()
            .filter(|m| page.after.is_none_or(|after| m.seq > after))
            .filter(|m| {
                !m.minor.lifecycle.is_restricted() || m.minor.status == MinorStatus::Missing
            })
            .filter(|m| m.minor.merged_into.is_none())
            .filter(|m| match scope {
                ListScope::Everything => true,
                ListScope::Related {
                    agency,
                    assigned,
                    missing,
                } => {
                    let r = relation(&m.minor.data, m.minor.status, agency);
                    (*assigned && r.assigned) || (*missing && r.active_alert)
                }
            })
            .filter(|m| filter.status.is_none_or(|st| m.minor.status == st))
            .filter(|m| {
                filter
                    .placement_agency
                    .as_ref()
                    .is_none_or(|a| m.minor.data.placement_agency() == Some(a.as_str()))
            })
            .filter(|m| {
                filter.nationality.as_ref().is_none_or(|n| {
                    m.minor
                        .data
                        .identity
                        .as_ref()
                        .is_some_and(|i| i.nationalities.iter().any(|x| x == n))
                })
            })
            .filter(|m| {
                filter
                    .registered_since
                    .is_none_or(|d| m.minor.registered_at.date_naive() >= d)
            })
            .take(page.limit.get() + 1)
            .map(|m| (m.seq, m.minor.clone()))
            .collect();
        Ok(Page::from_overfetch(items, page.limit, |(seq, _)| *seq))
    }

    /// Every record filed under a key of the query (no key is common in a test registry),
    /// ranked by keys shared, then by the distance of the date of birth, then newest first.
    fn candidates(&self, query: &KeyQuery, limit: usize) -> anyhow::Result<Vec<Minor>> {
        let s = self.lock();
        let wanted: Vec<&String> = query.singles.iter().chain(&query.pairs).collect();
        let mut found: Vec<(usize, i64, i64, Minor)> = s
            .minors
            .iter()
            .filter(|m| m.minor.status != MinorStatus::Merged)
            .filter(|m| {
                !m.minor.lifecycle.is_restricted() || m.minor.status == MinorStatus::Missing
            })
            .filter_map(|m| {
                let keys = index_keys(m.minor.data.identity.as_ref());
                let shared = wanted.iter().filter(|k| keys.contains(k)).count();
                let born = m.minor.data.identity.as_ref().and_then(|i| i.date_of_birth);
                let distance = match (born, query.born) {
                    (Some(a), Some(b)) => (a - b).num_days().abs(),
                    _ => 365,
                };
                (shared > 0).then(|| (shared, distance, m.seq, m.minor.clone()))
            })
            .collect();
        found.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(b.2.cmp(&a.2)));
        Ok(found.into_iter().take(limit).map(|f| f.3).collect())
    }

    fn photo(&self, minor_id: &str, photo_id: &str) -> anyhow::Result<Option<StoredPhoto>> {
        Ok(self
            .lock()
            .stored(minor_id)
            .and_then(|s| s.photos.get(photo_id).cloned()))
    }

    fn scan(&self, after: i64, limit: usize) -> anyhow::Result<Vec<(i64, Minor)>> {
        Ok(self
            .lock()
            .minors
            .iter()
            .filter(|m| m.seq > after)
            .take(limit)
            .map(|m| (m.seq, m.minor.clone()))
            .collect())
    }
}

impl AlertRepository for Memory {
    fn create(&self, change: &AlertChange<'_>) -> Result<(), CreateAlertError> {
        let mut s = self.lock();
        let minor_id = change.alert.minor_id.as_str();
        let open = s
            .alerts
            .iter()
            .any(|(_, a)| a.minor_id == minor_id && a.status == AlertStatus::Open);
        if open {
            return Err(CreateAlertError::AlreadyOpen);
        }
        if change.new_minor.is_none() && s.stored(minor_id).is_none() {
            return Err(CreateAlertError::NoSuchMinor(minor_id.to_owned()));
        }
        if let Some(entry) = change.audit {
            s.append(std::slice::from_ref(entry))
                .map_err(|e| CreateAlertError::Unknown(e.into()))?;
        }
        if let Some(new) = &change.new_minor {
            let seq = s.minors.len() as i64 + 1;
            let at = change.alert.raised_at;
            s.minors.push(Stored {
                seq,
                minor: Minor {
                    id: minor_id.to_owned(),
                    registry_number: format!("UAM-2026-{seq:06}"),
                    status: MinorStatus::Active,
                    version: 1,
                    registered_at: at,
                    updated_at: at,
                    data: new.data.clone(),
                    merged_into: None,
                    lifecycle: Default::default(),
                },
                revisions: vec![Revision {
                    version: 1,
                    at,
                    actor: new.actor.clone(),
                    changed: new.data.present_categories(),
                    data: new.data.clone(),
                    redacted: crate::category::CategorySet::EMPTY,
                }],
                photos: HashMap::new(),
            });
        }
        if let (Some(status), Some(stored)) = (change.minor_status, s.stored(minor_id)) {
            stored.minor.status = status;
        }
        let seq = s.alerts.len() as i64 + 1;
        s.alerts.push((seq, change.alert.clone()));
        let at = change.event.time;
        s.write_events(
            at,
            &[NewEvent {
                event: change.event,
                alert: change.alert,
            }],
        );
        s.write_episode(change);
        Ok(())
    }

    fn update(&self, change: &AlertChange<'_>) -> Result<(), UpdateAlertError> {
        let mut s = self.lock();
        let id = change.alert.id.as_str();
        let Some(at) = s.alerts.iter().position(|(_, a)| a.id == id) else {
            return Err(UpdateAlertError::Unknown(anyhow::anyhow!("no alert {id}")));
        };
        if s.alerts[at].1.version != change.expected_version {
            return Err(UpdateAlertError::Stale);
        }
        if let Some(entry) = change.audit {
            s.append(std::slice::from_ref(entry))
                .map_err(|e| UpdateAlertError::Unknown(e.into()))?;
        }
        s.alerts[at].1 = change.alert.clone();
        let minor_id = change.alert.minor_id.clone();
        if let (Some(status), Some(stored)) = (change.minor_status, s.stored(&minor_id)) {
            stored.minor.status = status;
        }
        let time = change.event.time;
        s.write_events(
            time,
            &[NewEvent {
                event: change.event,
                alert: change.alert,
            }],
        );
        s.write_episode(change);
        Ok(())
    }

    fn find(&self, id: &str) -> anyhow::Result<Option<Alert>> {
        Ok(self
            .lock()
            .alerts
            .iter()
            .find(|(_, a)| a.id == id)
            .map(|(_, a)| a.clone()))
    }

    fn list(
        &self,
        filter: &AlertFilter,
        page: &PageRequest<i64>,
    ) -> anyhow::Result<Page<(i64, Alert), i64>> {
        let s = self.lock();
        let followed = |a: &Alert| match &filter.following {
            None | Some(Following::Every) => true,
            Some(Following::ChildrenOf(agency)) => s
                .minors
                .iter()
                .find(|m| m.minor.id == a.minor_id)
                .is_some_and(|m| {
                    m.minor.data.placement_agency() == Some(agency.as_str())
                        || m.minor.data.guardian_agency() == Some(agency.as_str())
                }),
        };
        let items: Vec<(i64, Alert)> = s
            .alerts
            .iter()
            .filter(|(seq, _)| page.after.is_none_or(|after| *seq > after))
            .filter(|(_, a)| filter.status.is_none_or(|st| a.status == st))
            .filter(|(_, a)| filter.risk.is_none_or(|r| a.risk == r))
            .filter(|(_, a)| followed(a))
            .take(page.limit.get() + 1)
            .cloned()
            .collect();
        Ok(Page::from_overfetch(items, page.limit, |(seq, _)| *seq))
    }

    fn of_minor(&self, minor_id: &str) -> anyhow::Result<Vec<Alert>> {
        Ok(self
            .lock()
            .alerts
            .iter()
            .filter(|(_, a)| a.minor_id == minor_id)
            .map(|(_, a)| a.clone())
            .collect())
    }

    fn erase_resolved(&self, id: &str, audit: &crate::audit::AuditEntry) -> anyhow::Result<bool> {
        let mut s = self.lock();
        let before = s.alerts.len();
        s.alerts
            .retain(|(_, a)| !(a.id == id && a.status == AlertStatus::Resolved));
        if s.alerts.len() == before {
            return Ok(false);
        }
        s.append(std::slice::from_ref(audit))?;
        Ok(true)
    }

    fn count_for_minor(&self, minor_id: &str) -> anyhow::Result<u32> {
        let in_error = |a: &Alert| {
            a.resolution
                .as_ref()
                .is_some_and(|r| r.outcome == crate::alert::ResolutionOutcome::ReportedInError)
        };
        Ok(self
            .lock()
            .alerts
            .iter()
            .filter(|(_, a)| a.minor_id == minor_id && !in_error(a))
            .count() as u32)
    }

    fn open_for_minor(&self, minor_id: &str) -> anyhow::Result<Option<Alert>> {
        Ok(self
            .lock()
            .alerts
            .iter()
            .find(|(_, a)| a.minor_id == minor_id && a.status == AlertStatus::Open)
            .map(|(_, a)| a.clone()))
    }

    fn due(&self, now: DateTime<Utc>) -> anyhow::Result<Vec<Alert>> {
        Ok(self
            .lock()
            .alerts
            .iter()
            .map(|(_, a)| a.clone())
            .filter(|a| {
                let ack = a.status == AlertStatus::Open
                    && a.escalated_at.is_none()
                    && a.acknowledgement_due_at <= now
                    && a.acknowledgements.len() < a.notified.len();
                let measures = a.measures_due_at.is_some_and(|d| d <= now)
                    && a.measures.is_none()
                    && a.measures_overdue_at.is_none();
                ack || measures
            })
            .collect())
    }
}

impl Outbox for Memory {
    fn after(&self, seq: i64, limit: usize) -> anyhow::Result<Vec<OutboxEvent>> {
        Ok(self
            .lock()
            .outbox
            .iter()
            .map(|(_, e)| e)
            .filter(|e| e.seq > seq)
            .take(limit)
            .cloned()
            .collect())
    }

    fn head(&self) -> anyhow::Result<i64> {
        Ok(self.lock().outbox.last().map_or(0, |(_, e)| e.seq))
    }

    fn get(&self, seq: i64) -> anyhow::Result<Option<OutboxEvent>> {
        Ok(self
            .lock()
            .outbox
            .iter()
            .find(|(_, e)| e.seq == seq)
            .map(|(_, e)| e.clone()))
    }

    fn backlog(&self, seq: i64) -> anyhow::Result<Backlog> {
        let s = self.lock();
        let waiting: Vec<&(DateTime<Utc>, OutboxEvent)> =
            s.outbox.iter().filter(|(_, e)| e.seq > seq).collect();
        Ok(Backlog {
            events: waiting.len() as u64,
            oldest: waiting.first().map(|(at, _)| *at),
        })
    }

    fn horizon(&self) -> anyhow::Result<i64> {
        Ok(self.lock().horizon)
    }

    fn prune(&self, before: DateTime<Utc>) -> anyhow::Result<u64> {
        let mut s = self.lock();
        let slowest = s.subscriptions.iter().map(|x| x.cursor).min();
        let named: Vec<i64> = s
            .letters
            .iter()
            .filter(|l| l.resolved.is_none())
            .map(|l| l.letter.seq)
            .collect();
        let mut removed = 0;
        let mut horizon = s.horizon;
        s.outbox.retain(|(at, e)| {
            let passed = slowest.is_none_or(|c| e.seq <= c);
            let old = *at < before && passed;
            if old {
                horizon = horizon.max(e.seq);
            }
            let gone = old && !named.contains(&e.seq);
            removed += u64::from(gone);
            !gone
        });
        s.horizon = horizon;
        Ok(removed)
    }
}

impl SubscriptionRepository for Memory {
    fn create(&self, subscription: &Subscription, audit: &AuditEntry) -> anyhow::Result<()> {
        let mut s = self.lock();
        s.append(std::slice::from_ref(audit))?;
        s.subscriptions.push(subscription.clone());
        Ok(())
    }

    fn list(&self, agency: Option<&AgencyId>) -> anyhow::Result<Vec<Subscription>> {
        Ok(self
            .lock()
            .subscriptions
            .iter()
            .filter(|x| agency.is_none_or(|a| &x.agency == a))
            .cloned()
            .collect())
    }

    fn find(&self, id: &str) -> anyhow::Result<Option<Subscription>> {
        Ok(self
            .lock()
            .subscriptions
            .iter()
            .find(|x| x.id == id)
            .cloned())
    }

    fn confirm(
        &self,
        id: &str,
        cursor: i64,
        secret: Option<&str>,
        audit: &AuditEntry,
    ) -> anyhow::Result<bool> {
        let mut s = self.lock();
        let Some(at) = s
            .subscriptions
            .iter()
            .position(|x| x.id == id && x.status == SubscriptionStatus::Pending)
        else {
            return Ok(false);
        };
        s.append(std::slice::from_ref(audit))?;
        let sub = &mut s.subscriptions[at];
        sub.status = SubscriptionStatus::Active;
        sub.cursor = cursor;
        if let (crate::ports::Endpoint::Webhook { secret: old, .. }, Some(new)) =
            (&mut sub.endpoint, secret)
        {
            *old = new.to_owned();
        }
        Ok(true)
    }

    fn delete(&self, id: &str, audit: &AuditEntry) -> anyhow::Result<bool> {
        let mut s = self.lock();
        if !s.subscriptions.iter().any(|x| x.id == id) {
            return Ok(false);
        }
        s.append(std::slice::from_ref(audit))?;
        s.subscriptions.retain(|x| x.id != id);
        let by = audit.subject.clone().unwrap_or_default();
        for l in s.letters.iter_mut().filter(|l| l.subscription == id) {
            l.resolved.get_or_insert(Resolution {
                kind: "discarded",
                by: by.clone(),
                reason: Some("the subscription was deleted".into()),
                at: audit.at,
            });
        }
        Ok(true)
    }

    fn change(
        &self,
        id: &str,
        change: &SubscriptionChange,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> anyhow::Result<Option<Subscription>> {
        let mut s = self.lock();
        let Some(at) = s
            .subscriptions
            .iter()
            .position(|x| x.id == id && x.status != SubscriptionStatus::Pending)
        else {
            return Ok(None);
        };
        s.append(std::slice::from_ref(audit))?;
        let sub = &mut s.subscriptions[at];
        if let Some(retry_for) = change.retry_for {
            sub.retry_for = retry_for;
        }
        match change.paused {
            Some(true) => {
                sub.status = SubscriptionStatus::Paused;
                sub.paused_since.get_or_insert(now);
            }
            Some(false) => {
                sub.status = SubscriptionStatus::Active;
                sub.paused_since = None;
            }
            None => {}
        }
        let changed = sub.clone();
        if change.paused == Some(false) {
            s.due_at.remove(id);
        }
        Ok(Some(changed))
    }

    fn dead_letters(&self, id: &str) -> anyhow::Result<Vec<DeadLetter>> {
        Ok(self
            .lock()
            .letters
            .iter()
            .filter(|l| l.subscription == id && l.resolved.is_none())
            .map(|l| l.letter.clone())
            .collect())
    }

    fn dead_letter_counts(&self) -> anyhow::Result<HashMap<String, u64>> {
        let mut counts = HashMap::new();
        for l in self.lock().letters.iter().filter(|l| l.resolved.is_none()) {
            *counts.entry(l.subscription.clone()).or_insert(0) += 1;
        }
        Ok(counts)
    }

    fn dead_letter_failing(
        &self,
        id: &str,
        dead_letter: &DeadLetter,
        audit: &AuditEntry,
    ) -> anyhow::Result<bool> {
        let mut s = self.lock();
        let Some(at) = s.subscriptions.iter().position(|x| {
            x.id == id
                && x.failing
                    .as_ref()
                    .is_some_and(|f| f.seq == Some(dead_letter.seq))
        }) else {
            return Ok(false);
        };
        s.append(std::slice::from_ref(audit))?;
        s.subscriptions[at].cursor = dead_letter.seq;
        s.due_at.remove(id);
        s.letters.push(Letter {
            subscription: id.to_owned(),
            letter: dead_letter.clone(),
            resolved: None,
        });
        Ok(true)
    }

    fn resolve_dead_letter(
        &self,
        id: &str,
        seq: i64,
        resolution: &Resolution,
        audit: &[AuditEntry],
    ) -> anyhow::Result<bool> {
        let mut s = self.lock();
        let Some(at) = s
            .letters
            .iter()
            .position(|l| l.subscription == id && l.letter.seq == seq && l.resolved.is_none())
        else {
            return Ok(false);
        };
        s.append(audit)?;
        s.letters[at].resolved = Some(resolution.clone());
        Ok(true)
    }

    fn deliver_due(
        &self,
        now: DateTime<Utc>,
        lane: Lane,
        limit: usize,
        deliver: &mut dyn FnMut(&[Subscription]) -> Vec<Progress>,
    ) -> anyhow::Result<usize> {
        let taken: Vec<Subscription> = {
            let s = self.lock();
            let head = s.outbox.last().map_or(0, |(_, e)| e.seq);
            s.subscriptions
                .iter()
                .filter(|x| x.status != SubscriptionStatus::Pending && x.cursor < head)
                .filter(|x| match lane {
                    Lane::Delivering => x.failing.is_none(),
                    Lane::Failing => x.failing.is_some(),
                })
                .filter(|x| s.due_at.get(&x.id).is_none_or(|at| *at <= now))
                .take(limit)
                .cloned()
                .collect()
        };
        if taken.is_empty() {
            return Ok(0);
        }
        // The lock is not held while delivering: the relay reads the store meanwhile.
        let progress = deliver(&taken);
        let mut s = self.lock();
        for (sub, p) in taken.iter().zip(progress) {
            for letter in &p.dead_letters {
                s.letters.push(Letter {
                    subscription: sub.id.clone(),
                    letter: letter.clone(),
                    resolved: None,
                });
            }
            match p
                .failing
                .as_ref()
                .map(|f| f.next_attempt_at)
                .or(p.next_look_at)
            {
                Some(at) => s.due_at.insert(sub.id.clone(), at),
                None => s.due_at.remove(&sub.id),
            };
            if let Some(stored) = s.subscriptions.iter_mut().find(|x| x.id == sub.id) {
                if let Some(cursor) = p.cursor {
                    stored.cursor = cursor;
                }
                stored.failing = p.failing;
            }
        }
        Ok(taken.len())
    }
}

impl AuditLog for Memory {
    fn append(&self, entry: AuditEntry) -> Result<(), AuditUnavailable> {
        self.lock().append(std::slice::from_ref(&entry))
    }

    fn append_all(&self, entries: Vec<AuditEntry>) -> Result<(), AuditUnavailable> {
        self.lock().append(&entries)
    }

    fn for_minor(
        &self,
        id: &str,
        page: &PageRequest<i64>,
    ) -> anyhow::Result<Page<ChainedEntry, i64>> {
        let s = self.lock();
        let items: Vec<ChainedEntry> = s
            .audit
            .iter()
            .filter(|e| {
                page.after.is_none_or(|a| e.seq > a) && e.entry.minors.iter().any(|m| m == id)
            })
            .take(page.limit.get() + 1)
            .cloned()
            .collect();
        Ok(Page::from_overfetch(items, page.limit, |e| e.seq))
    }

    fn verify(&self) -> anyhow::Result<VerifyReport> {
        let s = self.lock();
        let mut verifier = Verifier::default();
        for e in &s.audit {
            verifier.push(e);
        }
        // The head as the writer recorded it: the last entry appended, with its hash then.
        Ok(verifier.finish(s.audit.last().map(|e| (e.seq, e.hash.clone()))))
    }

    fn cut(
        &self,
        before: chrono::DateTime<chrono::Utc>,
        cut: &dyn Fn(i64, &str) -> AuditEntry,
    ) -> anyhow::Result<Option<i64>> {
        let mut s = self.lock();
        let Some((through, hash)) = s
            .audit
            .iter()
            .filter(|e| e.entry.at < before)
            .map(|e| (e.seq, e.hash.clone()))
            .next_back()
        else {
            return Ok(None);
        };
        s.append(&[cut(through, &hash)])?;
        s.audit.retain(|e| e.seq > through);
        Ok(Some(through))
    }
}

impl StatisticsSource for Memory {
    fn facts(&self) -> anyhow::Result<Facts> {
        let s = self.lock();
        let minors: Vec<Minor> = s.minors.iter().map(|m| m.minor.clone()).collect();
        let alerts: Vec<Alert> = s.alerts.iter().map(|(_, a)| a.clone()).collect();
        let kinds: HashMap<String, AgencyKind> = s
            .agencies
            .iter()
            .map(|a| (a.id.to_string(), a.kind))
            .collect();
        Ok(Facts::build(&minors, &alerts, &kinds))
    }
}

impl HealthCheck for Memory {
    fn ready(&self) -> anyhow::Result<()> {
        Ok(())
    }
}

impl crate::ports::AbsenceRepository for Memory {
    fn roll_call(
        &self,
        change: &crate::ports::RollCallChange<'_>,
    ) -> Result<(), crate::ports::EpisodeWriteError> {
        use crate::episode::AbsenceStatus;
        use crate::ports::EpisodeWriteError;
        let mut s = self.lock();
        for (a, read) in change.closed {
            let stored = s.absences.iter().find(|x| x.id == a.id);
            if stored.is_none_or(|x| x.version != *read) {
                return Err(EpisodeWriteError::Stale);
            }
        }
        for a in change.opened {
            if s.absences
                .iter()
                .any(|x| x.minor_id == a.minor_id && x.status == AbsenceStatus::Open)
            {
                return Err(EpisodeWriteError::Stale);
            }
        }
        s.append(std::slice::from_ref(change.audit))
            .map_err(|e| EpisodeWriteError::Unknown(e.into()))?;
        for (a, _) in change.closed {
            if let Some(x) = s.absences.iter_mut().find(|x| x.id == a.id) {
                *x = a.clone();
            }
        }
        s.absences.extend(change.opened.iter().cloned());
        for e in change.events {
            s.write_other(e);
        }
        Ok(())
    }

    fn update(
        &self,
        absence: &crate::episode::Absence,
        expected_version: i64,
        event: &crate::alert::AlertEvent,
    ) -> Result<(), crate::ports::EpisodeWriteError> {
        let mut s = self.lock();
        let Some(x) = s
            .absences
            .iter_mut()
            .find(|x| x.id == absence.id && x.version == expected_version)
        else {
            return Err(crate::ports::EpisodeWriteError::Stale);
        };
        *x = absence.clone();
        s.write_other(event);
        Ok(())
    }

    fn open_for_minor(&self, minor_id: &str) -> anyhow::Result<Option<crate::episode::Absence>> {
        Ok(self
            .lock()
            .absences
            .iter()
            .find(|a| a.minor_id == minor_id && a.status == crate::episode::AbsenceStatus::Open)
            .cloned())
    }

    fn of_minor(&self, minor_id: &str) -> anyhow::Result<Vec<crate::episode::Absence>> {
        let mut out: Vec<_> = self
            .lock()
            .absences
            .iter()
            .filter(|a| a.minor_id == minor_id)
            .cloned()
            .collect();
        out.reverse();
        Ok(out)
    }

    fn due(&self, now: DateTime<Utc>) -> anyhow::Result<Vec<crate::episode::Absence>> {
        Ok(self
            .lock()
            .absences
            .iter()
            .filter(|a| a.next_deadline().is_some_and(|d| d <= now))
            .cloned()
            .collect())
    }
}

impl crate::ports::TaskRepository for Memory {
    fn find(&self, id: &str) -> anyhow::Result<Option<crate::episode::Task>> {
        Ok(self
            .lock()
            .tasks
            .iter()
            .find(|(_, t)| t.id == id)
            .map(|(_, t)| t.clone()))
    }

    fn list(
        &self,
        filter: &crate::ports::TaskFilter,
        page: &PageRequest<i64>,
    ) -> anyhow::Result<Page<(i64, crate::episode::Task), i64>> {
        let s = self.lock();
        let items: Vec<(i64, crate::episode::Task)> = s
            .tasks
            .iter()
            .filter(|(seq, t)| {
                page.after.is_none_or(|a| *seq > a)
                    && t.agency == filter.agency
                    && filter.status.is_none_or(|st| t.status == st)
                    && (!filter.overdue || t.overdue_at.is_some())
                    && filter.minor_id.as_ref().is_none_or(|m| &t.minor_id == m)
            })
            .take(page.limit.get() + 1)
            .cloned()
            .collect();
        Ok(Page::from_overfetch(items, page.limit, |(seq, _)| *seq))
    }

    fn update(
        &self,
        task: &crate::episode::Task,
        expected_version: i64,
        event: &crate::alert::AlertEvent,
        audit: Option<&AuditEntry>,
    ) -> Result<(), crate::ports::EpisodeWriteError> {
        let mut s = self.lock();
        if !s
            .tasks
            .iter()
            .any(|(_, x)| x.id == task.id && x.version == expected_version)
        {
            return Err(crate::ports::EpisodeWriteError::Stale);
        }
        if let Some(entry) = audit {
            s.append(std::slice::from_ref(entry))
                .map_err(|e| crate::ports::EpisodeWriteError::Unknown(e.into()))?;
        }
        if let Some((_, x)) = s.tasks.iter_mut().find(|(_, x)| x.id == task.id) {
            *x = task.clone();
        }
        s.write_other(event);
        Ok(())
    }

    fn due(&self, now: DateTime<Utc>) -> anyhow::Result<Vec<crate::episode::Task>> {
        Ok(self
            .lock()
            .tasks
            .iter()
            .filter(|(_, t)| t.next_deadline().is_some_and(|d| d <= now))
            .map(|(_, t)| t.clone())
            .collect())
    }
}
