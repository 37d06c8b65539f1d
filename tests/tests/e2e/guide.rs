//! docs/integrating.md holds the operation rights of the default policy as a table; this keeps the
//! table the policy the service loads.

use domain::policy::{DEFAULT_POLICY_TOML, Policy, PolicyDocument};
use domain::role::Role;

const GUIDE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/integrating.md");
const BEGIN: &str = "<!-- operation rights: begin (generated from policy/default.toml) -->";
const END: &str = "<!-- operation rights: end -->";

fn name<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned()
}

/// The table of who may use which operation, for which purposes, when: one row per role and
/// operation of each permit of the default policy, as the service compiles it.
fn table() -> String {
    let doc: PolicyDocument = toml::from_str(DEFAULT_POLICY_TOML).unwrap();
    let policy = Policy::from_document(doc).unwrap();
    let mut out =
        String::from("| role | operation | purposes (`X-Purpose`) | when |\n|---|---|---|---|\n");
    for role in Role::ALL {
        for permit in policy.permits_for(role) {
            let purposes = if permit.purposes.is_empty() {
                "—".to_owned()
            } else {
                permit
                    .purposes
                    .iter()
                    .map(|p| format!("`{}`", p.as_str()))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let mut when = format!("`{}`", name(&permit.condition));
            if let Some(outcomes) = &permit.outcomes {
                let outcomes: Vec<String> =
                    outcomes.iter().map(|o| format!("`{}`", name(o))).collect();
                when.push_str(&format!("; outcomes {}", outcomes.join(", ")));
            }
            for operation in &permit.operations {
                out.push_str(&format!(
                    "| `{}` | `{}` | {purposes} | {when} |\n",
                    role.as_str(),
                    operation.as_str()
                ));
            }
        }
    }
    out
}

/// Fails when the guide's table differs from the default policy. To accept a policy change:
/// `UPDATE_DOCS=1 cargo nextest run -p tests -E 'test(/guide::/)'`, then review the diff.
#[test]
fn the_guides_table_of_operation_rights_is_the_default_policy() {
    let guide = std::fs::read_to_string(GUIDE).unwrap();
    let (head, rest) = guide.split_once(BEGIN).expect("the table's begin marker");
    let (current, tail) = rest.split_once(END).expect("the table's end marker");
    let wanted = format!("\n{}", table());
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(GUIDE, format!("{head}{BEGIN}{wanted}{END}{tail}")).unwrap();
        return;
    }
    assert!(
        current == wanted,
        "docs/integrating.md's operation rights differ from policy/default.toml; regenerate \
         them with UPDATE_DOCS=1 (see this test's doc)"
    );
    assert!(wanted.lines().count() > 40, "{wanted}");
}
