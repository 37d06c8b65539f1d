//! Agencies: the administrations that share the registry, each of one kind.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use crate::country::CountryCode;

/// The id of the agency that operates the registry; present in every database from the first migration.
pub const REGISTRY_AGENCY_ID: &str = "registry";

/// A slug: 2 to 63 characters of `a-z`, `0-9` and single inner hyphens (`fedasil-poelkapelle`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AgencyId(String);

/// The text is not a valid agency slug; the message says which rule it breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not a valid agency id: {reason}")]
pub struct InvalidAgencyId {
    pub value: String,
    pub reason: &'static str,
}

impl AgencyId {
    pub const MAX_LEN: usize = 63;

    pub fn parse(value: &str) -> Result<Self, InvalidAgencyId> {
        let fail = |reason| InvalidAgencyId {
            value: value.to_owned(),
            reason,
        };
        if value.len() < 2 || value.len() > Self::MAX_LEN {
            return Err(fail("it must be 2 to 63 characters long"));
        }
        if !value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(fail("only a-z, 0-9 and '-' are allowed"));
        }
        if value.starts_with('-') || value.ends_with('-') || value.contains("--") {
            return Err(fail("hyphens may only separate words"));
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for AgencyId {
    type Error = InvalidAgencyId;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<AgencyId> for String {
    fn from(value: AgencyId) -> Self {
        value.0
    }
}

impl fmt::Display for AgencyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What an agency is; decides which roles its staff may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgencyKind {
    ReceptionCentre,
    GuardianshipService,
    Guardian,
    ImmigrationOffice,
    Police,
    ChildFocus,
    YouthCare,
    Registry,
}

impl AgencyKind {
    pub const ALL: [AgencyKind; 8] = [
        Self::ReceptionCentre,
        Self::GuardianshipService,
        Self::Guardian,
        Self::ImmigrationOffice,
        Self::Police,
        Self::ChildFocus,
        Self::YouthCare,
        Self::Registry,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ReceptionCentre => "reception_centre",
            Self::GuardianshipService => "guardianship_service",
            Self::Guardian => "guardian",
            Self::ImmigrationOffice => "immigration_office",
            Self::Police => "police",
            Self::ChildFocus => "child_focus",
            Self::YouthCare => "youth_care",
            Self::Registry => "registry",
        }
    }
}

/// The text names no agency kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an agency kind")]
pub struct UnknownAgencyKind(pub String);

impl FromStr for AgencyKind {
    type Err = UnknownAgencyKind;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| UnknownAgencyKind(s.to_owned()))
    }
}

impl fmt::Display for AgencyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An agency's display name: trimmed, 1 to 200 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AgencyName(String);

/// The text is not an acceptable agency name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid agency name: {0}")]
pub struct InvalidAgencyName(pub &'static str);

impl AgencyName {
    pub const MAX_CHARS: usize = 200;

    pub fn parse(value: &str) -> Result<Self, InvalidAgencyName> {
        let trimmed = value.trim();
        if trimmed.is_empty() {
            return Err(InvalidAgencyName("it must not be empty"));
        }
        if trimmed.chars().count() > Self::MAX_CHARS {
            return Err(InvalidAgencyName("it must be at most 200 characters"));
        }
        if trimmed.chars().any(char::is_control) {
            return Err(InvalidAgencyName("it must not contain control characters"));
        }
        Ok(Self(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for AgencyName {
    type Error = InvalidAgencyName;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<AgencyName> for String {
    fn from(value: AgencyName) -> Self {
        value.0
    }
}

/// A validated agency before it is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAgency {
    pub id: AgencyId,
    pub kind: AgencyKind,
    pub name: AgencyName,
    pub country: CountryCode,
}

/// A stored agency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agency {
    pub id: AgencyId,
    pub kind: AgencyKind,
    pub name: AgencyName,
    pub country: CountryCode,
    pub created_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        for ok in ["registry", "fedasil-poelkapelle", "pz-01", "ab"] {
            assert!(AgencyId::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "a",
            "Registry",
            "-x",
            "x-",
            "a--b",
            "a_b",
            "a b",
            "é1",
            &"a".repeat(64),
        ] {
            assert!(AgencyId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn kinds_round_trip() {
        for kind in AgencyKind::ALL {
            assert_eq!(kind.as_str().parse::<AgencyKind>(), Ok(kind));
        }
        assert!("ngo".parse::<AgencyKind>().is_err());
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(
            AgencyName::parse("  Fedasil  ").map(|n| n.0),
            Ok("Fedasil".into())
        );
        assert!(AgencyName::parse("   ").is_err());
        assert!(AgencyName::parse("a\u{0}b").is_err());
        assert!(AgencyName::parse(&"x".repeat(201)).is_err());
    }
}
