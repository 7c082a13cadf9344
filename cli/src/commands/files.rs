//! `ideogram files list|delete`: the files uploaded to the account, listed, and deleted by id or by age.

use std::time::Duration;

use clap::Subcommand;
use futures_util::StreamExt;
use replicate_ideogram::{Client, UploadedFile};

use crate::{Failure, args::Cli, connect, exit::Exit, output, terminal};

#[derive(Debug, Subcommand)]
pub enum FilesCommand {
    /// List the uploaded files, newest first.
    List {
        /// Print one JSON object per file.
        #[arg(long)]
        json: bool,
    },
    /// Delete uploaded files: those named, or every one older than --older-than.
    Delete {
        /// The ids of the files to delete.
        #[arg(required_unless_present = "older_than", conflicts_with = "older_than")]
        ids: Vec<String>,
        /// Every file uploaded longer ago than this: a number and a unit, `s`, `m`, `h` or `d` (`7d`).
        #[arg(long, value_name = "AGE", value_parser = parse_age)]
        older_than: Option<Duration>,
        /// Print what would be deleted, and delete nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

pub async fn files(cli: &Cli, command: &FilesCommand) -> Result<Exit, Failure> {
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
            Ok(Exit::Success)
        }
    }
}

async fn list(client: &Client, json: bool) -> Result<Exit, Failure> {
    let mut files = std::pin::pin!(client.files().list());
    while let Some(file) = files.next().await {
        let file = file?;
        if json {
            output::line(file_json(&file))?;
        } else {
            output::line(terminal::plain(&describe(&file)))?;
        }
    }
    Ok(Exit::Success)
}

/// Deletes every file uploaded before `age` ago. The whole list is read first, then the files are deleted,
/// so that deleting does not shift the pages being walked.
async fn delete_older(client: &Client, age: Duration, dry_run: bool) -> Result<Exit, Failure> {
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
    Ok(Exit::Success)
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

/// An age: a whole number and a unit, `s`, `m`, `h` or `d`.
fn parse_age(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text.len().saturating_sub(1);
    let (number, unit) = (
        text.get(..split).unwrap_or(""),
        text.get(split..).unwrap_or(""),
    );
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => {
            return Err(format!(
                "{text:?}: a number and a unit, s, m, h or d (e.g. 7d)"
            ));
        }
    };
    let count: u64 = number
        .parse()
        .map_err(|_| format!("{text:?}: a number and a unit, s, m, h or d (e.g. 7d)"))?;
    count
        .checked_mul(seconds)
        .map(Duration::from_secs)
        .ok_or_else(|| format!("{text:?}: too long"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_take_a_number_and_a_unit() {
        assert_eq!(parse_age("7d"), Ok(Duration::from_secs(7 * 86_400)));
        assert_eq!(parse_age("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_age("2h"), Ok(Duration::from_secs(7200)));
        for bad in ["7", "d", "", "-1d", "1w", "1.5h", "99999999999999999999d"] {
            assert!(parse_age(bad).is_err(), "{bad:?}");
        }
    }
}
