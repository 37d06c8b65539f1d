//! The dependency rule: `domain` depends on no framework or I/O crate, directly or transitively.

use std::collections::{BTreeSet, HashMap};

use cargo_metadata::{DependencyKind, MetadataCommand, PackageId};

/// Crates the domain must never reach (prefix match on the crate name).
const FORBIDDEN: [&str; 12] = [
    "actix",
    "diesel",
    "rdkafka",
    "jsonwebtoken",
    "utoipa",
    "tokio",
    "reqwest",
    "hyper",
    "sqlx",
    "mio",
    "libsqlite3-sys",
    "pq-sys",
];

/// Every crate in `domain`'s normal (non-dev, non-build) dependency tree.
pub fn domain_dependency_tree() -> BTreeSet<String> {
    let metadata = MetadataCommand::new()
        .manifest_path(concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.toml"))
        .exec()
        .unwrap();
    let resolve = metadata.resolve.as_ref().unwrap();
    let nodes: HashMap<&PackageId, _> = resolve.nodes.iter().map(|n| (&n.id, n)).collect();
    let names: HashMap<&PackageId, &str> = metadata
        .packages
        .iter()
        .map(|p| (&p.id, p.name.as_str()))
        .collect();
    let domain = metadata
        .packages
        .iter()
        .find(|p| p.name.as_str() == "domain")
        .unwrap();
    let mut seen = BTreeSet::new();
    let mut stack = vec![&domain.id];
    while let Some(id) = stack.pop() {
        for dep in &nodes[id].deps {
            let normal = dep
                .dep_kinds
                .iter()
                .any(|k| k.kind == DependencyKind::Normal);
            if normal && seen.insert(names[&dep.pkg].to_owned()) {
                stack.push(&dep.pkg);
            }
        }
    }
    seen
}

#[test]
fn domain_depends_on_no_framework_or_io_crate() {
    let tree = domain_dependency_tree();
    assert!(
        tree.contains("serde"),
        "the walk found the domain's own dependencies: {tree:?}"
    );
    let offending: Vec<&String> = tree
        .iter()
        .filter(|name| FORBIDDEN.iter().any(|f| name.starts_with(f)))
        .collect();
    assert!(offending.is_empty(), "domain reaches {offending:?}");
}

/// The one place that may name a role to decide what it may do: the policy (field grants,
/// operation rights and their invariants). Everywhere else asks it.
const ACCESS_MODULE: &str = "domain/src/policy/";

/// Modules compiled for the unit tests only (`#[cfg(test)] mod ...`): their callers are made up.
const TEST_ONLY: [&str; 2] = ["domain/src/fakes/", "domain/src/usecase/tests/"];

/// Lines outside the access module, before any `#[cfg(test)]`, that name a role variant
/// (`Role::PoliceOfficer`, ...): a comparison, a match arm or a list of roles deciding access.
fn role_decisions_outside_the_access_module() -> Vec<String> {
    let root = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    let mut found = Vec::new();
    let mut stack: Vec<std::path::PathBuf> = ["domain/src", "infra/src", "api/src"]
        .iter()
        .map(|d| root.join(d))
        .collect();
    let mut files = 0;
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            for entry in std::fs::read_dir(&path).unwrap() {
                stack.push(entry.unwrap().path());
            }
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let relative = path
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        files += 1;
        if relative.starts_with(ACCESS_MODULE) || TEST_ONLY.iter().any(|t| relative.starts_with(t))
        {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for (n, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("#[cfg(test)]") {
                break;
            }
            let code = line.split("//").next().unwrap_or_default();
            let names_variant = code.match_indices("Role::").any(|(i, _)| {
                code[i + "Role::".len()..]
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_uppercase())
            });
            if names_variant {
                found.push(format!("{relative}:{}: {}", n + 1, line.trim()));
            }
        }
    }
    assert!(files > 50, "the walk read the sources ({files} files)");
    found
}

#[test]
fn no_role_comparison_decides_access_outside_the_access_module() {
    let found = role_decisions_outside_the_access_module();
    assert!(
        found.is_empty(),
        "ask the policy (domain/src/policy) instead of naming roles:\n{}",
        found.join("\n")
    );
}
