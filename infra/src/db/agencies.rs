//! Agencies in the `agencies` table.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{DateTime, NaiveDateTime, SubsecRound, Utc};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use domain::agency::{Agency, AgencyId, AgencyName, CountryCode, NewAgency};
use domain::page::{Page, PageRequest};
use domain::ports::{AgencyRepository, InsertAgencyError};

use super::Database;
use super::schema::agencies;

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = agencies)]
struct AgencyRow {
    id: String,
    kind: String,
    name: String,
    country: String,
    created_at: NaiveDateTime,
}

impl AgencyRow {
    fn from_new(a: &NewAgency, created_at: DateTime<Utc>) -> Self {
        Self {
            id: a.id.as_str().to_owned(),
            kind: a.kind.as_str().to_owned(),
            name: a.name.as_str().to_owned(),
            country: a.country.as_str().to_owned(),
            // Both backends keep microseconds; storing exactly that makes the returned value equal the stored one.
            created_at: created_at.trunc_subsecs(6).naive_utc(),
        }
    }

    /// Rows are written only through validated types; a row that no longer parses is corruption.
    fn into_domain(self) -> anyhow::Result<Agency> {
        let id = self.id;
        Ok(Agency {
            id: AgencyId::parse(&id)?,
            kind: self.kind.parse().with_context(|| format!("agency {id}"))?,
            name: AgencyName::parse(&self.name).with_context(|| format!("agency {id}"))?,
            country: CountryCode::parse(&self.country).with_context(|| format!("agency {id}"))?,
            created_at: self.created_at.and_utc(),
        })
    }
}

/// [`AgencyRepository`] over a [`Database`].
#[derive(Debug, Clone)]
pub struct DieselAgencyRepository {
    db: Database,
}

impl DieselAgencyRepository {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

impl AgencyRepository for DieselAgencyRepository {
    fn insert(
        &self,
        agency: &NewAgency,
        created_at: DateTime<Utc>,
    ) -> Result<Agency, InsertAgencyError> {
        let row = AgencyRow::from_new(agency, created_at);
        let mut conn = self.db.conn()?;
        match diesel::insert_into(agencies::table)
            .values(&row)
            .execute(&mut *conn)
        {
            Ok(_) => Ok(row.into_domain()?),
            Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
                Err(InsertAgencyError::Duplicate(agency.id.clone()))
            }
            Err(e) => Err(anyhow::Error::new(e).context("inserting an agency").into()),
        }
    }

    fn find(&self, id: &AgencyId) -> anyhow::Result<Option<Agency>> {
        let mut conn = self.db.conn()?;
        agencies::table
            .find(id.as_str())
            .select(AgencyRow::as_select())
            .first(&mut *conn)
            .optional()
            .context("reading an agency")?
            .map(AgencyRow::into_domain)
            .transpose()
    }

    fn of_kinds(&self, kinds: &[domain::agency::AgencyKind]) -> anyhow::Result<Vec<Agency>> {
        let kinds: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
        let mut conn = self.db.conn()?;
        agencies::table
            .filter(agencies::kind.eq_any(kinds))
            .order(agencies::id.asc())
            .select(AgencyRow::as_select())
            .load(&mut *conn)
            .context("listing agencies by kind")?
            .into_iter()
            .map(AgencyRow::into_domain)
            .collect()
    }

    fn list(&self, page: &PageRequest<AgencyId>) -> anyhow::Result<Page<Agency, AgencyId>> {
        let mut conn = self.db.conn()?;
        let mut query = agencies::table
            .select(AgencyRow::as_select())
            .order(agencies::id.asc())
            .limit(i64::try_from(page.limit.get() + 1)?)
            .into_boxed();
        if let Some(after) = &page.after {
            query = query.filter(agencies::id.gt(after.as_str().to_owned()));
        }
        let rows = query.load(&mut *conn).context("listing agencies")?;
        let items = rows
            .into_iter()
            .map(AgencyRow::into_domain)
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Page::from_overfetch(items, page.limit, |a| a.id.clone()))
    }
}

/// Most agencies remembered at once (found or known not to exist); past it the cache starts again.
const CACHED_AGENCIES: usize = 10_000;

/// How long an agency read is trusted even while the listener is live: a bound on what a
/// notification lost without the connection failing (a half-open connection) could leave stale.
const CACHED_FOR: Duration = Duration::from_secs(60);

/// What [`CachedAgencies`] remembers, and whether it may be trusted: only while a listener hears
/// every change of `agencies` (PostgreSQL `LISTEN uam_agencies`, notified at commit by the trigger
/// of migration 16). The listener calls [`AgencyCache::renew`] once it listens and at each
/// notification, and [`AgencyCache::lost`] when its connection fails.
#[derive(Debug, Default)]
pub struct AgencyCache {
    live: AtomicBool,
    /// Moves on at each change heard, so that a look-up that began before a change does not
    /// store what it read.
    generation: AtomicU64,
    entries: RwLock<HashMap<AgencyId, (Instant, Option<Agency>)>>,
}

impl AgencyCache {
    /// Forgets everything and trusts what is read from now on: the listener listens, and has
    /// heard of every change committed before this call.
    pub fn renew(&self) {
        self.forget();
        self.live.store(true, Ordering::SeqCst);
    }

    /// Forgets everything and reads the database at every look-up until [`Self::renew`].
    pub fn lost(&self) {
        self.live.store(false, Ordering::SeqCst);
        self.forget();
    }

    fn forget(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut entries) = self.entries.write() {
            entries.clear();
        }
    }

    fn get(&self, id: &AgencyId) -> Option<Option<Agency>> {
        if !self.live.load(Ordering::SeqCst) {
            return None;
        }
        let entries = self.entries.read().ok()?;
        let (read, found) = entries.get(id)?;
        (read.elapsed() < CACHED_FOR).then(|| found.clone())
    }

    /// Stores what a look-up begun at `generation` read, unless a change was heard since.
    fn put(&self, generation: u64, id: &AgencyId, found: &Option<Agency>) {
        if !self.live.load(Ordering::SeqCst) {
            return;
        }
        let Ok(mut entries) = self.entries.write() else {
            return;
        };
        if self.generation.load(Ordering::SeqCst) != generation {
            return;
        }
        if entries.len() >= CACHED_AGENCIES {
            entries.clear();
        }
        entries.insert(id.clone(), (Instant::now(), found.clone()));
    }
}

/// [`AgencyRepository`] whose `find` answers from an [`AgencyCache`] while the cache is live,
/// and reads the database otherwise. Every request's authentication looks its agency up: on
/// PostgreSQL that read was a third of a consultation's statements (docs/performance.md). A
/// removed agency, or one whose kind changed, is refused from the first request after the
/// database's notification reaches the listener (within milliseconds on one host); on SQLite,
/// which has no notifications, every look-up reads the database.
#[derive(Debug, Clone)]
pub struct CachedAgencies {
    inner: DieselAgencyRepository,
    cache: Arc<AgencyCache>,
}

impl CachedAgencies {
    pub fn new(inner: DieselAgencyRepository, cache: Arc<AgencyCache>) -> Self {
        Self { inner, cache }
    }
}

impl AgencyRepository for CachedAgencies {
    fn insert(
        &self,
        agency: &NewAgency,
        created_at: DateTime<Utc>,
    ) -> Result<Agency, InsertAgencyError> {
        let result = self.inner.insert(agency, created_at);
        // Known not to exist until now: forget at once rather than wait for the notification.
        self.cache.forget();
        result
    }

    fn find(&self, id: &AgencyId) -> anyhow::Result<Option<Agency>> {
        if let Some(found) = self.cache.get(id) {
            return Ok(found);
        }
        let generation = self.cache.generation.load(Ordering::SeqCst);
        let found = self.inner.find(id)?;
        self.cache.put(generation, id, &found);
        Ok(found)
    }

    fn remembered(&self, id: &AgencyId) -> Option<Option<Agency>> {
        self.cache.get(id)
    }

    fn of_kinds(&self, kinds: &[domain::agency::AgencyKind]) -> anyhow::Result<Vec<Agency>> {
        self.inner.of_kinds(kinds)
    }

    fn list(&self, page: &PageRequest<AgencyId>) -> anyhow::Result<Page<Agency, AgencyId>> {
        self.inner.list(page)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::agency::AgencyKind;

    fn agency(id: &str, kind: AgencyKind) -> Agency {
        Agency {
            id: AgencyId::parse(id).unwrap(),
            kind,
            name: AgencyName::parse("Zone").unwrap(),
            country: CountryCode::parse("BE").unwrap(),
            created_at: Utc::now(),
        }
    }

    #[test]
    fn nothing_is_remembered_until_the_listener_listens_nor_after_it_lost_its_connection() {
        let cache = AgencyCache::default();
        let id = AgencyId::parse("pz-a").unwrap();
        let found = Some(agency("pz-a", AgencyKind::Police));
        cache.put(cache.generation.load(Ordering::SeqCst), &id, &found);
        assert_eq!(cache.get(&id), None, "not live yet");
        cache.renew();
        cache.put(cache.generation.load(Ordering::SeqCst), &id, &found);
        assert_eq!(cache.get(&id), Some(found.clone()));
        cache.lost();
        assert_eq!(cache.get(&id), None, "lost: read the database");
        cache.renew();
        assert_eq!(cache.get(&id), None, "renewed empty");
    }

    #[test]
    fn a_read_that_began_before_a_change_is_not_remembered() {
        let cache = AgencyCache::default();
        cache.renew();
        let id = AgencyId::parse("pz-a").unwrap();
        let began = cache.generation.load(Ordering::SeqCst);
        // The agency is removed, and the notification heard, while the read is under way.
        cache.renew();
        cache.put(began, &id, &Some(agency("pz-a", AgencyKind::Police)));
        assert_eq!(cache.get(&id), None);
        // A read begun after the change is remembered, absence included.
        cache.put(cache.generation.load(Ordering::SeqCst), &id, &None);
        assert_eq!(cache.get(&id), Some(None));
    }
}
