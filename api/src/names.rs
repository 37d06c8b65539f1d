//! The wire names of the domain's unit enums (roles, purposes, actions, outcomes...), taken from
//! their serde forms so that responses and parsed queries spell them exactly as JSON bodies do.

use serde::Serialize;
use serde::de::DeserializeOwned;

/// The serde name of a unit variant (`"police_officer"`); empty for anything else.
pub fn name<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The serde names of several unit variants.
pub fn names<T: Serialize>(items: &[T]) -> Vec<String> {
    items.iter().map(name).collect()
}

/// The unit variant named `text`, or a message saying it is not one.
pub fn parse<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    serde_json::from_value(serde_json::Value::String(text.to_owned()))
        .map_err(|_| format!("`{text}` is not accepted"))
}
