//! Creating a prediction: the three create routes, the request's checks, and the held answer of
//! `Prefer: wait`.

// Handlers return an early answer as `Err(Response)`, the axum idiom; its size does not matter here.
#![allow(clippy::result_large_err)]

use std::{sync::Arc, time::Duration};

use axum::{
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, StatusCode, header},
    response::Response,
};
use rand::RngExt;
use serde_json::{Map, Value, json};
use tokio::time::{Instant, sleep_until};

use super::{
    CreatedPrediction, ServerState, SimulatorConfig,
    api::{Reply, answer, authorize, invalid, json_reply, not_found, problem, problem_with},
    literal::literal_output,
    state::{Outcome, Stored},
    validate::InvalidField,
    versions::{self, Version},
    webhooks,
};

/// The model a version hash or a deployment runs (the simulator knows no other mapping).
const DEFAULT_MODEL: &str = replicate_ideogram::models::IdeogramV2TurboInput::MODEL;

/// The route a create came by: a model's, a deployment's, or `POST /predictions` with a version.
enum CreateRoute {
    Model(String, String),
    Deployment(String, String),
    Version,
}

pub(crate) async fn create_for_model(
    State(shared): State<Arc<ServerState>>,
    Path((owner, name)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Reply {
    create(shared, headers, body, CreateRoute::Model(owner, name)).await
}

pub(crate) async fn create_for_deployment(
    State(shared): State<Arc<ServerState>>,
    Path((owner, name)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Reply {
    create(shared, headers, body, CreateRoute::Deployment(owner, name)).await
}

pub(crate) async fn create_for_version(
    State(shared): State<Arc<ServerState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Reply {
    create(shared, headers, body, CreateRoute::Version).await
}

/// A create request, checked: what to run, and how to answer.
struct Request {
    model: String,
    version: String,
    deployment: Option<String>,
    input: Map<String, Value>,
    webhook: Option<String>,
    webhook_events: Vec<String>,
    prefer: Option<Duration>,
    cancel_after: Option<Duration>,
}

async fn create(
    shared: Arc<ServerState>,
    headers: HeaderMap,
    body: Bytes,
    target: CreateRoute,
) -> Reply {
    authorize(&shared, &headers)?;
    let request = read_request(&shared, &headers, &body, target).await?;
    let prefer = request.prefer;
    let (id, created, settles) = store_after_delay(&shared, request).await?;
    shared.runtime.released().await;
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

/// The request's body and headers, checked as the API checks them (the input against the model's published
/// schema).
async fn read_request(
    shared: &ServerState,
    headers: &HeaderMap,
    body: &[u8],
    target: CreateRoute,
) -> Result<Request, Response> {
    let body: Value = serde_json::from_slice(body)
        .map_err(|e| problem(StatusCode::BAD_REQUEST, "Invalid JSON", &e.to_string()))?;
    let Some(body) = body.as_object() else {
        return Err(invalid("body", "must be a JSON object"));
    };
    check_keys(body, matches!(target, CreateRoute::Version))?;
    let named = body.get("version").and_then(Value::as_str).unwrap_or("/");
    let target_kind = match target {
        // `owner/name` alone runs the latest, as a model's own route does.
        CreateRoute::Version if named.contains(':') || !named.contains('/') => TargetKind::Version,
        _ => TargetKind::Latest,
    };
    let (model, version, deployment) = resolve_target(&shared.config, body, target).await?;
    let Some(input) = body.get("input").and_then(Value::as_object).cloned() else {
        return Err(invalid("input", "Invalid type. Expected: object"));
    };
    let refused = shared.validators.check(&version, &input);
    if !refused.is_empty() {
        return Err(invalid_fields(&refused));
    }
    // The API answers with the version id for a create by version, and `hidden` for an official model's.
    let version = match &target_kind {
        TargetKind::Version => version.id,
        TargetKind::Latest => "hidden".to_string(),
    };
    let (webhook, webhook_events) = webhook_of(body)?;
    let prefer = header_text(headers, "prefer")
        .map(|v| parse_prefer(&v).ok_or_else(|| bad_header("Prefer", &v)))
        .transpose()?;
    let cancel_after = header_text(headers, "cancel-after")
        .map(|v| parse_cancel_after(&v).ok_or_else(|| bad_header("Cancel-After", &v)))
        .transpose()?;
    Ok(Request {
        model,
        version,
        deployment,
        input,
        webhook,
        webhook_events,
        prefer,
        cancel_after,
    })
}

fn check_keys(body: &Map<String, Value>, versioned: bool) -> Result<(), Response> {
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
    Ok(())
}

/// Whether a create named a version, or ran the model's latest.
enum TargetKind {
    Version,
    Latest,
}

/// The model, version and deployment a create runs. A version no known model has is refused as Replicate
/// refuses it (422, "Invalid version or not permitted").
async fn resolve_target(
    config: &SimulatorConfig,
    body: &Map<String, Value>,
    target: CreateRoute,
) -> Result<(String, Version, Option<String>), Response> {
    let latest = |model: &str| {
        versions::versions_of(config, model).and_then(|versions| versions.into_iter().next())
    };
    match target {
        CreateRoute::Model(owner, name) => {
            let model = format!("{owner}/{name}");
            match latest(&model) {
                Some(version) => Ok((model, version, None)),
                None => Err(not_found().await),
            }
        }
        CreateRoute::Deployment(owner, name) => match latest(DEFAULT_MODEL) {
            Some(version) => Ok((
                DEFAULT_MODEL.to_string(),
                version,
                Some(format!("{owner}/{name}")),
            )),
            None => Err(not_found().await),
        },
        CreateRoute::Version => {
            let named = body
                .get("version")
                .and_then(Value::as_str)
                .unwrap_or_default();
            match versions::resolve(config, named) {
                Some((model, version)) => Ok((model.to_string(), version, None)),
                None => Err(problem(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "Invalid version or not permitted",
                    "The specified version does not exist (or perhaps you don't have permission to use it?)",
                )),
            }
        }
    }
}

/// The webhook URL and the events it wants.
fn webhook_of(body: &Map<String, Value>) -> Result<(Option<String>, Vec<String>), Response> {
    let webhook = match body.get("webhook") {
        None | Some(Value::Null) => None,
        Some(Value::String(url)) if url.starts_with("http://") || url.starts_with("https://") => {
            Some(url.clone())
        }
        Some(_) => return Err(invalid("webhook", "must be an http(s) URL")),
    };
    let mut events = Vec::new();
    for event in body
        .get("webhook_events_filter")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        match event.as_str() {
            Some(e @ ("start" | "output" | "logs" | "completed")) => events.push(e.to_string()),
            _ => {
                return Err(invalid(
                    "webhook_events_filter",
                    &format!("unknown event {event}"),
                ));
            }
        }
    }
    Ok((webhook, events))
}

/// Stores the new prediction once the [create delay](SimulatorConfig::create_delay) has passed. The delay and
/// the store run in a task of their own, which this awaits: a client that goes away during the delay drops
/// the handler, and the prediction must be made all the same, as a server goes on with a request whose
/// client left.
async fn store_after_delay(
    shared: &Arc<ServerState>,
    request: Request,
) -> Result<(String, Instant, Instant), Response> {
    let delay = shared.runtime.create_delay();
    if delay.is_zero() {
        return Ok(store(shared, request));
    }
    let (made, stored) = tokio::sync::oneshot::channel();
    let worker = shared.clone();
    shared.spawn(async move {
        tokio::time::sleep(delay).await;
        let _ = made.send(store(&worker, request));
    });
    // The task ends only if the simulator stops, which answers no one.
    stored.await.map_err(|_| {
        problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Stopped",
            "The simulator stopped before the prediction was made.",
        )
    })
}

/// Stores the new prediction and records it; its id, when it was created and when it settles.
fn store(shared: &Arc<ServerState>, request: Request) -> (String, Instant, Instant) {
    let created = Instant::now();
    let config = &shared.config;
    let processing = match config.processing_max {
        Some(max) if max > config.processing => {
            shared.random(|rng| rng.random_range(config.processing..=max))
        }
        _ => config.processing,
    };
    let fate = Fate::of(config, &request.input);
    let started = created + config.starting;
    // A prediction canceled by someone else, halfway through; one aborted while it waited to start.
    let canceled = fate.canceled.then(|| started + processing / 2);
    let aborted = fate.aborted.then(|| created + config.starting / 2);
    let deadline = [request.cancel_after.map(|after| created + after), aborted]
        .into_iter()
        .flatten()
        .min();
    let seed = request
        .input
        .get("seed")
        .and_then(Value::as_i64)
        .unwrap_or_else(|| shared.random(|rng| rng.random_range(0..2_147_483_647)));
    let stored = Stored {
        id: shared.new_id(),
        model: request.model.clone(),
        version: request.version.clone(),
        deployment: request.deployment,
        input: request.input.clone(),
        created,
        starting: config.starting,
        processing,
        outcome: fate.outcome,
        canceled,
        deadline,
        seed,
        webhook: request.webhook.clone(),
        webhook_events: request.webhook_events,
        notified: false,
        output_expiry: config.output_expiry,
        removed: None,
    };
    let id = stored.id.clone();
    let settles = stored.settles_at();
    shared.store.insert(stored);
    shared.record(|r| {
        r.created.push(CreatedPrediction {
            id: id.clone(),
            model: request.model,
            version: request.version,
            input: request.input,
        })
    });
    if request.webhook.is_some() {
        shared.spawn(webhooks::deliver(shared.clone(), id.clone()));
    }
    (id, created, settles)
}

/// How the prompt's markers (`[fail]`, `[cancel]`, `[abort]`, `[output=<json>]`) make a prediction end.
struct Fate {
    outcome: Outcome,
    canceled: bool,
    aborted: bool,
}

impl Fate {
    fn of(config: &SimulatorConfig, input: &Map<String, Value>) -> Self {
        let prompt = input
            .get("prompt")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let marked = |marker: &Option<String>| {
            marker
                .as_deref()
                .filter(|m| prompt.contains(m))
                .map(str::to_string)
        };
        let outcome = match marked(&config.fail_marker) {
            Some(marker) => {
                Outcome::Fail(format!("Simulated failure: the prompt contains {marker}"))
            }
            None => literal_output(prompt).map_or(Outcome::Succeed, Outcome::SucceedWith),
        };
        Self {
            outcome,
            canceled: marked(&config.cancel_marker).is_some(),
            aborted: marked(&config.abort_marker).is_some(),
        }
    }
}

/// Replicate's 422 for an input its schema refuses: every field, in `detail` and in `invalid_fields`.
fn invalid_fields(refused: &[InvalidField]) -> Response {
    let detail: String = refused
        .iter()
        .map(|f| format!("- {}: {}\n", f.field, f.description))
        .collect();
    let fields: Vec<Value> = refused
        .iter()
        .map(|f| json!({"type": f.kind, "field": f.field, "description": f.description}))
        .collect();
    problem_with(
        StatusCode::UNPROCESSABLE_ENTITY,
        json!({
            "title": "Input validation failed",
            "detail": detail,
            "status": 422,
            "invalid_fields": fields,
        }),
    )
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
}
