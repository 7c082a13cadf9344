//! Download an output URL to a file, streamed (memory use does not grow with the file).
//!
//! ```sh
//! REPLICATE_API_TOKEN=r8_... cargo run --example download -- https://replicate.delivery/.../out.png out.png
//! ```
//!
//! The token is sent only if the URL is on the API's own origin, never to a delivery host.

use replicate_ideogram::Client;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args.next().ok_or("usage: download <url> [file]")?;
    let path = args.next().unwrap_or_else(|| "output.png".to_string());
    let client = Client::from_env()?;
    let written = client.download(&url).to_file(&path).await?;
    println!("saved {path} ({written} bytes)");
    Ok(())
}
