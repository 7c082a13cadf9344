//! `ideogram spec sync`: a model's components in openapi.yaml brought up to date with its published schema
//! (its latest version's, or `--version`'s), or (`--check`) every model's compared with its latest version,
//! nothing written.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use ideogram_cli::spec_sync;

use crate::{Failure, args::Cli, connect, exit::Exit, output};

#[derive(Debug, Subcommand)]
pub enum SpecCommand {
    /// Rewrite a model's components in openapi.yaml from the schema its latest version publishes
    /// (`GET /models/{owner}/{name}`), and say what changed.
    ///
    /// With --check, rewrite nothing: say for each model whether the spec is behind its published schema, and
    /// exit 1 if any is (for a scheduled job in CI).
    Sync(SyncArgs),
}

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// The model, `owner/name` (or --all).
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    pub model: Option<String>,
    /// Every model the spec has an input for.
    #[arg(long)]
    pub all: bool,
    /// Sync against this version of the model (an id `ideogram versions MODEL` lists) instead of the latest.
    #[arg(long, value_name = "ID", conflicts_with = "all")]
    pub version: Option<String>,
    /// The spec to rewrite.
    #[arg(long, value_name = "FILE", default_value = "openapi.yaml")]
    pub spec: PathBuf,
    /// Print what would change, and leave the file alone.
    #[arg(long)]
    pub dry_run: bool,
    /// Change nothing; exit 1 if the spec is behind any model's published schema, or a model's latest
    /// version is not the one the spec records (the model moved, whether or not its schema changed).
    #[arg(long, conflicts_with = "dry_run")]
    pub check: bool,
}

pub async fn sync(cli: &Cli, args: &SyncArgs) -> Result<Exit, Failure> {
    let path = args.spec.as_path();
    let mut text = std::fs::read_to_string(path)
        .map_err(|e| Failure::usage(format!("{}: {e}", path.display())))?;
    let models = match &args.model {
        Some(model) => vec![model.clone()],
        None => spec_sync::models(&text)
            .map_err(|e| Failure::usage(format!("{}: {e}", path.display())))?,
    };
    let connection = connect(cli, false).await?;
    let mut behind = 0;
    let mut changed = false;
    let mut breaks = Vec::new();
    for model in &models {
        let version = match &args.version {
            Some(id) => connection.client.model_version(model, id).await?,
            None => {
                let info = connection.client.model(model).await?;
                info.latest_version.ok_or_else(|| Failure {
                    code: Exit::Api,
                    message: format!("{model} has no published version"),
                })?
            }
        };
        let fail = |message: String| Failure {
            code: Exit::Api,
            message,
        };
        if args.check {
            let drift = spec_sync::check(&text, model, &version).map_err(fail)?;
            behind += usize::from(drift.is_behind() || drift.has_moved());
            report(model, &drift)?;
            continue;
        }
        let synced = spec_sync::sync(&text, model, &version).map_err(fail)?;
        if synced.changes.is_empty() {
            output::line(format_args!(
                "{}: {model} is up to date (version {})",
                path.display(),
                crate::terminal::plain(&version.id)
            ))?;
            continue;
        }
        // Field names and versions come from the server.
        for line in &synced.changes {
            output::line(crate::terminal::plain(line))?;
        }
        changed = true;
        breaks.extend(synced.breaks);
        text = synced.spec;
    }
    if args.check {
        output::line(format_args!(
            "{behind} of {} models behind their published schema or version",
            models.len()
        ))?;
        return Ok(if behind > 0 {
            Exit::SomeFailed
        } else {
            Exit::Success
        });
    }
    let code = finish(path, &text, changed, args.dry_run)?;
    if !args.dry_run {
        record_breaking(path, &breaks)?;
    }
    Ok(code)
}

/// Writes what the sync broke into the changelog beside the spec, under `## Unreleased`, or says to.
fn record_breaking(spec: &Path, breaks: &[String]) -> Result<(), Failure> {
    if breaks.is_empty() {
        return Ok(());
    }
    let changelog = spec.with_file_name("CHANGELOG.md");
    let recorded = std::fs::read_to_string(&changelog)
        .ok()
        .and_then(|text| spec_sync::record_breaking(&text, breaks));
    match recorded {
        Some(text) => {
            std::fs::write(&changelog, text)
                .map_err(|e| Failure::usage(format!("{}: {e}", changelog.display())))?;
            output::line(format_args!(
                "{}: {} breaking change{} written under Unreleased",
                changelog.display(),
                breaks.len(),
                if breaks.len() == 1 { "" } else { "s" }
            ))
        }
        None => output::line(format_args!(
            "no {} with an `## Unreleased` heading: write the breaking change{} above in your changelog",
            changelog.display(),
            if breaks.len() == 1 { "" } else { "s" }
        )),
    }
}

/// One model's line (and its changes) in a `--check`.
fn report(model: &str, drift: &spec_sync::Drift) -> Result<(), Failure> {
    let ours = drift.ours.as_deref().unwrap_or("unrecorded");
    match (&drift.component, drift.is_behind()) {
        (None, _) => output::line(format_args!(
            "{model}: BEHIND: openapi.yaml has no input for it"
        )),
        (Some(_), true) => {
            output::line(format_args!(
                "{model}: BEHIND: the published schema (version {}) differs",
                crate::terminal::plain(&drift.latest)
            ))?;
            for line in &drift.changes {
                output::line(format_args!("  {}", crate::terminal::plain(line)))?;
            }
            Ok(())
        }
        (Some(_), false) if drift.has_moved() => output::line(format_args!(
            "{model}: MOVED: version {} publishes the same schema as {ours}, the one openapi.yaml \
             records; `ideogram spec sync {model}` records it",
            crate::terminal::plain(&drift.latest)
        )),
        (Some(_), false) if drift.ours.is_none() => output::line(format_args!(
            "{model}: up to date (version {}; openapi.yaml records no version)",
            crate::terminal::plain(&drift.latest)
        )),
        (Some(_), false) => output::line(format_args!("{model}: up to date (version {ours})")),
    }
}

fn finish(path: &Path, text: &str, changed: bool, dry_run: bool) -> Result<Exit, Failure> {
    if !changed {
        return Ok(Exit::Success);
    }
    if dry_run {
        output::line(format_args!("(dry run: {} left as it was)", path.display()))?;
    } else {
        std::fs::write(path, text)
            .map_err(|e| Failure::usage(format!("{}: {e}", path.display())))?;
        output::line(format_args!(
            "{} rewritten; `cargo build` regenerates the types",
            path.display()
        ))?;
    }
    Ok(Exit::Success)
}
