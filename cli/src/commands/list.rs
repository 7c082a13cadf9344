//! `ideogram list`: the newest predictions, one line (or JSON object) each.

use crate::exit::Exit;

use futures_util::StreamExt;

use crate::{Failure, args::Cli, connect, output, terminal};

#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// How many to show.
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    /// Print one JSON object per prediction.
    #[arg(long)]
    pub json: bool,
}

pub async fn list(cli: &Cli, args: &ListArgs) -> Result<Exit, Failure> {
    let connection = connect(cli, false).await?;
    let mut predictions = std::pin::pin!(connection.client.list().stream().take(args.limit));
    while let Some(prediction) = predictions.next().await {
        let prediction = prediction?;
        if args.json {
            output::line(serde_json::to_string(&prediction).unwrap_or_default())?;
        } else {
            let created = prediction
                .created_at
                .map(|t| t.to_rfc3339())
                .unwrap_or_default();
            let model = prediction.model.as_deref().unwrap_or("-");
            let line = format!(
                "{}  {:<10}  {created}  {model}",
                prediction.id, prediction.status
            );
            output::line(terminal::plain(&line))?;
        }
    }
    Ok(Exit::Success)
}
