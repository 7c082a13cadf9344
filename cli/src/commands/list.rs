//! `ideogram list`: the newest predictions, one line (or JSON object) each.

use std::process::ExitCode;

use futures_util::StreamExt;

use crate::{Failure, args::Cli, connect, output, terminal};

pub async fn list(cli: &Cli, limit: usize, json: bool) -> Result<ExitCode, Failure> {
    let connection = connect(cli, false).await?;
    let mut predictions = std::pin::pin!(connection.client.list().stream().take(limit));
    while let Some(prediction) = predictions.next().await {
        let prediction = prediction?;
        if json {
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
    Ok(ExitCode::SUCCESS)
}
