//! List recent predictions, newest first, across pages.
//!
//! ```sh
//! REPLICATE_API_TOKEN=r8_... cargo run --example list -- 10
//! ```

use futures_util::{StreamExt, TryStreamExt};
use replicate_ideogram::Client;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let limit: usize = match std::env::args().nth(1) {
        Some(n) => n
            .parse()
            .map_err(|_| format!("usage: list [count]; {n} is not a count"))?,
        None => 10,
    };
    let client = Client::from_env()?;
    let mut predictions = std::pin::pin!(client.list().stream().take(limit));
    while let Some(prediction) = predictions.try_next().await? {
        let created = prediction
            .created_at
            .map(|t| t.to_rfc3339())
            .unwrap_or_default();
        let model = prediction.model.as_deref().unwrap_or("-");
        println!(
            "{}  {:<10}  {created}  {model}",
            prediction.id, prediction.status
        );
    }
    Ok(())
}
