//! Act on what went wrong, by kind: a refused token, a refused input (with its fields), a deadline (with the
//! prediction, if one was made), a failure worth trying again, and a prediction that may exist.
//!
//! ```sh
//! REPLICATE_API_TOKEN=r8_... cargo run --example errors -- "a paper boat" 30
//! ```
//!
//! Arguments: the prompt and a timeout in seconds. Exits 1 if the image could not be made.

use std::time::Duration;

use replicate_ideogram::{Client, Error, models::IdeogramV2TurboInput};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let prompt = args.next().unwrap_or_else(|| "a paper boat".to_string());
    let seconds: u64 = args.next().map_or(Ok(60), |s| s.parse())?;
    let client = Client::from_env()?;

    let mut tries = 0;
    let outcome = loop {
        let run = client
            .run(IdeogramV2TurboInput::new(prompt.as_str()))
            .timeout(Duration::from_secs(seconds));
        match run.await {
            // Safe to try again: nothing was made (the network, the server busy, the rate limit).
            Err(error) if error.is_retryable() && tries < 3 => {
                tries += 1;
                eprintln!("trying again ({error})");
            }
            outcome => break outcome,
        }
    };
    let message = match outcome {
        Ok(url) => {
            println!("image: {url}");
            return Ok(());
        }
        Err(e) if e.is_unauthorized() => {
            format!("the token was refused; check REPLICATE_API_TOKEN ({e})")
        }
        Err(e) if e.is_invalid_input() => {
            let fields: Vec<String> = e
                .invalid_fields()
                .iter()
                .map(|f| format!("{}: {}", f.field, f.description))
                .collect();
            format!("the input was refused: {}", fields.join("; "))
        }
        Err(e) if e.is_timeout() => match e.prediction_id() {
            Some(id) => format!("not done in {seconds} s; it runs on as {id}"),
            None => format!("not started in {seconds} s; nothing was created"),
        },
        Err(e @ Error::CreateUncertain { .. }) => {
            format!(
                "a prediction may have been made; look at `ideogram list` before trying again ({e})"
            )
        }
        Err(e) => e.to_string(),
    };
    eprintln!("{message}");
    std::process::exit(1);
}
