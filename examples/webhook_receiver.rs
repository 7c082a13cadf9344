//! Receive webhooks and verify their signatures, here from the built-in simulator.
//!
//! ```sh
//! cargo run --example webhook_receiver
//! ```
//!
//! A small axum server takes `POST /hooks/replicate`, checks each request with [`WebhookVerifier`] (signature,
//! timestamp), and prints the prediction it carries. Against Replicate, point `webhook` at a public HTTPS URL
//! of such a server and build the verifier from `client.webhook_secret()`.

use std::{sync::Arc, time::Duration};

use axum::{Router, body::Bytes, extract::State, http::HeaderMap, http::StatusCode, routing::post};
use replicate_ideogram::{WebhookEvent, WebhookVerifier, models::IdeogramV2TurboInput};
use replicate_ideogram_simulator::{Simulator, SimulatorConfig};

use tokio::sync::mpsc;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let simulator = Simulator::start(SimulatorConfig::default()).await?;
    let client = simulator.client()?;
    let verifier = client.webhook_secret().await?.verifier()?;

    let (events, mut received) = mpsc::unbounded_channel();
    let app = Router::new()
        .route("/hooks/replicate", post(receive))
        .with_state(Arc::new((verifier, events)));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let hook = format!("http://{}/hooks/replicate", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });

    let input = IdeogramV2TurboInput::new("a lighthouse at dawn");
    let url = client
        .run(input)
        .webhook(&hook)
        .webhook_events([WebhookEvent::Start, WebhookEvent::Completed])
        .await?;
    println!("output: {url}");

    for _ in 0..2 {
        let line = tokio::time::timeout(Duration::from_secs(5), received.recv())
            .await?
            .ok_or("the receiver stopped")?;
        println!("{line}");
    }
    Ok(())
}

type Receiver = Arc<(WebhookVerifier, mpsc::UnboundedSender<String>)>;

async fn receive(State(state): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let (verifier, events) = state.as_ref();
    match verifier.verify(&headers, &body) {
        // A real receiver also drops a `webhook.id` it has already handled (a replay or a redelivery).
        Ok(webhook) => {
            let _ = events.send(format!(
                "verified webhook {}: {} is {}",
                webhook.id, webhook.prediction.id, webhook.prediction.status
            ));
            StatusCode::OK
        }
        Err(error) => {
            let _ = events.send(format!("rejected webhook: {error}"));
            StatusCode::BAD_REQUEST
        }
    }
}
