//! `ideogram versions MODEL`: a model's versions, newest first, marking the one this build's types describe.

use crate::exit::Exit;

use futures_util::StreamExt;
use replicate_ideogram::models::version_of;

use crate::{Failure, args::Cli, connect, output, terminal};

#[derive(Debug, clap::Args)]
pub struct VersionsArgs {
    /// The model: `ideogram-ai/<name>` or just `<name>`.
    pub model: String,
    /// Print one JSON object per version (with its schema).
    #[arg(long)]
    pub json: bool,
}

pub async fn versions(cli: &Cli, args: &VersionsArgs) -> Result<Exit, Failure> {
    let model = if args.model.contains('/') {
        args.model.clone()
    } else {
        format!("ideogram-ai/{}", args.model)
    };
    let ours = version_of(&model);
    let connection = connect(cli, false).await?;
    let mut versions = std::pin::pin!(connection.client.model_versions(&model));
    while let Some(version) = versions.next().await {
        let version = version?;
        if args.json {
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
    Ok(Exit::Success)
}
