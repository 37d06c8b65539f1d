//! Police zones as data (`policy/zones.toml`): which police agency takes a report of a child last
//! seen in a municipality. The reporter may name the zone instead; without either, the ledger's
//! police zone stays unassigned until a police agency acknowledges.

use serde::Deserialize;

use crate::matching::normalize::fold;

/// The shipped table, for the demo agencies.
pub const DEFAULT_ZONES_TOML: &str = include_str!("../../../policy/zones.toml");

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Zone {
    /// The police agency's id.
    agency: String,
    /// Names of the municipalities it covers, in each of their languages.
    municipalities: Vec<String>,
}

/// The table as written; check it with [`Zones::checked`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Zones {
    #[serde(rename = "zone", default)]
    zones: Vec<Zone>,
}

/// The table is unusable; the message says why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("police zones: {0}")]
pub struct ZonesError(pub String);

impl Zones {
    /// Refuses a zone without a municipality, and a municipality (folded) in two zones.
    pub fn checked(self) -> Result<Self, ZonesError> {
        let mut seen: Vec<(String, &str)> = Vec::new();
        for z in &self.zones {
            if z.municipalities.is_empty() {
                return Err(ZonesError(format!(
                    "zone `{}` lists no municipality",
                    z.agency
                )));
            }
            for m in &z.municipalities {
                let folded = fold(m);
                if folded.is_empty() {
                    return Err(ZonesError(format!(
                        "zone `{}`: an empty municipality",
                        z.agency
                    )));
                }
                if let Some((_, other)) = seen.iter().find(|(f, _)| *f == folded) {
                    return Err(ZonesError(format!(
                        "municipality `{m}` is in zones `{other}` and `{}`",
                        z.agency
                    )));
                }
                seen.push((folded, &z.agency));
            }
        }
        Ok(self)
    }

    /// The police agency of the municipality named by `municipality`, else of the first
    /// municipality whose name appears as whole words in `place` (case, accents and hyphens do
    /// not matter; the longest name wins, so `Sint-Jans-Molenbeek` beats `Molenbeek`).
    pub fn zone_of(&self, municipality: Option<&str>, place: &str) -> Option<&str> {
        if let Some(m) = municipality {
            let m = fold(m);
            return self
                .zones
                .iter()
                .find(|z| z.municipalities.iter().any(|n| fold(n) == m))
                .map(|z| z.agency.as_str());
        }
        let place = format!(" {} ", fold(place));
        self.zones
            .iter()
            .flat_map(|z| z.municipalities.iter().map(move |m| (z, fold(m))))
            .filter(|(_, m)| place.contains(&format!(" {m} ")))
            .max_by_key(|(_, m)| m.len())
            .map(|(z, _)| z.agency.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zones() -> Zones {
        toml::from_str::<Zones>(
            r#"
            [[zone]]
            agency = "pz-brussels"
            municipalities = ["Bruxelles", "Brussel", "Molenbeek-Saint-Jean"]
            [[zone]]
            agency = "pz-liege"
            municipalities = ["Liège", "Luik"]
            "#,
        )
        .unwrap()
        .checked()
        .unwrap()
    }

    #[test]
    fn a_municipality_in_the_place_finds_its_zone() {
        let z = zones();
        assert_eq!(
            z.zone_of(None, "Gare de Liege-Guillemins"),
            Some("pz-liege")
        );
        assert_eq!(
            z.zone_of(None, "BRUSSEL-NOORD station"),
            Some("pz-brussels")
        );
        assert_eq!(
            z.zone_of(None, "molenbeek saint jean, metro"),
            Some("pz-brussels")
        );
        assert_eq!(z.zone_of(None, "Antwerpen-Centraal"), None);
        assert_eq!(
            z.zone_of(None, "Luikstraat, Gent"),
            None,
            "whole words only"
        );
        assert_eq!(z.zone_of(Some("luik"), "somewhere"), Some("pz-liege"));
        assert_eq!(
            z.zone_of(Some("Gent"), "Bruxelles"),
            None,
            "the municipality named wins"
        );
    }

    #[test]
    fn the_shipped_table_is_valid_and_a_name_in_two_zones_is_refused() {
        let shipped = toml::from_str::<Zones>(DEFAULT_ZONES_TOML)
            .unwrap()
            .checked()
            .unwrap();
        assert_eq!(
            shipped.zone_of(None, "Gare du Nord, Bruxelles"),
            Some("demo-police")
        );
        let twice = toml::from_str::<Zones>(
            "[[zone]]\nagency = \"a\"\nmunicipalities = [\"Gent\"]\n[[zone]]\nagency = \"b\"\nmunicipalities = [\"GENT\"]\n",
        )
        .unwrap();
        assert!(twice.checked().is_err());
    }
}
