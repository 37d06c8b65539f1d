//! The subject-access export as a page a child can read (GDPR Art. 15, UNCRC Art. 12): plain
//! language, in the child's language where a translation of the page's fixed texts exists. The
//! values are the child's data as held; every text around them comes from a translation file.

pub mod locale;

use domain::category::Category;
use domain::usecase::subject_access::SubjectAccess;
use maud::{DOCTYPE, Markup, html};
use serde_json::Value;

pub use locale::{Locale, available, find};

/// The section ids of the page, in order: what a reader (or a test) finds in it.
pub const SECTIONS: [&str; 6] = [
    "record",
    "changes",
    "alerts",
    "disclosures",
    "retention",
    "rights",
];

/// The language of the page: the one asked for, else the first of the child's languages with a
/// translation, else the first of the caller's `Accept-Language` with one, else English.
pub fn choose(asked: Option<&str>, export: &SubjectAccess, accept: &[String]) -> &'static Locale {
    let spoken = export
        .data
        .identity
        .as_ref()
        .map(|i| i.languages.clone())
        .unwrap_or_default();
    asked
        .into_iter()
        .map(str::to_owned)
        .chain(spoken)
        .chain(accept.iter().cloned())
        .find_map(|code| find(&code))
        .or_else(|| find("en"))
        .unwrap_or_else(|| unreachable_english())
}

#[allow(clippy::panic)]
fn unreachable_english() -> &'static Locale {
    // The English file is compiled in and checked by a unit test.
    panic!("the English subject-access texts are missing")
}

/// The translation of an enum value (its wire name) in `group`.
fn word<T: serde::Serialize>(t: &Locale, group: &str, v: &T) -> String {
    let key = serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    t.text(&format!("{group}.{key}"))
}

/// A JSON string as text (anything else as JSON).
fn text(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_owned)
}

fn day(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// A value of the record, as nested lists: objects as term and description, arrays as items.
fn value(v: &Value, t: &Locale) -> Markup {
    match v {
        Value::Object(map) => html! {
            dl {
                @for (k, item) in map {
                    dt { (t.text(&format!("fields.{k}"))) }
                    dd { (value(item, t)) }
                }
            }
        },
        Value::Array(items) => html! {
            ul { @for item in items { li { (value(item, t)) } } }
        },
        Value::String(s) => html! { (s) },
        Value::Null => html! { "—" },
        other => html! { (other.to_string()) },
    }
}

/// The whole page.
pub fn page(export: &SubjectAccess, t: &Locale) -> String {
    let data = serde_json::to_value(&export.data).unwrap_or(Value::Null);
    let held: Vec<Category> = Category::ALL
        .into_iter()
        .filter(|c| data.get(c.as_str()).is_some())
        .collect();
    let life = &export.lifecycle;
    let who = |agency: &Option<String>| agency.clone().unwrap_or_else(|| t.text("registry"));
    html! {
        (DOCTYPE)
        html lang=(t.code) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (t.text("title")) }
                style { (STYLE) }
            }
            body {
                header {
                    h1 { (t.text("title")) }
                    p { (t.text("intro")) }
                    dl class="facts" {
                        dt { (t.text("registry_number")) } dd { (export.registry_number) }
                        dt { (t.text("status_label")) } dd { (word(t, "status", &export.status)) }
                        dt { (t.text("registered_at")) } dd { (day(&export.registered_at)) }
                        dt { (t.text("made_at")) } dd { (day(&export.made_at)) }
                    }
                }
                main {
                    section id="record" {
                        h2 { (t.text("sections.record")) }
                        p { (t.text("text.record")) }
                        @if held.is_empty() { p { (t.text("nothing")) } }
                        @for c in &held {
                            section class="category" id=(format!("category-{}", c.as_str())) {
                                h3 { (t.text(&format!("categories.{}", c.as_str()))) }
                                (value(&data[c.as_str()], t))
                            }
                        }
                    }
                    section id="changes" {
                        h2 { (t.text("sections.changes")) }
                        p { (t.text("text.changes")) }
                        @if export.changes.is_empty() { p { (t.text("nothing")) } } @else {
                            table {
                                thead { tr {
                                    th scope="col" { (t.text("table.when")) }
                                    th scope="col" { (t.text("table.who")) }
                                    th scope="col" { (t.text("table.why")) }
                                    th scope="col" { (t.text("table.which")) }
                                } }
                                tbody { @for c in &export.changes { tr {
                                    td { (day(&c.at)) }
                                    td { (c.agency) }
                                    td { (word(t, "purposes", &c.purpose)) }
                                    td {
                                        (c.changed.iter().map(|x| t.text(&format!("categories.{}", x.as_str()))).collect::<Vec<_>>().join(", "))
                                        @if !c.redacted.is_empty() {
                                            " (" (c.redacted.iter().map(|x| t.text(&format!("categories.{}", x.as_str()))).collect::<Vec<_>>().join(", ")) ": " (t.text("text.redacted")) ")"
                                        }
                                    }
                                } } }
                            }
                        }
                    }
                    section id="alerts" {
                        h2 { (t.text("sections.alerts")) }
                        p { (t.text("text.alerts")) }
                        @if export.alerts.is_empty() { p { (t.text("nothing")) } } @else {
                            table {
                                thead { tr {
                                    th scope="col" { (t.text("table.when")) }
                                    th scope="col" { (t.text("table.place")) }
                                    th scope="col" { (t.text("table.outcome")) }
                                } }
                                tbody { @for a in &export.alerts { tr {
                                    td { (text(&a["raised_at"])) }
                                    td { (text(&a["last_seen_place"])) }
                                    td { @match a.get("resolution") {
                                        Some(r) => { (text(&r["outcome"])) " — " (text(&r["at"])) }
                                        None => { (word(t, "status", &domain::minor::MinorStatus::Missing)) }
                                    } }
                                } } }
                            }
                        }
                    }
                    section id="disclosures" {
                        h2 { (t.text("sections.disclosures")) }
                        p { (t.text("text.disclosures")) }
                        @if export.disclosures.is_empty() { p { (t.text("nothing")) } } @else {
                            table {
                                thead { tr {
                                    th scope="col" { (t.text("table.when")) }
                                    th scope="col" { (t.text("table.who")) }
                                    th scope="col" { (t.text("table.what")) }
                                    th scope="col" { (t.text("table.why")) }
                                    th scope="col" { (t.text("table.which")) }
                                    th scope="col" { (t.text("table.outcome")) }
                                } }
                                tbody { @for d in &export.disclosures { tr {
                                    td { (day(&d.at)) }
                                    td { (who(&d.agency)) }
                                    td { (word(t, "actions", &d.action)) }
                                    td { @if let Some(p) = &d.purpose { (word(t, "purposes", p)) } }
                                    td { (d.categories.iter().map(|x| t.text(&format!("categories.{}", x.as_str()))).collect::<Vec<_>>().join(", ")) }
                                    td { (word(t, "outcomes", &d.outcome)) }
                                } } }
                            }
                        }
                    }
                    section id="retention" {
                        h2 { (t.text("sections.retention")) }
                        p { (t.text("text.retention")) }
                        @if life.restricted { p class="restricted" { (t.text("text.restricted")) } }
                        @if let Some(due) = life.review_due {
                            p { (t.text("text.review_due")) " " strong { (due.to_string()) } }
                        }
                        h3 { (t.text("text.pending")) }
                        @if life.pending.is_empty() { p { (t.text("nothing")) } } @else {
                            ul { @for p in &life.pending {
                                @let reason = export.retention.rules.iter().find(|r| r.id == p.rule).map(|r| r.reason.clone()).unwrap_or_default();
                                li {
                                    strong { (p.on.to_string()) } ": "
                                    (word(t, "targets", &p.applies_to)) " " (word(t, "rule_actions", &p.action))
                                    " (" (t.text("table.rule")) " " code { (p.rule) } ")"
                                    @if !reason.is_empty() { br; small lang="en" { (reason) } }
                                }
                            } }
                        }
                        h3 { (t.text("text.acts")) }
                        @if life.lifecycle.acts.is_empty() { p { (t.text("nothing")) } } @else {
                            ul { @for a in &life.lifecycle.acts { li {
                                strong { (day(&a.at)) } ": " (word(t, "acts", &a.kind))
                                @if !a.categories.is_empty() {
                                    " — " (a.categories.iter().map(|x| t.text(&format!("categories.{}", x.as_str()))).collect::<Vec<_>>().join(", "))
                                }
                            } } }
                        }
                    }
                    section id="rights" {
                        h2 { (t.text("sections.rights")) }
                        p { (t.text("text.rights")) }
                    }
                }
            }
        }
    }
    .into_string()
}

/// Plain, readable, printable: large type, high contrast, no script.
const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:60rem;margin:1rem auto;padding:0 1rem;\
line-height:1.5;color:#111;background:#fff}h1{font-size:1.6rem}h2{border-bottom:2px solid #333;\
margin-top:2rem}table{border-collapse:collapse;width:100%}th,td{border:1px solid #999;padding:.3rem;\
text-align:left;vertical-align:top}dl{margin:0 0 .5rem}dt{font-weight:600}dd{margin:0 0 .3rem 1rem}\
.restricted{font-weight:600}small{color:#333}";
