//! Create a prediction, then wait for it: the two-step path, with the prediction in hand.
//!
//! ```sh
//! REPLICATE_API_TOKEN=r8_... cargo run --example create_and_wait -- "a paper boat"
//! ```

use std::time::Duration;

use replicate_ideogram::{
    Client, Error,
    models::{IdeogramV2TurboInput, StyleType},
};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let prompt = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "a paper boat".to_string());
    let input = IdeogramV2TurboInput::new(prompt).style_type(StyleType::Design);

    let client = Client::from_env()?;
    let created = client
        .create(input)
        .cancel_after(Duration::from_secs(300))
        .await?;
    println!("created {} ({})", created.id, created.status);

    match client
        .wait(&created.id)
        .timeout(Duration::from_secs(300))
        .await
    {
        Ok(done) => {
            // The model's output is one image URL; `output_as` decodes it (the raw JSON is `done.output`).
            let url: String = done.output_as()?;
            println!("image: {url}");
            if let Some(time) = done.predict_time() {
                println!("the model ran for {:.1}s", time.as_secs_f64());
            }
            Ok(())
        }
        Err(Error::PredictionFailed(prediction)) => {
            eprintln!("failed: {}", prediction.error_message().unwrap_or_default());
            eprintln!("{}", prediction.logs.unwrap_or_default());
            std::process::exit(1);
        }
        Err(other) => Err(other.into()),
    }
}
