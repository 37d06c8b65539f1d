//! Storage of children's records, their revisions and photos, and the cleaning of photos.

use chrono::{DateTime, Utc};

use crate::audit::AuditEntry;
use crate::category::CategorySet;
use crate::lifecycle::{Erasure, Lifecycle};
use crate::matching::KeyQuery;
use crate::minor::MinorData;
use crate::page::{Page, PageRequest};
use crate::record::{Actor, ListScope, Minor, MinorFilter, Revision};

use super::alerts::NewEvent;

/// The stored version is not the one the change was based on.
#[derive(Debug, thiserror::Error)]
pub enum UpdateMinorError {
    #[error("no record with id `{0}`")]
    NotFound(String),
    #[error("the record is at version {current}")]
    Stale { current: i64 },
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// A duplicate merged into the record that survives; see [`MinorWriter::merge`].
#[derive(Debug, Clone, Copy)]
pub struct Merge<'a> {
    pub survivor: &'a str,
    pub survivor_version: i64,
    pub duplicate: &'a str,
    pub duplicate_version: i64,
    /// The survivor's data after the merge.
    pub data: &'a MinorData,
    /// Categories of the survivor that change.
    pub changed: CategorySet,
    pub actor: &'a Actor,
    pub at: DateTime<Utc>,
    pub audit: &'a AuditEntry,
}

/// A photo's stored bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPhoto {
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// A photo to store beside a record change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPhoto {
    pub id: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// One change to a record, based on the version the caller saw.
#[derive(Debug, Clone)]
pub struct Change<'a> {
    pub expected_version: i64,
    pub data: &'a MinorData,
    pub changed: CategorySet,
    pub photo: Option<&'a NewPhoto>,
    /// A stored photo whose bytes go with this change (the data no longer lists it).
    pub removed_photo: Option<&'a str>,
    /// The lifecycle as it becomes, when the change records a lifecycle act.
    pub lifecycle: Option<&'a Lifecycle>,
    pub actor: &'a Actor,
    pub at: DateTime<Utc>,
    pub audit: &'a AuditEntry,
}

/// A change of a record's lifecycle, based on the version the caller saw: the lifecycle as it
/// becomes, and, for an erasure, the data as it becomes and what else goes.
#[derive(Debug, Clone, Copy)]
pub struct LifecycleChange<'a> {
    pub expected_version: i64,
    pub lifecycle: &'a Lifecycle,
    pub erasure: Option<(&'a MinorData, Erasure)>,
    /// The record's version moves on (a restriction set or lifted, an erasure): a change based on
    /// the version before is then stale.
    pub moves_version: bool,
    /// A review notice to write to the outbox with the change.
    pub notice: Option<&'a crate::alert::AlertEvent>,
    pub at: DateTime<Utc>,
    pub audit: &'a AuditEntry,
}

/// Values redacted from one revision of a record's history.
#[derive(Debug, Clone, Copy)]
pub struct Redaction<'a> {
    /// The version of the record the change is based on (the lifecycle records the act).
    pub expected_version: i64,
    pub revision: i64,
    pub categories: CategorySet,
    pub lifecycle: &'a Lifecycle,
    pub at: DateTime<Utc>,
    pub audit: &'a AuditEntry,
}

/// Why an uploaded photo was refused; the text is safe to show.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PhotoRejected(pub String);

/// A photo made safe to store: content checked, re-encoded without metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CleanPhoto {
    pub content_type: String,
    pub bytes: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

/// Checks and cleans uploaded photos.
pub trait PhotoCleaner: Send + Sync {
    /// MUST refuse content that is not a JPEG or PNG image (judged by the content, not by any
    /// declared type), that is too large, or that cannot be decoded; MUST return an image that
    /// carries no metadata (EXIF, location, comments).
    fn clean(&self, bytes: &[u8]) -> Result<CleanPhoto, PhotoRejected>;
}

/// Writes of children's records. Each write is one transaction, with the audit entry it carries.
pub trait MinorWriter: Send + Sync {
    /// Stores a new record at version 1 with status `active`, its first revision, and assigns its
    /// registry number `UAM-<year of registration>-<sequence, 6 digits or more>`; appends `audit`
    /// to the audit chain and writes `events` to the outbox in the same transaction.
    fn insert(
        &self,
        id: &str,
        data: &MinorData,
        actor: &Actor,
        at: DateTime<Utc>,
        audit: Option<&AuditEntry>,
        events: &[NewEvent<'_>],
    ) -> anyhow::Result<Minor>;

    /// Stores `change.data` as version `change.expected_version + 1` with a revision, the photo if
    /// given, and appends `change.audit` to the audit chain, all or nothing. MUST return
    /// [`UpdateMinorError::Stale`] and store nothing when the stored version is not
    /// `expected_version`, and [`UpdateMinorError::NotFound`] when there is no such record.
    fn update(&self, id: &str, change: &Change<'_>) -> Result<Minor, UpdateMinorError>;

    /// Merges record `merge.duplicate` into `merge.survivor` in one transaction, all or nothing:
    /// the survivor takes `merge.data` at the next version with a revision (its photos follow);
    /// the duplicate keeps its data and revisions, gets status `merged`, points to the survivor
    /// and is no longer a candidate of any search; `merge.audit` is appended. MUST return
    /// [`UpdateMinorError::Stale`] and store nothing when either stored version differs from the
    /// expected one, and [`UpdateMinorError::NotFound`] when either record is missing.
    fn merge(&self, merge: &Merge<'_>) -> Result<Minor, UpdateMinorError>;

    /// Stores `change.lifecycle` (and whether the record is restricted, which takes it out of
    /// listings, search and statistics) and appends `change.audit`, all or nothing. The version
    /// and `updated_at` move only with `moves_version` or an erasure. With an
    /// erasure: the record takes the data given at the next version without a revision; the
    /// erased categories are removed from every revision; the stored photos go if
    /// `erasure.photos`; every revision but the current one goes if `erasure.revisions` (all of
    /// them, with the name keys and nationalities, if `erasure.record`); the child's resolved
    /// alerts, their agencies and the child's outbox events and dead letters go if
    /// `erasure.alerts`. A notice is written to the outbox (its content where an alert event
    /// keeps its alert). MUST return [`UpdateMinorError::Stale`] and store nothing when the stored
    /// version is not `expected_version`, and [`UpdateMinorError::NotFound`] when there is no such
    /// record.
    fn change_lifecycle(
        &self,
        id: &str,
        change: &LifecycleChange<'_>,
    ) -> Result<Minor, UpdateMinorError>;

    /// Removes the values of `redaction.categories` from revision `redaction.revision` (it keeps
    /// who made it and when), records the categories redacted with the revision, stores
    /// `redaction.lifecycle` and appends the audit entry, all or nothing; the record's version
    /// does not move. MUST return [`UpdateMinorError::Stale`] when the stored version is not
    /// `expected_version`, and [`UpdateMinorError::NotFound`] when the record or the revision is
    /// missing.
    fn redact(&self, id: &str, redaction: &Redaction<'_>) -> Result<Minor, UpdateMinorError>;
}

/// Reads of children's records, their revisions and photos.
pub trait MinorReader: Send + Sync {
    /// The record with this id, if any.
    fn find(&self, id: &str) -> anyhow::Result<Option<Minor>>;

    /// Every revision of the record, oldest first (empty if there is no such record).
    fn history(&self, id: &str) -> anyhow::Result<Vec<Revision>>;

    /// Records in registration order after the cursor (a registration sequence number), within
    /// `scope`, matching `filter`; never a merged duplicate, nor a restricted record unless its
    /// child is missing.
    fn list(
        &self,
        scope: &ListScope,
        filter: &MinorFilter,
        page: &PageRequest<i64>,
    ) -> anyhow::Result<Page<(i64, Minor), i64>>;

    /// At most `limit` records filed under keys of `query` (see `matching::index_keys`; merged
    /// duplicates are not filed; a restricted record is returned only while its child is missing), most likely first, with work bounded by the number of query keys,
    /// however large the registry:
    ///
    /// * every record under a key few records hold MUST be considered;
    /// * under a key many records hold (a name such as Mohammed) at least the `limit` records
    ///   born nearest to `query.born` on either side MUST be, or without a date the `limit` most
    ///   recently registered;
    /// * records are ranked by the number of query keys they were found under, then by the
    ///   distance of their date of birth to `query.born` (unknown counts as a year), then the most
    ///   recently registered first.
    fn candidates(&self, query: &KeyQuery, limit: usize) -> anyhow::Result<Vec<Minor>>;

    /// A photo of the record, if both exist.
    fn photo(&self, minor_id: &str, photo_id: &str) -> anyhow::Result<Option<StoredPhoto>>;

    /// Records after the cursor (a registration sequence number), in registration order, at most
    /// `limit`, whatever their state (restricted, erased, merged): for the lifecycle sweep.
    fn scan(&self, after: i64, limit: usize) -> anyhow::Result<Vec<(i64, Minor)>>;
}
