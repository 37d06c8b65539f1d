//! Register, look up and list agencies.

use crate::agency::{Agency, AgencyId, AgencyKind, AgencyName, CountryCode, NewAgency};
use crate::page::{Page, PageRequest};
use crate::policy::{Facts, Operation, Policy};
use crate::ports::{AgencyRepository, Clock, InsertAgencyError};
use crate::principal::Principal;
use crate::validation::FieldErrors;

/// An agency as submitted, before validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgencyDraft {
    pub id: String,
    pub kind: String,
    pub name: String,
    pub country: String,
}

impl AgencyDraft {
    /// Validates every field and reports all offending ones at once.
    pub fn validate(&self) -> Result<NewAgency, FieldErrors> {
        let mut errors = FieldErrors::default();
        let id = errors.check("id", AgencyId::parse(&self.id));
        let kind = errors.check("kind", self.kind.parse::<AgencyKind>());
        let name = errors.check("name", AgencyName::parse(&self.name));
        let country = errors.check("country", CountryCode::parse(&self.country));
        match (id, kind, name, country) {
            (Some(id), Some(kind), Some(name), Some(country)) if errors.is_empty() => {
                Ok(NewAgency {
                    id,
                    kind,
                    name,
                    country,
                })
            }
            _ => Err(errors),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CreateAgencyError {
    #[error("only a registry_admin may create agencies")]
    Forbidden,
    #[error(transparent)]
    Invalid(#[from] FieldErrors),
    #[error("an agency with id `{0}` already exists")]
    Duplicate(AgencyId),
    #[error(transparent)]
    Unknown(anyhow::Error),
}

impl From<InsertAgencyError> for CreateAgencyError {
    fn from(e: InsertAgencyError) -> Self {
        match e {
            InsertAgencyError::Duplicate(id) => Self::Duplicate(id),
            InsertAgencyError::Unknown(e) => Self::Unknown(e),
        }
    }
}

/// Creates an agency. Only a `registry_admin` may; the id must be new.
pub fn create_agency(
    repo: &dyn AgencyRepository,
    clock: &dyn Clock,
    policy: &Policy,
    caller: &Principal,
    draft: &AgencyDraft,
) -> Result<Agency, CreateAgencyError> {
    if !policy.permits(
        caller.role,
        Operation::ManageAgencies,
        None,
        Facts::default(),
    ) {
        return Err(CreateAgencyError::Forbidden);
    }
    let agency = draft.validate()?;
    Ok(repo.insert(&agency, clock.now())?)
}

#[derive(Debug, thiserror::Error)]
pub enum GetAgencyError {
    #[error("no agency with id `{0}`")]
    NotFound(String),
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// Any authenticated caller may read the agency directory: it holds no child data.
pub fn get_agency(repo: &dyn AgencyRepository, id: &str) -> Result<Agency, GetAgencyError> {
    let Ok(parsed) = AgencyId::parse(id) else {
        return Err(GetAgencyError::NotFound(id.to_owned()));
    };
    repo.find(&parsed)?
        .ok_or_else(|| GetAgencyError::NotFound(id.to_owned()))
}

#[derive(Debug, thiserror::Error)]
pub enum ListAgenciesError {
    #[error("invalid cursor: {0}")]
    InvalidCursor(String),
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// Lists agencies by id; `after` is the `next` cursor of the previous page.
pub fn list_agencies(
    repo: &dyn AgencyRepository,
    after: Option<&str>,
    limit: crate::page::PageSize,
) -> Result<Page<Agency, AgencyId>, ListAgenciesError> {
    let after = after
        .map(|c| AgencyId::parse(c).map_err(|e| ListAgenciesError::InvalidCursor(e.to_string())))
        .transpose()?;
    Ok(repo.list(&PageRequest { after, limit })?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(id: &str, kind: &str, name: &str, country: &str) -> AgencyDraft {
        AgencyDraft {
            id: id.into(),
            kind: kind.into(),
            name: name.into(),
            country: country.into(),
        }
    }

    #[test]
    fn validation_lists_every_offending_field() {
        let errors = draft("Bad Id", "ngo", " ", "XX").validate().unwrap_err();
        let paths: Vec<_> = errors.0.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, ["id", "kind", "name", "country"]);
    }

    #[test]
    fn valid_draft() {
        let a = draft(
            "fedasil-poelkapelle",
            "reception_centre",
            "Fedasil Poelkapelle",
            "BE",
        )
        .validate()
        .unwrap();
        assert_eq!(a.kind, AgencyKind::ReceptionCentre);
    }
}
