//! The simulated API's routes, and the delivery host's.

// Handlers return an early answer as `Err(Response)`, the axum idiom; its size does not matter here.
#![allow(clippy::result_large_err)]

use std::{collections::HashMap, sync::Arc, time::Duration};

use axum::{
    Router,
    body::{Body, Bytes},
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use base64::Engine;
use chrono::{DateTime, Utc};
use rand::RngExt;
use serde_json::{Value, json};
use tokio::time::{Instant, sleep_until};

use super::{
    CreatedPrediction, Shared, image,
    state::{Outcome, Stored},
    webhooks,
};
use crate::models::KNOWN_MODELS;

type Reply = Result<Response, Response>;

/// Where the simulator serves its [`Record`](super::Record) as JSON (with the token), for a harness in another
/// process.
pub(crate) const RECORD_PATH: &str = "/_simulator/record";

/// The model a version hash or a deployment runs (the simulator knows no other mapping).
const DEFAULT_MODEL: &str = "ideogram-ai/ideogram-v2-turbo";

/// Where the delivery host serves `{bytes}` bytes of filler, streamed: a large output for download benchmarks.
pub(crate) const BLOB_PATH: &str = "/_simulator/blob/{bytes}";

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    let api = Router::new()
        .route("/models/{owner}/{name}", get(model))
        .route("/models/{owner}/{name}/predictions", post(create_for_model))
        .route(
            "/deployments/{owner}/{name}/predictions",
            post(create_for_deployment),
        )
        .route("/predictions", post(create_for_version).get(list))
        .route("/predictions/{id}", get(read))
        .route("/predictions/{id}/cancel", post(cancel))
        .route("/webhooks/default/secret", get(secret))
        .route("/files", post(upload))
        .route("/files/{name}", get(file_or_output))
        .route(RECORD_PATH, get(record))
        .fallback(not_found)
        .with_state(shared.clone());
    match shared.config.path_prefix.as_str() {
        "" => api,
        prefix => Router::new().nest(prefix, api).fallback(not_found),
    }
}

pub(crate) fn delivery(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/files/{name}", get(file))
        .route(BLOB_PATH, get(blob))
        .fallback(not_found)
        .with_state(shared)
}

/// An RFC 7807 problem-details answer.
pub(crate) fn problem(status: StatusCode, title: &str, detail: &str) -> Response {
    problem_with(
        status,
        json!({"title": title, "detail": detail, "status": status.as_u16()}),
    )
}

fn problem_with(status: StatusCode, body: Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/problem+json")],
        body.to_string(),
    )
        .into_response()
}

fn invalid(field: &str, description: &str) -> Response {
    problem_with(
        StatusCode::UNPROCESSABLE_ENTITY,
        json!({
            "title": "Input validation failed",
            "detail": format!("- {field}: {description}\n"),
            "status": 422,
            "invalid_fields": [{"type": "invalid", "field": field, "description": description}],
        }),
    )
}

fn json_reply(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

async fn not_found() -> Response {
    problem(
        StatusCode::NOT_FOUND,
        "Not found",
        "The requested resource could not be found.",
    )
}

fn authorize(shared: &Shared, headers: &HeaderMap) -> Result<(), Response> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("Token "))
        });
    if token.map(str::trim) == Some(shared.config.token.as_str()) {
        return Ok(());
    }
    shared.record(|r| r.unauthorized += 1);
    Err(problem(
        StatusCode::UNAUTHORIZED,
        "Unauthenticated",
        "You did not pass a valid authentication token",
    ))
}

enum Target {
    Model(String, String),
    Deployment(String, String),
    Version,
}

async fn create_for_model(
    State(shared): State<Arc<Shared>>,
    Path((owner, name)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Reply {
    create(shared, headers, body, Target::Model(owner, name)).await
}

async fn create_for_deployment(
    State(shared): State<Arc<Shared>>,
    Path((owner, name)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Reply {
    create(shared, headers, body, Target::Deployment(owner, name)).await
}

async fn create_for_version(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Reply {
    create(shared, headers, body, Target::Version).await
}

/// The model a version string names, if the simulator knows it.
fn model_of_version(version: &str) -> Option<&'static str> {
    let is_hash = |s: &str| s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit());
    let named = version.split(':').next().unwrap_or(version);
    KNOWN_MODELS
        .iter()
        .copied()
        .find(|model| *model == named)
        .or_else(|| is_hash(version).then_some(DEFAULT_MODEL))
}

async fn create(shared: Arc<Shared>, headers: HeaderMap, body: Bytes, target: Target) -> Reply {
    authorize(&shared, &headers)?;
    let body: Value = serde_json::from_slice(&body)
        .map_err(|e| problem(StatusCode::BAD_REQUEST, "Invalid JSON", &e.to_string()))?;
    let Some(body) = body.as_object() else {
        return Err(invalid("body", "must be a JSON object"));
    };
    let versioned = matches!(target, Target::Version);
    for key in body.keys() {
        let allowed = matches!(
            key.as_str(),
            "input" | "webhook" | "webhook_events_filter" | "stream"
        ) || (versioned && key == "version");
        if !allowed {
            return Err(invalid(
                key,
                &format!("Additional property {key} is not allowed"),
            ));
        }
    }
    let (model, version, deployment) = match target {
        Target::Model(owner, name) => {
            let model = format!("{owner}/{name}");
            if !KNOWN_MODELS.contains(&model.as_str()) {
                return Err(not_found().await);
            }
            (model, "hidden".to_string(), None)
        }
        Target::Deployment(owner, name) => (
            DEFAULT_MODEL.to_string(),
            "hidden".to_string(),
            Some(format!("{owner}/{name}")),
        ),
        Target::Version => {
            let version = body
                .get("version")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let Some(model) = model_of_version(version) else {
                return Err(problem(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "Invalid version or not permitted",
                    "The specified version does not exist (or perhaps you don't have permission to use it?)",
                ));
            };
            // The API answers with the version id (after the colon), or `hidden` for an official model.
            let id = match version.split_once(':') {
                Some((_, id)) => id,
                None if model_of_version(version) == Some(version) => "hidden",
                None => version,
            };
            (model.to_string(), id.to_string(), None)
        }
    };
    let Some(input) = body.get("input").and_then(Value::as_object).cloned() else {
        return Err(invalid("input", "Invalid type. Expected: object"));
    };
    if let Some(Err(error)) = crate::models::check_input(&model, &input) {
        let (field, reason) = match &error {
            crate::Error::InvalidInput { field, reason } => {
                (format!("input.{field}"), reason.clone())
            }
            other => ("input".to_string(), other.to_string()),
        };
        return Err(invalid(&field, &reason));
    }
    let webhook = match body.get("webhook") {
        None | Some(Value::Null) => None,
        Some(Value::String(url)) if url.starts_with("http://") || url.starts_with("https://") => {
            Some(url.clone())
        }
        Some(_) => return Err(invalid("webhook", "must be an http(s) URL")),
    };
    let mut webhook_events = Vec::new();
    for event in body
        .get("webhook_events_filter")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        match event.as_str() {
            Some(e @ ("start" | "output" | "logs" | "completed")) => {
                webhook_events.push(e.to_string())
            }
            _ => {
                return Err(invalid(
                    "webhook_events_filter",
                    &format!("unknown event {event}"),
                ));
            }
        }
    }
    let prefer = header_text(&headers, "prefer")
        .map(|v| parse_prefer(&v).ok_or_else(|| bad_header("Prefer", &v)))
        .transpose()?;
    let cancel_after = header_text(&headers, "cancel-after")
        .map(|v| parse_cancel_after(&v).ok_or_else(|| bad_header("Cancel-After", &v)))
        .transpose()?;

    let created = Instant::now();
    let config = &shared.config;
    let prompt = input
        .get("prompt")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let outcome = match &config.fail_marker {
        Some(marker) if prompt.contains(marker.as_str()) => {
            Outcome::Fail(format!("Simulated failure: the prompt contains {marker}"))
        }
        _ => Outcome::Succeed,
    };
    let seed = input
        .get("seed")
        .and_then(Value::as_i64)
        .unwrap_or_else(|| shared.random(|rng| rng.random_range(0..2_147_483_647)));
    let stored = Stored {
        id: shared.new_id(),
        model: model.clone(),
        version,
        deployment,
        input: input.clone(),
        created,
        starting: config.starting,
        processing: match config.processing_max {
            Some(max) if max > config.processing => {
                shared.random(|rng| rng.random_range(config.processing..=max))
            }
            _ => config.processing,
        },
        outcome,
        canceled: None,
        deadline: cancel_after.map(|after| created + after),
        seed,
        webhook: webhook.clone(),
        webhook_events,
        notified: false,
    };
    let id = stored.id.clone();
    let settles = stored.settles_at();
    shared.store.insert(stored);
    shared.record(|r| {
        r.created.push(CreatedPrediction {
            id: id.clone(),
            model,
            input,
        })
    });
    if webhook.is_some() {
        shared.spawn(webhooks::deliver(shared.clone(), id.clone()));
    }
    if let Some(wait) = prefer {
        sleep_until(settles.min(created + wait)).await;
    }
    let stored = shared
        .store
        .get(&id)
        .ok_or_else(|| problem(StatusCode::INTERNAL_SERVER_ERROR, "Lost", &id))?;
    let now = Instant::now();
    let body = answer(&shared, &stored, now);
    let status = if prefer.is_some() && !stored.phase(now).is_terminal() {
        StatusCode::ACCEPTED
    } else {
        StatusCode::CREATED
    };
    let mut response = json_reply(status, &body);
    if let Some(location) = body.pointer("/urls/get").and_then(Value::as_str)
        && let Ok(value) = location.parse()
    {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}

fn bad_header(name: &str, value: &str) -> Response {
    problem(
        StatusCode::BAD_REQUEST,
        "Invalid header",
        &format!("{name}: {value:?} is not valid"),
    )
}

/// `wait` (60 s) or `wait=N` with N from 1 to 60.
fn parse_prefer(value: &str) -> Option<Duration> {
    match value.trim().strip_prefix("wait")? {
        "" => Some(Duration::from_secs(60)),
        rest => {
            let seconds: u64 = rest.strip_prefix('=')?.parse().ok()?;
            (1..=60)
                .contains(&seconds)
                .then(|| Duration::from_secs(seconds))
        }
    }
}

/// `300`, `90s`, `5m`, `1h30m45s`; at least 5 seconds, at most 30 days.
fn parse_cancel_after(value: &str) -> Option<Duration> {
    const MAX_SECONDS: u64 = 30 * 24 * 3600;
    let value = value.trim();
    let total = if let Ok(seconds) = value.parse::<u64>() {
        seconds
    } else {
        let (mut total, mut number) = (0u64, String::new());
        for c in value.chars() {
            match c {
                '0'..='9' => number.push(c),
                's' | 'm' | 'h' if !number.is_empty() => {
                    let n: u64 = number.parse().ok()?;
                    let unit = match c {
                        's' => 1,
                        'm' => 60,
                        _ => 3600,
                    };
                    total = total.checked_add(n.checked_mul(unit)?)?;
                    number.clear();
                }
                _ => return None,
            }
        }
        if !number.is_empty() {
            return None;
        }
        total
    };
    (5..=MAX_SECONDS)
        .contains(&total)
        .then(|| Duration::from_secs(total))
}

async fn read(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Reply {
    authorize(&shared, &headers)?;
    let stored = shared.store.get(&id).ok_or_else(missing)?;
    let now = Instant::now();
    Ok(json_reply(StatusCode::OK, &answer(&shared, &stored, now)))
}

/// A prediction's JSON in an answer to the client; the first answer that reports it finished records how long
/// after finishing the client learned it (the notification lag).
fn answer(shared: &Shared, stored: &Stored, now: Instant) -> Value {
    if let Some(completed) = stored.phase(now).completed
        && shared.store.mark_notified(&stored.id)
    {
        let lag = now.saturating_duration_since(completed);
        shared.record(|r| r.notification_lags.push(lag));
    }
    stored.to_json(now, &shared.clock, &shared.urls())
}

async fn cancel(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Reply {
    authorize(&shared, &headers)?;
    let now = Instant::now();
    let stored = shared.store.cancel(&id, now).ok_or_else(missing)?;
    Ok(json_reply(
        StatusCode::OK,
        &stored.to_json(now, &shared.clock, &shared.urls()),
    ))
}

fn missing() -> Response {
    problem(StatusCode::NOT_FOUND, "Not found", "Not found.")
}

async fn list(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Reply {
    authorize(&shared, &headers)?;
    let time = |name: &str| -> Result<Option<DateTime<Utc>>, Response> {
        query
            .get(name)
            .map(|v| {
                DateTime::parse_from_rfc3339(v)
                    .map(|t| t.with_timezone(&Utc))
                    .map_err(|e| {
                        problem(
                            StatusCode::BAD_REQUEST,
                            "Invalid query",
                            &format!("{name}: {e}"),
                        )
                    })
            })
            .transpose()
    };
    let (after, before) = (time("created_after")?, time("created_before")?);
    let offset = match query.get("cursor") {
        Some(cursor) => decode_cursor(cursor)
            .ok_or_else(|| problem(StatusCode::BAD_REQUEST, "Invalid cursor", cursor))?,
        None => 0,
    };
    let size = shared.config.page_size;
    let clock = shared.clock;
    let (page, more) = shared.store.newest_first(offset, size, |s| {
        let at = clock.wall(s.created);
        after.is_none_or(|a| at >= a) && before.is_none_or(|b| at < b)
    });
    let now = Instant::now();
    let urls = shared.urls();
    let results: Vec<Value> = page.iter().map(|s| s.to_json(now, &clock, &urls)).collect();
    let mut filters = String::new();
    for name in ["created_after", "created_before"] {
        if let Some(value) = query.get(name) {
            filters.push_str(&format!("&{name}={}", urlencode(value)));
        }
    }
    let page_url = |offset: usize| {
        format!(
            "{}/predictions?cursor={}{filters}",
            urls.api,
            encode_cursor(offset)
        )
    };
    let body = json!({
        "next": more.then(|| page_url(offset + size)),
        "previous": (offset > 0).then(|| page_url(offset.saturating_sub(size))),
        "results": results,
    });
    Ok(json_reply(StatusCode::OK, &body))
}

fn urlencode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn encode_cursor(offset: usize) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("o={offset}"))
}

fn decode_cursor(cursor: &str) -> Option<usize> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()?;
    String::from_utf8(bytes)
        .ok()?
        .strip_prefix("o=")?
        .parse()
        .ok()
}

async fn secret(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Reply {
    authorize(&shared, &headers)?;
    Ok(json_reply(
        StatusCode::OK,
        &json!({"key": shared.config.webhook_secret}),
    ))
}

async fn record(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Reply {
    authorize(&shared, &headers)?;
    let body = serde_json::to_value(shared.snapshot()).unwrap_or_default();
    Ok(json_reply(StatusCode::OK, &body))
}

/// `GET /models/{owner}/{name}`: a known model with its latest version and that version's schemas (the
/// crate's own, or the configured replacement).
async fn model(
    State(shared): State<Arc<Shared>>,
    Path((owner, name)): Path<(String, String)>,
    headers: HeaderMap,
) -> Reply {
    authorize(&shared, &headers)?;
    let model = format!("{owner}/{name}");
    let (schema, recorded) = match shared.config.published_schemas.get(&model) {
        Some(schema) => (schema.clone(), None),
        None => match crate::models::published_schema(&model) {
            Some(text) => (
                serde_json::from_str::<Value>(text).unwrap_or_default(),
                crate::models::published_version(&model),
            ),
            None => return Err(not_found().await),
        },
    };
    // The crate's own schema under the version it records; any other under an id that changes with the
    // schema, as a new version would.
    let version =
        recorded.map_or_else(|| sha256_hex(schema.to_string().as_bytes()), str::to_string);
    let body = json!({
        "owner": owner,
        "name": name,
        "description": format!("{model}, as the simulator knows it"),
        "url": format!("https://replicate.com/{model}"),
        "latest_version": {
            "id": version,
            "created_at": "2026-01-01T00:00:00.000Z",
            "cog_version": "0.10.0",
            "openapi_schema": schema,
        },
    });
    Ok(json_reply(StatusCode::OK, &body))
}

/// `POST /files`: a multipart upload (`content`, optional `filename` and `type`), answered as Replicate does.
async fn upload(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    mut form: axum::extract::Multipart,
) -> Reply {
    authorize(&shared, &headers)?;
    let (mut content, mut filename, mut media) = (None, None, None);
    while let Some(field) = form.next_field().await.map_err(|e| {
        problem(
            StatusCode::BAD_REQUEST,
            "Invalid multipart body",
            &e.to_string(),
        )
    })? {
        let name = field.name().unwrap_or_default().to_string();
        let file_name = field.file_name().map(str::to_string);
        let field_type = field.content_type().map(str::to_string);
        let bytes = field.bytes().await.map_err(|e| {
            problem(
                StatusCode::BAD_REQUEST,
                "Invalid multipart body",
                &e.to_string(),
            )
        })?;
        match name.as_str() {
            "content" => {
                filename = filename.or(file_name);
                media = media.or(field_type);
                content = Some(bytes);
            }
            "filename" => filename = Some(String::from_utf8_lossy(&bytes).into_owned()),
            "type" => media = Some(String::from_utf8_lossy(&bytes).into_owned()),
            _ => {}
        }
    }
    let Some(content) = content else {
        return Err(invalid("content", "is required"));
    };
    let sha256 = sha256_hex(&content);
    let upload = super::UploadRecord {
        id: shared.new_id(),
        filename: filename.unwrap_or_else(|| "file".into()),
        content_type: media.unwrap_or_else(|| "application/octet-stream".into()),
        size: content.len(),
        sha256,
    };
    let body = file_json(&shared, &upload);
    shared.record(|r| r.uploads.push(upload));
    Ok(json_reply(StatusCode::CREATED, &body))
}

/// SHA-256 in lowercase hex (uploads' checksums, published versions' ids).
fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// An uploaded file's answer (`GET /files/{id}` and `POST /files`).
fn file_json(shared: &Shared, upload: &super::UploadRecord) -> Value {
    let now = Utc::now();
    json!({
        "id": upload.id,
        "urls": {"get": format!("{}/files/{}", shared.urls().api, upload.id)},
        "content_type": upload.content_type,
        "size": upload.size,
        "checksums": {"sha256": upload.sha256},
        "metadata": {},
        "created_at": now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "expires_at": (now + chrono::TimeDelta::days(1)).to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    })
}

/// `GET /files/{name}`: an uploaded file's description, or an output file through the API host (a redirect to
/// the delivery host, as file downloads can be).
async fn file_or_output(
    State(shared): State<Arc<Shared>>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Reply {
    authorize(&shared, &headers)?;
    // The one upload, not a copy of the whole record.
    let uploaded = shared.record(|r| r.uploads.iter().find(|u| u.id == name).cloned());
    if let Some(upload) = uploaded {
        return Ok(json_reply(StatusCode::OK, &file_json(&shared, &upload)));
    }
    let location = format!("{}/files/{name}", shared.delivery_base);
    Ok((StatusCode::FOUND, [(header::LOCATION, location)]).into_response())
}

async fn file(State(shared): State<Arc<Shared>>, Path(name): Path<String>) -> Response {
    let (id, json) = match name.strip_suffix(".json") {
        Some(id) => (id, true),
        None => (name.strip_suffix(".png").unwrap_or(&name), false),
    };
    match shared.store.get(id) {
        Some(stored) if stored.phase(Instant::now()).status == "succeeded" && json => {
            let layers = json!({"prediction": stored.id, "layers": [{"kind": "background"}]});
            (
                [(header::CONTENT_TYPE, "application/json")],
                Body::from(layers.to_string()),
            )
                .into_response()
        }
        Some(stored) if stored.phase(Instant::now()).status == "succeeded" => {
            let png = image::png_for(&stored.id, &stored.input);
            ([(header::CONTENT_TYPE, "image/png")], Body::from(png)).into_response()
        }
        _ => missing(),
    }
}

/// `bytes` bytes of filler, sent in 1 MiB chunks of one shared buffer (so serving 100 MB costs 1 MiB).
async fn blob(Path(bytes): Path<u64>) -> Response {
    const CHUNK: usize = 1 << 20;
    let chunk = bytes::Bytes::from((0..CHUNK).map(|i| (i % 251) as u8).collect::<Vec<u8>>());
    let chunks = (0..bytes.div_ceil(CHUNK as u64)).map(move |i| {
        let left = bytes - i * CHUNK as u64;
        Ok::<_, std::convert::Infallible>(chunk.slice(..(left.min(CHUNK as u64) as usize)))
    });
    (
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_string()),
            (header::CONTENT_LENGTH, bytes.to_string()),
        ],
        Body::from_stream(futures_util::stream::iter(chunks)),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_parse_as_the_api_documents_them() {
        assert_eq!(parse_prefer("wait"), Some(Duration::from_secs(60)));
        assert_eq!(parse_prefer("wait=5"), Some(Duration::from_secs(5)));
        assert_eq!(parse_prefer("wait=61"), None);
        assert_eq!(parse_prefer("wait=0"), None);
        assert_eq!(parse_prefer("respond-async"), None);
        assert_eq!(parse_cancel_after("300"), Some(Duration::from_secs(300)));
        assert_eq!(
            parse_cancel_after("1h30m45s"),
            Some(Duration::from_secs(5445))
        );
        assert_eq!(parse_cancel_after("5m"), Some(Duration::from_secs(300)));
        assert_eq!(parse_cancel_after("4s"), None);
        assert_eq!(parse_cancel_after("5x"), None);
        assert_eq!(parse_cancel_after("m"), None);
        assert_eq!(parse_cancel_after("99999999999999999999h"), None);
        assert_eq!(parse_cancel_after("18446744073709551615"), None);
    }

    #[test]
    fn cursors_round_trip() {
        assert_eq!(decode_cursor(&encode_cursor(300)), Some(300));
        assert_eq!(decode_cursor("garbage!"), None);
    }
}
