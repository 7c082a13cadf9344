//! The spec is the one place to change: a field added to a model's input in `openapi.yaml` reaches the typed
//! input with no edit of the wrapper, and every model-input schema is pinned by a committed snapshot
//! (`tests/it/snapshots/`), so a change to one shows up in review. After changing the spec on purpose:
//! `INSTA_UPDATE=always cargo test --all-features -p replicate-ideogram --test it regeneration::` (or
//! `cargo insta review`), then read the diff of `tests/it/snapshots/`.

use crate::build_rs;

use build_rs::codegen::refs;
use serde_json::{Map, Value};
use syn::{Fields, ImplItem, Item, Type};

const SPEC: &str = include_str!("../../openapi.yaml");

/// The spec with two fields added to the properties of `IdeogramV3TurboInput`.
fn spec_with_new_fields() -> String {
    let anchor = "    IdeogramV3TurboInput:\n";
    let start = SPEC.find(anchor).expect("the v3-turbo input");
    let properties = start
        + SPEC[start..]
            .find("      properties:\n")
            .expect("its properties");
    let at = properties + "      properties:\n".len();
    let added = concat!(
        "        color_palette:\n",
        "          type: \"string\"\n",
        "          title: \"Color Palette\"\n",
        "          description: \"A named palette for the image.\"\n",
        "          x-order: 20\n",
        "        safety_tolerance:\n",
        "          type: \"integer\"\n",
        "          title: \"Safety Tolerance\"\n",
        "          minimum: 1\n",
        "          maximum: 6\n",
        "          description: \"How strict the safety filter is.\"\n",
        "          x-order: 21\n",
    );
    format!("{}{added}{}", &SPEC[..at], &SPEC[at..])
}

fn generated_models(spec: &str) -> syn::File {
    let generated = build_rs::generate(spec).expect("the spec generates");
    syn::parse2(generated.models).expect("the generated models parse as Rust")
}

/// The type of field `name` of struct `owner`, as written.
fn field_type(file: &syn::File, owner: &str, name: &str) -> Option<String> {
    file.items.iter().find_map(|item| match item {
        Item::Struct(s) if s.ident == owner => match &s.fields {
            Fields::Named(fields) => fields.named.iter().find_map(|f| {
                (f.ident.as_ref()? == name).then(|| {
                    let ty: &Type = &f.ty;
                    quote::quote!(#ty).to_string().replace(' ', "")
                })
            }),
            _ => None,
        },
        _ => None,
    })
}

/// The methods of the inherent impls of `owner`.
fn methods(file: &syn::File, owner: &str) -> Vec<String> {
    file.items
        .iter()
        .filter_map(|item| match item {
            Item::Impl(i) if i.trait_.is_none() => {
                let ty = &i.self_ty;
                (quote::quote!(#ty).to_string() == owner).then_some(i)
            }
            _ => None,
        })
        .flat_map(|i| i.items.iter())
        .filter_map(|item| match item {
            ImplItem::Fn(f) => Some(f.sig.ident.to_string()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_field_added_to_the_spec_reaches_the_typed_input_with_no_wrapper_edit() {
    let before = generated_models(SPEC);
    assert_eq!(
        field_type(&before, "IdeogramV3TurboInput", "color_palette"),
        None
    );

    let after = generated_models(&spec_with_new_fields());
    assert_eq!(
        field_type(&after, "IdeogramV3TurboInput", "color_palette").as_deref(),
        Some("Option<String>")
    );
    assert_eq!(
        field_type(&after, "IdeogramV3TurboInput", "safety_tolerance").as_deref(),
        Some("Option<i64>")
    );
    let setters = methods(&after, "IdeogramV3TurboInput");
    for setter in ["color_palette", "safety_tolerance", "style_preset"] {
        assert!(
            setters.contains(&setter.to_string()),
            "{setter}: {setters:?}"
        );
    }
    // Its limits become validation, its description the field's documentation.
    let code = quote::quote!(#after).to_string();
    assert!(code.contains("must be at most 6"), "the maximum is checked");
    assert!(
        code.contains("A named palette for the image."),
        "the description is the doc"
    );
    // The other models are untouched.
    assert_eq!(
        field_type(&after, "IdeogramV3QualityInput", "color_palette"),
        None
    );
}

/// A model-input component with the enums it refers to written out, so a change to a shared enum shows in
/// the snapshot of every model that uses it.
fn resolved(schema: &Value, schemas: &Map<String, Value>) -> Value {
    match schema {
        Value::Object(map) => {
            let mut out = Map::new();
            if let Some(reference) = refs::reference_of(schema) {
                let name = refs::name_of(reference);
                out.insert("enum_component".into(), name.into());
                out.insert("enum".into(), schemas[name]["enum"].clone());
            }
            for (key, value) in map {
                if key != "$ref" && key != "allOf" {
                    out.insert(key.clone(), resolved(value, schemas));
                }
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(|v| resolved(v, schemas)).collect()),
        other => other.clone(),
    }
}

#[test]
fn every_model_input_schema_matches_its_committed_snapshot() {
    let spec: Value = yaml_serde::from_str(SPEC).expect("YAML");
    let schemas = spec["components"]["schemas"]
        .as_object()
        .expect("schemas")
        .clone();
    let mut seen = 0;
    for (name, schema) in &schemas {
        let Some(model) = schema.get("x-replicate-model").and_then(Value::as_str) else {
            continue;
        };
        seen += 1;
        let snapshot = model.replace('/', "__");
        insta::assert_json_snapshot!(
            snapshot,
            resolved(schema, &schemas),
            &format!("{name} ({model})")
        );
    }
    assert_eq!(seen, replicate_ideogram::models::KNOWN_MODELS.len());
}
