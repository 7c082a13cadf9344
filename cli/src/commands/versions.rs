//! `ideogram versions MODEL`: a model's versions, newest first, marking the one this build's types describe.

use std::process::ExitCode;

use futures_util::StreamExt;
use replicate_ideogram::models::version_of;

use crate::{Failure, args::Cli, connect, output, terminal};

pub async fn versions(cli: &Cli, model: &str, json: bool) -> Result<ExitCode, Failure> {
    let model = if model.contains('/') {
        model.to_string()
    } else {
        format!("ideogram-ai/{model}")
    };
    let ours = version_of(&model);
    let connection = connect(cli, false).await?;
    let mut versions = std::pin::pin!(connection.client.model_versions(&model));
    while let Some(version) = versions.next().await {
        let version = version?;
        if json {
            let value = serde_json::json!({
                "id": version.id,
                "created_at": version.created_at,
                "cog_version": version.cog_version,
                "openapi_schema": version.openapi_schema,
            });
            output::line(value)?;
            continue;
        }
        let created = version
            .created_at
            .map(|t| t.to_rfc3339())
            .unwrap_or_default();
        let mark = if ours == Some(version.id.as_str()) {
            "  (this build's types)"
        } else {
            ""
        };
        output::line(terminal::plain(&format!("{}  {created}{mark}", version.id)))?;
    }
    Ok(ExitCode::SUCCESS)
}
