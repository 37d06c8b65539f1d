//! Who follows an alert, and what a follower may see of it. One rule decides following for every
//! channel (reading, listing, the stream, the relay and the storage filter), and one function masks
//! what an alert says of the child for each viewer.

use crate::agency::{AgencyId, AgencyKind};
use crate::category::{Category, CategorySet};
use crate::minor::MinorData;

use super::model::Alert;
use super::reporter::Reporter;
use super::risk::RiskRules;

/// Agency kinds that follow every alert: they are notified of each one whatever the child.
pub const FOLLOWING_KINDS: [AgencyKind; 3] = [
    AgencyKind::Police,
    AgencyKind::ChildFocus,
    AgencyKind::GuardianshipService,
];

/// Which alerts an agency follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Following {
    /// Every alert (police, Child Focus, the guardianship service).
    Every,
    /// The alerts of the children currently placed with this agency or its wards.
    ChildrenOf(AgencyId),
}

/// The alerts an agency of `kind` follows. Storage filters listings with this; [`follows`] is
/// the same rule for one alert.
pub fn following(agency: &AgencyId, kind: AgencyKind) -> Following {
    if FOLLOWING_KINDS.contains(&kind) {
        Following::Every
    } else {
        Following::ChildrenOf(agency.clone())
    }
}

/// Whether an agency follows the alerts of a child whose record holds `child` now: it is of a
/// kind that follows every alert, or the child is placed with it or its ward *now* (a former
/// placement or guardian stops following when the child moves). `None`: the record is gone.
pub fn follows(agency: &AgencyId, kind: AgencyKind, child: Option<&MinorData>) -> bool {
    match following(agency, kind) {
        Following::Every => true,
        Following::ChildrenOf(a) => child.is_some_and(|d| {
            d.placement_agency() == Some(a.as_str()) || d.guardian_agency() == Some(a.as_str())
        }),
    }
}

/// Whether an agency follows `alert` of a child whose record holds `child` now: [`follows`], or
/// it is a party on the alert's reporting ledger whose part is not named by the record (a
/// placement or guardian on the ledger follows only while the record still names it, by
/// [`follows`]).
pub fn follows_alert(
    agency: &AgencyId,
    kind: AgencyKind,
    child: Option<&MinorData>,
    alert: &Alert,
) -> bool {
    follows(agency, kind, child)
        || alert
            .ledger
            .iter()
            .any(|e| !e.party.relational() && e.agency.as_deref() == Some(agency.as_str()))
}

/// The category an agency's name reveals when it appears on a child's alert: a reception centre
/// or youth-care service is where the child lives (`placement`), a guardian agency who its guardian
/// is (`guardianship`). Other agencies (police, Child Focus, the guardianship service, the
/// immigration office) follow or may report any alert: naming them says nothing of the child.
pub fn revealed_by(kind: AgencyKind) -> Option<Category> {
    match kind {
        AgencyKind::ReceptionCentre | AgencyKind::YouthCare => Some(Category::Placement),
        AgencyKind::Guardian => Some(Category::Guardianship),
        _ => None,
    }
}

/// What stands for a reporter a viewer may not know.
pub const WITHHELD: &str = "withheld";

/// The categories a factor no rule names any longer may derive from: such a factor is shown only
/// to a viewer who reads them all.
const ANY_FACTOR: [Category; 4] = [
    Category::Identity,
    Category::Vulnerability,
    Category::Health,
    Category::Risk,
];

/// The alert as a viewer at agency `viewer` who reads the categories `read` of the child may see
/// it: risk factors only where their category is read; agencies named (`notified`,
/// acknowledgements, reporters of the alert, its sightings, resolution and measures) only where
/// the viewer may read what their kind reveals, or they are the viewer's own. `kind_of` tells an
/// agency's kind (`None` for an agency that no longer exists, which is treated as revealing both).
pub fn mask_alert(
    alert: &Alert,
    read: CategorySet,
    viewer: &AgencyId,
    rules: &RiskRules,
    kind_of: &mut dyn FnMut(&str) -> anyhow::Result<Option<AgencyKind>>,
) -> anyhow::Result<Alert> {
    let mut visible = |agency: &str| -> anyhow::Result<bool> {
        if agency == viewer.as_str() {
            return Ok(true);
        }
        Ok(match kind_of(agency)? {
            Some(kind) => revealed_by(kind).is_none_or(|c| read.contains(c)),
            None => read.contains(Category::Placement) && read.contains(Category::Guardianship),
        })
    };
    let mut out = alert.clone();
    // Whether the reporter was unrelated to the child says who cares for it: for those who read
    // `guardianship` (the guardian, the guardianship service).
    out.reporter_unrelated &= read.contains(Category::Guardianship);
    // When a roll call found the child absent is a fact of its placement.
    if !read.contains(Category::Placement) {
        out.absent_since = None;
    }
    // Earlier disappearances are a fact of `risk`.
    if !read.contains(Category::Risk) {
        out.previous_episodes = 0;
    }
    out.risk_factors.retain(|f| match rules.factor_category(f) {
        Some(c) => read.contains(c),
        None => ANY_FACTOR.iter().all(|c| read.contains(*c)),
    });
    let mut notified = Vec::with_capacity(out.notified.len());
    for a in &alert.notified {
        if visible(a)? {
            notified.push(a.clone());
        }
    }
    out.notified = notified;
    let mut acknowledgements = Vec::with_capacity(out.acknowledgements.len());
    for a in &alert.acknowledgements {
        if visible(&a.agency)? {
            acknowledgements.push(a.clone());
        }
    }
    out.acknowledgements = acknowledgements;
    // A placement or guardian entry says where the child lives and who its guardian is, even when
    // unassigned (that the child has none): shown only to those who read that category, or to the
    // party itself.
    let mut ledger = Vec::with_capacity(out.ledger.len());
    for e in &alert.ledger {
        let own = e.agency.as_deref() == Some(viewer.as_str());
        let shown = own
            || match (e.party.category(), &e.agency) {
                (Some(c), None) => read.contains(c),
                (_, Some(a)) => visible(a)? && e.party.category().is_none_or(|c| read.contains(c)),
                (None, None) => true,
            };
        if shown {
            ledger.push(e.clone());
        }
    }
    out.ledger = ledger;
    let mut hide = |r: &mut Reporter| -> anyhow::Result<()> {
        if !visible(&r.agency)? {
            *r = Reporter {
                subject: WITHHELD.into(),
                agency: WITHHELD.into(),
                role: WITHHELD.into(),
            };
        }
        Ok(())
    };
    hide(&mut out.reported_by)?;
    for s in &mut out.sightings {
        hide(&mut s.reported_by)?;
        if let Some(g) = &mut s.graded {
            hide(&mut g.by)?;
        }
    }
    if let Some(a) = &mut out.appeal {
        hide(&mut a.by)?;
        for r in &mut a.republications {
            hide(&mut r.by)?;
        }
    }
    if let Some(r) = &mut out.resolution {
        hide(&mut r.by)?;
    }
    if let Some(m) = &mut out.measures {
        hide(&mut m.by)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Duration};

    use super::*;
    use crate::alert::{Acknowledgement, DEFAULT_RISK_TOML, NewAlert};
    use crate::minor::RiskLevel;

    fn id(s: &str) -> AgencyId {
        AgencyId::parse(s).unwrap()
    }

    fn kinds(agency: &str) -> anyhow::Result<Option<AgencyKind>> {
        Ok(match agency {
            "centre" => Some(AgencyKind::ReceptionCentre),
            "voogd" => Some(AgencyKind::Guardian),
            "police" => Some(AgencyKind::Police),
            "cf" => Some(AgencyKind::ChildFocus),
            _ => None,
        })
    }

    fn who(agency: &str) -> Reporter {
        Reporter {
            subject: "s".into(),
            agency: agency.into(),
            role: "r".into(),
        }
    }

    fn alert() -> Alert {
        let (mut a, _) = Alert::raise(
            NewAlert {
                id: "a".into(),
                minor_id: "m".into(),
                risk: RiskLevel::High,
                risk_factors: vec![
                    "young_age".into(),
                    "urgent_medical_need".into(),
                    "raised by the reporter".into(),
                ],
                last_seen_at: DateTime::UNIX_EPOCH,
                last_seen_place: "x".into(),
                circumstances: None,
                reported_by: who("centre"),
                reporter_unrelated: false,
                absent_since: None,
                previous_episodes: 0,
                notified: vec!["cf".into(), "police".into(), "voogd".into()],
                ledger: vec![],
                acknowledgement_within: Duration::minutes(15),
            },
            DateTime::UNIX_EPOCH,
            "e".into(),
        );
        a.acknowledgements.push(Acknowledgement {
            agency: "voogd".into(),
            by: "g".into(),
            at: DateTime::UNIX_EPOCH,
        });
        a
    }

    fn rules() -> RiskRules {
        toml::from_str::<RiskRules>(DEFAULT_RISK_TOML).unwrap()
    }

    #[test]
    fn police_reading_identity_and_risk_see_no_health_factor_nor_placement_or_guardian() {
        let read: CategorySet = [Category::Identity, Category::Risk, Category::Physical]
            .into_iter()
            .collect();
        let m = mask_alert(&alert(), read, &id("police"), &rules(), &mut kinds).unwrap();
        assert_eq!(m.risk_factors, ["young_age", "raised by the reporter"]);
        assert_eq!(m.notified, ["cf", "police"]);
        assert!(m.acknowledgements.is_empty());
        assert_eq!(m.reported_by.agency, WITHHELD);
    }

    #[test]
    fn a_viewer_reading_everything_sees_everything() {
        let a = alert();
        let m = mask_alert(&a, CategorySet::all(), &id("cf"), &rules(), &mut kinds).unwrap();
        assert_eq!(m, a);
    }

    #[test]
    fn ones_own_agency_is_always_visible() {
        let m = mask_alert(
            &alert(),
            CategorySet::EMPTY,
            &id("voogd"),
            &rules(),
            &mut kinds,
        )
        .unwrap();
        assert_eq!(m.notified, ["cf", "police", "voogd"]);
        assert_eq!(m.acknowledgements.len(), 1);
        assert!(m.risk_factors.is_empty());
    }

    #[test]
    fn following_is_by_kind_or_by_the_current_record() {
        let child: MinorData = serde_json::from_value(serde_json::json!({
            "placement": {"current_agency": "centre"},
            "guardianship": {"guardian_agency": "voogd"}
        }))
        .unwrap();
        assert!(follows(&id("police"), AgencyKind::Police, None));
        assert!(follows(
            &id("centre"),
            AgencyKind::ReceptionCentre,
            Some(&child)
        ));
        assert!(follows(&id("voogd"), AgencyKind::Guardian, Some(&child)));
        assert!(!follows(
            &id("other"),
            AgencyKind::ReceptionCentre,
            Some(&child)
        ));
        assert!(!follows(&id("centre"), AgencyKind::ReceptionCentre, None));
        assert!(!follows(
            &id("imm"),
            AgencyKind::ImmigrationOffice,
            Some(&child)
        ));
    }
}
