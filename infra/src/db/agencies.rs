//! Agencies in the `agencies` table.

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
