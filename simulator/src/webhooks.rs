//! Webhooks as Replicate sends them: signed with the Standard Webhooks scheme.

use replicate_ideogram::WebhookVerifier;
use std::time::Duration;

use tokio::time::{Instant, sleep_until};

use super::ServerState;

/// Sends a prediction's webhooks as it moves: `start` when it starts, `output` and `completed` when it ends
/// (filtered by its `webhook_events_filter`; the default is `output` and `completed`).
pub(crate) async fn deliver(shared: std::sync::Arc<ServerState>, id: String) {
    let Some(first) = shared.store.get(&id) else {
        return;
    };
    let Some(url) = first.webhook.clone() else {
        return;
    };
    let wants = |event: &str| {
        if first.webhook_events.is_empty() {
            matches!(event, "output" | "completed")
        } else {
            first.webhook_events.iter().any(|e| e == event)
        }
    };
    // As Replicate: no redirects followed, a bounded wait for the receiver.
    let Ok(http) = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .no_proxy()
        .build()
    else {
        return;
    };
    let mut sent = 0u32;
    if wants("start") {
        sleep_until(first.created + first.starting).await;
        if let Some(now) = shared.store.get(&id)
            && now.phase(Instant::now()).started.is_some()
        {
            send(&shared, &http, &url, &id, &mut sent).await;
        }
    }
    // Wait for the end, which a cancel may bring forward.
    loop {
        let Some(current) = shared.store.get(&id) else {
            return;
        };
        let settles = current.settles_at();
        if Instant::now() >= settles {
            break;
        }
        sleep_until(settles.min(Instant::now() + Duration::from_millis(50))).await;
    }
    if wants("output") {
        send(&shared, &http, &url, &id, &mut sent).await;
    }
    if wants("completed") {
        send(&shared, &http, &url, &id, &mut sent).await;
    }
}

async fn send(shared: &ServerState, http: &reqwest::Client, url: &str, id: &str, sent: &mut u32) {
    let Some(stored) = shared.store.get(id) else {
        return;
    };
    let body = stored
        .to_json(Instant::now(), &shared.clock, &shared.urls())
        .to_string();
    *sent += 1;
    let message_id = format!("msg_{id}_{sent}");
    let timestamp = chrono::Utc::now().timestamp();
    let Ok(verifier) = WebhookVerifier::new(&shared.config.webhook_secret) else {
        return;
    };
    let signature = verifier.sign(&message_id, timestamp, body.as_bytes());
    let request = http
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", &message_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(body);
    shared.record(|r| r.webhooks_sent += 1);
    let _ = request.send().await;
}
