//! A model's versions: listed newest first, read one by one with their own schema, pinned to, and an unknown
//! one refused by the server as a typed error naming it (against the simulator, which keeps the 2024
//! ideogram-v2-turbo version beside the spec's).

use crate::common;

use std::time::Duration;

use futures_util::{StreamExt, TryStreamExt};
use replicate_ideogram::{
    Error, JsonInput, ModelInput, Operation, Target, models::IdeogramV2aInput,
};
use replicate_ideogram_simulator::{Simulator, SimulatorConfig};
use serde_json::{Value, json};

const V2_TURBO: &str = "ideogram-ai/ideogram-v2-turbo";
/// The 2024 version of ideogram-v2-turbo, with 79 resolutions and no cap on the seed.
const V2_TURBO_2024: &str = "fbb188a06a69327a5daa9d82162b31528823d918705aefeeebd17856f856cfac";

async fn simulator(config: SimulatorConfig) -> Simulator {
    let config = config.timings(Duration::from_millis(10), Duration::from_millis(30));
    Simulator::start(config).await.unwrap()
}

fn resolutions(schema: &serde_json::Map<String, Value>) -> usize {
    schema
        .get("components")
        .and_then(|c| c.pointer("/schemas/resolution/enum"))
        .and_then(Value::as_array)
        .map_or(0, Vec::len)
}

#[tokio::test]
async fn versions_are_listed_newest_first_each_with_its_own_schema() {
    let sim = simulator(SimulatorConfig::default()).await;
    let client = sim.client().unwrap();
    let versions: Vec<_> = client.model_versions(V2_TURBO).try_collect().await.unwrap();
    let ids: Vec<&str> = versions.iter().map(|v| v.id.as_str()).collect();
    assert_eq!(ids.len(), 2, "{ids:?}");
    assert_eq!(ids[1], V2_TURBO_2024);
    assert!(versions[0].created_at > versions[1].created_at);
    let latest = client
        .model(V2_TURBO)
        .await
        .unwrap()
        .latest_version
        .unwrap();
    assert_eq!(latest.id, ids[0]);

    let old = client.model_version(V2_TURBO, V2_TURBO_2024).await.unwrap();
    assert_eq!(resolutions(old.openapi_schema.as_ref().unwrap()), 79);
    assert_eq!(
        resolutions(latest.openapi_schema.as_ref().unwrap()),
        69,
        "the latest version dropped 10 resolutions"
    );
    assert_eq!(
        sim.record()
            .requests_to("GET /models/{owner}/{name}/versions/{id}"),
        1
    );
}

#[tokio::test]
async fn an_unknown_version_is_a_typed_error_naming_it_and_nothing_is_created() {
    let sim = simulator(SimulatorConfig::default()).await;
    let client = sim.client().unwrap();

    let error = client
        .model_version(V2_TURBO, "0000deadbeef")
        .await
        .unwrap_err();
    match &error {
        Error::UnknownVersion { version, api } => {
            assert_eq!(version, &format!("{V2_TURBO}:0000deadbeef"));
            assert_eq!((api.status, api.operation), (404, Operation::GetVersion));
        }
        other => panic!("expected UnknownVersion, got {other:?}"),
    }

    // Another model's version, pinned: the server refuses it (422) and the client says which version.
    let pinned = IdeogramV2aInput::new("a shoe").at_version(V2_TURBO_2024);
    let error = client.run(pinned).await.unwrap_err();
    let Error::UnknownVersion { version, api } = &error else {
        panic!("expected UnknownVersion, got {error:?}");
    };
    assert_eq!(
        version,
        &format!("ideogram-ai/ideogram-v2a:{V2_TURBO_2024}")
    );
    assert_eq!(api.status, 422);
    assert!(error.to_string().contains(V2_TURBO_2024), "{error}");
    assert!(
        error.to_string().contains("Invalid version"),
        "the server's words are kept: {error}"
    );
    assert_eq!(error.status(), Some(422));
    assert!(sim.record().created.is_empty());
}

#[tokio::test]
async fn a_pinned_older_version_is_checked_against_its_own_schema() {
    let sim = simulator(SimulatorConfig::default()).await;
    let client = sim.client().unwrap();
    // 1280x720 is one of the ten resolutions only the 2024 versions have.
    let input = json!({"prompt": "a harbour", "resolution": "1280x720"});
    let old = JsonInput::new(
        Target::version(format!("{V2_TURBO}:{V2_TURBO_2024}")),
        input.clone(),
    );
    let output = client.run(old).await.unwrap();
    assert!(
        output.as_str().is_some_and(|url| url.ends_with(".png")),
        "{output}"
    );
    let record = sim.record();
    assert_eq!(record.created.len(), 1);
    assert_eq!(record.created[0].version, V2_TURBO_2024);

    let latest = client
        .model(V2_TURBO)
        .await
        .unwrap()
        .latest_version
        .unwrap()
        .id;
    let new = JsonInput::new(Target::version(format!("{V2_TURBO}:{latest}")), input);
    let error = client.run(new).await.unwrap_err();
    assert!(
        matches!(&error, Error::Api(api) if api.status == 422
            && api.invalid_fields.iter().any(|f| f.field == "input.resolution")),
        "{error:?}"
    );
    assert_eq!(sim.record().created.len(), 1);
}

#[tokio::test]
async fn a_model_that_moved_lists_its_new_latest_version_first() {
    let model = IdeogramV2aInput::MODEL;
    let config = SimulatorConfig::default().latest_version(model, "abcdef0123");
    let sim = simulator(config).await;
    let client = sim.client().unwrap();
    let ids: Vec<String> = client
        .model_versions(model)
        .map_ok(|v| v.id)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids[0], "abcdef0123");
    assert_eq!(ids[1], IdeogramV2aInput::VERSION);
    // The crate's VERSION still runs, pinned: the model moved, the version did not go away.
    let pinned = IdeogramV2aInput::new("a shoe").at_version(IdeogramV2aInput::VERSION);
    client.run(pinned).await.unwrap();
    assert_eq!(sim.record().created[0].version, IdeogramV2aInput::VERSION);
}

#[tokio::test]
async fn a_model_name_that_is_not_owner_slash_name_is_refused_before_sending() {
    let sim = simulator(SimulatorConfig::default()).await;
    let client = sim.client().unwrap();
    let items: Vec<_> = client.model_versions("../account").collect().await;
    assert!(
        matches!(items.as_slice(), [Err(Error::InvalidInput { field, .. })] if field == "model"),
        "{items:?}"
    );
    let error = client.model_version(V2_TURBO, "../x").await.unwrap_err();
    assert!(matches!(error, Error::InvalidInput { .. }), "{error:?}");
    assert_eq!(
        sim.record().requests.len(),
        0,
        "{:?}",
        sim.record().requests
    );
}

#[tokio::test]
async fn a_versions_listing_that_cycles_is_stopped() {
    use common::PREFIX;
    let server = common::server().await;
    let page = |cursor: &str| {
        json!({"next": format!("{PREFIX}/models/a/b/versions?cursor={cursor}"), "results": [
            {"id": "v1", "openapi_schema": null}
        ]})
    };
    wiremock::Mock::given(wiremock::matchers::path(format!(
        "{PREFIX}/models/a/b/versions"
    )))
    .respond_with(common::json(200, &page("same")))
    .mount(&server)
    .await;
    let client = common::client(&server);
    let items: Vec<_> = tokio::time::timeout(
        Duration::from_secs(30),
        client.model_versions("a/b").collect::<Vec<_>>(),
    )
    .await
    .expect("the listing ends");
    let (last, yielded) = items.split_last().unwrap();
    assert!(yielded.len() <= 3, "{} versions", yielded.len());
    assert!(
        matches!(
            last,
            Err(Error::ListStalled {
                operation: Operation::ListVersions,
                ..
            })
        ),
        "{last:?}"
    );
}

#[tokio::test]
async fn replicate_s_answer_to_an_unknown_version_is_the_same_typed_error() {
    let server = common::server().await;
    // Replicate's body, as users of other clients have quoted it.
    let body = serde_json::json!({
        "title": "Invalid version or not permitted",
        "detail": "The specified version does not exist (or perhaps you don't have permission to use it?)",
        "status": 422
    });
    wiremock::Mock::given(wiremock::matchers::path(format!(
        "{}/predictions",
        common::PREFIX
    )))
    .respond_with(common::problem(422, body))
    .mount(&server)
    .await;
    let client = common::client(&server);
    let pinned = IdeogramV2aInput::new("a shoe").at_version("0000deadbeef");
    let error = client.create(pinned).await.unwrap_err();
    assert!(
        matches!(&error, Error::UnknownVersion { version, .. }
            if version == "ideogram-ai/ideogram-v2a:0000deadbeef"),
        "{error:?}"
    );
    assert_eq!(
        common::hits(&server, &format!("{}/predictions", common::PREFIX)).await,
        1
    );
}
