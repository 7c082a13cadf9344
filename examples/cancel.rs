//! Cancel a prediction by id.
//!
//! ```sh
//! REPLICATE_API_TOKEN=r8_... cargo run --example cancel -- 2jycc2v9nnrmc0crap5tv5zaxr
//! ```

use replicate_ideogram::Client;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let id = std::env::args()
        .nth(1)
        .ok_or("usage: cancel <prediction id>")?;
    let client = Client::from_env()?;
    let prediction = client.cancel(&id).await?;
    println!("{} is {}", prediction.id, prediction.status);
    Ok(())
}
