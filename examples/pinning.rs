//! Pin a prediction to one version of its model, so a long job keeps its results reproducible while the model
//! moves on, and see whether the model has moved past the version this crate's types describe.
//!
//! ```sh
//! REPLICATE_API_TOKEN=r8_... cargo run --example pinning -- "a lighthouse at dawn"
//! ```

use futures_util::TryStreamExt;
use replicate_ideogram::{Client, ModelInput, models::IdeogramV3TurboInput};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let prompt = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "a lighthouse at dawn".to_string());
    let client = Client::from_env()?;

    let versions: Vec<_> = client
        .model_versions(IdeogramV3TurboInput::MODEL)
        .try_collect()
        .await?;
    match versions.first() {
        Some(latest) if latest.id != IdeogramV3TurboInput::VERSION => {
            println!(
                "the model moved on to {}; running the pinned one",
                latest.id
            )
        }
        _ => println!("the pinned version is the latest"),
    }

    let pinned = IdeogramV3TurboInput::new(prompt).at_version(IdeogramV3TurboInput::VERSION);
    let url = client.run(pinned).await?;
    println!("image: {url}");
    Ok(())
}
