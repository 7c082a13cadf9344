//! Generate a set of images as one resumable batch: paced to the account's limits, each image saved as it
//! arrives, a journal so that a run killed half-way is finished by running it again without paying twice.
//!
//! ```sh
//! REPLICATE_API_TOKEN=r8_... cargo run --example batch -- out "a red fox" "a paper boat" "a lighthouse"
//! ```
//!
//! Arguments: the output directory, then one prompt per image. Run it again after a Ctrl-C: what was done
//! is skipped, what was created is waited for, nothing is created twice.

use futures_util::StreamExt;
use replicate_ideogram::{Client, batch::Outputs, models::IdeogramV2TurboInput};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = args.next().unwrap_or_else(|| "out".to_string());
    let prompts: Vec<String> = args.collect();
    let inputs = prompts.clone().into_iter().map(IdeogramV2TurboInput::new);

    let client = Client::from_env()?;
    let mut results = client
        .batch(inputs)
        .concurrency(4)
        .outputs(Outputs::directory(&dir))
        .journal(format!("{dir}/journal.jsonl"))
        .start()
        .await?;
    let mut failed = 0;
    while let Some(item) = results.next().await {
        // An item's index is its position in the inputs the batch was given.
        #[allow(clippy::indexing_slicing)]
        let prompt = &prompts[item.index];
        match item.result {
            Ok(done) => println!("{prompt}: saved {:?}", done.files),
            Err(error) => {
                failed += 1;
                eprintln!("{prompt}: {error}");
            }
        }
    }
    println!("{} saved, {failed} failed", prompts.len() - failed);
    Ok(())
}
