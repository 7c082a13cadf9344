//! Ideogram 4 from a structured prompt: a JSON object (scene, text, layout) instead of a sentence, at a 2K
//! resolution.
//!
//! ```sh
//! REPLICATE_API_TOKEN=r8_... cargo run --example json_prompt -- '{"scene": "a poster", "text": "RUN"}'
//! ```

use replicate_ideogram::{
    Client,
    models::{IdeogramV4TurboInput, V4Resolution},
};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let text = std::env::args()
        .nth(1)
        .unwrap_or_else(|| r#"{"scene": "a poster", "text": "RUN"}"#.to_string());
    let prompt: serde_json::Value = serde_json::from_str(&text)?;
    // Exactly one of `prompt` and `json_prompt`: checked before anything is sent.
    let input = IdeogramV4TurboInput::default()
        .json_prompt(prompt)
        .resolution(V4Resolution::Res2048x2048);
    let client = Client::from_env()?;
    let url = client.run(input).await?;
    println!("image: {url}");
    Ok(())
}
