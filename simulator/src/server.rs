//! The listeners: accept loops on loopback, the request record, and rate limits and fault injection in front of
//! the routes.

use std::sync::Arc;

use axum::{Router, body::Body};
use http_body_util::BodyExt;
use hyper::{Method, Request, Response, StatusCode, body::Incoming, header};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rand::RngExt;
use tokio::{net::TcpListener, task::JoinSet};
use tower::ServiceExt;

use super::{Faults, ServerState, api, api::RECORD_PATH, rate_limit};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    Api,
    Delivery,
}

/// Returned by a request's service to make hyper close the connection without an answer.
#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped on purpose")
    }
}

impl std::error::Error for Dropped {}

#[derive(Clone, Copy, Debug)]
enum Fault {
    Throttle,
    ServerError,
    BadGatewayHtml,
    Unavailable,
    DropBefore,
    DropAfter,
    TruncatedJson,
    Slow,
}

impl Fault {
    /// Its name in the record: the API host's faults by kind, the delivery host's with `delivery ` before.
    fn name(self, role: Role) -> &'static str {
        match (role, self) {
            (Role::Api, Self::Throttle) => "429",
            (Role::Api, Self::ServerError) => "500",
            (Role::Api, Self::BadGatewayHtml) => "502 html",
            (Role::Api, Self::Unavailable) => "503",
            (Role::Api, Self::DropBefore) => "dropped before processing",
            (Role::Api, Self::DropAfter) => "dropped after processing",
            (Role::Api, Self::TruncatedJson) => "truncated json",
            (Role::Api, Self::Slow) => "slow",
            (Role::Delivery, Self::Throttle) => "delivery 429",
            (Role::Delivery, Self::ServerError) => "delivery 500",
            (Role::Delivery, Self::BadGatewayHtml) => "delivery 502 html",
            (Role::Delivery, Self::Unavailable) => "delivery 503",
            (Role::Delivery, Self::DropBefore) => "delivery dropped before",
            (Role::Delivery, Self::DropAfter) => "delivery dropped after",
            (Role::Delivery, Self::TruncatedJson) => "delivery cut short",
            (Role::Delivery, Self::Slow) => "delivery slow",
        }
    }
}

pub(crate) async fn serve(listener: TcpListener, role: Role, shared: Arc<ServerState>) {
    let router = match role {
        Role::Api => api::router(shared.clone()),
        Role::Delivery => api::delivery(shared.clone()),
    };
    let mut connections = JoinSet::new();
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        shared.record(|r| match role {
            Role::Api => r.connections += 1,
            Role::Delivery => r.delivery_connections += 1,
        });
        let (router, shared) = (router.clone(), shared.clone());
        connections.spawn(async move {
            let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                handle(request.map(Body::new), router.clone(), shared.clone(), role)
            });
            let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
        while connections.try_join_next().is_some() {}
    }
}

async fn handle(
    request: Request<Body>,
    router: Router,
    shared: Arc<ServerState>,
    role: Role,
) -> Result<Response<Body>, Dropped> {
    let prefix = match role {
        Role::Api => shared.config.path_prefix.as_str(),
        Role::Delivery => "",
    };
    if role == Role::Delivery {
        if let Some(authorization) = request.headers().get(header::AUTHORIZATION) {
            let seen = String::from_utf8_lossy(authorization.as_bytes()).into_owned();
            shared.record(|r| r.delivery_authorization.push(seen));
        }
    } else {
        // The record itself, for a harness in another process: neither counted nor faulted.
        if request.uri().path() == format!("{prefix}{RECORD_PATH}") {
            return Ok(route(router, request).await);
        }
    }
    let name = route_name(request.method(), request.uri().path(), prefix);
    if role == Role::Api {
        shared.record(|r| *r.requests.entry(name.clone()).or_default() += 1);
        if let Some(throttled) = rate_limit::admit(&shared, request.method(), &name) {
            return Ok(throttled);
        }
    }
    let creates = request.method() == Method::POST && name.ends_with("/predictions");
    let faults = match (role, &shared.config.create_faults) {
        (Role::Api, Some(faults)) if creates => faults,
        (Role::Api, _) => &shared.config.faults,
        (Role::Delivery, _) => &shared.config.delivery_faults,
    };
    let Some(fault) = pick(&shared, faults) else {
        return Ok(route(router, request).await);
    };
    let route_key = match role {
        Role::Api => name,
        Role::Delivery => format!("delivery {name}"),
    };
    shared.record(|r| {
        *r.faults.entry(fault.name(role).into()).or_default() += 1;
        *r.faulted_requests.entry(route_key).or_default() += 1;
    });
    inject(fault, role, faults, router, request).await
}

/// Answers `request` with `fault`: an error answer, a dropped connection, a cut or late answer.
async fn inject(
    fault: Fault,
    role: Role,
    faults: &Faults,
    router: Router,
    request: Request<Body>,
) -> Result<Response<Body>, Dropped> {
    match fault {
        Fault::Throttle => {
            let seconds = faults.retry_after.as_secs();
            let detail = format!("Request was throttled. Expected available in {seconds} seconds.");
            Ok(rate_limit::too_many_requests(
                "Too Many Requests",
                &detail,
                seconds,
                faults,
            ))
        }
        Fault::ServerError => Ok(api::problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal Server Error",
            "Something went wrong (simulated).",
        )),
        Fault::Unavailable => Ok(api::problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "Service Unavailable",
            "The service is temporarily unavailable (simulated).",
        )),
        Fault::BadGatewayHtml => Ok(Response::builder()
            .status(StatusCode::BAD_GATEWAY)
            .header(header::CONTENT_TYPE, "text/html")
            .body(Body::from(
                "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n\
                 <center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n",
            ))
            .unwrap_or_default()),
        Fault::DropBefore => Err(Dropped),
        Fault::DropAfter => {
            let _ = route(router, request).await;
            Err(Dropped)
        }
        Fault::TruncatedJson => Ok(cut(route(router, request).await, role).await),
        Fault::Slow => {
            tokio::time::sleep(faults.slow_delay).await;
            Ok(route(router, request).await)
        }
    }
}

/// The first half of an answer's body. The API host announces the half's length (a complete answer of
/// malformed JSON, as a proxy's buffer cut may give); the delivery host announces the whole length and ends
/// early, as a download cut off does.
async fn cut(response: Response<Body>, role: Role) -> Response<Body> {
    let (mut parts, body) = response.into_parts();
    let bytes = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let cut = bytes.slice(..bytes.len() / 2);
    let (announced, body) = match role {
        // A whole answer whose JSON is cut: the length announced is what is sent.
        Role::Api => (cut.len(), Body::from(cut)),
        // The whole length announced, then a body of unknown length (one of known length must match the
        // header; debug builds of hyper assert it) that breaks off after its first half: the headers and
        // that half reach the client first, so it is the body that is cut short, not the answer lost.
        Role::Delivery => {
            use futures_util::StreamExt;
            let half = futures_util::stream::once(async move { Ok(cut) });
            let broken = futures_util::stream::once(async {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                Err(std::io::Error::other("cut short"))
            });
            (bytes.len(), Body::from_stream(half.chain(broken)))
        }
    };
    parts
        .headers
        .insert(header::CONTENT_LENGTH, announced.into());
    Response::from_parts(parts, body)
}

async fn route(router: Router, request: Request<Body>) -> Response<Body> {
    match router.oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

fn pick(shared: &ServerState, f: &Faults) -> Option<Fault> {
    let table = [
        (Fault::Throttle, f.throttle),
        (Fault::ServerError, f.server_error),
        (Fault::BadGatewayHtml, f.bad_gateway_html),
        (Fault::Unavailable, f.unavailable),
        (Fault::DropBefore, f.drop_before),
        (Fault::DropAfter, f.drop_after),
        (Fault::TruncatedJson, f.truncated_json),
        (Fault::Slow, f.slow),
    ];
    if table.iter().all(|(_, p)| *p <= 0.0) {
        return None;
    }
    let roll: f64 = shared.random(|rng| rng.random());
    let mut sum = 0.0;
    for (fault, probability) in table {
        sum += probability.max(0.0);
        if roll < sum {
            return Some(fault);
        }
    }
    None
}

/// The route a request is for, as the record names it: `POST /models/{owner}/{name}/predictions`.
fn route_name(method: &Method, path: &str, prefix: &str) -> String {
    let rest = path.strip_prefix(prefix).unwrap_or(path);
    let parts: Vec<&str> = rest.trim_matches('/').split('/').collect();
    let template = match parts.as_slice() {
        ["models", _, _, "predictions"] => "/models/{owner}/{name}/predictions",
        ["models", _, _, "versions"] => "/models/{owner}/{name}/versions",
        ["models", _, _, "versions", _] => "/models/{owner}/{name}/versions/{id}",
        ["deployments", _, _, "predictions"] => "/deployments/{owner}/{name}/predictions",
        ["predictions"] => "/predictions",
        ["predictions", _] => "/predictions/{id}",
        ["predictions", _, "cancel"] => "/predictions/{id}/cancel",
        ["webhooks", "default", "secret"] => "/webhooks/default/secret",
        ["files", _] => "/files/{name}",
        _ => return format!("{method} {rest}"),
    };
    format!("{method} {template}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_named_by_template() {
        let name = |m: Method, p: &str| route_name(&m, p, "/replicate/v1");
        assert_eq!(
            name(Method::POST, "/replicate/v1/models/a/b/predictions"),
            "POST /models/{owner}/{name}/predictions"
        );
        assert_eq!(
            name(Method::GET, "/replicate/v1/predictions/x"),
            "GET /predictions/{id}"
        );
        assert_eq!(
            name(Method::GET, "/replicate/v1/predictions"),
            "GET /predictions"
        );
        assert_eq!(
            name(Method::GET, "/replicate/v1/models/a/b/versions/c"),
            "GET /models/{owner}/{name}/versions/{id}"
        );
        assert_eq!(name(Method::GET, "/replicate/v1/nope"), "GET /nope");
    }
}
