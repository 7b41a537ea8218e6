//! Rooms a newcomer can read: no source file over [`MAX_LINES`] (pure tables excepted, each
//! named here), no import circle between the files of `src/`, and no two public types of the
//! same name. See "Rooms" in `docs/architecture.md`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::source::{code_only, rust_files};

/// The most lines a file under `src/` may have.
const MAX_LINES: usize = 400;

/// Files that are pure tables (data, one row a line) and may be longer: `(file, why)`.
const TABLES: &[(&str, &str)] = &[];

/// A source file as this check sees it.
struct SourceFile {
    /// `src/a/b/mod.rs`
    shown: String,
    /// `a::b` (`""` for the crate root)
    module: String,
    code: String,
}

fn is_test_file(shown: &str) -> bool {
    shown.ends_with("tests.rs") || shown.contains("/tests/")
}

fn read_sources() -> Vec<SourceFile> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    files
        .iter()
        .filter(|file| !file.ends_with("src/main.rs"))
        .map(|file| {
            let relative = file.strip_prefix(root.join("src")).expect("under src");
            let shown = format!("src/{}", relative.to_string_lossy().replace('\\', "/"));
            let text = std::fs::read_to_string(file).expect("source");
            SourceFile {
                module: module_of(&shown),
                shown,
                code: without_test_modules(&code_only(&text)),
            }
        })
        .collect()
}

/// Code with its inline `#[cfg(test)] mod x { … }` blocks blanked: tests are not structure.
fn without_test_modules(code: &str) -> String {
    let mut out = code.to_string();
    let mut from = 0;
    while let Some(at) = out[from..].find("#[cfg(test)]") {
        let start = from + at;
        let after = &out[start + "#[cfg(test)]".len()..];
        let is_inline_mod = after.trim_start().starts_with("mod ")
            && after
                .find(['{', ';'])
                .is_some_and(|end| after.as_bytes()[end] == b'{');
        if !is_inline_mod {
            from = start + 1;
            continue;
        }
        let open = start + "#[cfg(test)]".len() + after.find('{').unwrap_or(0);
        let mut depth = 0;
        let mut end = out.len();
        for (index, c) in out[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + index + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        let blank: String = out[start..end]
            .chars()
            .map(|c| if c == '\n' { '\n' } else { ' ' })
            .collect();
        out.replace_range(start..end, &blank);
        from = end;
    }
    out
}

/// `src/a/b/mod.rs` and `src/a/b.rs` → `a::b`; `src/lib.rs` → `` (the crate root).
fn module_of(shown: &str) -> String {
    let inner = shown.trim_start_matches("src/").trim_end_matches(".rs");
    if inner == "lib" || inner == "main" {
        return String::new();
    }
    inner.trim_end_matches("/mod").replace('/', "::")
}

#[test]
fn no_source_file_is_longer_than_the_limit_except_declared_tables() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    let mut long = Vec::new();
    for file in &files {
        let shown = file
            .strip_prefix(root)
            .expect("under the crate")
            .to_string_lossy()
            .replace('\\', "/");
        let lines = std::fs::read_to_string(file)
            .expect("source")
            .lines()
            .count();
        if lines > MAX_LINES && !TABLES.iter().any(|(table, _)| *table == shown) {
            long.push(format!("{shown}: {lines} lines"));
        }
    }
    for (table, _) in TABLES {
        assert!(root.join(table).exists(), "declared table {table} is gone");
    }
    assert!(
        long.is_empty(),
        "files over {MAX_LINES} lines (split by what changes together, or declare a pure table):\n{}",
        long.join("\n")
    );
}

/// One `use` binding: the path and the name it is bound to in the importing module.
#[derive(Debug, PartialEq)]
struct UseBinding {
    path: Vec<String>,
    name: String,
    /// `pub use`: a re-export, the module's face rather than something its code uses.
    public: bool,
}

/// Every `use` declaration of some code, its trees expanded to one path a binding.
fn use_bindings(code: &str) -> Vec<UseBinding> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(at) = find_word(rest, "use") {
        let after = &rest[at + 3..];
        let Some(end) = after.find(';') else { break };
        let public = rest[..at].trim_end().ends_with(')') || rest[..at].trim_end().ends_with("pub");
        let first = out.len();
        expand_tree(&after[..end], &[], &mut out);
        for binding in &mut out[first..] {
            binding.public = public;
        }
        rest = &after[end..];
    }
    out
}

/// Position of `word` standing alone (not part of a longer name).
fn find_word(text: &str, word: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(at) = text[from..].find(word) {
        let start = from + at;
        let end = start + word.len();
        let before = text[..start].chars().last();
        let after = text[end..].chars().next();
        let is_name = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
        if !is_name(before) && !is_name(after) && before != Some(':') {
            return Some(start);
        }
        from = end;
    }
    None
}

/// Expands `a::{b, c::{d as e}, self}` under `prefix`.
fn expand_tree(tree: &str, prefix: &[String], out: &mut Vec<UseBinding>) {
    let tree = tree.trim();
    if let Some(open) = tree.find('{') {
        let mut path = prefix.to_vec();
        path.extend(segments(&tree[..open]));
        let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
        for item in split_top_level(inner) {
            expand_tree(item, &path, out);
        }
        return;
    }
    let (path_text, alias) = match tree.split_once(" as ") {
        Some((path, alias)) => (path, Some(alias.trim().to_string())),
        None => (tree, None),
    };
    let mut path = prefix.to_vec();
    path.extend(segments(path_text));
    if path.last().is_some_and(|last| last == "self") {
        path.pop();
    }
    let Some(last) = path.last().cloned() else {
        return;
    };
    if last == "*" || alias.as_deref() == Some("_") {
        return;
    }
    out.push(UseBinding {
        name: alias.unwrap_or(last),
        path,
        public: false,
    });
}

fn segments(path: &str) -> Vec<String> {
    path.split("::")
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

fn split_top_level(inner: &str) -> Vec<&str> {
    let mut items = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (index, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&inner[start..index]);
                start = index + 1;
            }
            _ => {}
        }
    }
    items.push(&inner[start..]);
    items.into_iter().filter(|i| !i.trim().is_empty()).collect()
}

/// The child modules a file declares (`mod x;`, `pub mod x;`).
fn declared_children(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(at) = find_word(rest, "mod") {
        let after = &rest[at + 3..];
        let name: String = after
            .trim_start()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if after.trim_start()[name.len()..]
            .trim_start()
            .starts_with(';')
        {
            out.push(name);
        }
        rest = after;
    }
    out
}

/// Paths written inline in code (`crate::a::f()`, `super::b::X`, `child::g()`), outside `use`
/// declarations.
fn inline_paths(code: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let children: Vec<String> = declared_children(code)
        .into_iter()
        .map(|child| format!("{child}::"))
        .collect();
    let heads = ["crate::", "super::", "self::"]
        .into_iter()
        .map(str::to_string)
        .chain(children);
    for head in heads {
        let head = head.as_str();
        let mut from = 0;
        while let Some(at) = code[from..].find(head) {
            let start = from + at;
            from = start + head.len();
            let before = code[..start].chars().last();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            let path: String = code[start..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            out.push(segments(&path));
        }
    }
    out
}

/// The module graph of the crate, file to file.
struct Modules<'a> {
    by_module: BTreeMap<&'a str, &'a SourceFile>,
}

impl<'a> Modules<'a> {
    /// The file a path written in `from` leads to: the deepest module it names, followed through
    /// that module's `use` re-exports of the next name (a few hops at most).
    fn resolve(&self, from: &SourceFile, path: &[String], hops: u32) -> Option<&'a SourceFile> {
        let mut module: Vec<String> = if from.module.is_empty() {
            Vec::new()
        } else {
            from.module.split("::").map(str::to_string).collect()
        };
        let mut rest = path;
        match rest.first().map(String::as_str) {
            Some("crate") => {
                module.clear();
                rest = &rest[1..];
            }
            Some("self") => rest = &rest[1..],
            Some("super") => {
                while rest.first().is_some_and(|s| s == "super") {
                    module.pop();
                    rest = &rest[1..];
                }
            }
            Some(first) => {
                // A relative path is ours only when it starts at a child module of this one.
                let mut child = module.clone();
                child.push(first.to_string());
                if !self.by_module.contains_key(child.join("::").as_str()) {
                    return None;
                }
            }
            None => return None,
        }
        for segment in rest {
            let mut deeper = module.clone();
            deeper.push(segment.clone());
            if self.by_module.contains_key(deeper.join("::").as_str()) {
                module = deeper;
                rest = &rest[1..];
            } else {
                break;
            }
        }
        let target = *self.by_module.get(module.join("::").as_str())?;
        if let (Some(name), true) = (rest.first(), hops < 4) {
            for binding in use_bindings(&target.code) {
                if &binding.name == name
                    && let Some(further) = self.resolve(target, &binding.path, hops + 1)
                {
                    return Some(further);
                }
            }
        }
        Some(target)
    }
}

/// Whether module `outer` contains module `inner` (`a` contains `a::b::c`; the root contains all).
/// A folder's `mod.rs` is the folder's face: its children may use what it defines and it may use
/// its children, so edges between a module and its own descendants are not counted as circles.
fn is_ancestor(outer: &str, inner: &str) -> bool {
    outer.is_empty() || inner.starts_with(&format!("{outer}::"))
}

/// Every file-to-file import edge of the non-test sources, between files that are not one
/// another's ancestor module.
fn file_edges(files: &[SourceFile]) -> BTreeMap<String, BTreeSet<String>> {
    let modules = Modules {
        by_module: files.iter().map(|f| (f.module.as_str(), f)).collect(),
    };
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files.iter().filter(|f| !is_test_file(&f.shown)) {
        // A `pub use` is the module's face, not a use of what it names: a parent re-exporting
        // its children is no dependency on them.
        let paths = use_bindings(&file.code)
            .into_iter()
            .filter(|b| !b.public)
            .map(|b| b.path)
            .chain(inline_paths(&file.code));
        for path in paths {
            if let Some(target) = modules.resolve(file, &path, 0)
                && target.shown != file.shown
                && !is_test_file(&target.shown)
                && !is_ancestor(&target.module, &file.module)
                && !is_ancestor(&file.module, &target.module)
            {
                edges
                    .entry(file.shown.clone())
                    .or_default()
                    .insert(target.shown.clone());
            }
        }
    }
    edges
}

#[test]
fn no_two_source_files_import_each_other_in_a_circle() {
    let files = read_sources();
    let edges = file_edges(&files);
    assert!(
        edges.values().map(BTreeSet::len).sum::<usize>() > 100,
        "the import reader found too few edges to be trusted"
    );
    let circles = circles(&edges);
    assert!(
        circles.is_empty(),
        "files that import each other, one circle a line (move what both need to a file of its own):\n{}",
        circles
            .iter()
            .map(|files| files.join(" ⇄ "))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// Each set of two or more files that reach one another through imports.
fn circles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    let reach = |start: &String| {
        let mut seen = BTreeSet::new();
        let mut todo = vec![start.clone()];
        while let Some(node) = todo.pop() {
            for next in edges.get(&node).into_iter().flatten() {
                if seen.insert(next.clone()) {
                    todo.push(next.clone());
                }
            }
        }
        seen
    };
    let reachable: BTreeMap<&String, BTreeSet<String>> =
        edges.keys().map(|node| (node, reach(node))).collect();
    let mut placed = BTreeSet::new();
    let mut found = Vec::new();
    for (node, from_node) in &reachable {
        if placed.contains(*node) || !from_node.contains(*node) {
            continue;
        }
        let members: Vec<String> = from_node
            .iter()
            .filter(|other| reachable.get(other).is_some_and(|r| r.contains(*node)))
            .cloned()
            .collect();
        placed.extend(members.iter().cloned());
        found.push(members);
    }
    found
}

#[test]
fn no_two_public_types_share_a_name() {
    let mut seen: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for file in read_sources().iter().filter(|f| !is_test_file(&f.shown)) {
        for keyword in ["struct", "enum", "trait", "type"] {
            for (at, _) in file.code.match_indices(&format!(" {keyword} ")) {
                let before = file.code[..at].trim_end();
                if !(before.ends_with("pub") || before.ends_with("pub(crate)")) {
                    continue;
                }
                let name: String = file.code[at + keyword.len() + 2..]
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    seen.entry(name).or_default().push(file.shown.clone());
                }
            }
        }
    }
    let twice: Vec<String> = seen
        .iter()
        .filter(|(_, places)| places.len() > 1)
        .map(|(name, places)| format!("{name}: {}", places.join(", ")))
        .collect();
    assert!(
        twice.is_empty(),
        "public types sharing a name (name each for what it is):\n{}",
        twice.join("\n")
    );
}

#[test]
fn the_use_reader_expands_trees_aliases_and_self() {
    let code = "use crate::a::{b, c::{D as E, self}};\npub use super::f::*;\nuse std::io;\n\
                pub(crate) use g::H;";
    let found: Vec<(String, String, bool)> = use_bindings(code)
        .into_iter()
        .map(|b| (b.path.join("::"), b.name, b.public))
        .collect();
    assert_eq!(
        found,
        vec![
            ("crate::a::b".to_string(), "b".to_string(), false),
            ("crate::a::c::D".to_string(), "E".to_string(), false),
            ("crate::a::c".to_string(), "c".to_string(), false),
            ("std::io".to_string(), "io".to_string(), false),
            ("g::H".to_string(), "H".to_string(), true),
        ]
    );
}

#[test]
fn the_circle_check_follows_re_exports_to_the_defining_file() {
    let file = |shown: &str, code: &str| SourceFile {
        shown: shown.to_string(),
        module: module_of(shown),
        code: without_test_modules(code),
    };
    // `a/mod.rs` re-exports `Thing` from `a/b.rs`; `a/c.rs` names it through the parent, and
    // `a/b.rs` uses `a/c.rs`: a circle b → c → b, seen only by following the re-export. `a/d.rs`
    // names `b` only in its inline tests, which keeps it out of the circle.
    let files = vec![
        file("src/lib.rs", "pub mod a;"),
        file("src/a/mod.rs", "mod b; mod c; mod d; pub use b::Thing;"),
        file(
            "src/a/b.rs",
            "use super::c::helper; use super::d::x; pub struct Thing;",
        ),
        file(
            "src/a/d.rs",
            "pub fn x() {}\n#[cfg(test)]\nmod tests {\n    use crate::a::b::Thing;\n}",
        ),
        file("src/a/c.rs", "use super::Thing; pub fn helper() {}"),
        file("src/a/tests.rs", "use super::c::helper;"),
    ];
    let edges = file_edges(&files);
    assert_eq!(
        edges.get("src/a/c.rs"),
        Some(&BTreeSet::from(["src/a/b.rs".to_string()]))
    );
    assert_eq!(
        circles(&edges),
        vec![vec!["src/a/b.rs".to_string(), "src/a/c.rs".to_string()]]
    );
    assert!(!edges.contains_key("src/a/tests.rs"), "tests are left out");
}
