//! What the simulator received and did, for a test's assertions.

use std::{collections::BTreeMap, time::Duration};

use serde_json::{Map, Value};

/// A file uploaded to the simulator.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct UploadRecord {
    /// Its id.
    pub id: String,
    /// The file name sent with it.
    pub filename: String,
    /// The media type sent with it.
    pub content_type: String,
    /// Its size in bytes.
    pub size: usize,
    /// The SHA-256 of its content, in hex.
    pub sha256: String,
    /// When it was uploaded (its `created_at`; it expires a day later).
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// Whether it was deleted (`DELETE /files/{id}`): it is no longer listed or served.
    pub deleted: bool,
}

/// What the simulator received and did, for assertions.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct Record {
    /// Requests per route, e.g. `"POST /models/{owner}/{name}/predictions"`, faulted ones included.
    pub requests: BTreeMap<String, usize>,
    /// Every prediction created, in order.
    pub created: Vec<CreatedPrediction>,
    /// Every `Authorization` header the delivery host saw (there should be none).
    pub delivery_authorization: Vec<String>,
    /// Faults injected, by kind: `503`, `truncated json`, … on the API host, `delivery 503`,
    /// `delivery cut short`, … on the delivery host.
    pub faults: BTreeMap<String, usize>,
    /// Requests that met a fault, by route (`GET /predictions/{id}`; `delivery GET /files/{name}` on the
    /// delivery host): which paths of the client the faults reached.
    pub faulted_requests: BTreeMap<String, usize>,
    /// API requests refused for a missing or wrong token.
    pub unauthorized: usize,
    /// Webhook requests sent.
    pub webhooks_sent: usize,
    /// TCP connections the API host accepted (a client that reuses connections opens few).
    pub connections: usize,
    /// TCP connections the delivery host (output files) accepted.
    pub delivery_connections: usize,
    /// Files uploaded with `POST /files`, in order.
    pub uploads: Vec<UploadRecord>,
    /// For each prediction, how long after it finished the first answer told the client so (from a get or a
    /// held create): the notification lag. In JSON: seconds.
    #[serde(serialize_with = "in_seconds")]
    pub notification_lags: Vec<Duration>,
    /// Prediction creates answered 429 by the [rate limits](super::ServerLimits) (also counted in `requests`).
    pub throttled_creates: usize,
    /// Other API requests answered 429 by the [rate limits](super::ServerLimits) (also counted in `requests`).
    pub throttled_others: usize,
}

/// A prediction the simulator created.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct CreatedPrediction {
    /// Its id.
    pub id: String,
    /// Its model, `owner/name`.
    pub model: String,
    /// The version it ran: its id when the create named one, `hidden` when it ran the model's latest.
    pub version: String,
    /// The input it was created with.
    pub input: Map<String, Value>,
}

fn in_seconds<S: serde::Serializer>(lags: &[Duration], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(lags.iter().map(Duration::as_secs_f64))
}

impl Record {
    /// Requests received on `route` (see [`requests`](Self::requests)).
    pub fn requests_to(&self, route: &str) -> usize {
        self.requests.get(route).copied().unwrap_or(0)
    }

    /// How many predictions were created beyond the first for an identical model and input.
    pub fn duplicates(&self) -> usize {
        let mut seen: Vec<(&str, &Map<String, Value>)> = Vec::new();
        let mut duplicates = 0;
        for created in &self.created {
            let key = (created.model.as_str(), &created.input);
            if seen.contains(&key) {
                duplicates += 1;
            } else {
                seen.push(key);
            }
        }
        duplicates
    }
}
