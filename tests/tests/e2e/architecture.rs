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
