//! `ideogram`: generate images with ideogram-ai/ideogram-v2-turbo from the command line.
//!
//! Exit codes: 0 all succeeded; 1 a prediction failed, was canceled or aborted; 2 bad usage or invalid input
//! (nothing was sent); 3 an API or network error.

// Nothing a server, a file or a user sends may panic the CLI.
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

mod args;
mod batch;
mod generate;
mod inputs;
mod progress;
mod runner;
mod sheet;
mod spec;
mod terminal;

use std::process::ExitCode;

use clap::Parser;
use futures_util::StreamExt;
use replicate_ideogram::{
    Client, ClientBuilder, Error, Prediction, TOKEN_ENV,
    models::{KNOWN_MODELS, input_schema_for},
    simulator::{Faults, Simulator, SimulatorConfig},
};

use args::{Cli, Command, SpecCommand};

/// Why the program stops, and with which exit code.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    pub fn usage(message: impl Into<String>) -> Self {
        Self {
            code: 2,
            message: message.into(),
        }
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Self {
            code: exit_code(&error),
            message: error.to_string(),
        }
    }
}

/// 1 for a prediction that ended badly, 2 for input or configuration, 3 for the API or the network.
pub fn exit_code(error: &Error) -> u8 {
    match error {
        Error::PredictionFailed(_)
        | Error::PredictionCanceled(_)
        | Error::PredictionAborted(_)
        | Error::OutputExpired { .. } => 1,
        Error::InvalidInput { .. } | Error::Config(_) | Error::JournalLocked { .. } => 2,
        _ => 3,
    }
}

/// A client, and the simulator it talks to when there is one (kept alive as long as the client).
pub struct Connection {
    pub client: Client,
    _simulator: Option<Simulator>,
}

/// Connects as the flags and environment say. `simulate_by_default`: with no token and no base URL, use the
/// built-in simulator (and say so) instead of failing.
pub async fn connect(cli: &Cli, simulate_by_default: bool) -> Result<Connection, Failure> {
    let has_token = std::env::var(TOKEN_ENV).is_ok_and(|t| !t.trim().is_empty());
    let by_default = simulate_by_default && !has_token && cli.base_url.is_none();
    if cli.simulator || by_default {
        if by_default {
            eprintln!(
                "No {TOKEN_ENV} and no base URL: running against the built-in offline simulator."
            );
        } else {
            eprintln!("Running against the built-in offline simulator.");
        }
        // A seed per run, so ids (and file names) differ between runs.
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1);
        let config = SimulatorConfig::default()
            .timings(
                std::time::Duration::from_millis(300),
                std::time::Duration::from_millis(1200),
            )
            .seed(seed);
        let simulator = Simulator::start(config).await.map_err(|e| Failure {
            code: 3,
            message: format!("cannot start the simulator: {e}"),
        })?;
        let client = simulator.client()?;
        return Ok(Connection {
            client,
            _simulator: Some(simulator),
        });
    }
    let mut builder = ClientBuilder::from_env();
    if let Some(base_url) = &cli.base_url {
        builder = builder.base_url(base_url);
    }
    let client = builder.build().map_err(|e| match e {
        Error::Config(message) if !has_token => Failure::usage(format!(
            "{message} (or pass --simulator to use the built-in offline simulator)"
        )),
        other => other.into(),
    })?;
    Ok(Connection {
        client,
        _simulator: None,
    })
}

// One thread: a batch's work is waiting on the network; a second thread only hands each step over (futex
// wake-ups per request and per file) and doubled the CLI's CPU per image.
#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli).await {
        Ok(code) => code,
        Err(failure) => {
            eprintln!("error: {}", terminal::plain(&failure.message));
            ExitCode::from(failure.code)
        }
    }
}

async fn run(cli: &Cli) -> Result<ExitCode, Failure> {
    match &cli.command {
        Command::Generate(args) => generate::generate(cli, args).await,
        Command::Batch(args) => batch::batch(cli, args).await,
        Command::Get { id, json } => {
            let connection = connect(cli, false).await?;
            show(&connection.client.get(id).await?, *json);
            Ok(ExitCode::SUCCESS)
        }
        Command::Cancel { id, json } => {
            let connection = connect(cli, false).await?;
            show(&connection.client.cancel(id).await?, *json);
            Ok(ExitCode::SUCCESS)
        }
        Command::List { limit, json } => {
            let connection = connect(cli, false).await?;
            let mut predictions = std::pin::pin!(connection.client.list().stream().take(*limit));
            while let Some(prediction) = predictions.next().await {
                let prediction = prediction?;
                if *json {
                    println!("{}", serde_json::to_string(&prediction).unwrap_or_default());
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
                    println!("{}", terminal::plain(&line));
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Simulate(args) => simulate(args).await,
        Command::Spec(SpecCommand::Sync(args)) => spec::sync(cli, args).await,
        Command::Schema(args) => {
            if args.list {
                for model in KNOWN_MODELS {
                    println!("{model}");
                }
                return Ok(ExitCode::SUCCESS);
            }
            let model = inputs::known_model(&args.model)?;
            let schema = input_schema_for(model).unwrap_or_default();
            println!(
                "{}",
                serde_json::to_string_pretty(&schema).unwrap_or_default()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn simulate(args: &args::Simulate) -> Result<ExitCode, Failure> {
    let mut config = SimulatorConfig::default()
        .timings(
            std::time::Duration::from_millis(args.starting_ms),
            std::time::Duration::from_millis(args.processing_ms),
        )
        .path_prefix(&args.path_prefix)
        .foreign_urls(args.foreign_urls)
        .seed(args.seed)
        .port(args.port);
    if args.faults {
        config = config.faults(Faults::standard_mix());
    }
    if let Some(faults) = &args.fault_mix {
        config = config.faults(faults.clone());
    }
    for published in &args.published_schema {
        let (model, file) = published.split_once('=').ok_or_else(|| {
            Failure::usage(format!(
                "--published-schema {published}: expected MODEL=FILE"
            ))
        })?;
        let schema = std::fs::read_to_string(file)
            .map_err(|e| e.to_string())
            .and_then(|text| serde_json::from_str(&text).map_err(|e| e.to_string()))
            .map_err(|e| Failure::usage(format!("--published-schema {file}: {e}")))?;
        config = config.published_schema(model, schema);
    }
    if let Some(max) = args.processing_max_ms {
        config = config.processing_up_to(std::time::Duration::from_millis(max));
    }
    if let Some(limits) = args.rate_limit {
        config = config.rate_limits(limits);
    }
    let simulator = Simulator::start(config).await.map_err(|e| Failure {
        code: 3,
        message: format!("cannot start the simulator: {e}"),
    })?;
    let line = serde_json::json!({
        "base_url": simulator.base_url(),
        "token": simulator.token(),
        "delivery_url": simulator.delivery_url(),
        "record_url": format!("{}/_simulator/record", simulator.base_url()),
    });
    println!("{line}");
    eprintln!(
        "Simulator running at {}; stop it with Ctrl-C.",
        simulator.base_url()
    );
    let _ = tokio::signal::ctrl_c().await;
    Ok(ExitCode::SUCCESS)
}

fn show(prediction: &Prediction, json: bool) {
    if json {
        println!("{}", serde_json::to_string(prediction).unwrap_or_default());
        return;
    }
    let mut lines = vec![
        format!("id:      {}", prediction.id),
        format!("status:  {}", prediction.status),
    ];
    if let Some(model) = &prediction.model {
        lines.push(format!("model:   {model}"));
    }
    if let Some(created) = prediction.created_at {
        lines.push(format!("created: {}", created.to_rfc3339()));
    }
    if let Some(output) = &prediction.output {
        let output = output
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| output.to_string());
        lines.push(format!("output:  {output}"));
    }
    if let Some(error) = prediction.error_message() {
        lines.push(format!("error:   {error}"));
    }
    for line in lines {
        println!("{}", terminal::plain(&line));
    }
    if let Some(time) = prediction.predict_time() {
        println!("time:    {:.2}s", time.as_secs_f64());
    }
}
