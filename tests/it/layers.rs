//! The library's top-level modules (`src/x.rs` or `src/x/`) import each other in one direction only.
//!
//! A loop among them makes every module of it depend on all the others: none can be read, tested or
//! changed alone, and the layers that ARCHITECTURE.md draws stop being true. This test reads the sources
//! themselves (the paths that `use crate::…`, `crate::x::…` and a `super::` that climbs to the crate root
//! name), so it needs no build of the library and nothing but std, and it names every loop it finds. The
//! code the build script generates counts as part of the module that `include!`s it: progenitor's client
//! names the transport and the prediction's status, the model inputs name the errors.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::{Path, PathBuf};

/// For each top-level module, the modules it names and the first place (`src/file.rs:line`) it names each.
type Graph = BTreeMap<String, BTreeMap<String, String>>;

#[test]
fn top_level_modules_import_each_other_in_one_direction() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let sources = read_sources(&src);
    let graph = graph_of(&sources);
    assert!(graph.len() > 5, "too few modules under {}", src.display());
    // The generated client and model inputs name modules of the crate too; they must have been read.
    let generated: Vec<&str> = sources
        .iter()
        .filter_map(|(path, _)| split_included(path).1)
        .collect();
    for file in ["codegen.rs", "models.rs"] {
        assert!(generated.contains(&file), "{file} not read: {generated:?}");
    }
    let cycles = cycles(&graph);
    assert!(
        cycles.is_empty(),
        "top-level modules of src/ import each other in a loop; each loop below, one import a line:\n{}",
        describe(&cycles, &graph)
    );
}

/// Every `.rs` file under `src`, as (its path relative to `src` with `/` separators, its text), and each file
/// one of them includes from `OUT_DIR`, as (`includer@included`, its text).
fn read_sources(src: &Path) -> Vec<(String, String)> {
    let mut files = Vec::new();
    let mut pending = vec![src.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for entry in entries {
            let path: PathBuf = entry.expect("a directory entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let relative = path.strip_prefix(src).expect("under src");
                let name = relative.to_string_lossy().replace('\\', "/");
                let text = std::fs::read_to_string(&path).expect("a readable source file");
                files.extend(included(&name, &text));
                files.push((name, text));
            }
        }
    }
    files.sort();
    files
}

/// The files `text` includes from `OUT_DIR` (`include!(concat!(env!("OUT_DIR"), "/x.rs"))`), each as
/// (`name@x.rs`, its text).
fn included(name: &str, text: &str) -> Vec<(String, String)> {
    const MARK: &str = r#"env!("OUT_DIR"), "/"#;
    text.match_indices(MARK)
        .filter_map(|(at, _)| text[at + MARK.len()..].split('"').next())
        .map(|file| {
            let path = Path::new(env!("OUT_DIR")).join(file);
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{} (included by src/{name}): {e}", path.display()));
            (format!("{name}@{file}"), text)
        })
        .collect()
}

/// The file a source's path names and the generated file it stands for, if it is one (`includer@included`).
fn split_included(path: &str) -> (&str, Option<&str>) {
    path.split_once('@')
        .map_or((path, None), |(file, included)| (file, Some(included)))
}

/// The graph of the top-level modules, from the sources (relative path, text) of `src/`.
fn graph_of(files: &[(String, String)]) -> Graph {
    let modules: BTreeSet<String> = files
        .iter()
        .filter_map(|(p, _)| module_path(split_included(p).0).first().cloned())
        .collect();
    let reexports = files
        .iter()
        .find(|(p, _)| p == "lib.rs")
        .map(|(_, text)| reexports(&tokens(text), &modules))
        .unwrap_or_default();
    let mut graph = Graph::new();
    for (path, text) in files {
        let (file, included) = split_included(path);
        let here = module_path(file);
        let Some(top) = here.first() else { continue };
        let targets = graph.entry(top.clone()).or_default();
        for (name, line) in crate_paths(&tokens(text), &here) {
            let target = modules.get(&name).or_else(|| reexports.get(&name));
            if let Some(target) = target.filter(|t| *t != top) {
                let site = match included {
                    Some(generated) => {
                        format!("$OUT_DIR/{generated}:{line}, included by src/{file}")
                    }
                    None => format!("src/{path}:{line}"),
                };
                targets.entry(target.clone()).or_insert(site);
            }
        }
    }
    graph
}

/// A file's module path in the crate: `x.rs` and `x/mod.rs` are `[x]`, `x/y.rs` is `[x, y]`, `lib.rs` is `[]`.
fn module_path(relative: &str) -> Vec<String> {
    let mut parts: Vec<String> = relative.split('/').map(str::to_owned).collect();
    let last = parts.pop().unwrap_or_default();
    let stem = last.trim_end_matches(".rs");
    if !(stem == "mod" || (parts.is_empty() && (stem == "lib" || stem == "main"))) {
        parts.push(stem.to_owned());
    }
    parts
}

/// One token of Rust source with comments and literals gone: an identifier, `::`, or one punctuation char.
#[derive(Clone, Debug, PartialEq)]
struct Token {
    text: String,
    line: usize,
}

/// The tokens of `text` that matter for paths; comments (doc comments too), strings and chars are dropped,
/// so an intra-doc link or a message that mentions `crate::x` is no import.
fn tokens(text: &str) -> Vec<Token> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let (mut i, mut line) = (0, 1);
    while let Some(&c) = chars.get(i) {
        let next = chars.get(i + 1).copied();
        let at = line;
        if c == '/' && next == Some('/') {
            while chars.get(i).is_some_and(|&c| c != '\n') {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            i = skip_block_comment(&chars, i, &mut line);
        } else if c == '"' {
            i = skip_string(&chars, i, false, &mut line);
        } else if c == '\'' {
            i = skip_char_or_lifetime(&chars, i);
        } else if c.is_alphanumeric() || c == '_' {
            let begin = i;
            while chars
                .get(i)
                .is_some_and(|&c| c.is_alphanumeric() || c == '_')
            {
                i += 1;
            }
            let word: String = chars[begin..i].iter().collect();
            let raw = word.contains('r');
            let quote = (i..).find(|&j| chars.get(j) != Some(&'#')).unwrap_or(i);
            // `b"…"`, `r"…"`, `r#"…"#`, `br"…"`: a prefix, then a string (and `r#type` an identifier).
            if matches!(word.as_str(), "b" | "r" | "br")
                && chars.get(quote) == Some(&'"')
                && (raw || quote == i)
            {
                i = skip_string(&chars, i, raw, &mut line);
            } else {
                out.push(Token {
                    text: word,
                    line: at,
                });
            }
        } else if c.is_whitespace() {
            line += usize::from(c == '\n');
            i += 1;
        } else {
            let double = c == ':' && next == Some(':');
            let text = if double {
                "::".to_owned()
            } else {
                c.to_string()
            };
            out.push(Token { text, line: at });
            i += if double { 2 } else { 1 };
        }
    }
    out
}

fn skip_block_comment(chars: &[char], mut i: usize, line: &mut usize) -> usize {
    let mut depth = 0;
    while let Some(&c) = chars.get(i) {
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('*') {
            depth += 1;
            i += 2;
        } else if c == '*' && next == Some('/') {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return i;
            }
        } else {
            *line += usize::from(c == '\n');
            i += 1;
        }
    }
    i
}

/// Skips a string literal whose hashes (raw) or quote is at `i`; returns the index after it.
fn skip_string(chars: &[char], mut i: usize, raw: bool, line: &mut usize) -> usize {
    let mut hashes = 0;
    while chars.get(i) == Some(&'#') {
        hashes += 1;
        i += 1;
    }
    i += 1; // the opening quote
    while let Some(&c) = chars.get(i) {
        if c == '\\' && !raw {
            *line += usize::from(chars.get(i + 1) == Some(&'\n'));
            i += 2;
            continue;
        }
        *line += usize::from(c == '\n');
        i += 1;
        if c == '"' && (0..hashes).all(|k| chars.get(i + k) == Some(&'#')) {
            return i + hashes;
        }
    }
    i
}

/// Skips a char literal (`'a'`, `'\n'`, `'\u{1F600}'`) or the quote of a lifetime (`'a`, which stays an identifier).
fn skip_char_or_lifetime(chars: &[char], i: usize) -> usize {
    if chars.get(i + 1) == Some(&'\\') {
        let mut j = i + 2;
        while chars.get(j).is_some_and(|&c| c != '\'') {
            j += 1;
        }
        return j + 1;
    }
    if chars.get(i + 2) == Some(&'\'') {
        return i + 3;
    }
    i + 1
}

/// The first segment of every path that leaves the crate root (`crate::x`, `crate::{x, y}`, or a chain of
/// `super::` that climbs past the top), with its line. `here` is the file's module path; inline `mod m { .. }`
/// blocks are followed, so that a `super::` inside them climbs from the right place.
fn crate_paths(tokens: &[Token], here: &[String]) -> Vec<(String, usize)> {
    let mut found = Vec::new();
    let mut path: Vec<String> = here.to_vec();
    // Brace depths at which an inline module closes.
    let mut inline_closes: Vec<usize> = Vec::new();
    let mut depth = 0;
    let text = |k: usize| tokens.get(k).map_or("", |t| t.text.as_str());
    let mut i = 0;
    while i < tokens.len() {
        match text(i) {
            "{" => {
                depth += 1;
                if i >= 2 && text(i - 2) == "mod" {
                    path.push(text(i - 1).to_owned());
                    inline_closes.push(depth);
                }
            }
            "}" => {
                if inline_closes.last() == Some(&depth) {
                    inline_closes.pop();
                    path.pop();
                }
                depth -= 1;
            }
            "crate" if text(i + 1) == "::" => {
                found.extend(first_segments(tokens, i + 2));
            }
            "super" if text(i + 1) == "::" => {
                let mut at = path.clone();
                let mut k = i;
                while text(k) == "super" && text(k + 1) == "::" {
                    at.pop();
                    k += 2;
                }
                if at.is_empty() {
                    found.extend(first_segments(tokens, k));
                }
                i = k;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    found
}

/// The segments right after a root `::` at `start`: one identifier, or each branch of a `{ .. }` group.
fn first_segments(tokens: &[Token], start: usize) -> Vec<(String, usize)> {
    let Some(first) = tokens.get(start) else {
        return Vec::new();
    };
    if first.text != "{" {
        return ident(first).into_iter().collect();
    }
    let mut found = Vec::new();
    let mut depth = 0;
    let mut expect_segment = true;
    for token in &tokens[start..] {
        match token.text.as_str() {
            "{" => {
                depth += 1;
                expect_segment = depth == 1;
            }
            "}" => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            "," if depth == 1 => expect_segment = true,
            _ if expect_segment => {
                found.extend(ident(token));
                expect_segment = false;
            }
            _ => {}
        }
    }
    found
}

fn ident(token: &Token) -> Option<(String, usize)> {
    let is_ident = token
        .text
        .chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_');
    let keyword = matches!(token.text.as_str(), "self" | "super" | "crate");
    (is_ident && !keyword).then(|| (token.text.clone(), token.line))
}

/// The names that `lib.rs` re-exports from a top-level module (`pub use error::{Error, Result}`), so that
/// `crate::Error` counts as naming `error`.
fn reexports(tokens: &[Token], modules: &BTreeSet<String>) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    let mut i = 0;
    while i < tokens.len() {
        if tokens[i].text == "use" {
            let end = (i..tokens.len())
                .find(|&k| tokens[k].text == ";")
                .unwrap_or(tokens.len());
            let names: Vec<&str> = tokens[i + 1..end]
                .iter()
                .map(|t| t.text.as_str())
                .filter(|t| {
                    t.chars()
                        .next()
                        .is_some_and(|c| c.is_alphabetic() || c == '_')
                })
                .filter(|t| !matches!(*t, "crate" | "self" | "as"))
                .collect();
            if let Some((module, rest)) = names.split_first().filter(|(m, _)| modules.contains(**m))
            {
                for name in rest {
                    map.insert((*name).to_owned(), (*module).to_owned());
                }
            }
            i = end;
        }
        i += 1;
    }
    map
}

/// Each group of modules that reach each other (a strongly connected component of more than one module):
/// its members, and one shortest loop through it, in order (the loop closes back to its first module).
fn cycles(graph: &Graph) -> Vec<(BTreeSet<String>, Vec<String>)> {
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut found = Vec::new();
    for start in graph.keys() {
        if seen.contains(start) {
            continue;
        }
        let component: BTreeSet<String> = reachable(graph, start)
            .into_iter()
            .filter(|m| reachable(graph, m).contains(start))
            .collect();
        seen.extend(component.iter().cloned());
        if component.len() > 1 {
            let way = shortest_loop(graph, start, &component);
            found.push((component, way));
        }
    }
    found
}

fn reachable(graph: &Graph, from: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::from([from.to_owned()]);
    let mut queue = VecDeque::from([from.to_owned()]);
    while let Some(module) = queue.pop_front() {
        for next in graph.get(&module).into_iter().flat_map(|t| t.keys()) {
            if seen.insert(next.clone()) {
                queue.push_back(next.clone());
            }
        }
    }
    seen
}

/// The shortest way from `start` back to itself inside `component`, found breadth first.
fn shortest_loop(graph: &Graph, start: &str, component: &BTreeSet<String>) -> Vec<String> {
    let mut came_from: BTreeMap<String, String> = BTreeMap::new();
    let mut queue = VecDeque::from([start.to_owned()]);
    while let Some(module) = queue.pop_front() {
        for next in graph.get(&module).into_iter().flat_map(|t| t.keys()) {
            if next == start {
                let mut way = vec![module.clone()];
                while let Some(before) = came_from.get(way.last().expect("not empty")) {
                    way.push(before.clone());
                }
                way.reverse();
                return way;
            }
            if component.contains(next) && next != start && !came_from.contains_key(next) {
                came_from.insert(next.clone(), module.clone());
                queue.push_back(next.clone());
            }
        }
    }
    vec![start.to_owned()]
}

fn describe(cycles: &[(BTreeSet<String>, Vec<String>)], graph: &Graph) -> String {
    let mut text = String::new();
    for (members, cycle) in cycles {
        let members: Vec<&str> = members.iter().map(String::as_str).collect();
        text += &format!(
            "{} modules reach each other: {}\n",
            members.len(),
            members.join(", ")
        );
        text += &format!(
            "one loop among them: {} -> {}\n",
            cycle.join(" -> "),
            cycle[0]
        );
        for (k, from) in cycle.iter().enumerate() {
            let to = &cycle[(k + 1) % cycle.len()];
            let site = &graph[from][to];
            text += &format!("  {from} -> {to}  ({site})\n");
        }
    }
    text
}

#[cfg(test)]
mod the_check_itself;
