//! The simulated API's routes, and the delivery host's.

// Handlers return an early answer as `Err(Response)`, the axum idiom; its size does not matter here.
#![allow(clippy::result_large_err)]

use std::{collections::HashMap, sync::Arc};

use axum::{
    Router,
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use base64::Engine;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use tokio::time::Instant;

use super::{
    ServerState,
    account::account,
    create::{create_for_deployment, create_for_model, create_for_version},
    files::{blob, delete_file, file, file_or_output, list_files, upload},
    state::Stored,
    versions::{get_version, list_versions, version_json, versions_of},
};

pub(crate) type Reply = Result<Response, Response>;

/// Where the simulator serves its [`Record`](super::Record) as JSON (with the token), for a harness in another
/// process.
pub(crate) const RECORD_PATH: &str = "/_simulator/record";

/// Where the delivery host serves `{bytes}` bytes of filler, streamed: a large output for download benchmarks.
pub(crate) const BLOB_PATH: &str = "/_simulator/blob/{bytes}";

pub(crate) fn router(shared: Arc<ServerState>) -> Router {
    let api = Router::new()
        .route("/models/{owner}/{name}", get(model))
        .route("/models/{owner}/{name}/versions", get(list_versions))
        .route("/models/{owner}/{name}/versions/{id}", get(get_version))
        .route("/models/{owner}/{name}/predictions", post(create_for_model))
        .route(
            "/deployments/{owner}/{name}/predictions",
            post(create_for_deployment),
        )
        .route("/predictions", post(create_for_version).get(list))
        .route("/predictions/{id}", get(read))
        .route("/predictions/{id}/cancel", post(cancel))
        .route("/webhooks/default/secret", get(secret))
        .route("/account", get(account))
        .route("/files", post(upload).get(list_files))
        .route("/files/{name}", get(file_or_output).delete(delete_file))
        .route(RECORD_PATH, get(record))
        .fallback(not_found)
        .with_state(shared.clone());
    match shared.config.path_prefix.as_str() {
        "" => api,
        prefix => Router::new().nest(prefix, api).fallback(not_found),
    }
}

pub(crate) fn delivery(shared: Arc<ServerState>) -> Router {
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

pub(crate) fn problem_with(status: StatusCode, body: Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/problem+json")],
        body.to_string(),
    )
        .into_response()
}

pub(crate) fn invalid(field: &str, description: &str) -> Response {
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

pub(crate) fn json_reply(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

pub(crate) async fn not_found() -> Response {
    problem(
        StatusCode::NOT_FOUND,
        "Not found",
        "The requested resource could not be found.",
    )
}

pub(crate) fn authorize(shared: &ServerState, headers: &HeaderMap) -> Result<(), Response> {
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

async fn read(
    State(shared): State<Arc<ServerState>>,
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
pub(crate) fn answer(shared: &ServerState, stored: &Stored, now: Instant) -> Value {
    if let Some(completed) = stored.phase(now).completed
        && shared.store.mark_notified(&stored.id)
    {
        let lag = now.saturating_duration_since(completed);
        shared.record(|r| r.notification_lags.push(lag));
    }
    stored.to_json(now, &shared.clock, &shared.urls())
}

async fn cancel(
    State(shared): State<Arc<ServerState>>,
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

pub(crate) fn missing() -> Response {
    problem(StatusCode::NOT_FOUND, "Not found", "Not found.")
}

async fn list(
    State(shared): State<Arc<ServerState>>,
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
    let now = Instant::now();
    let lag = shared.runtime.list_lag();
    let (page, more) = shared.store.newest_first(offset, size, |s| {
        let at = clock.wall(s.created);
        let listed = now.saturating_duration_since(s.created) >= lag;
        listed && after.is_none_or(|a| at >= a) && before.is_none_or(|b| at < b)
    });
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

pub(crate) fn encode_cursor(offset: usize) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("o={offset}"))
}

pub(crate) fn decode_cursor(cursor: &str) -> Option<usize> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()?;
    String::from_utf8(bytes)
        .ok()?
        .strip_prefix("o=")?
        .parse()
        .ok()
}

async fn secret(State(shared): State<Arc<ServerState>>, headers: HeaderMap) -> Reply {
    authorize(&shared, &headers)?;
    Ok(json_reply(
        StatusCode::OK,
        &json!({"key": shared.config.webhook_secret}),
    ))
}

async fn record(State(shared): State<Arc<ServerState>>, headers: HeaderMap) -> Reply {
    authorize(&shared, &headers)?;
    let body = serde_json::to_value(shared.snapshot()).unwrap_or_default();
    Ok(json_reply(StatusCode::OK, &body))
}

/// `GET /models/{owner}/{name}`: a known model with its latest version and that version's schemas (the
/// crate's own, or the configured replacement).
async fn model(
    State(shared): State<Arc<ServerState>>,
    Path((owner, name)): Path<(String, String)>,
    headers: HeaderMap,
) -> Reply {
    authorize(&shared, &headers)?;
    let model = format!("{owner}/{name}");
    let Some(latest) = versions_of(&shared.config, &model).and_then(|v| v.into_iter().next())
    else {
        return Err(not_found().await);
    };
    let body = json!({
        "owner": owner,
        "name": name,
        "description": format!("{model}, as the simulator knows it"),
        "url": format!("https://replicate.com/{model}"),
        "latest_version": version_json(&latest),
    });
    Ok(json_reply(StatusCode::OK, &body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip() {
        assert_eq!(decode_cursor(&encode_cursor(300)), Some(300));
        assert_eq!(decode_cursor("garbage!"), None);
    }
}
