//! ISO 3166-1 alpha-2 country codes.

use std::fmt;

use serde::{Deserialize, Serialize};

/// An assigned ISO 3166-1 alpha-2 code, upper case (`BE`, `AF`, `ER`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CountryCode(String);

/// The text is not an assigned ISO 3166-1 alpha-2 code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an ISO 3166-1 alpha-2 country code")]
pub struct InvalidCountryCode(pub String);

impl CountryCode {
    /// Accepts an assigned alpha-2 code in upper case; anything else is refused, never corrected.
    pub fn parse(code: &str) -> Result<Self, InvalidCountryCode> {
        if code.len() == 2
            && code.bytes().all(|b| b.is_ascii_uppercase())
            && rust_iso3166::from_alpha2(code).is_some()
        {
            Ok(Self(code.to_owned()))
        } else {
            Err(InvalidCountryCode(code.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for CountryCode {
    type Error = InvalidCountryCode;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<CountryCode> for String {
    fn from(value: CountryCode) -> Self {
        value.0
    }
}

impl fmt::Display for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_assigned_codes_only() {
        assert!(CountryCode::parse("BE").is_ok());
        assert!(CountryCode::parse("ER").is_ok());
        assert!(CountryCode::parse("XX").is_err());
        assert!(CountryCode::parse("be").is_err());
        assert!(CountryCode::parse("BEL").is_err());
        assert!(CountryCode::parse("").is_err());
    }
}
