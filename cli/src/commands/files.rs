//! `ideogram files list|delete`: the files uploaded to the account, listed, and deleted by id or by age.

use std::{process::ExitCode, time::Duration};

use futures_util::StreamExt;
use replicate_ideogram::{Client, UploadedFile};

use crate::{Failure, args::Cli, args::FilesCommand, connect, output, terminal};

pub async fn files(cli: &Cli, command: &FilesCommand) -> Result<ExitCode, Failure> {
    let connection = connect(cli, false).await?;
    let client = &connection.client;
    match command {
        FilesCommand::List { json } => list(client, *json).await,
        FilesCommand::Delete {
            ids,
            older_than: Some(age),
            dry_run,
        } if ids.is_empty() => delete_older(client, *age, *dry_run).await,
        FilesCommand::Delete { ids, dry_run, .. } => {
            for id in ids {
                if *dry_run {
                    output::line(terminal::plain(&format!("would delete {id}")))?;
                } else {
                    client.files().delete(id).await?;
                    output::line(terminal::plain(&format!("deleted {id}")))?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn list(client: &Client, json: bool) -> Result<ExitCode, Failure> {
    let mut files = std::pin::pin!(client.files().list());
    while let Some(file) = files.next().await {
        let file = file?;
        if json {
            output::line(file_json(&file))?;
        } else {
            output::line(terminal::plain(&describe(&file)))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Deletes every file uploaded before `age` ago. The whole list is read first, then the files are deleted,
/// so that deleting does not shift the pages being walked.
async fn delete_older(client: &Client, age: Duration, dry_run: bool) -> Result<ExitCode, Failure> {
    let age = chrono::TimeDelta::from_std(age).unwrap_or(chrono::TimeDelta::MAX);
    let cutoff = chrono::Utc::now().checked_sub_signed(age);
    let mut old = Vec::new();
    let mut files = std::pin::pin!(client.files().list());
    while let Some(file) = files.next().await {
        let file = file?;
        // A file whose upload time the server did not say is kept: its age is unknown.
        if let (Some(created), Some(cutoff)) = (file.created_at, cutoff)
            && created < cutoff
        {
            old.push(file);
        }
    }
    for file in &old {
        if !dry_run {
            client.files().delete(&file.id).await?;
        }
        let verb = if dry_run { "would delete" } else { "deleted" };
        output::line(terminal::plain(&format!("{verb} {}", describe(file))))?;
    }
    output::note(format_args!(
        "{} {} file{} uploaded more than {} ago",
        if dry_run { "would delete" } else { "deleted" },
        old.len(),
        if old.len() == 1 { "" } else { "s" },
        humane(age)
    ));
    Ok(ExitCode::SUCCESS)
}

fn describe(file: &UploadedFile) -> String {
    let created = file.created_at.map(|t| t.to_rfc3339()).unwrap_or_default();
    let size = file
        .size
        .map(|s| s.to_string())
        .unwrap_or_else(|| "-".into());
    let name = file.name.as_deref().unwrap_or("-");
    format!("{}  {created}  {size:>9}  {name}", file.id)
}

fn file_json(file: &UploadedFile) -> serde_json::Value {
    serde_json::json!({
        "id": file.id,
        "name": file.name,
        "url": file.url,
        "content_type": file.content_type,
        "size": file.size,
        "sha256": file.sha256,
        "created_at": file.created_at,
        "expires_at": file.expires_at,
    })
}

/// An age as the user would write it back: `7d`, `12h`, `30m`, `45s`.
fn humane(age: chrono::TimeDelta) -> String {
    let seconds = age.num_seconds();
    match seconds {
        s if s % 86_400 == 0 && s > 0 => format!("{}d", s / 86_400),
        s if s % 3600 == 0 && s > 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 && s > 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}
