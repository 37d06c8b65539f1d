//! The police packet as a printable page: one section per form (police report, SIS alert on a
//! missing minor, Yellow Notice request) with the fields filled and the fields missing, in
//! English. Every value is escaped by maud; the page holds no script and no link, and its only
//! style is inline (the response's Content-Security-Policy allows nothing else). A browser prints
//! it, or saves it as PDF.

use domain::alert::packet::{Form, MissingReason, Packet};
use maud::{DOCTYPE, Markup, html};
use serde_json::Value;

/// A value of the record or the alert: objects as term and description, arrays as items.
fn value(v: &Value) -> Markup {
    match v {
        Value::Object(map) => html! {
            dl {
                @for (k, item) in map {
                    dt { (k) }
                    dd { (value(item)) }
                }
            }
        },
        Value::Array(items) => html! {
            ul { @for item in items { li { (value(item)) } } }
        },
        Value::String(s) => html! { (s) },
        Value::Null => html! { "—" },
        other => html! { (other.to_string()) },
    }
}

fn reason(r: MissingReason) -> &'static str {
    match r {
        MissingReason::NotRecorded => "not recorded",
        MissingReason::Withheld => "withheld from you",
    }
}

fn form(f: &Form) -> Markup {
    html! {
        section class="form" id=(f.form.as_str()) {
            h2 { (f.title) }
            @if f.urgent == Some(true) || f.unaccompanied == Some(true) {
                p class="marks" {
                    @if f.urgent == Some(true) { strong class="mark" { "URGENT" } " " }
                    @if f.unaccompanied == Some(true) { strong class="mark" { "Unaccompanied minor" } }
                }
            }
            @match f.minimum_met {
                Some(true) => p { "The minimum identifiers this form requires are filled." },
                Some(false) => p class="short" { "The minimum identifiers this form requires are NOT all filled." },
                None => {},
            }
            h3 { "Filled from the registry" }
            @if f.fields.is_empty() { p { "Nothing." } } @else {
                table class="fields" {
                    thead { tr { th scope="col" { "Field" } th scope="col" { "Value" } th scope="col" { "Asked by" } } }
                    tbody { @for x in &f.fields { tr {
                        th scope="row" { code { (x.field) } }
                        td { (value(&x.value)) }
                        td class="basis" { (x.basis) }
                    } } }
                }
            }
            h3 { "Missing" }
            @if f.missing.is_empty() { p { "Nothing." } } @else {
                table class="missing" {
                    thead { tr { th scope="col" { "Field" } th scope="col" { "Why" } th scope="col" { "Category" } th scope="col" { "Asked by" } } }
                    tbody { @for m in &f.missing { tr class=(match m.reason { MissingReason::Withheld => "withheld", MissingReason::NotRecorded => "not_recorded" }) {
                        th scope="row" { code { (m.field) } }
                        td { (reason(m.reason)) }
                        td { @if let Some(c) = m.category { (c.as_str()) } }
                        td class="basis" { (m.basis) }
                    } } }
                }
            }
            h3 { "Completed by the issuing authority" }
            ul { @for a in &f.completed_by_authority { li { (a) } } }
            p class="basis" { (f.basis) }
        }
    }
}

/// The whole page.
pub fn page(p: &Packet) -> String {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="robots" content="noindex";
                title { "Police packet" }
                style { (STYLE) }
            }
            body {
                header {
                    h1 { "Police packet: missing unaccompanied minor" }
                    p class="notice" {
                        "Confidential: for the police and Child Focus, for this disappearance only. "
                        "Filled through your access rights: a field marked “withheld from you” may be "
                        "held by another agency (the guardian or the guardianship service)."
                    }
                    dl class="facts" {
                        dt { "Alert" } dd { code { (p.alert_id) } }
                        dt { "Child (registry id)" } dd { code { (p.minor_id) } }
                        @if let Some(n) = &p.registry_number { dt { "Registry number" } dd { (n) } }
                        dt { "Made at" } dd { (p.made_at.format("%Y-%m-%d %H:%M UTC").to_string()) }
                        dt { "Purpose" } dd { (p.meta.purpose.as_str()) }
                        dt { "Categories withheld from you" }
                        dd { (p.meta.withheld.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", ")) }
                    }
                }
                main { @for f in &p.forms { (form(f)) } }
            }
        }
    }
    .into_string()
}

/// Readable on screen, and on paper: one form per page, no colours needed.
const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:60rem;margin:1rem auto;padding:0 1rem;\
line-height:1.4;color:#000;background:#fff}h1{font-size:1.5rem}h2{border-bottom:2px solid #000;\
margin-top:2rem}table{border-collapse:collapse;width:100%}th,td{border:1px solid #666;padding:.25rem;\
text-align:left;vertical-align:top}dl{margin:0}dt{font-weight:600}dd{margin:0 0 .2rem 1rem}\
ul{margin:0;padding-left:1.2rem}.mark{border:2px solid #000;padding:0 .3rem}.short{font-weight:600}\
.basis{font-size:.85rem}.notice{border:1px solid #000;padding:.4rem}tr.withheld td{font-style:italic}\
@page{margin:15mm}@media print{body{max-width:none;margin:0}.form{break-before:page}\
tr,dl{break-inside:avoid}}";
