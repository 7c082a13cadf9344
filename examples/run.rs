//! Generate one image and save it: the one-call path.
//!
//! ```sh
//! REPLICATE_API_TOKEN=r8_... cargo run --example run -- "a gold running shoe" 16:9
//! ```
//!
//! Arguments: the prompt (default: a gold running shoe) and an optional aspect ratio (`16:9`, `1:1`, …).
//! Set `REPLICATE_BASE_URL` to go through a proxy. Saves `ideogram.png`.

use replicate_ideogram::{
    Client,
    models::{AspectRatio, IdeogramV2TurboInput},
};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let prompt = args
        .next()
        .unwrap_or_else(|| "a gold running shoe".to_string());
    let mut input = IdeogramV2TurboInput::new(prompt);
    if let Some(ratio) = args.next() {
        input = input.aspect_ratio(ratio.parse::<AspectRatio>()?);
    }

    let client = Client::from_env()?;
    let url = client.run(input).await?;
    println!("image: {url}");
    let written = client.download(&url).to_file("ideogram.png").await?;
    println!("saved ideogram.png ({written} bytes)");
    Ok(())
}
