//! OASIS CAP 1.2 rendering of an alert, for public-alerting systems: `msgType` Alert for a new
//! alert, Update after changes, Cancel once resolved; `scope` Restricted; urgency and severity from
//! the risk level. It carries the alert's own facts (when and where last seen, circumstances), never
//! the child's record.

use chrono::{DateTime, SecondsFormat, Utc};
use domain::alert::{Alert, AlertStatus};
use domain::minor::RiskLevel;
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

pub const CONTENT_TYPE: &str = "application/cap+xml";
const NAMESPACE: &str = "urn:oasis:names:tc:emergency:cap:1.2";
const SENDER: &str = "uam-registry";

/// CAP dateTime: seconds precision with an explicit offset (`2026-11-29T08:00:00+00:00`).
fn cap_time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, false)
}

fn risk_terms(risk: RiskLevel) -> (&'static str, &'static str) {
    match risk {
        RiskLevel::High => ("Immediate", "Severe"),
        RiskLevel::Medium => ("Expected", "Moderate"),
        RiskLevel::Low => ("Future", "Minor"),
    }
}

/// The message for the alert's current state, sent at `now`.
pub fn render(alert: &Alert, now: DateTime<Utc>) -> String {
    let msg_type = match (alert.status, alert.version) {
        (AlertStatus::Resolved, _) => "Cancel",
        (AlertStatus::Open, 1) => "Alert",
        (AlertStatus::Open, _) => "Update",
    };
    let (mut urgency, severity) = risk_terms(alert.risk);
    if alert.status == AlertStatus::Resolved {
        urgency = "Past";
    }
    let mut description = format!(
        "Last seen {} at {}.",
        cap_time(alert.last_seen_at),
        alert.last_seen_place
    );
    if let Some(c) = &alert.circumstances {
        description.push(' ');
        description.push_str(c);
    }
    if let Some(r) = &alert.resolution {
        let outcome = crate::names::name(&r.outcome).replace('_', " ");
        description.push_str(&format!(" Resolved: {outcome}."));
    }
    let mut fields: Vec<(&str, String)> = vec![
        ("identifier", format!("{}.{}", alert.id, alert.version)),
        ("sender", SENDER.to_owned()),
        ("sent", cap_time(now)),
        ("status", "Actual".to_owned()),
        ("msgType", msg_type.to_owned()),
        ("scope", "Restricted".to_owned()),
        (
            "restriction",
            "For agencies responsible for the protection of unaccompanied minors".to_owned(),
        ),
    ];
    if msg_type != "Alert" {
        fields.push((
            "references",
            format!("{SENDER},{}.1,{}", alert.id, cap_time(alert.raised_at)),
        ));
    }
    let info: Vec<(&str, String)> = vec![
        ("language", "en".to_owned()),
        ("category", "Rescue".to_owned()),
        ("event", "Missing child".to_owned()),
        ("urgency", urgency.to_owned()),
        ("severity", severity.to_owned()),
        ("certainty", "Observed".to_owned()),
        (
            "headline",
            format!(
                "Missing unaccompanied minor ({} risk)",
                crate::names::name(&alert.risk)
            ),
        ),
        ("description", description),
    ];

    write_message(&fields, &info, &alert.last_seen_place)
}

/// A public appeal as a CAP 1.2 message sent at `now`: `msgType` `Alert` with scope `Public`
/// while it stands, `Cancel` (referencing it) once cancelled by the alert's resolution or past its
/// expiry. It carries only what Child Focus published: the headline, the description and the area
/// (`areaDesc`), never the record nor the alert's place or risk level.
pub fn render_appeal(appeal: &domain::alert::Appeal, now: DateTime<Utc>) -> String {
    let standing = appeal.active(now);
    let identifier = format!("appeal-{}", appeal.id);
    let mut fields: Vec<(&str, String)> = vec![
        (
            "identifier",
            if standing {
                identifier.clone()
            } else {
                format!("{identifier}.cancel")
            },
        ),
        ("sender", SENDER.to_owned()),
        ("sent", cap_time(now)),
        ("status", "Actual".to_owned()),
        (
            "msgType",
            if standing { "Alert" } else { "Cancel" }.to_owned(),
        ),
        ("scope", "Public".to_owned()),
    ];
    if !standing {
        fields.push((
            "references",
            format!("{SENDER},{identifier},{}", cap_time(appeal.published_at)),
        ));
    }
    // A cancellation repeats nothing of the appeal: it only asks for it to be taken down.
    let description = match (standing, appeal.cancelled_at.is_some()) {
        (true, _) => appeal.description.clone(),
        (false, true) => "The search has ended: please take this appeal down.".to_owned(),
        (false, false) => "This appeal has expired: please take it down.".to_owned(),
    };
    // Fixed terms: the alert's risk level is not the public's to know.
    let urgency = if standing { "Immediate" } else { "Past" };
    let severity = "Severe";
    let info: Vec<(&str, String)> = vec![
        ("language", "en".to_owned()),
        ("category", "Rescue".to_owned()),
        ("event", "Missing child".to_owned()),
        ("urgency", urgency.to_owned()),
        ("severity", severity.to_owned()),
        ("certainty", "Observed".to_owned()),
        (
            "expires",
            cap_time(appeal.cancelled_at.unwrap_or(appeal.expires_at)),
        ),
        ("senderName", "Child Focus 116000".to_owned()),
        ("headline", appeal.headline.clone()),
        ("description", description),
        ("contact", "116000".to_owned()),
    ];
    write_message(&fields, &info, &appeal.area)
}

/// Writes a CAP message: the header fields, one `info` block and its `area`.
fn write_message(fields: &[(&str, String)], info: &[(&str, String)], area: &str) -> String {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    let element = |w: &mut Writer<Vec<u8>>, name: &str, text: &str| -> std::io::Result<()> {
        w.write_event(Event::Start(BytesStart::new(name)))?;
        w.write_event(Event::Text(BytesText::new(text)))?;
        w.write_event(Event::End(BytesEnd::new(name)))
    };
    let written = (|| -> std::io::Result<()> {
        w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
        w.write_event(Event::Start(
            BytesStart::new("alert").with_attributes([("xmlns", NAMESPACE)]),
        ))?;
        for (name, text) in fields {
            element(&mut w, name, text)?;
        }
        w.write_event(Event::Start(BytesStart::new("info")))?;
        for (name, text) in info {
            element(&mut w, name, text)?;
        }
        w.write_event(Event::Start(BytesStart::new("area")))?;
        element(&mut w, "areaDesc", area)?;
        w.write_event(Event::End(BytesEnd::new("area")))?;
        w.write_event(Event::End(BytesEnd::new("info")))?;
        w.write_event(Event::End(BytesEnd::new("alert")))
    })();
    if let Err(e) = written {
        tracing::error!(error = %e, "rendering CAP");
    }
    String::from_utf8(w.into_inner()).unwrap_or_default()
}
