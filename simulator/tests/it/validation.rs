//! The simulator checks inputs against the JSON Schema the model publishes, with a JSON Schema validator,
//! not with this crate's generated types: where the published schema and the types part ways, the schema
//! decides, so the validation tests are a second opinion on the client's own checks.

use std::time::Duration;

use replicate_ideogram::{Error, JsonInput, Target, models::check_input};
use replicate_ideogram_simulator::{Simulator, SimulatorConfig};

use serde_json::{Value, json};

const MODEL: &str = "ideogram-ai/ideogram-v2-turbo";

/// Cog's document for `MODEL` as Replicate publishes it (the stored fixture), changed by `edit`.
fn published_with(edit: impl FnOnce(&mut Value)) -> Value {
    let fixture: Value = serde_json::from_str(include_str!(
        "../../../tests/fixtures/published/ideogram-v2-turbo.json"
    ))
    .unwrap();
    let mut document = fixture["latest_version"]["openapi_schema"].clone();
    edit(&mut document);
    document
}

async fn start(config: SimulatorConfig) -> Simulator {
    Simulator::start(config.timings(Duration::from_millis(5), Duration::from_millis(10)))
        .await
        .unwrap()
}

/// `value` for the model's latest version, named as a version (`owner/name`): the client checks a create by
/// version no further than its form (a version may differ from the types), so the server's check answers.
fn input(value: Value) -> JsonInput {
    JsonInput::new(Target::version(MODEL), value)
}

fn invalid_fields(error: &Error) -> Vec<(String, String)> {
    let Error::Api(api) = error else {
        panic!("{error:?}")
    };
    assert_eq!(api.status, 422);
    assert_eq!(api.title.as_deref(), Some("Input validation failed"));
    api.invalid_fields
        .iter()
        .map(|f| (f.kind.clone().unwrap_or_default(), f.field.clone()))
        .collect()
}

#[tokio::test]
async fn a_value_the_types_refuse_but_the_published_schema_allows_is_accepted() {
    let wider = published_with(|doc| {
        let values = doc
            .pointer_mut("/components/schemas/aspect_ratio/enum")
            .and_then(Value::as_array_mut)
            .expect("an aspect_ratio enum");
        values.push(json!("17:9"));
    });
    let odd = json!({"prompt": "p", "aspect_ratio": "17:9"});
    assert!(
        check_input(MODEL, odd.as_object().unwrap())
            .unwrap()
            .is_err(),
        "the generated types refuse it"
    );
    let sim = start(SimulatorConfig::default().published_schema(MODEL, wider)).await;
    let created = sim.client().unwrap().create(input(odd)).await.unwrap();
    assert_eq!(sim.record().created[0].id, created.id);
}

#[tokio::test]
async fn a_field_the_published_schema_requires_is_required_whatever_the_types_say() {
    let stricter = published_with(|doc| {
        let required = doc
            .pointer_mut("/components/schemas/Input/required")
            .and_then(Value::as_array_mut)
            .expect("a required list");
        required.push(json!("negative_prompt"));
    });
    let plain = json!({"prompt": "p"});
    assert!(
        check_input(MODEL, plain.as_object().unwrap())
            .unwrap()
            .is_ok()
    );
    let sim = start(SimulatorConfig::default().published_schema(MODEL, stricter)).await;
    let error = sim
        .client()
        .unwrap()
        .create(input(plain))
        .await
        .unwrap_err();
    assert_eq!(
        invalid_fields(&error),
        [("required".to_string(), "input.negative_prompt".to_string())]
    );
    assert!(sim.record().created.is_empty());
}

#[tokio::test]
async fn every_invalid_field_is_named_in_replicates_shape() {
    let sim = start(SimulatorConfig::default()).await;
    let bad = json!({"prompt": 7, "seed": "seven", "aspect_ratio": "17:9", "image": "not a uri"});
    let error = sim.client().unwrap().create(input(bad)).await.unwrap_err();
    let mut fields = invalid_fields(&error);
    fields.sort();
    assert_eq!(
        fields,
        [
            ("enum", "input.aspect_ratio"),
            ("format", "input.image"),
            ("invalid_type", "input.prompt"),
            ("invalid_type", "input.seed"),
        ]
        .map(|(k, f)| (k.to_string(), f.to_string()))
    );
    let Error::Api(api) = &error else {
        unreachable!()
    };
    let detail = api.detail.as_deref().unwrap_or_default();
    assert_eq!(detail.lines().count(), 4, "{detail}");
    assert!(
        detail.lines().all(|l| l.starts_with("- input.")),
        "{detail}"
    );
}
