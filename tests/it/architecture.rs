//! The house rules, checked on the source tree: the lab's top-level modules depend on one another
//! without cycles, the measurement vocabulary is a leaf, the engine's consumers never reach back
//! into it, no file grows past 800 lines, and `lib.rs`'s index names every module.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const SRC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
const LONGEST_FILE: usize = 800;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src/ reads") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level modules: `src/x.rs` and `src/x/`.
fn modules() -> BTreeSet<String> {
    let mut modules = BTreeSet::new();
    for entry in std::fs::read_dir(SRC).expect("src/ reads") {
        let path = entry.expect("a directory entry").path();
        let name = path.file_stem().and_then(|s| s.to_str()).expect("a UTF-8 name").to_owned();
        if name != "lib" && name != "main" && (path.is_dir() || path.extension().is_some_and(|e| e == "rs")) {
            modules.insert(name);
        }
    }
    modules
}

/// Which top-level modules each one names through `crate::`, in `use` lists too.
fn dependencies() -> BTreeMap<String, BTreeSet<String>> {
    let modules = modules();
    let mut files = Vec::new();
    rust_files(Path::new(SRC), &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let relative = file.strip_prefix(SRC).expect("under src/");
        let first = relative.components().next().expect("a component").as_os_str().to_string_lossy();
        let from = first.trim_end_matches(".rs").to_owned();
        if !modules.contains(&from) {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("a source file reads");
        let mut named = BTreeSet::new();
        for (at, _) in text.match_indices("crate::") {
            let rest = &text[at + "crate::".len()..];
            if let Some(list) = rest.strip_prefix('{') {
                // `use crate::{a, b::c, d::{e}}`: the first segment of each top-level item.
                let mut depth = 0;
                let mut item_start = true;
                for (i, c) in list.char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' if depth == 0 => break,
                        '}' => depth -= 1,
                        ',' if depth == 0 => item_start = true,
                        c if item_start && (c.is_alphabetic() || c == '_') => {
                            let word: String =
                                list[i..].chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                            named.insert(word);
                            item_start = false;
                        }
                        _ => {}
                    }
                }
            } else {
                named.insert(rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect());
            }
        }
        let edges = graph.entry(from.clone()).or_default();
        edges.extend(named.into_iter().filter(|m| *m != from && modules.contains(m)));
    }
    graph
}

/// Every module `start` reaches, itself excluded unless a cycle leads back to it.
fn reachable(graph: &BTreeMap<String, BTreeSet<String>>, start: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo: Vec<&str> = graph.get(start).into_iter().flatten().map(String::as_str).collect();
    while let Some(m) = todo.pop() {
        if seen.insert(m.to_owned()) {
            todo.extend(graph.get(m).into_iter().flatten().map(String::as_str));
        }
    }
    seen
}

#[test]
fn no_module_depends_on_itself_through_others() {
    let graph = dependencies();
    let cycles: Vec<String> =
        graph.keys().filter(|m| reachable(&graph, m).contains(*m)).map(|m| format!("{m} -> {:?}", graph[m])).collect();
    assert!(cycles.is_empty(), "modules on a dependency cycle:\n{}", cycles.join("\n"));
}

#[test]
fn the_measurement_vocabulary_is_a_leaf_and_the_engines_consumers_never_reach_back() {
    let graph = dependencies();
    // The vocabulary may use only leaves, modules that themselves use nothing (the name tables).
    let measure = reachable(&graph, "measure");
    let beyond_leaves: Vec<&String> = measure.iter().filter(|m| !reachable(&graph, m).is_empty()).collect();
    assert!(
        beyond_leaves.is_empty(),
        "measure depends on {beyond_leaves:?}, which depend on others: it is the vocabulary everything else shares"
    );
    for consumer in ["load", "recording", "report", "measure", "chart"] {
        let reached = reachable(&graph, consumer);
        for above in ["engine", "app", "headless"] {
            assert!(!reached.contains(above), "{consumer} reaches {above}: {reached:?}");
        }
    }
    let engine = reachable(&graph, "engine");
    for view in ["app", "headless", "report"] {
        assert!(!engine.contains(view), "the engine reaches {view}: {engine:?}");
    }
}

#[test]
fn no_source_file_is_longer_than_800_lines() {
    let mut files = Vec::new();
    rust_files(Path::new(SRC), &mut files);
    let long: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let lines = std::fs::read_to_string(f).expect("a source file reads").lines().count();
            (lines > LONGEST_FILE).then(|| format!("{} ({lines} lines)", f.display()))
        })
        .collect();
    assert!(long.is_empty(), "split these by job: {long:?}");
}

#[test]
fn the_library_index_names_every_module() {
    let lib = std::fs::read_to_string(Path::new(SRC).join("lib.rs")).expect("lib.rs reads");
    let index: String = lib.lines().filter(|l| l.starts_with("//!")).collect::<Vec<_>>().join("\n");
    for module in modules() {
        assert!(index.contains(&format!("[`{module}`]")), "lib.rs's index does not name [`{module}`]");
        assert!(
            lib.contains(&format!("pub mod {module};")) || lib.contains(&format!("mod {module};")),
            "lib.rs does not declare {module}"
        );
    }
}
