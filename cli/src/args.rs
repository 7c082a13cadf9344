//! The command line, as clap parses it: the global options and the list of subcommands. Each subcommand's
//! own arguments are beside the code that reads them, in its module of `commands/` (the input options
//! `generate` and `batch` share are in `inputs`).

use std::time::Duration;

use clap::{ArgAction, Parser, Subcommand};

use crate::{
    commands::{
        account::AccountArgs, batch::BatchArgs, cancel::CancelArgs, files::FilesCommand,
        generate::GenerateArgs, get::GetArgs, list::ListArgs, schema::SchemaArgs,
        simulate::SimulateArgs, spec::SpecCommand, versions::VersionsArgs,
    },
    exit::Exit,
};

/// Generate images with Ideogram's models on Replicate (or a Replicate-compatible proxy): ideogram-v2 and
/// v2-turbo, v2a and v2a-turbo, v3-turbo, -balanced and -quality, v4-turbo, -balanced and -quality,
/// ideogram-character and layerize (`ideogram schema --list`); ideogram-v2-turbo unless `--model` says
/// otherwise.
///
/// The token comes from REPLICATE_API_TOKEN. With no token and no base URL, `generate` runs against the
/// built-in offline simulator.
#[derive(Debug, Parser)]
#[command(
    name = "ideogram",
    version,
    about,
    after_help = Exit::summary(),
    after_long_help = Exit::listing()
)]
pub struct Cli {
    /// The API base URL, with any path prefix.
    #[arg(long, global = true, env = "REPLICATE_BASE_URL", value_name = "URL")]
    pub base_url: Option<String>,

    /// Run against the built-in offline simulator, whatever the environment says.
    #[arg(long, global = true)]
    pub simulator: bool,

    /// How long after a create the server's list is trusted to show what it made, in seconds: before a
    /// create whose answer was lost is sent again, the list must have had this long to show it. Raise it
    /// for a proxy whose list lags more.
    #[arg(long, global = true, value_name = "SECONDS", default_value_t = 5.0, value_parser = settle_seconds)]
    pub list_settle: f64,

    /// Log more on stderr: -v info, -vv debug (each request, each status change). RUST_LOG, when set, wins.
    #[arg(short, long, global = true, action = ArgAction::Count)]
    pub verbose: u8,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create predictions, wait for them and save the images.
    Generate(Box<GenerateArgs>),
    /// Run a file of inputs as one batch: paced to the account's limits, resumable, with a contact sheet.
    Batch(Box<BatchArgs>),
    /// Show a prediction.
    Get(GetArgs),
    /// Cancel a prediction.
    Cancel(CancelArgs),
    /// List recent predictions, newest first.
    List(ListArgs),
    /// Show the account the token belongs to: a cheap check of a token before a long job.
    Account(AccountArgs),
    /// List a model's versions, newest first: the ids a pinned run or `spec sync --version` takes.
    Versions(VersionsArgs),
    /// List or delete the files uploaded to the account (reference images over 256 kB are uploaded, and
    /// stay until they expire).
    #[command(subcommand)]
    Files(FilesCommand),
    /// Print the JSON Schema of a model's input (for LLM tool definitions), or list the models.
    Schema(SchemaArgs),

    /// Work on openapi.yaml.
    #[command(subcommand)]
    Spec(SpecCommand),
    /// Run the offline simulator on loopback until stopped (for tests and benchmarks in other processes).
    ///
    /// Prints one JSON line: `base_url`, `token`, `delivery_url`, `record_url` (its record of requests, as
    /// JSON, with the token).
    Simulate(Box<SimulateArgs>),
}

/// A duration option in seconds (`--timeout`): more than 0, finite.
pub fn parse_seconds(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds"))?;
    if !(seconds > 0.0 && seconds.is_finite()) {
        return Err("must be more than 0 seconds".into());
    }
    Duration::try_from_secs_f64(seconds).map_err(|e| e.to_string())
}

/// A settle margin in seconds: finite, from 0.1 to an hour.
fn settle_seconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(seconds) if (0.1..=3600.0).contains(&seconds) => Ok(seconds),
        _ => Err(format!(
            "{text:?} is not a number of seconds from 0.1 to 3600"
        )),
    }
}
