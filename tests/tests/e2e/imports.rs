//! No import cycles between files: the graph of which source file takes names from which, read from
//! each file's `use` items and the paths in its code (`crate::`, `super::`, `self::`, another
//! crate of the workspace, or a module brought in by `use`), has no circle. Re-exports (`pub use`)
//! in a `mod.rs` or `lib.rs` are not edges: they publish a child's names, they take none; a name
//! reached through such a re-export is an edge to the file that defines it. Test modules
//! (`#[cfg(test)]`) are left out: they are not part of the program's structure.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use syn::visit::Visit;

/// The crates of the workspace whose files are read: (crate name, source folder).
const CRATES: [(&str, &str); 4] = [
    ("domain", "domain/src"),
    ("infra", "infra/src"),
    ("api", "api/src"),
    ("bench", "bench/src"),
];

/// A module: its crate, then its path inside the crate (empty for the crate root).
type ModulePath = Vec<String>;

/// One source file as a module.
struct File {
    /// Path relative to the workspace, for messages.
    name: String,
    module: (String, ModulePath),
    /// `mod.rs`, `lib.rs` or `main.rs`: a module that may have children.
    is_parent: bool,
    syntax: syn::File,
}

/// Every file of the crates under `root`, keyed by (crate, module path).
fn read_files(root: &Path, crates: &[(&str, &str)]) -> BTreeMap<(String, ModulePath), File> {
    let mut files = BTreeMap::new();
    for (krate, dir) in crates {
        let base = root.join(dir);
        let mut stack: Vec<PathBuf> = vec![base.clone()];
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
            let relative = path.strip_prefix(&base).unwrap();
            let mut segments: Vec<String> = relative
                .iter()
                .map(|s| s.to_string_lossy().into_owned())
                .collect();
            let last = segments.pop().unwrap();
            let stem = last.trim_end_matches(".rs").to_owned();
            let is_parent = matches!(stem.as_str(), "mod" | "lib" | "main");
            // `main.rs` beside `lib.rs` is a crate of its own that reaches the library by name.
            let krate = if stem == "main" && base.join("lib.rs").exists() {
                format!("{krate}(bin)")
            } else {
                (*krate).to_owned()
            };
            if !is_parent {
                segments.push(stem);
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let syntax = syn::parse_file(&text)
                .unwrap_or_else(|e| panic!("{} does not parse: {e}", path.display()));
            let name = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            files.insert(
                (krate.clone(), segments.clone()),
                File {
                    name,
                    module: (krate, segments),
                    is_parent,
                    syntax,
                },
            );
        }
    }
    files
}

fn is_test_only(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg")
            && a.parse_args::<syn::Meta>()
                .is_ok_and(|m| m.path().is_ident("test"))
    })
}

/// The paths a file names, each as written (segments), with whether it is a re-export.
#[derive(Default)]
struct Names {
    /// (path segments, `pub use`?)
    paths: Vec<(Vec<String>, bool)>,
}

impl Names {
    fn use_tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree, public: bool) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.use_tree(prefix, &p.tree, public);
                prefix.pop();
            }
            syn::UseTree::Name(n) => {
                let mut path = prefix.clone();
                if n.ident != "self" {
                    path.push(n.ident.to_string());
                }
                self.paths.push((path, public));
            }
            syn::UseTree::Rename(r) => {
                let mut path = prefix.clone();
                if r.ident != "self" {
                    path.push(r.ident.to_string());
                }
                self.paths.push((path, public));
            }
            syn::UseTree::Glob(_) => self.paths.push((prefix.clone(), public)),
            syn::UseTree::Group(g) => {
                for item in &g.items {
                    self.use_tree(prefix, item, public);
                }
            }
        }
    }
}

impl<'a> Visit<'a> for Names {
    fn visit_item_use(&mut self, item: &'a syn::ItemUse) {
        let public = !matches!(item.vis, syn::Visibility::Inherited);
        self.use_tree(&mut Vec::new(), &item.tree, public);
    }

    fn visit_item_mod(&mut self, item: &'a syn::ItemMod) {
        if !is_test_only(&item.attrs) {
            syn::visit::visit_item_mod(self, item);
        }
    }

    fn visit_item_fn(&mut self, item: &'a syn::ItemFn) {
        if !is_test_only(&item.attrs) {
            syn::visit::visit_item_fn(self, item);
        }
    }

    fn visit_item_impl(&mut self, item: &'a syn::ItemImpl) {
        if !is_test_only(&item.attrs) {
            syn::visit::visit_item_impl(self, item);
        }
    }

    fn visit_path(&mut self, path: &'a syn::Path) {
        if path.segments.len() > 1 {
            self.paths.push((
                path.segments.iter().map(|s| s.ident.to_string()).collect(),
                false,
            ));
        }
        syn::visit::visit_path(self, path);
    }
}

/// The workspace's file graph: for each file, the files it takes names from.
struct Graph<'f> {
    files: &'f BTreeMap<(String, ModulePath), File>,
}

impl Graph<'_> {
    /// The module a path starts from, and the segments left to walk, as seen from `file`;
    /// `aliases` are the modules the file brought in by `use` under their last name.
    fn start(
        &self,
        file: &File,
        path: &[String],
        aliases: &HashMap<String, (String, ModulePath)>,
    ) -> Option<((String, ModulePath), usize)> {
        let (krate, here) = &file.module;
        let first = path.first()?;
        match first.as_str() {
            "crate" => Some(((krate.clone(), vec![]), 1)),
            "self" => Some(((krate.clone(), here.clone()), 1)),
            "super" => {
                let mut module = here.clone();
                let mut used = 0;
                while path.get(used).is_some_and(|s| s == "super") {
                    module.pop()?;
                    used += 1;
                }
                Some(((krate.clone(), module), used))
            }
            name => {
                if let Some(module) = aliases.get(name) {
                    return Some((module.clone(), 1));
                }
                let lib = CRATES.iter().any(|(c, _)| *c == name);
                if lib && self.files.contains_key(&(name.to_owned(), vec![])) {
                    return Some(((name.to_owned(), vec![]), 1));
                }
                // A child module named without `self::` (2018 paths), if the file has one.
                let mut child = here.clone();
                child.push(name.to_owned());
                self.files
                    .contains_key(&(krate.clone(), child.clone()))
                    .then(|| ((krate.clone(), child), 1))
            }
        }
    }

    /// The file that defines what `path` names, and whether the path names that module itself.
    fn resolve(
        &self,
        file: &File,
        path: &[String],
        aliases: &HashMap<String, (String, ModulePath)>,
    ) -> Option<(&File, bool)> {
        let ((krate, mut module), mut used) = self.start(file, path, aliases)?;
        loop {
            let Some(next) = path.get(used) else {
                return self.files.get(&(krate, module)).map(|f| (f, true));
            };
            let mut child = module.clone();
            child.push(next.clone());
            if self.files.contains_key(&(krate.clone(), child.clone())) {
                module = child;
                used += 1;
                continue;
            }
            let found = self.files.get(&(krate.clone(), module.clone()))?;
            // A name a parent module re-exports from a child: the child defines it.
            if found.is_parent
                && let Some(defining) = self.reexported(found, next)
            {
                return Some((defining, false));
            }
            return Some((found, false));
        }
    }

    /// The file a parent module's `pub use` of `name` points to, if it re-exports it.
    fn reexported(&self, parent: &File, name: &str) -> Option<&File> {
        let mut names = Names::default();
        names.visit_file(&parent.syntax);
        let target = names
            .paths
            .iter()
            .find(|(p, public)| *public && p.last().is_some_and(|l| l == name))?;
        let (found, _) = self.resolve(parent, &target.0, &HashMap::new())?;
        (found.name != parent.name).then_some(found)
    }

    /// Every edge `from -> to` between two files (by name), with the paths that make it.
    fn edges(&self) -> BTreeMap<(String, String), BTreeSet<String>> {
        let mut edges: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
        for file in self.files.values() {
            let mut names = Names::default();
            names.visit_file(&file.syntax);
            // First the modules the file brings in by `use`, so that paths through them resolve.
            let mut aliases = HashMap::new();
            for (path, _) in &names.paths {
                if let Some((target, true)) = self.resolve(file, path, &HashMap::new())
                    && let Some(last) = path.last()
                {
                    aliases.insert(last.clone(), target.module.clone());
                }
            }
            for (path, public) in &names.paths {
                if *public && file.is_parent {
                    continue;
                }
                let Some((target, _)) = self.resolve(file, path, &aliases) else {
                    continue;
                };
                if target.name != file.name {
                    edges
                        .entry((file.name.clone(), target.name.clone()))
                        .or_default()
                        .insert(path.join("::"));
                }
            }
        }
        edges
    }
}

/// Each circle of files (a strongly connected set of more than one), with the edges inside it.
fn circles(root: &Path, crates: &[(&str, &str)]) -> (usize, Vec<Vec<String>>) {
    let files = read_files(root, crates);
    let graph = Graph { files: &files };
    let edges = graph.edges();
    let mut next: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (from, to) in edges.keys() {
        next.entry(from).or_default().push(to);
    }
    // Files that reach each other both ways form one circle.
    let reach = |from: &str| -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.to_owned()];
        while let Some(f) = stack.pop() {
            for to in next.get(f.as_str()).into_iter().flatten() {
                if seen.insert((*to).to_owned()) {
                    stack.push((*to).to_owned());
                }
            }
        }
        seen
    };
    let reached: BTreeMap<&str, BTreeSet<String>> = files
        .values()
        .map(|f| (f.name.as_str(), reach(&f.name)))
        .collect();
    let mut found: Vec<Vec<String>> = Vec::new();
    let mut placed = BTreeSet::new();
    for (file, reaches) in &reached {
        if placed.contains(*file) || !reaches.contains(*file) {
            continue;
        }
        let members: BTreeSet<&str> = reaches
            .iter()
            .filter(|other| reached[other.as_str()].contains(*file))
            .map(String::as_str)
            .collect();
        let mut circle = Vec::new();
        for ((from, to), paths) in &edges {
            if members.contains(from.as_str()) && members.contains(to.as_str()) {
                let paths: Vec<&str> = paths.iter().map(String::as_str).collect();
                circle.push(format!("{from} -> {to}: {}", paths.join(", ")));
            }
        }
        placed.extend(members.iter().map(|m| (*m).to_owned()));
        found.push(circle);
    }
    (edges.len(), found)
}

#[test]
fn no_two_files_import_each_other() {
    let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    let (edges, found) = circles(root, &CRATES);
    assert!(edges > 300, "the walk read the imports ({edges} edges)");
    assert!(
        found.is_empty(),
        "import circles between files (move what both need to a module of its own):\n{}",
        found
            .iter()
            .map(|c| c.join("\n"))
            .collect::<Vec<_>>()
            .join("\n\n")
    );
}

/// The walk finds a circle where there is one: through `super::`, through a module brought in by
/// `use`, and through a name a `mod.rs` re-exports; and none where a parent only re-exports.
#[test]
fn a_circle_is_found_where_there_is_one() {
    let dir = tempfile::tempdir().unwrap();
    let write = |path: &str, text: &str| {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write("k/src/lib.rs", "pub mod a;\npub mod b;\npub mod c;\n");
    write("k/src/a.rs", "use super::b::B;\npub struct A;\n");
    write("k/src/b.rs", "use crate::a;\npub struct B(a::A);\n");
    write(
        "k/src/c/mod.rs",
        "mod one;\nmod two;\npub use one::One;\npub use two::Two;\n",
    );
    write("k/src/c/one.rs", "pub struct One(super::Two);\n");
    write(
        "k/src/c/two.rs",
        "pub struct Two;\nfn f() -> crate::c::One { todo!() }\n",
    );
    let (_, found) = circles(dir.path(), &[("k", "k/src")]);
    let text = format!("{found:#?}");
    assert_eq!(found.len(), 2, "{text}");
    assert!(text.contains("k/src/a.rs -> k/src/b.rs"), "{text}");
    assert!(text.contains("k/src/b.rs -> k/src/a.rs: a::A"), "{text}");
    assert!(
        text.contains("k/src/c/one.rs -> k/src/c/two.rs: super::Two"),
        "{text}"
    );
    assert!(
        text.contains("k/src/c/two.rs -> k/src/c/one.rs: crate::c::One"),
        "{text}"
    );

    write("k/src/b.rs", "pub struct B;\n");
    write("k/src/c/two.rs", "pub struct Two;\n");
    let (edges, found) = circles(dir.path(), &[("k", "k/src")]);
    assert!(found.is_empty(), "{found:#?}");
    assert_eq!(
        edges, 2,
        "a -> b and one -> two; the re-exports are no edges"
    );
}
