//! Every file a document of the repository names exists: a path in backticks or a link target, written
//! from the repository's root or from the document's own directory. Files move (a module split, tests
//! gathered into one binary) and the prose that points at them is not compiled, so this is what notices.
//!
//! What counts as a path: a token with no spaces that starts with one of the repository's directories
//! (`src/`, `cli/`, `tests/`, …) or ends with a source or document extension (`.rs`, `.md`, `.yaml`,
//! `.toml`). One that starts elsewhere (`identity.rs`, `resolve/resume.rs`: named in a paragraph about its
//! directory) must be the end of some path of the repository. Placeholders (`<name>`, `{owner}`,
//! `$OUT_DIR`, `…`) and URLs are not paths. Of fenced code blocks only diagrams (`text`, or no language)
//! are read, for the words that start with one of the repository's directories: the others show commands
//! and made-up files (`prompts.txt`), or Rust that is compiled anyway.

use std::{
    collections::BTreeSet,
    fs,
    path::{Path, PathBuf},
};

/// The documents checked, from the repository's root.
const DOCUMENTS: &[&str] = &[
    "README.md",
    "LIBRARY.md",
    "ARCHITECTURE.md",
    "CONTRIBUTING.md",
    "cli/README.md",
    "simulator/README.md",
];

/// The repository's directories a path may start with.
const ROOTS: &[&str] = &[
    "src/",
    "cli/",
    "build/",
    "tests/",
    "examples/",
    "simulator/",
    "bench/",
    ".ci/",
];

/// The extensions that make a token a path wherever it starts.
const EXTENSIONS: &[&str] = &[".rs", ".md", ".yaml", ".toml"];

#[test]
fn every_path_the_documents_name_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let entries = entries(root);
    let mut missing = Vec::new();
    for document in DOCUMENTS {
        let text = fs::read_to_string(root.join(document))
            .unwrap_or_else(|e| panic!("cannot read {document}: {e}"));
        let dir = root.join(document).parent().map(Path::to_path_buf);
        for path in paths_in(&text) {
            if !exists(root, dir.as_deref(), &entries, &path) {
                missing.push(format!("{document}: `{path}`"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "paths named in documents that do not exist (fix the document, or the path):\n  {}",
        missing.join("\n  ")
    );
}

#[test]
fn a_path_that_does_not_exist_is_reported() {
    let text = "See `src/lib.rs`, `src/no_such_module.rs`, [the CLI](cli/README.md), [gone](cli/GONE.md), \
                `no_such_file.rs`, `resolve/no_such.rs`, `retry/table.rs` and \
                `cargo test --all-features`.\n\n\
                ```sh\ncat src/in_a_command.rs\n```\n\n\
                ```text\nrun  src/run.rs (src/no_such_step.rs)\n```\n";
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let entries = entries(root);
    let missing: Vec<String> = paths_in(text)
        .into_iter()
        .filter(|path| !exists(root, Some(root), &entries, path))
        .collect();
    assert_eq!(
        missing,
        [
            "cli/GONE.md",
            "no_such_file.rs",
            "resolve/no_such.rs",
            "src/no_such_module.rs",
            "src/no_such_step.rs"
        ]
    );
}

#[test]
fn placeholders_urls_and_commands_are_not_paths() {
    let text = "`$OUT_DIR/models.rs` `tests/fixtures/published/<name>.json` `cli/src/…` \
                `GET /models/{owner}/{name}` [docs](https://docs.rs/replicate-ideogram) `owner/name` \
                `file://$PWD/shoot/index.html` `journal.jsonl` `src/retry/table.rs`";
    assert_eq!(
        paths_in(text),
        BTreeSet::from(["src/retry/table.rs".to_string()])
    );
}

/// The path-like tokens of `text`: code spans and link targets outside fenced code blocks, and the words of
/// diagrams that start with one of the repository's directories.
fn paths_in(text: &str) -> BTreeSet<String> {
    let (prose, diagrams) = split_fences(text);
    let mut tokens: Vec<&str> = prose.split('`').skip(1).step_by(2).collect();
    let mut rest = prose.as_str();
    while let Some(start) = rest.find("](") {
        rest = &rest[start + 2..];
        let end = rest.find(')').unwrap_or(rest.len());
        tokens.push(&rest[..end]);
    }
    tokens.extend(
        diagrams
            .split(|c: char| c.is_whitespace() || c == '`')
            .map(|word| word.trim_matches(['(', ')', ',', ';', '.']))
            .filter(|word| ROOTS.iter().any(|root| word.starts_with(root))),
    );
    tokens
        .into_iter()
        .map(|token| token.trim().split('#').next().unwrap_or("").to_string())
        .filter(|token| is_path(token))
        .collect()
}

/// `text` outside fenced code blocks, and the text of the blocks that are diagrams.
fn split_fences(text: &str) -> (String, String) {
    let (mut prose, mut diagrams) = (String::new(), String::new());
    // Inside a block: whether it is a diagram.
    let mut fence: Option<bool> = None;
    for line in text.lines() {
        if let Some(info) = line.trim_start().strip_prefix("```") {
            fence = match fence {
                Some(_) => None,
                None => Some(matches!(info.trim(), "" | "text")),
            };
            continue;
        }
        let into = match fence {
            None => &mut prose,
            Some(true) => &mut diagrams,
            Some(false) => continue,
        };
        into.push_str(line);
        into.push('\n');
    }
    (prose, diagrams)
}

fn is_path(token: &str) -> bool {
    let placeholder = [
        '<', '>', '{', '}', '$', '*', '…', '(', ')', '"', '\'', '=', ':',
    ];
    if token.is_empty() || token.contains(char::is_whitespace) || token.contains(placeholder) {
        return false;
    }
    ROOTS.iter().any(|root| token.starts_with(root))
        || EXTENSIONS
            .iter()
            .any(|extension| token.ends_with(extension))
}

/// Whether `path` names a file or directory: from the root or `dir` when it starts with one of the
/// repository's directories, else as the end of some path of the repository.
fn exists(root: &Path, dir: Option<&Path>, entries: &BTreeSet<String>, path: &str) -> bool {
    if ROOTS.iter().any(|start| path.starts_with(start)) {
        return root.join(path).exists() || dir.is_some_and(|dir| dir.join(path).exists());
    }
    let path = path.trim_end_matches('/');
    let tail = format!("/{path}");
    entries
        .iter()
        .any(|entry| entry == path || entry.ends_with(&tail))
}

/// Every file and directory of the repository, as a path from its root with `/` between names, build
/// output and version control left out.
fn entries(root: &Path) -> BTreeSet<String> {
    let mut entries = BTreeSet::new();
    let mut dirs: Vec<(PathBuf, String)> = vec![(root.to_path_buf(), String::new())];
    while let Some((dir, prefix)) = dirs.pop() {
        let Ok(listing) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in listing.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name == "target" || name == ".git" {
                continue;
            }
            let relative = format!("{prefix}{name}");
            if entry.file_type().is_ok_and(|kind| kind.is_dir()) {
                dirs.push((entry.path(), format!("{relative}/")));
            }
            entries.insert(relative);
        }
    }
    entries
}
