//! The loop check on small made-up crates: what it counts as an import, and how it names a loop.

use super::*;

fn files(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(p, t)| ((*p).to_owned(), (*t).to_owned()))
        .collect()
}

#[test]
fn finds_and_names_a_loop_through_a_group_a_reexport_and_a_climbing_super() {
    let graph = graph_of(&files(&[
        ("lib.rs", "mod a; mod b; mod c;\npub use c::Thing;"),
        ("a.rs", "use crate::{b::X, self as _};"),
        ("b/mod.rs", "mod inner;"),
        ("b/inner.rs", "fn f() { let _ = super::super::Thing; }"),
        (
            "c.rs",
            "pub struct Thing;\nfn g() -> crate::a::Y { todo!() }",
        ),
    ]));
    let cycles = cycles(&graph);
    let names = |list: &[&str]| list.iter().map(|m| (*m).to_owned()).collect::<Vec<_>>();
    assert_eq!(cycles.len(), 1, "{cycles:?}");
    assert_eq!(cycles[0].1, names(&["a", "b", "c"]));
    let members: Vec<String> = cycles[0].0.iter().cloned().collect();
    assert_eq!(members, names(&["a", "b", "c"]));
    let text = describe(&cycles, &graph);
    assert!(
        text.contains("3 modules reach each other: a, b, c"),
        "{text}"
    );
    assert!(text.contains("b -> c  (src/b/inner.rs:1)"), "{text}");
    assert!(text.contains("c -> a  (src/c.rs:2)"), "{text}");
}

#[test]
fn comments_strings_inline_modules_and_lower_supers_are_no_imports() {
    let graph = graph_of(&files(&[
        ("lib.rs", "mod a; mod b;"),
        ("a.rs", "use crate::b::X;"),
        (
            "b.rs",
            concat!(
                "/// See [`crate::a`].\n// crate::a::Y\n/* crate::a:: /* nested */ */\n",
                "const S: &str = \"crate::a::Z\"; const R: &str = r#\"crate::a\"#;\n",
                "fn f<'a>(c: char) -> bool { c == '\"' && b\"crate::a\" != br#\"crate::a\"# }\n",
                "fn g(r#type: u8) -> u8 { r#type }\n",
                "mod tests { use super::*; mod deeper { use super::super::X; } }",
            ),
        ),
    ]));
    assert!(cycles(&graph).is_empty(), "{graph:?}");
    assert_eq!(graph["a"].keys().collect::<Vec<_>>(), ["b"]);
}

#[test]
fn generated_code_counts_as_the_module_that_includes_it() {
    let graph = graph_of(&files(&[
        ("lib.rs", "mod a; mod b;"),
        ("a.rs", "use crate::b::X;"),
        ("b/mod.rs", "mod gen;"),
        (
            "b/gen.rs@codegen.rs",
            "\n\nfn f() -> crate::a::Y { todo!() }",
        ),
    ]));
    let text = describe(&cycles(&graph), &graph);
    assert!(
        text.contains("b -> a  ($OUT_DIR/codegen.rs:3, included by src/b/gen.rs)"),
        "{text}"
    );
}

#[test]
fn module_paths_follow_the_file_layout() {
    assert_eq!(module_path("lib.rs"), Vec::<String>::new());
    assert_eq!(module_path("x.rs"), ["x"]);
    assert_eq!(module_path("x/mod.rs"), ["x"]);
    assert_eq!(module_path("x/y/tests.rs"), ["x", "y", "tests"]);
}
