//! The ideogram family: one typed input per model, generated from `openapi.yaml`, each run end to end
//! against the simulator, and the differences between the models kept (fields, values, limits).

use std::time::Duration;

use replicate_ideogram::{
    Error, ModelInput,
    models::{
        AspectRatio, IdeogramCharacterInput, IdeogramV2Input, IdeogramV2TurboInput,
        IdeogramV2aInput, IdeogramV2aTurboInput, IdeogramV3BalancedInput, IdeogramV3QualityInput,
        IdeogramV3TurboInput, IdeogramV4BalancedInput, IdeogramV4QualityInput,
        IdeogramV4TurboInput, KNOWN_MODELS, LayerizeInput, RenderingSpeed, StylePreset,
        V3AspectRatio, V3StyleType, V4Resolution, check_input, input_schema_for,
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
        IdeogramV4QualityInput::new()
            .prompt("a shoe")
            .resolution(V4Resolution::Res1440x2560),
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
    assert!(check_input("someone/else", &serde_json::Map::new()).is_none());
}

/// A seed's published `(minimum, maximum)`; `None` for a bound the schema does not set.
type SeedRange = (Option<i64>, Option<i64>);

/// The seed's range of each known model's latest version, as published: `None` where the model has no
/// seed. Every seed that has a cap has the same one, a signed 32-bit integer's.
const SEED_RANGES: [(&str, Option<SeedRange>); 12] = [
    (
        "ideogram-ai/ideogram-v2-turbo",
        Some((None, Some(2_147_483_647))),
    ),
    ("ideogram-ai/ideogram-v2", Some((None, Some(2_147_483_647)))),
    (
        "ideogram-ai/ideogram-v2a",
        Some((None, Some(2_147_483_647))),
    ),
    (
        "ideogram-ai/ideogram-v2a-turbo",
        Some((None, Some(2_147_483_647))),
    ),
    (
        "ideogram-ai/ideogram-v3-turbo",
        Some((None, Some(2_147_483_647))),
    ),
    (
        "ideogram-ai/ideogram-v3-balanced",
        Some((None, Some(2_147_483_647))),
    ),
    (
        "ideogram-ai/ideogram-v3-quality",
        Some((None, Some(2_147_483_647))),
    ),
    ("ideogram-ai/ideogram-v4-turbo", None),
    ("ideogram-ai/ideogram-v4-balanced", None),
    ("ideogram-ai/ideogram-v4-quality", None),
    (
        "ideogram-ai/ideogram-character",
        Some((None, Some(2_147_483_647))),
    ),
    ("ideogram-ai/layerize", Some((None, Some(2_147_483_647)))),
];

/// The smallest valid input of `model` (its required fields), with `seed` if given.
fn with_seed(model: &str, seed: Option<i64>) -> Value {
    let mut input = match model {
        "ideogram-ai/layerize" => json!({"flat_graphic_image": "https://example.com/flat.png"}),
        "ideogram-ai/ideogram-character" => json!({
            "prompt": "x",
            "character_reference_image": "https://example.com/face.png",
        }),
        _ => json!({"prompt": "x"}),
    };
    if let Some(seed) = seed {
        input["seed"] = seed.into();
    }
    input
}

#[test]
fn every_models_seed_range_is_the_published_one() {
    let mut listed: Vec<&str> = SEED_RANGES.iter().map(|(model, _)| *model).collect();
    listed.sort_unstable();
    let mut known = KNOWN_MODELS.to_vec();
    known.sort_unstable();
    assert_eq!(listed, known, "a seed range for every known model");

    let check = |model: &str, seed: Option<i64>| {
        let input = with_seed(model, seed);
        check_input(model, input.as_object().unwrap()).unwrap()
    };
    for (model, range) in SEED_RANGES {
        let schema = input_schema_for(model).unwrap();
        assert!(check(model, None).is_ok(), "{model}: the smallest input");
        let Some((minimum, maximum)) = range else {
            assert!(schema["properties"].get("seed").is_none(), "{model}");
            continue;
        };
        let seed = &schema["properties"]["seed"];
        // The schema's bounds are JSON numbers (2147483647 or 2147483647.0): compared as such.
        let bound = |b: Option<i64>| b.map(|b| b as f64);
        assert_eq!(seed["minimum"].as_f64(), bound(minimum), "{model}: minimum");
        assert_eq!(seed["maximum"].as_f64(), bound(maximum), "{model}: maximum");
        // No lower bound is published: a negative seed goes through as the server takes it.
        assert!(
            minimum.is_none() && check(model, Some(-1)).is_ok(),
            "{model}"
        );
        let max = maximum.expect("every seed here has a cap");
        assert!(check(model, Some(max)).is_ok(), "{model}: {max}");
        let error = check(model, Some(max + 1)).unwrap_err();
        assert!(
            matches!(&error, Error::InvalidInput { field, .. } if field == "seed")
                && error.to_string().contains(&format!("at most {max}")),
            "{model}: {error}"
        );
    }
}

#[tokio::test]
async fn a_seed_over_the_cap_is_refused_before_anything_is_sent() {
    let sim = simulator().await;
    let client = sim.client().unwrap();
    // 2^31: a random `u32` seed is above the cap half of the time.
    let error = client
        .run(IdeogramV2TurboInput::new("x").seed(2_147_483_648))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::InvalidInput { field, .. } if field == "seed"),
        "{error}"
    );
    assert!(error.to_string().contains("at most 2147483647"), "{error}");
    let error = client
        .run(IdeogramV2Input::new("x").seed(2_147_483_648))
        .await
        .unwrap_err();
    assert!(error.to_string().contains("at most 2147483647"), "{error}");
    let record = sim.record();
    assert!(record.created.is_empty(), "{:?}", record.created);
    assert!(
        record.requests.is_empty(),
        "nothing was sent: {:?}",
        record.requests
    );

    // The cap itself runs.
    let url: String = client
        .run(IdeogramV2TurboInput::new("x").seed(2_147_483_647))
        .await
        .unwrap();
    assert!(url.ends_with(".png"), "{url}");
    assert_eq!(sim.record().created[0].input["seed"], 2_147_483_647);
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
