//! The simulator as its own process (`ideogram simulate`), so its work is not counted as the client's, and
//! what its record says about a batch.

use std::{collections::HashSet, process::Stdio};

use serde_json::Value;
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
};

use crate::measure::percentile;

/// How long every prediction stays `starting`, in ms.
pub const STARTING_MS: u64 = 50;

/// How the simulator behaves for one row.
#[derive(Clone, Debug, Default)]
pub struct Setup {
    pub processing_ms: u64,
    /// Processing times vary up to this.
    pub processing_max_ms: Option<u64>,
    /// `--fault-mix` of `ideogram simulate`.
    pub fault_mix: Option<String>,
    /// `--rate-limit` of `ideogram simulate`.
    pub rate_limit: Option<String>,
}

/// A running simulator; killed when dropped.
pub struct Simulator {
    _process: Child,
    pub base_url: String,
    pub token: String,
    pub delivery_url: String,
    record_url: String,
}

/// What the simulator saw of one batch.
#[derive(Debug, Default)]
pub struct Seen {
    /// API requests (creates, gets, retries and faulted ones included).
    pub requests: u64,
    /// TCP connections the API host accepted from the client.
    pub connections: u64,
    /// Predictions whose finish the client learned (the notification lags measured).
    pub lags: usize,
    pub lag_mean_ms: f64,
    pub lag_p95_ms: f64,
    /// Predictions created for an input already created once.
    pub duplicates: usize,
    /// Creates answered 429 by the rate limits.
    pub throttled_creates: u64,
    /// Other API requests answered 429 by the rate limits.
    pub throttled_others: u64,
}

impl Simulator {
    pub async fn start(setup: &Setup) -> Self {
        let mut args = vec![
            "simulate".to_string(),
            "--starting-ms".into(),
            STARTING_MS.to_string(),
            "--processing-ms".into(),
            setup.processing_ms.to_string(),
        ];
        if let Some(max) = setup.processing_max_ms {
            args.extend(["--processing-max-ms".into(), max.to_string()]);
        }
        if let Some(mix) = &setup.fault_mix {
            args.extend(["--fault-mix".into(), mix.clone()]);
        }
        if let Some(limits) = &setup.rate_limit {
            args.extend(["--rate-limit".into(), limits.clone()]);
        }
        let mut process = Command::new(crate::children::workspace_ideogram())
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("the simulator starts");
        let line = BufReader::new(process.stdout.take().expect("its stdout"))
            .lines()
            .next_line()
            .await
            .expect("it announces itself")
            .expect("a line");
        let announced: Value = serde_json::from_str(&line).expect("JSON");
        let text = |key: &str| announced[key].as_str().expect("a string").to_string();
        Simulator {
            base_url: text("base_url"),
            token: text("token"),
            delivery_url: text("delivery_url"),
            record_url: text("record_url"),
            _process: process,
        }
    }

    /// Reads the record (on a connection of its own, which is not counted as the client's).
    pub async fn seen(&self) -> Seen {
        let record: Value = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("a client")
            .get(&self.record_url)
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("the record")
            .json()
            .await
            .expect("JSON");
        let requests = record["requests"]
            .as_object()
            .map_or(0, |r| r.values().filter_map(Value::as_u64).sum());
        let connections = record["connections"]
            .as_u64()
            .unwrap_or(0)
            .saturating_sub(1);
        let mut lags: Vec<f64> = record["notification_lags"]
            .as_array()
            .map(|l| {
                l.iter()
                    .filter_map(Value::as_f64)
                    .map(|s| s * 1000.0)
                    .collect()
            })
            .unwrap_or_default();
        lags.sort_by(f64::total_cmp);
        let created = record["created"].as_array().cloned().unwrap_or_default();
        let distinct: HashSet<String> = created.iter().map(|c| c["input"].to_string()).collect();
        Seen {
            requests,
            connections,
            lags: lags.len(),
            lag_mean_ms: lags.iter().sum::<f64>() / lags.len().max(1) as f64,
            lag_p95_ms: percentile(&lags, 0.95),
            duplicates: created.len() - distinct.len(),
            throttled_creates: record["throttled_creates"].as_u64().unwrap_or(0),
            throttled_others: record["throttled_others"].as_u64().unwrap_or(0),
        }
    }
}
