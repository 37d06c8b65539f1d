//! The audit trail.

use crate::audit::{AuditEntry, ChainedEntry, VerifyReport};
use crate::page::{Page, PageRequest};

/// The audit trail could not record an entry: nothing may be disclosed (fail closed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the audit trail is unavailable: {0}")]
pub struct AuditUnavailable(pub String);

/// The append-only, hash-chained audit trail.
pub trait AuditLog: Send + Sync {
    /// MUST return `Ok` only once the entry is durably committed, chained after every entry committed
    /// before it (also by other processes sharing the database); MUST return [`AuditUnavailable`]
    /// when it cannot be stored. Concurrent calls may share one commit.
    fn append(&self, entry: AuditEntry) -> Result<(), AuditUnavailable>;

    /// [`AuditLog::append`] for several entries, committed together, in order: `Ok` once all are
    /// durable, [`AuditUnavailable`] if any is not (then none is).
    fn append_all(&self, entries: Vec<AuditEntry>) -> Result<(), AuditUnavailable> {
        for entry in entries {
            self.append(entry)?;
        }
        Ok(())
    }

    /// Entries that name the child, oldest first, after the cursor (an entry's `seq`).
    fn for_minor(
        &self,
        minor_id: &str,
        page: &PageRequest<i64>,
    ) -> anyhow::Result<Page<ChainedEntry, i64>>;

    /// Checks the whole chain from the first entry (or the last cut) to the head.
    fn verify(&self) -> anyhow::Result<VerifyReport>;

    /// Ages out the entries written before `before`, all or nothing: appends the entry `cut(last
    /// removed seq, its hash)` to the chain, records the cut, then removes the entries up to the
    /// last one written before `before` (and their links to children). Returns the last entry
    /// removed; `None`, doing nothing, when no entry beyond an earlier cut is that old.
    fn cut(
        &self,
        before: chrono::DateTime<chrono::Utc>,
        cut: &dyn Fn(i64, &str) -> crate::audit::AuditEntry,
    ) -> anyhow::Result<Option<i64>>;
}
