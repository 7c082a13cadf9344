//! `GET /account`: the account the token belongs to, as a client checks its token with.

// Handlers return an early answer as `Err(Response)`, the axum idiom; its size does not matter here.
#![allow(clippy::result_large_err)]

use std::sync::Arc;

use axum::{
    extract::State,
    http::{HeaderMap, StatusCode},
};
use serde_json::json;

use super::{
    ServerState, SimulatorConfig,
    api::{Reply, authorize, json_reply},
};

/// The account, as Replicate describes a user's: its type, username, name and GitHub URL.
pub(crate) async fn account(State(shared): State<Arc<ServerState>>, headers: HeaderMap) -> Reply {
    authorize(&shared, &headers)?;
    let body = json!({
        "type": "user",
        "username": shared.config.account_username,
        "name": "Replicate simulator",
        "github_url": null,
    });
    Ok(json_reply(StatusCode::OK, &body))
}

impl SimulatorConfig {
    /// Sets the `username` that `GET /account` answers (default `simulator`).
    #[must_use]
    pub fn account_username(mut self, username: impl Into<String>) -> Self {
        self.account_username = username.into();
        self
    }
}
