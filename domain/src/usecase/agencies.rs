//! Register, look up and list agencies.

use std::sync::Arc;

use crate::agency::{Agency, AgencyId, AgencyKind, AgencyName, CountryCode, NewAgency};
use crate::page::{Page, PageRequest, PageSize};
use crate::policy::{Facts, Operation};
use crate::ports::AgencyRepository;
use crate::principal::Principal;
use crate::usecase::kernel::{Denied, Failure, Kernel};
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

/// The agency directory: any authenticated caller reads it (it holds no child data); who may
/// register agencies is the policy's `manage_agencies` permit.
#[derive(Clone)]
pub struct Agencies {
    kernel: Kernel,
    agencies: Arc<dyn AgencyRepository>,
}

impl Agencies {
    pub fn new(kernel: Kernel, agencies: Arc<dyn AgencyRepository>) -> Self {
        Self { kernel, agencies }
    }

    /// Creates an agency, if the caller's role may (`manage_agencies`); the id must be new.
    pub fn create(&self, caller: &Principal, draft: &AgencyDraft) -> Result<Agency, Failure> {
        if !self.kernel.policy().permits(
            caller.role,
            Operation::ManageAgencies,
            None,
            Facts::default(),
        ) {
            return Err(Denied::NotPermitted(
                "only a registry_admin may create agencies".to_owned(),
            )
            .into());
        }
        let agency = draft.validate()?;
        self.kernel
            .settled(self.agencies.insert(&agency, self.kernel.now()))
    }

    /// The agency `id`.
    pub fn get(&self, id: &str) -> Result<Agency, Failure> {
        let missing = || Failure::NotFound(format!("no agency with id `{id}`"));
        let Ok(parsed) = AgencyId::parse(id) else {
            return Err(missing());
        };
        self.kernel
            .settled(self.agencies.find(&parsed))?
            .ok_or_else(missing)
    }

    /// Agencies by id; `after` is the `next` cursor of the previous page.
    pub fn list(
        &self,
        after: Option<&str>,
        limit: PageSize,
    ) -> Result<Page<Agency, AgencyId>, Failure> {
        let after = after
            .map(|c| AgencyId::parse(c).map_err(|e| Failure::invalid("after", e)))
            .transpose()?;
        self.kernel
            .settled(self.agencies.list(&PageRequest { after, limit }))
    }
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
