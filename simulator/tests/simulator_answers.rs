//! Answers beyond predictions: the account.

use serde_json::json;

mod common;
use common::{fast, get_json, start};

#[tokio::test]
async fn the_account_answers_with_the_token_and_refuses_without() {
    let sim = start(
        fast()
            .path_prefix("/replicate/v1")
            .account_username("alice"),
    )
    .await;
    let (status, account) = get_json(&sim, "/account").await;
    assert_eq!(status, 200);
    assert_eq!(
        account,
        json!({"type": "user", "username": "alice", "name": "Replicate simulator", "github_url": null})
    );
    let stranger = reqwest::get(format!("{}/account", sim.base_url()))
        .await
        .unwrap();
    assert_eq!(stranger.status(), 401);
    let record = sim.record();
    assert_eq!(record.requests_to("GET /account"), 2);
    assert_eq!(record.unauthorized, 1);

    let default = start(fast()).await;
    assert_eq!(
        get_json(&default, "/account").await.1["username"],
        "simulator"
    );
}
