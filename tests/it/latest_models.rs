//! The models as their latest versions publish them: the values the 2024 versions alone had are refused,
//! Ideogram 4's prompt rule and JSON prompt are checked before anything is sent, and a typed input can run on
//! a pinned version.

use std::time::Duration;

use replicate_ideogram::{
    Error, ModelInput, Target,
    models::{
        IdeogramCharacterInput, IdeogramV2Input, IdeogramV2TurboInput, IdeogramV2aInput,
        IdeogramV2aTurboInput, IdeogramV3BalancedInput, IdeogramV3QualityInput,
        IdeogramV3TurboInput, IdeogramV4BalancedInput, IdeogramV4QualityInput,
        IdeogramV4TurboInput, KNOWN_MODELS, LayerizeInput, Resolution, check_input,
        encode_json_strings,
    },
};
use replicate_ideogram_simulator::{Simulator, SimulatorConfig};

use serde_json::json;

/// The resolutions of the 2024 versions of ideogram-v2(-turbo) that the latest versions reject.
const GONE: [&str; 10] = [
    "640x1024", "720x1280", "768x1024", "768x1152", "768x1232", "1024x640", "1024x768", "1152x768",
    "1232x768", "1280x720",
];

async fn simulator() -> Simulator {
    let config =
        SimulatorConfig::default().timings(Duration::from_millis(10), Duration::from_millis(30));
    Simulator::start(config).await.unwrap()
}

fn invalid_field(error: &Error) -> &str {
    match error {
        Error::InvalidInput { field, .. } => field,
        other => panic!("expected InvalidInput, got {other}"),
    }
}

#[test]
fn the_resolutions_the_latest_versions_dropped_are_refused() {
    assert_eq!(Resolution::ALL.len(), 69);
    for value in GONE {
        assert!(value.parse::<Resolution>().is_err(), "{value}");
        for model in [
            "ideogram-ai/ideogram-v2-turbo",
            "ideogram-ai/ideogram-v2",
            "ideogram-ai/ideogram-v2a",
            "ideogram-ai/ideogram-v2a-turbo",
        ] {
            let input = json!({"prompt": "x", "resolution": value});
            let error = check_input(model, input.as_object().unwrap())
                .unwrap()
                .unwrap_err();
            assert_eq!(invalid_field(&error), "resolution", "{model} {value}");
            assert!(error.to_string().contains(value), "{error}");
        }
    }
    // What stays is accepted.
    assert!("1024x1024".parse::<Resolution>().is_ok());
}

#[tokio::test]
async fn ideogram_4_needs_exactly_one_of_prompt_and_json_prompt_before_anything_is_sent() {
    let sim = simulator().await;
    let client = sim.client().unwrap();
    let both = IdeogramV4TurboInput::new()
        .prompt("a shoe")
        .json_prompt(json!({"scene": "a shoe"}));
    let neither = IdeogramV4BalancedInput::new();
    let blank = IdeogramV4TurboInput::new().json_prompt("   ");
    let not_object = IdeogramV4TurboInput::new().json_prompt("[1, 2]");
    let not_json = IdeogramV4TurboInput::new().json_prompt("{scene: a shoe");
    for (error, field, words) in [
        (
            client.run(both).await.unwrap_err(),
            "prompt, json_prompt",
            "only one of",
        ),
        (
            client.run(neither).await.unwrap_err(),
            "prompt, json_prompt",
            "set one of",
        ),
        (
            client.run(blank).await.unwrap_err(),
            "json_prompt",
            "not valid JSON",
        ),
        (
            client.run(not_object).await.unwrap_err(),
            "json_prompt",
            "not an array",
        ),
        (
            client.run(not_json).await.unwrap_err(),
            "json_prompt",
            "not valid JSON",
        ),
    ] {
        assert_eq!(invalid_field(&error), field, "{error}");
        let text = error
            .to_string()
            .replace("must be a JSON object, not an array", "not an array");
        assert!(text.contains(words), "{text}");
    }
    assert!(sim.record().requests.is_empty(), "nothing was sent");

    // A JSON value or JSON text: the same string on the wire.
    let from_value = IdeogramV4TurboInput::new().json_prompt(json!({"scene": "a shoe"}));
    let from_text = IdeogramV4TurboInput::new().json_prompt(r#"{"scene":"a shoe"}"#);
    assert_eq!(
        serde_json::to_value(&from_value).unwrap(),
        serde_json::to_value(&from_text).unwrap()
    );
    let url: String = client.run(from_value).await.unwrap();
    assert!(url.ends_with(".png"), "{url}");
    assert_eq!(
        sim.record().created[0].input["json_prompt"],
        r#"{"scene":"a shoe"}"#
    );
}

#[tokio::test]
async fn ideogram_4_quality_runs_and_keeps_the_prompt_rule() {
    let sim = simulator().await;
    let client = sim.client().unwrap();
    let both = IdeogramV4QualityInput::new()
        .prompt("a shoe")
        .json_prompt(json!({"scene": "a shoe"}));
    let error = client.run(both).await.unwrap_err();
    assert_eq!(invalid_field(&error), "prompt, json_prompt", "{error}");
    assert!(error.to_string().contains("only one of"), "{error}");
    let error = client.run(IdeogramV4QualityInput::new()).await.unwrap_err();
    assert_eq!(invalid_field(&error), "prompt, json_prompt", "{error}");
    assert!(error.to_string().contains("set one of"), "{error}");
    let record = sim.record();
    assert!(
        record.created.is_empty() && record.requests.is_empty(),
        "{record:?}"
    );

    let input = IdeogramV4QualityInput::new()
        .json_prompt(json!({"scene": "a shoe"}))
        .enable_copyright_detection(true);
    let url: String = client.run(input).await.unwrap();
    assert!(url.ends_with(".png"), "{url}");
    let record = sim.record();
    assert_eq!(record.created.len(), 1);
    assert_eq!(record.created[0].model, "ideogram-ai/ideogram-v4-quality");
    assert_eq!(
        record.created[0].input["json_prompt"],
        r#"{"scene":"a shoe"}"#
    );
    assert_eq!(record.created[0].input["enable_copyright_detection"], true);
}

#[tokio::test]
async fn a_typed_input_can_run_on_a_pinned_version() {
    let sim = simulator().await;
    let client = sim.client().unwrap();
    let pinned = IdeogramV2aInput::new("a shoe").at_version(IdeogramV2aInput::VERSION);
    assert_eq!(
        pinned.target(),
        Target::version(format!(
            "ideogram-ai/ideogram-v2a:{}",
            IdeogramV2aInput::VERSION
        ))
    );
    let url: String = client.run(pinned).await.unwrap();
    assert!(url.ends_with(".png"));
    let record = sim.record();
    assert_eq!(record.created[0].model, "ideogram-ai/ideogram-v2a");
    assert!(
        record.requests.contains_key("POST /predictions"),
        "created through /predictions with a version: {:?}",
        record.requests
    );

    // Not a version id: refused before sending, like any invalid input.
    let error = client
        .run(IdeogramV2TurboInput::new("x").at_version("latest"))
        .await
        .unwrap_err();
    assert_eq!(invalid_field(&error), "version");
    assert_eq!(sim.record().created.len(), 1);
}

/// Every model whose published version id could be read, with that id (`VERSION`). Its latest version's id
/// is published nowhere that could be read for ideogram-v4-turbo and v4-quality: pinning them takes an id
/// read from the API.
const PINNABLE: [(&str, &str); 10] = [
    (IdeogramV2TurboInput::MODEL, IdeogramV2TurboInput::VERSION),
    (IdeogramV2Input::MODEL, IdeogramV2Input::VERSION),
    (IdeogramV2aInput::MODEL, IdeogramV2aInput::VERSION),
    (IdeogramV2aTurboInput::MODEL, IdeogramV2aTurboInput::VERSION),
    (IdeogramV3TurboInput::MODEL, IdeogramV3TurboInput::VERSION),
    (
        IdeogramV3BalancedInput::MODEL,
        IdeogramV3BalancedInput::VERSION,
    ),
    (
        IdeogramV3QualityInput::MODEL,
        IdeogramV3QualityInput::VERSION,
    ),
    (
        IdeogramV4BalancedInput::MODEL,
        IdeogramV4BalancedInput::VERSION,
    ),
    (
        IdeogramCharacterInput::MODEL,
        IdeogramCharacterInput::VERSION,
    ),
    (LayerizeInput::MODEL, LayerizeInput::VERSION),
];

#[test]
fn the_models_with_a_published_version_id_name_it() {
    for (model, version) in PINNABLE {
        assert!(
            version.len() == 64 && version.bytes().all(|b| b.is_ascii_hexdigit()),
            "{model}: {version}"
        );
    }
    assert_eq!(
        IdeogramV3TurboInput::VERSION,
        "d9b3748f95c0fe3e71f010f8cc5d80e8f5252acd0e74b1c294ee889eea52a47b"
    );
    let unpinned: Vec<&str> = KNOWN_MODELS
        .iter()
        .copied()
        .filter(|model| PINNABLE.iter().all(|(pinned, _)| pinned != model))
        .collect();
    assert_eq!(
        unpinned,
        [
            "ideogram-ai/ideogram-v4-quality",
            "ideogram-ai/ideogram-v4-turbo"
        ]
    );
}

#[tokio::test]
async fn the_newly_published_versions_run_pinned() {
    let sim = simulator().await;
    let client = sim.client().unwrap();
    let v3 = IdeogramV3TurboInput::new("a shoe").at_version(IdeogramV3TurboInput::VERSION);
    let prediction = client.create(v3).await.unwrap();
    assert_eq!(
        prediction.version.as_deref(),
        Some(IdeogramV3TurboInput::VERSION)
    );
    let v2 = IdeogramV2TurboInput::new("a shoe").at_version(IdeogramV2TurboInput::VERSION);
    let prediction = client.create(v2).await.unwrap();
    assert_eq!(
        prediction.version.as_deref(),
        Some(IdeogramV2TurboInput::VERSION)
    );
    let balanced =
        IdeogramV3BalancedInput::new("a shoe").at_version(IdeogramV3BalancedInput::VERSION);
    let url: String = client.run(balanced).await.unwrap();
    assert!(url.ends_with(".png"), "{url}");
    let record = sim.record();
    let models: Vec<&str> = record.created.iter().map(|c| c.model.as_str()).collect();
    assert_eq!(
        models,
        [
            "ideogram-ai/ideogram-v3-turbo",
            "ideogram-ai/ideogram-v2-turbo",
            "ideogram-ai/ideogram-v3-balanced"
        ]
    );
    assert_eq!(record.requests_to("POST /predictions"), 3, "{record:?}");
}

#[test]
fn a_json_input_may_give_the_json_prompt_as_an_object_and_must_give_required_fields() {
    let model = "ideogram-ai/ideogram-v4-balanced";
    let mut input = json!({"json_prompt": {"scene": "a shoe"}});
    let input = input.as_object_mut().unwrap();
    assert!(
        check_input(model, input).unwrap().is_err(),
        "an object is not the wire form"
    );
    encode_json_strings(model, input);
    assert_eq!(input["json_prompt"], r#"{"scene":"a shoe"}"#);
    assert!(check_input(model, input).unwrap().is_ok());
    // Other models' fields, and other fields, are left as they are.
    let mut other = json!({"prompt": "x", "json_prompt": {"a": 1}});
    let other = other.as_object_mut().unwrap();
    encode_json_strings("ideogram-ai/ideogram-v2-turbo", other);
    assert!(other["json_prompt"].is_object());

    let missing = json!({"character_reference_image": "https://example.com/me.png"});
    let error = check_input(
        "ideogram-ai/ideogram-character",
        missing.as_object().unwrap(),
    )
    .unwrap()
    .unwrap_err();
    assert_eq!(invalid_field(&error), "prompt");
    assert_eq!(error.to_string(), "invalid input: `prompt` is required");
}
