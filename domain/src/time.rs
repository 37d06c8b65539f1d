//! Instants on the wire: RFC 3339 in UTC with exactly six fractional digits
//! (`2026-12-07T08:30:00.123456Z`), the precision both stores keep, whatever the value.
//!
//! chrono's own form drops trailing zeros (`.120Z`, `.123456Z`, `.123456789Z`), so that one
//! answer would mix precisions. Reading accepts any RFC 3339 instant.

use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};

/// The wire form of `t`, cut (not rounded) to the microsecond.
pub fn to_text(t: &DateTime<Utc>) -> String {
    t.trunc_subsecs(6)
        .to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// `#[serde(with = "domain::time::micros")]` for a `DateTime<Utc>`.
pub mod micros {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::to_text(t))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        DateTime::<Utc>::deserialize(d)
    }

    /// The same for an `Option<DateTime<Utc>>` (with `#[serde(default)]`).
    pub mod option {
        use chrono::{DateTime, Utc};
        use serde::{Deserialize, Deserializer, Serializer};

        pub fn serialize<S: Serializer>(
            t: &Option<DateTime<Utc>>,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            match t {
                Some(t) => s.serialize_str(&super::super::to_text(t)),
                None => s.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(
            d: D,
        ) -> Result<Option<DateTime<Utc>>, D::Error> {
            Option::<DateTime<Utc>>::deserialize(d)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn always_six_digits() {
        let whole = Utc.with_ymd_and_hms(2026, 12, 7, 8, 30, 0).unwrap();
        assert_eq!(to_text(&whole), "2026-12-07T08:30:00.000000Z");
        let nanos = whole + chrono::Duration::nanoseconds(123_456_789);
        assert_eq!(to_text(&nanos), "2026-12-07T08:30:00.123456Z");
        let millis = whole + chrono::Duration::milliseconds(120);
        assert_eq!(to_text(&millis), "2026-12-07T08:30:00.120000Z");
    }
}
