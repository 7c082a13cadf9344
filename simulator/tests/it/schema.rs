//! The simulator's responses, checked against the schemas in `openapi.yaml`, so the two cannot drift:
//! every field it sends must be declared, every required field present, every value of the declared type.

use std::time::Duration;

use replicate_ideogram_simulator::{Simulator, SimulatorConfig};
use serde_json::{Value, json};

fn spec() -> Value {
    yaml_serde::from_str(include_str!("../../../openapi.yaml")).expect("openapi.yaml parses")
}

/// Checks `value` against an OpenAPI 3.0 schema; returns every violation, with its JSON path.
fn violations(spec: &Value, schema: &Value, value: &Value, at: &str) -> Vec<String> {
    let mut found = Vec::new();
    check(spec, schema, value, at, &mut found);
    found
}

fn resolve<'a>(spec: &'a Value, schema: &'a Value) -> &'a Value {
    let reference = schema
        .get("$ref")
        .or_else(|| schema.pointer("/allOf/0/$ref"))
        .and_then(Value::as_str);
    match reference {
        Some(r) => spec
            .pointer(&r.replacen("#", "", 1))
            .expect("a $ref that resolves"),
        None => schema,
    }
}

fn check(spec: &Value, schema: &Value, value: &Value, at: &str, found: &mut Vec<String>) {
    let nullable = schema.get("nullable") == Some(&json!(true));
    let schema = resolve(spec, schema);
    if value.is_null() {
        if !nullable && schema.get("type").is_some() {
            found.push(format!("{at}: null, but not nullable"));
        }
        return;
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
        && !allowed.contains(value)
    {
        found.push(format!("{at}: {value} is not one of {allowed:?}"));
    }
    let Some(kind) = schema.get("type").and_then(Value::as_str) else {
        return; // any value
    };
    let ok = match kind {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        other => panic!("the checker does not know type {other}"),
    };
    if !ok {
        found.push(format!("{at}: {value} is not of type {kind}"));
        return;
    }
    match (schema.get("format").and_then(Value::as_str), value.as_str()) {
        (Some("date-time"), Some(text)) if chrono::DateTime::parse_from_rfc3339(text).is_err() => {
            found.push(format!("{at}: {text:?} is not an RFC 3339 date-time"));
        }
        (Some("uri"), Some(text)) if reqwest::Url::parse(text).is_err() => {
            found.push(format!("{at}: {text:?} is not a URI"));
        }
        _ => {}
    }
    if let (Some(object), Some(properties)) = (
        value.as_object(),
        schema.get("properties").and_then(Value::as_object),
    ) {
        for name in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let name = name.as_str().unwrap();
            if !object.contains_key(name) {
                found.push(format!("{at}: required field {name} is missing"));
            }
        }
        for (name, field) in object {
            match properties.get(name) {
                Some(declared) => check(spec, declared, field, &format!("{at}.{name}"), found),
                None => found.push(format!("{at}.{name}: not declared in openapi.yaml")),
            }
        }
    }
    if let (Some(items), Some(schema)) = (value.as_array(), schema.get("items")) {
        for (i, item) in items.iter().enumerate() {
            check(spec, schema, item, &format!("{at}[{i}]"), found);
        }
    }
}

fn component(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

/// Raw requests to the simulator, so the test sees exactly what it sends.
struct Raw {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Raw {
    async fn send(&self, request: reqwest::RequestBuilder) -> (u16, Value) {
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap())
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        self.send(
            self.http
                .get(format!("{}{path}", self.base))
                .bearer_auth(&self.token),
        )
        .await
    }

    fn post(&self, path: &str, body: Option<Value>) -> reqwest::RequestBuilder {
        let request = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        match body {
            Some(body) => request.json(&body),
            None => request,
        }
    }
}

#[tokio::test]
async fn every_response_matches_its_schema() {
    const CREATE: &str = "/models/ideogram-ai/ideogram-v2-turbo/predictions";
    let spec = spec();
    let config = SimulatorConfig::default()
        .timings(Duration::from_millis(20), Duration::from_millis(80))
        .page_size(2);
    let sim = Simulator::start(config).await.unwrap();
    let raw = Raw {
        http: reqwest::Client::new(),
        base: sim.base_url(),
        token: sim.token().to_string(),
    };
    let mut checked: Vec<(&str, u16, Value, &str)> = Vec::new();

    let create = json!({"input": {"prompt": "a lighthouse", "seed": 3},
                        "webhook_events_filter": ["completed"], "webhook": "http://127.0.0.1:9/hook"});
    let (status, created) = raw.send(raw.post(CREATE, Some(create))).await;
    let id = created["id"].as_str().unwrap().to_string();
    checked.push(("create", status, created, "Prediction"));
    let (status, body) = raw.get(&format!("/predictions/{id}")).await;
    checked.push(("get (starting)", status, body, "Prediction"));
    tokio::time::sleep(Duration::from_millis(150)).await;
    let (status, body) = raw.get(&format!("/predictions/{id}")).await;
    assert_eq!(body["status"], "succeeded");
    checked.push(("get (succeeded)", status, body, "Prediction"));

    let sync = raw
        .post(
            CREATE,
            Some(json!({"input": {"prompt": "[fail] on purpose"}})),
        )
        .header("prefer", "wait=5")
        .header("cancel-after", "1m");
    let (status, failed) = raw.send(sync).await;
    assert_eq!(failed["status"], "failed");
    checked.push(("create with Prefer (failed)", status, failed, "Prediction"));

    let version = json!({"version": "ideogram-ai/ideogram-v2-turbo", "input": {"prompt": "v"}});
    let (status, body) = raw.send(raw.post("/predictions", Some(version))).await;
    let to_cancel = body["id"].as_str().unwrap().to_string();
    checked.push(("create by version", status, body, "Prediction"));
    let (status, body) = raw
        .send(raw.post(&format!("/predictions/{to_cancel}/cancel"), None))
        .await;
    checked.push(("cancel", status, body, "Prediction"));
    let deployment = json!({"input": {"prompt": "d"}});
    let (status, body) = raw
        .send(raw.post("/deployments/acme/painter/predictions", Some(deployment)))
        .await;
    checked.push(("create by deployment", status, body, "Prediction"));

    let (status, page) = raw.get("/predictions").await;
    assert!(page["next"].is_string(), "four predictions, two per page");
    checked.push(("list", status, page, "PredictionPage"));
    let (status, body) = raw.get("/webhooks/default/secret").await;
    checked.push(("webhook secret", status, body, "WebhookSecret"));

    let form = reqwest::multipart::Form::new().part(
        "content",
        reqwest::multipart::Part::bytes(vec![1u8; 64])
            .file_name("mask.png")
            .mime_str("image/png")
            .unwrap(),
    );
    let (status, uploaded) = raw.send(raw.post("/files", None).multipart(form)).await;
    assert_eq!(status, 201);
    let file_id = uploaded["id"].as_str().unwrap().to_string();
    checked.push(("upload", status, uploaded, "UploadedFile"));
    let (status, body) = raw.get(&format!("/files/{file_id}")).await;
    checked.push(("uploaded file", status, body, "UploadedFile"));

    let (status, body) = raw.get("/files").await;
    assert_eq!(body["results"][0]["id"], file_id);
    checked.push(("files", status, body, "UploadedFilePage"));

    let (status, body) = raw.get("/models/ideogram-ai/ideogram-v3-turbo").await;
    assert!(body["latest_version"]["openapi_schema"]["components"]["schemas"]["Input"].is_object());
    checked.push(("model", status, body, "Model"));
    let (status, body) = raw
        .get("/models/ideogram-ai/ideogram-v2-turbo/versions")
        .await;
    let old = body["results"][1]["id"].as_str().unwrap().to_string();
    checked.push(("versions", status, body, "ModelVersionPage"));
    let (status, body) = raw
        .get(&format!(
            "/models/ideogram-ai/ideogram-v2-turbo/versions/{old}"
        ))
        .await;
    checked.push(("version", status, body, "ModelVersion"));

    let (status, body) = raw.get("/predictions/nope").await;
    checked.push(("404", status, body, "ProblemDetails"));
    let bad = json!({"input": {"prompt": "p", "resolution": "7x7"}});
    let (status, body) = raw.send(raw.post(CREATE, Some(bad))).await;
    assert_eq!(status, 422);
    assert!(body["invalid_fields"].is_array());
    checked.push(("422", status, body, "ProblemDetails"));
    let stranger = Raw {
        token: "r8_wrong".into(),
        http: raw.http.clone(),
        base: raw.base.clone(),
    };
    let (status, body) = stranger.get(&format!("/predictions/{id}")).await;
    checked.push(("401", status, body, "ProblemDetails"));
    let (status, body) = raw
        .send(raw.post(
            "/predictions",
            Some(json!({"version": "0000deadbeef", "input": {"prompt": "p"}})),
        ))
        .await;
    assert_eq!(status, 422);
    checked.push(("unknown version", status, body, "ProblemDetails"));

    let mut problems = Vec::new();
    for (what, status, body, schema) in &checked {
        assert!(
            *status < 300 || *schema == "ProblemDetails",
            "{what}: HTTP {status}: {body}"
        );
        problems.extend(violations(&spec, &component(schema), body, what));
    }
    assert!(
        problems.is_empty(),
        "the simulator drifted from openapi.yaml:\n{}",
        problems.join("\n")
    );
    assert_eq!(checked.len(), 19);
}

#[test]
fn the_checker_catches_drift() {
    let spec = spec();
    let prediction = component("Prediction");
    let good = json!({"id": "x", "status": "starting", "urls": {"get": "https://a/b"}});
    assert!(violations(&spec, &prediction, &good, "p").is_empty());
    let cases = [
        (json!({"status": "starting"}), "required field id"),
        (
            json!({"id": "x", "status": "starting", "extra": 1}),
            "p.extra: not declared",
        ),
        (
            json!({"id": 5, "status": "starting"}),
            "p.id: 5 is not of type string",
        ),
        (
            json!({"id": "x", "status": "starting", "created_at": "yesterday"}),
            "not an RFC 3339",
        ),
        (
            json!({"id": "x", "status": "starting", "data_removed": null}),
            "not nullable",
        ),
        (
            json!({"id": "x", "status": "starting", "urls": {"get": "no uri"}}),
            "not a URI",
        ),
    ];
    for (value, expected) in cases {
        let found = violations(&spec, &prediction, &value, "p");
        assert!(
            found.iter().any(|v| v.contains(expected)),
            "{value}: {found:?}"
        );
    }
}
