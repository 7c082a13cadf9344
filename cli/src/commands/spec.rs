//! `ideogram spec sync`: a model's components in openapi.yaml brought up to date with its published schema
//! (its latest version's, or `--version`'s), or (`--check`) every model's compared with its latest version,
//! nothing written.

use std::{path::Path, process::ExitCode};

use ideogram_cli::spec_sync;

use crate::{Failure, args::Cli, args::SyncArgs, connect, output};

pub async fn sync(cli: &Cli, args: &SyncArgs) -> Result<ExitCode, Failure> {
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
    for model in &models {
        let version = match &args.version {
            Some(id) => connection.client.model_version(model, id).await?,
            None => {
                let info = connection.client.model(model).await?;
                info.latest_version.ok_or_else(|| Failure {
                    code: 3,
                    message: format!("{model} has no published version"),
                })?
            }
        };
        let fail = |message: String| Failure { code: 3, message };
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
        text = synced.spec;
    }
    if args.check {
        output::line(format_args!(
            "{behind} of {} models behind their published schema or version",
            models.len()
        ))?;
        return Ok(if behind > 0 {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        });
    }
    finish(path, &text, changed, args.dry_run)
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

fn finish(path: &Path, text: &str, changed: bool, dry_run: bool) -> Result<ExitCode, Failure> {
    if !changed {
        return Ok(ExitCode::SUCCESS);
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
    Ok(ExitCode::SUCCESS)
}
