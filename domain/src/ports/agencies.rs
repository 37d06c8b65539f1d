//! Storage of agencies.

use chrono::{DateTime, Utc};

use crate::agency::{Agency, AgencyId, AgencyKind, NewAgency};
use crate::page::{Page, PageRequest};

/// The agency id is already taken.
#[derive(Debug, thiserror::Error)]
pub enum InsertAgencyError {
    #[error("an agency with id `{0}` already exists")]
    Duplicate(AgencyId),
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// Storage of agencies.
pub trait AgencyRepository: Send + Sync {
    /// Stores a new agency with its creation time. MUST return [`InsertAgencyError::Duplicate`] if an
    /// agency with the same id exists, and store nothing then.
    fn insert(
        &self,
        agency: &NewAgency,
        created_at: DateTime<Utc>,
    ) -> Result<Agency, InsertAgencyError>;

    /// The agency with this id, if any.
    fn find(&self, id: &AgencyId) -> anyhow::Result<Option<Agency>>;

    /// What [`Self::find`] would answer, when it is known without I/O and as current as `find`
    /// (an implementation that cannot be told of changes answers `None`); `None` otherwise.
    fn remembered(&self, _id: &AgencyId) -> Option<Option<Agency>> {
        None
    }

    /// Every agency of one of these kinds, ordered by id.
    fn of_kinds(&self, kinds: &[AgencyKind]) -> anyhow::Result<Vec<Agency>>;

    /// Agencies ordered by id, after the cursor.
    fn list(&self, page: &PageRequest<AgencyId>) -> anyhow::Result<Page<Agency, AgencyId>>;
}
