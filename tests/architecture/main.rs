//! The layering of `src/`, checked: every `crate::…` path in every source file must point to a
//! lower layer (or to a same-layer module the table allows), and the top-level modules must
//! not import each other in a cycle. The layer table is read from the "Layers" section of
//! `docs/architecture.md`, so the documentation and this check cannot disagree.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

mod rooms;
mod source;

use source::{crate_paths, rust_files};

/// Imports that go against the table and are known, each with the reason and the issue that
/// removes it: `(file, target module)`. Empty: keep it that way.
const EXCEPTIONS: &[(&str, &str)] = &[];

/// Files that only declare or start the crate; they may name any module.
const EXEMPT: &[&str] = &["src/main.rs", "src/lib.rs"];

/// The documented layers: module → layer, and the same-layer imports allowed.
struct Layers {
    layer: BTreeMap<String, u32>,
    allowed: BTreeSet<(String, String)>,
}

/// Reads the table under `## Layers`: rows `| 3 | `a`, `b` | `a → b` (why) |`.
fn read_layers(doc: &str) -> Layers {
    let mut layers = Layers {
        layer: BTreeMap::new(),
        allowed: BTreeSet::new(),
    };
    let section = doc
        .split("\n## ")
        .find(|s| s.starts_with("Layers"))
        .expect("docs/architecture.md has a '## Layers' section");
    for row in section.lines().filter(|l| l.starts_with('|')) {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let Some(Ok(number)) = cells.get(1).map(|c| c.parse::<u32>()) else {
            continue;
        };
        for module in backticked(cells.get(2).copied().unwrap_or("")) {
            let previous = layers.layer.insert(module.clone(), number);
            assert!(previous.is_none(), "'{module}' is in two layers");
        }
        // Each `a` → `b`: the name just before an arrow and the one just after it.
        let sides: Vec<&str> = cells.get(3).copied().unwrap_or("").split('→').collect();
        for pair in sides.windows(2) {
            if let (Some(from), Some(to)) = (backticked(pair[0]).pop(), backticked(pair[1]).first())
            {
                layers.allowed.insert((from, to.clone()));
            }
        }
    }
    assert!(!layers.layer.is_empty(), "the layer table has no rows");
    layers
}

/// The `names` inside backticks of a table cell.
fn backticked(cell: &str) -> Vec<String> {
    cell.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

/// `src/alert/engine/mod.rs` → `alert`; `src/app.rs` → `app`.
fn top_module(relative: &Path) -> String {
    let first = relative
        .components()
        .nth(1)
        .expect("a file under src")
        .as_os_str()
        .to_string_lossy()
        .into_owned();
    first.trim_end_matches(".rs").to_string()
}

/// A cycle in the module graph, if any, as `a → b → … → a`.
fn find_cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, edges, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    edges
        .keys()
        .find_map(|node| visit(node, edges, &mut Vec::new(), &mut done))
}

#[test]
fn imports_follow_the_documented_layers_and_modules_form_no_cycle() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(root.join("docs/architecture.md")).expect("architecture.md");
    let layers = read_layers(&doc);
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);

    let mut problems = Vec::new();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let relative = file.strip_prefix(root).expect("under the crate");
        let shown = relative.to_string_lossy().replace('\\', "/");
        if EXEMPT.contains(&shown.as_str()) {
            continue;
        }
        let from = top_module(relative);
        let Some(&from_layer) = layers.layer.get(&from) else {
            problems.push(format!(
                "{shown}: module '{from}' is not in the layer table of docs/architecture.md"
            ));
            continue;
        };
        let source = std::fs::read_to_string(file).expect("source");
        for (line, to) in crate_paths(&source) {
            if to == from {
                continue;
            }
            edges.entry(from.clone()).or_default().insert(to.clone());
            if EXCEPTIONS.contains(&(shown.as_str(), to.as_str())) {
                continue;
            }
            let Some(&to_layer) = layers.layer.get(&to) else {
                problems.push(format!(
                    "{shown}:{line}: imports '{to}', which is not in the layer table"
                ));
                continue;
            };
            let allowed = to_layer < from_layer
                || (to_layer == from_layer && layers.allowed.contains(&(from.clone(), to.clone())));
            if !allowed {
                let why = if to_layer == from_layer {
                    "same layer, and this edge is not listed as allowed"
                } else {
                    "a higher layer"
                };
                problems.push(format!(
                    "{shown}:{line}: '{from}' (layer {from_layer}) imports '{to}' (layer {to_layer}): {why}"
                ));
            }
        }
    }
    if let Some(cycle) = find_cycle(&edges) {
        problems.push(format!("import cycle: {}", cycle.join(" → ")));
    }
    assert!(
        problems.is_empty(),
        "imports against docs/architecture.md (Layers):\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_checker_sees_grouped_and_multiline_paths_but_not_comments_or_strings() {
    let source = r##"
use crate::util::lock;
// use crate::web::Nope;
/// [`crate::ha::Nope`]
let s = "crate::app::nope";
let r = r#"crate::app::"nope""#;
let c = '"'; let d = '\'';
use crate::{
    model::Snapshot,
    store::{self, Store},
};
fn f() { crate::config::load(); my_crate::x(); }
"##;
    let found = crate_paths(source);
    assert_eq!(
        found,
        vec![
            (2, "util".to_string()),
            (9, "model".to_string()),
            (10, "store".to_string()),
            (12, "config".to_string()),
        ]
    );
}

#[test]
fn the_checker_finds_a_cycle() {
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    edges.entry("a".into()).or_default().insert("b".into());
    edges.entry("b".into()).or_default().insert("c".into());
    assert_eq!(find_cycle(&edges), None);
    edges.entry("c".into()).or_default().insert("a".into());
    assert_eq!(
        find_cycle(&edges),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
}

#[test]
fn the_table_reader_takes_layers_and_the_allowed_edges() {
    let doc = "# A\n\n## Layers\n\n| Layer | Modules | Allowed |\n|--|--|--|\n\
               | 0 | `util` | |\n\
               | 5 | `ha`, `web` | `web` → `ha` (status, commands), `web` → `publish` (`/m`) |\n\n## Next\n| 9 | `no` | |\n";
    let layers = read_layers(doc);
    assert_eq!(layers.layer.get("util"), Some(&0));
    assert_eq!(layers.layer.get("web"), Some(&5));
    assert_eq!(
        layers.layer.get("no"),
        None,
        "only the Layers section counts"
    );
    let allowed: Vec<(String, String)> = layers.allowed.into_iter().collect();
    assert_eq!(
        allowed,
        vec![
            ("web".to_string(), "ha".to_string()),
            ("web".to_string(), "publish".to_string())
        ]
    );
}
