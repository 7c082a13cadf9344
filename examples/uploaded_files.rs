//! Clean up the files uploaded for earlier runs (reference images over 256 kB are uploaded, and stay in the
//! account until they expire): list them, and delete those older than a number of hours.
//!
//! ```sh
//! REPLICATE_API_TOKEN=r8_... cargo run --example uploaded_files -- 24
//! ```

use futures_util::TryStreamExt;
use replicate_ideogram::Client;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let hours: i64 = std::env::args().nth(1).map_or(Ok(24), |h| h.parse())?;
    let cutoff = chrono::Utc::now() - chrono::TimeDelta::hours(hours);
    let client = Client::from_env()?;

    let files: Vec<_> = client.files().list().try_collect().await?;
    let mut deleted = 0;
    for file in &files {
        let name = file.name.as_deref().unwrap_or("-");
        match file.created_at {
            Some(created) if created < cutoff => {
                client.files().delete(&file.id).await?;
                deleted += 1;
                println!("deleted {} {name}", file.id);
            }
            _ => println!("kept    {} {name}", file.id),
        }
    }
    println!("{deleted} of {} deleted", files.len());
    Ok(())
}
