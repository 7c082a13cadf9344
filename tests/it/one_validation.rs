//! One validation for every road into a known model: a typed input, a `JsonInput` naming the model, a typed
//! input pinned to a version. Each is refused by the model's rules with nothing sent (counted at the
//! simulator), and a `json_prompt` given as an object goes on the wire as the text the model wants.

use std::time::Duration;

use replicate_ideogram::{
    Error, JsonInput, ModelInput, Target,
    models::{IdeogramV3TurboInput, IdeogramV4TurboInput},
};
use replicate_ideogram_simulator::{Simulator, SimulatorConfig};
use serde_json::json;

async fn simulator() -> Simulator {
    let config =
        SimulatorConfig::default().timings(Duration::from_millis(10), Duration::from_millis(30));
    Simulator::start(config).await.unwrap()
}

fn refused_field(error: &Error) -> &str {
    match error {
        Error::InvalidInput { field, .. } => field,
        other => panic!("expected InvalidInput, got {other:?}"),
    }
}

#[tokio::test]
async fn a_json_input_for_a_known_model_is_checked_by_its_rules_before_sending() {
    let sim = simulator().await;
    let client = sim.client().unwrap();
    let v3 = Target::model(IdeogramV3TurboInput::MODEL);
    let cases = [
        (
            json!({"prompt": "a fox", "aspect_ratio": "17:9"}),
            "aspect_ratio",
        ),
        (json!({"aspect_ratio": "1:1"}), "prompt"),
        (
            json!({"prompt": "a fox", "seed": 2_147_483_648_i64}),
            "seed",
        ),
        (json!({"prompt": "a fox", "image": "not a url"}), "image"),
    ];
    for (input, field) in cases {
        let error = client
            .create(JsonInput::new(v3.clone(), input.clone()))
            .await
            .unwrap_err();
        assert_eq!(refused_field(&error), field, "{input}: {error}");
    }
    // Both or neither of Ideogram 4's prompts, as the typed input refuses them.
    let v4 = Target::model(IdeogramV4TurboInput::MODEL);
    for input in [
        json!({}),
        json!({"prompt": "a", "json_prompt": {"scene": "b"}}),
    ] {
        let error = client
            .create(JsonInput::new(v4.clone(), input))
            .await
            .unwrap_err();
        assert!(matches!(error, Error::InvalidInput { .. }), "{error:?}");
    }
    assert!(
        sim.record().requests.is_empty(),
        "{:?}",
        sim.record().requests
    );

    // A valid one is sent.
    client
        .create(JsonInput::new(
            v3,
            json!({"prompt": "a fox", "aspect_ratio": "4:5"}),
        ))
        .await
        .unwrap();
    assert_eq!(sim.record().created.len(), 1);
}

#[tokio::test]
async fn a_json_prompt_given_as_an_object_goes_as_text() {
    let sim = simulator().await;
    let client = sim.client().unwrap();
    let scene = json!({"scene": "a poster", "text": "RUN"});
    let input = JsonInput::new(
        Target::model(IdeogramV4TurboInput::MODEL),
        json!({"json_prompt": scene}),
    );
    client.run(input).await.unwrap();
    let sent = &sim.record().created[0].input["json_prompt"];
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(sent.as_str().unwrap()).unwrap(),
        scene
    );
}

#[tokio::test]
async fn a_pinned_input_is_checked_like_its_model_s() {
    let sim = simulator().await;
    let client = sim.client().unwrap();
    let blank = IdeogramV3TurboInput::new("").at_version(IdeogramV3TurboInput::VERSION);
    let error = client.run(blank).await.unwrap_err();
    assert_eq!(refused_field(&error), "prompt");
    let not_an_id = IdeogramV3TurboInput::new("a fox").at_version("latest");
    assert_eq!(
        refused_field(&client.run(not_an_id).await.unwrap_err()),
        "version"
    );
    assert!(
        sim.record().requests.is_empty(),
        "{:?}",
        sim.record().requests
    );
}
