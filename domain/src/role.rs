//! Roles: what a person does, carried in the token's `role` claim; each fits agencies of one kind.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::agency::AgencyKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    ReceptionStaff,
    GuardianshipOfficer,
    Guardian,
    ImmigrationOfficer,
    PoliceOfficer,
    ChildFocusCaseManager,
    YouthCareWorker,
    Analyst,
    Auditor,
    RegistryAdmin,
}

impl Role {
    pub const ALL: [Role; 10] = [
        Self::ReceptionStaff,
        Self::GuardianshipOfficer,
        Self::Guardian,
        Self::ImmigrationOfficer,
        Self::PoliceOfficer,
        Self::ChildFocusCaseManager,
        Self::YouthCareWorker,
        Self::Analyst,
        Self::Auditor,
        Self::RegistryAdmin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ReceptionStaff => "reception_staff",
            Self::GuardianshipOfficer => "guardianship_officer",
            Self::Guardian => "guardian",
            Self::ImmigrationOfficer => "immigration_officer",
            Self::PoliceOfficer => "police_officer",
            Self::ChildFocusCaseManager => "child_focus_case_manager",
            Self::YouthCareWorker => "youth_care_worker",
            Self::Analyst => "analyst",
            Self::Auditor => "auditor",
            Self::RegistryAdmin => "registry_admin",
        }
    }

    /// Whether staff of an agency of `kind` may hold this role: each operational role belongs to one
    /// kind, `auditor` and `registry_admin` to `registry`, and `analyst` to any kind.
    pub fn fits(self, kind: AgencyKind) -> bool {
        match self {
            Self::Analyst => true,
            other => other.home_kind() == Some(kind),
        }
    }

    /// The operational role of an agency kind: whose field policy renders what the agency receives
    /// on its event streams. `None` for `registry`, which receives no child data.
    pub fn acting_for(kind: AgencyKind) -> Option<Role> {
        Self::ALL.into_iter().find(|r| {
            r.home_kind() == Some(kind) && !matches!(r, Self::Auditor | Self::RegistryAdmin)
        })
    }

    /// The one agency kind this role belongs to; `None` for `analyst`, which any kind may hold.
    pub fn home_kind(self) -> Option<AgencyKind> {
        Some(match self {
            Self::ReceptionStaff => AgencyKind::ReceptionCentre,
            Self::GuardianshipOfficer => AgencyKind::GuardianshipService,
            Self::Guardian => AgencyKind::Guardian,
            Self::ImmigrationOfficer => AgencyKind::ImmigrationOffice,
            Self::PoliceOfficer => AgencyKind::Police,
            Self::ChildFocusCaseManager => AgencyKind::ChildFocus,
            Self::YouthCareWorker => AgencyKind::YouthCare,
            Self::Auditor | Self::RegistryAdmin => AgencyKind::Registry,
            Self::Analyst => return None,
        })
    }
}

/// The text names no role.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a role")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_operational_role_fits_exactly_one_kind() {
        for role in Role::ALL {
            let fitting: Vec<_> = AgencyKind::ALL
                .into_iter()
                .filter(|k| role.fits(*k))
                .collect();
            match role {
                Role::Analyst => assert_eq!(fitting.len(), AgencyKind::ALL.len()),
                _ => assert_eq!(fitting, vec![role.home_kind().unwrap()], "{role}"),
            }
        }
    }

    #[test]
    fn registry_roles_belong_to_registry() {
        assert!(Role::RegistryAdmin.fits(AgencyKind::Registry));
        assert!(Role::Auditor.fits(AgencyKind::Registry));
        assert!(!Role::PoliceOfficer.fits(AgencyKind::Registry));
        assert!(!Role::RegistryAdmin.fits(AgencyKind::Police));
    }

    #[test]
    fn names_round_trip() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
    }
}
