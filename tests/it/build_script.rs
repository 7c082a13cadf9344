//! The build script on broken specs: each stops with one message naming the problem, never a panic.
//! `build.rs` is compiled into this test as a module; its `generate` takes the text of the spec.

use crate::build_rs;

const SPEC: &str = include_str!("../../openapi.yaml");

fn problem_with(spec: &str) -> String {
    match build_rs::generate(spec) {
        Ok(_) => panic!("the broken spec was accepted"),
        Err(message) => message,
    }
}

fn replaced(from: &str, to: &str) -> String {
    assert!(SPEC.contains(from), "the spec no longer contains {from:?}");
    SPEC.replacen(from, to, 1)
}

/// The components of `spec` defined twice within one section, as `section.name`. A YAML reader keeps the
/// last of two equal keys without a word, so a second definition that drifts from the first would silently
/// win: the text is read, not the parsed value.
fn defined_twice(spec: &str) -> Vec<String> {
    let (mut seen, mut twice) = (std::collections::BTreeSet::new(), Vec::new());
    let mut section = "";
    for line in spec.lines() {
        if let Some(name) = line.strip_prefix("  ").and_then(|l| l.strip_suffix(':'))
            && !name.starts_with(' ')
        {
            section = name;
            seen.clear();
            continue;
        }
        let Some(name) = line.strip_prefix("    ").and_then(|l| l.strip_suffix(':')) else {
            continue;
        };
        if !name.starts_with(' ') && !section.is_empty() && !seen.insert(name) {
            twice.push(format!("{section}.{name}"));
        }
    }
    twice
}

#[test]
fn no_component_is_defined_twice() {
    assert_eq!(defined_twice(SPEC), Vec::<String>::new());
    let doubled = replaced(
        "    IdeogramOutput:\n",
        "    IdeogramOutput:\n      type: \"string\"\n    IdeogramOutput:\n",
    );
    assert_eq!(defined_twice(&doubled), ["schemas.IdeogramOutput"]);
}

#[test]
fn the_real_spec_generates() {
    let generated = build_rs::generate(SPEC).unwrap();
    let models = generated.models.to_string();
    assert!(models.contains("IdeogramV2TurboInput"));
    assert!(
        generated
            .client
            .to_string()
            .contains("models_predictions_create")
    );
}

#[test]
fn openapi_3_1_is_refused_by_name() {
    let message = problem_with(&replaced("openapi: \"3.0.3\"", "openapi: \"3.1.0\""));
    assert!(
        message.contains("3.1.0") && message.contains("3.0.x"),
        "{message}"
    );
}

#[test]
fn bad_yaml_names_the_line() {
    let message = problem_with(&replaced("paths:\n", "paths:\n  - [unclosed\n"));
    assert!(
        message.starts_with("not valid YAML") && message.contains("line"),
        "{message}"
    );
}

#[test]
fn an_operation_without_an_id_is_named() {
    let message = problem_with(&replaced("      operationId: \"predictions.get\"\n", ""));
    assert_eq!(
        message,
        "`get /predictions/{prediction_id}` has no operationId"
    );
}

#[test]
fn enum_values_that_collide_are_named() {
    let message = problem_with(&replaced(
        "        - \"16:9\"\n",
        "        - \"16:9\"\n        - \"16-9\"\n",
    ));
    assert!(
        message.contains("\"16:9\"")
            && message.contains("\"16-9\"")
            && message.contains("Ratio16x9"),
        "{message}"
    );
}

#[test]
fn an_unquoted_number_in_an_enum_is_named() {
    let message = problem_with(&replaced("        - \"3:1\"\n", "        - 31\n"));
    assert!(
        message.contains("AspectRatio") && message.contains("quote it"),
        "{message}"
    );
}

#[test]
fn an_unsupported_model_field_is_named() {
    let message = problem_with(&replaced(
        "        seed:\n          type: \"integer\"",
        "        seed:\n          type: \"object\"",
    ));
    assert!(
        message.contains("IdeogramV2TurboInput")
            && message.contains("`seed`")
            && message.contains("object"),
        "{message}"
    );
}

#[test]
fn a_default_outside_its_enum_is_named() {
    let message = problem_with(&replaced(
        "          default: \"1:1\"",
        "          default: \"1:2\"",
    ));
    assert!(
        message.contains("aspect_ratio") && message.contains("1:2"),
        "{message}"
    );
}

#[test]
fn a_generator_panic_becomes_a_message() {
    // Two success responses with different schemas make progenitor assert deep inside.
    let message = problem_with(&replaced(
        "        \"202\":\n          $ref: \"#/components/responses/PredictionIncomplete\"",
        "        \"202\":\n          description: \"other\"\n          content:\n            application/json:\n              schema:\n                $ref: \"#/components/schemas/WebhookSecret\"",
    ));
    assert!(message.starts_with("progenitor"), "{message}");
}

#[test]
fn field_names_that_are_not_rust_identifiers_get_one() {
    let spec = replaced(
        "        seed:\n          type: \"integer\"",
        "        crate:\n          type: \"string\"\n        self:\n          type: \"string\"\n        \"a-b\":\n          type: \"string\"\n        imageUrl:\n          type: \"string\"\n        \"1x\":\n          type: \"string\"\n        seed:\n          type: \"integer\"",
    );
    let generated = build_rs::generate(&spec).unwrap();
    let file: syn::File = syn::parse2(generated.models).expect("the models parse as Rust");
    let text = prettyplease::unparse(&file);
    for (rust, wire) in [
        ("crate_", "crate"),
        ("self_", "self"),
        ("a_b", "a-b"),
        ("image_url", "imageUrl"),
        ("field_1x", "1x"),
    ] {
        assert!(
            text.contains(&format!("pub {rust}: Option<String>")),
            "{rust}"
        );
        assert!(text.contains(&format!("rename = \"{wire}\"")), "{wire}");
        assert!(text.contains(&format!("pub fn {rust}(")), "setter {rust}");
    }
}

#[test]
fn field_names_that_would_collide_in_rust_are_named() {
    let message = problem_with(&replaced(
        "        seed:\n          type: \"integer\"",
        "        \"a-b\":\n          type: \"string\"\n        a_b:\n          type: \"string\"\n        seed:\n          type: \"integer\"",
    ));
    assert!(
        message.contains("`a-b`") && message.contains("`a_b`") && !message.contains('\n'),
        "{message}"
    );
}

#[test]
fn a_default_of_the_wrong_type_is_named_with_its_model_and_field() {
    let message = problem_with(&replaced(
        "          title: \"Enable Copyright Detection\"\n          default: false",
        "          title: \"Enable Copyright Detection\"\n          default: \"no\"",
    ));
    assert!(
        message.contains("IdeogramV4TurboInput")
            && message.contains("ideogram-ai/ideogram-v4-turbo")
            && message.contains("`enable_copyright_detection`")
            && message.contains("\"no\"")
            && message.contains("boolean")
            && !message.contains('\n'),
        "{message}"
    );
}

#[test]
fn a_list_default_that_is_not_empty_is_named() {
    let message = problem_with(&replaced(
        "        seed:\n          type: \"integer\"",
        "        tags:\n          type: \"array\"\n          items:\n            type: \"string\"\n          default: [\"a\"]\n        seed:\n          type: \"integer\"",
    ));
    assert!(
        message.contains("IdeogramV2TurboInput")
            && message.contains("`tags`")
            && message.contains("empty"),
        "{message}"
    );
}

#[test]
fn an_api_enum_in_a_model_input_is_named() {
    // `x-rust-root` enums are generated at the crate root, where a model input's code cannot name them.
    let message = problem_with(&replaced(
        "            - $ref: \"#/components/schemas/AspectRatio\"",
        "            - $ref: \"#/components/schemas/WebhookEvent\"",
    ));
    assert!(
        message.contains("WebhookEvent")
            && message.contains("x-rust-root")
            && !message.contains('\n'),
        "{message}"
    );
}

#[test]
fn the_api_enums_are_generated_apart_from_the_models() {
    let generated = build_rs::generate(SPEC).unwrap();
    assert!(
        generated
            .root_enums
            .to_string()
            .contains("enum WebhookEvent")
    );
    assert!(!generated.models.to_string().contains("WebhookEvent"));
}
