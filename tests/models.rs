//! The ideogram family: one typed input per model, generated from `openapi.yaml`, each run end to end
//! against the simulator, and the differences between the models kept (fields, values, limits).

use std::time::Duration;

use replicate_ideogram::{
    Error, ModelInput,
    models::{
        AspectRatio, IdeogramCharacterInput, IdeogramV2Input, IdeogramV2TurboInput,
        IdeogramV2aInput, IdeogramV2aTurboInput, IdeogramV3BalancedInput, IdeogramV3QualityInput,
        IdeogramV3TurboInput, IdeogramV4BalancedInput, IdeogramV4TurboInput, KNOWN_MODELS,
        LayerizeInput, RenderingSpeed, StylePreset, V3AspectRatio, V3StyleType, V4Resolution,
        check_input, input_schema_for,
    },
};
use replicate_ideogram_simulator::{Simulator, SimulatorConfig};

use serde_json::{Value, json};

async fn simulator() -> Simulator {
    let config =
        SimulatorConfig::default().timings(Duration::from_millis(10), Duration::from_millis(30));
    Simulator::start(config).await.unwrap()
}

/// Runs `input` on the simulator and checks the model it reached and the PNG it made.
async fn runs<I>(sim: &Simulator, input: I)
where
    I: ModelInput<Output = String> + Send + Sync + 'static,
{
    let client = sim.client().unwrap();
    let model = input.target().to_string();
    let url = client
        .run(input)
        .await
        .unwrap_or_else(|e| panic!("{model}: {e}"));
    let png = client.download(&url).bytes().await.unwrap();
    assert_eq!(&png[..4], b"\x89PNG", "{model}");
    let record = sim.record();
    let created = record.created.last().unwrap();
    assert!(
        model.ends_with(&created.model),
        "{model} vs {}",
        created.model
    );
}

#[tokio::test]
async fn every_model_of_the_family_runs_with_its_typed_input() {
    let sim = simulator().await;
    runs(
        &sim,
        IdeogramV2TurboInput::new("a shoe").negative_prompt("fog"),
    )
    .await;
    runs(
        &sim,
        IdeogramV2Input::new("a shoe").aspect_ratio(AspectRatio::Ratio3x1),
    )
    .await;
    runs(&sim, IdeogramV2aInput::new("a shoe").seed(7)).await;
    runs(&sim, IdeogramV2aTurboInput::new("a shoe")).await;
    runs(
        &sim,
        IdeogramV3TurboInput::new("a shoe")
            .aspect_ratio(V3AspectRatio::Ratio4x5)
            .style_preset(StylePreset::ArtDeco),
    )
    .await;
    runs(
        &sim,
        IdeogramV3BalancedInput::new("a shoe").style_preset(StylePreset::Preset80sIllustration),
    )
    .await;
    runs(
        &sim,
        IdeogramV3QualityInput::new("a shoe")
            .style_type(V3StyleType::Design)
            .style_reference_images(["https://example.com/style.png".to_string()]),
    )
    .await;
    runs(
        &sim,
        IdeogramV4TurboInput::new()
            .prompt("a shoe")
            .resolution(V4Resolution::Res2048x2048),
    )
    .await;
    runs(
        &sim,
        IdeogramV4BalancedInput::new()
            .json_prompt(json!({"scene": "a shoe on a pink background"}))
            .enable_copyright_detection(true),
    )
    .await;
    runs(
        &sim,
        IdeogramCharacterInput::new("a shoe shop owner", "https://example.com/face.png")
            .rendering_speed(RenderingSpeed::Turbo),
    )
    .await;
    // layerize gives a list: a picture and a JSON file of its text layers.
    let files: Vec<String> = sim
        .client()
        .unwrap()
        .run(LayerizeInput::new("https://example.com/flat.png").font_name_h1("Inter"))
        .await
        .unwrap();
    assert_eq!(files.len(), 2, "{files:?}");
    assert!(
        files[0].ends_with(".png") && files[1].ends_with(".json"),
        "{files:?}"
    );
    let models: Vec<String> = sim
        .record()
        .created
        .iter()
        .map(|c| c.model.clone())
        .collect();
    let mut known: Vec<&str> = KNOWN_MODELS.to_vec();
    known.sort_unstable();
    let mut ran: Vec<&str> = models.iter().map(String::as_str).collect();
    ran.sort_unstable();
    assert_eq!(ran, known, "every known model ran once");
}

#[test]
fn the_models_keep_their_differences() {
    let props = |model: &str| input_schema_for(model).unwrap()["properties"].clone();
    let v2a = props("ideogram-ai/ideogram-v2a");
    for missing in ["negative_prompt", "image", "mask", "style_preset"] {
        assert!(v2a.get(missing).is_none(), "v2a has no {missing}");
    }
    let v3 = props("ideogram-ai/ideogram-v3-turbo");
    assert!(v3.get("negative_prompt").is_none());
    assert_eq!(v3["style_reference_images"]["items"]["format"], "uri");
    let bad_reference = IdeogramV3TurboInput::new("x")
        .style_reference_images(["ftp://host/style.png".to_string()])
        .validate()
        .unwrap_err();
    assert!(
        matches!(&bad_reference, Error::InvalidInput { field, .. } if field == "style_reference_images"),
        "{bad_reference}"
    );
    assert_eq!(
        props("ideogram-ai/ideogram-v2")["negative_prompt"]["type"],
        "string"
    );

    // Values: 4:5 and style presets are Ideogram 3's; Render 3D is Ideogram 2's.
    assert!("4:5".parse::<V3AspectRatio>().is_ok());
    assert!("4:5".parse::<AspectRatio>().is_err());
    assert!("Render 3D".parse::<V3StyleType>().is_err());
    assert_eq!(
        "Children's Book".parse::<StylePreset>().unwrap(),
        StylePreset::ChildrensBook
    );
    let check = |model: &str, input: Value| check_input(model, input.as_object().unwrap()).unwrap();
    assert!(
        check(
            "ideogram-ai/ideogram-v3-balanced",
            json!({"prompt": "x", "aspect_ratio": "4:5"})
        )
        .is_ok()
    );
    let error = check(
        "ideogram-ai/ideogram-v2-turbo",
        json!({"prompt": "x", "aspect_ratio": "4:5"}),
    )
    .unwrap_err();
    assert!(
        matches!(&error, Error::InvalidInput { field, .. } if field == "aspect_ratio"),
        "{error}"
    );

    // Limits: v2a and v3 cap the seed; v2-turbo's 2024 schema has no cap.
    for model in [
        "ideogram-ai/ideogram-v2a",
        "ideogram-ai/ideogram-v3-quality",
    ] {
        let error = check(model, json!({"prompt": "x", "seed": 2_147_483_648_i64})).unwrap_err();
        assert!(
            error.to_string().contains("at most 2147483647"),
            "{model}: {error}"
        );
    }
    assert!(
        check(
            "ideogram-ai/ideogram-v2-turbo",
            json!({"prompt": "x", "seed": 2_147_483_648_i64})
        )
        .is_ok()
    );
    assert!(check_input("someone/else", &serde_json::Map::new()).is_none());
}

#[test]
fn every_schema_names_its_fixture_and_what_is_unverified() {
    for model in KNOWN_MODELS {
        let schema = input_schema_for(model).unwrap();
        let description = schema["description"].as_str().unwrap_or_default();
        assert!(description.contains(model), "{model}: {description}");
        let name = model.rsplit('/').next().unwrap();
        let fixture = format!("tests/fixtures/published/{name}.json");
        assert!(description.contains(&fixture), "{model}: {description}");
        // Every schema today rests in part on third-party sources, and says which part.
        assert!(
            description.contains("UNVERIFIED: "),
            "{model}: {description}"
        );
    }
}
