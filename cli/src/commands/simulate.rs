//! `ideogram simulate`: the offline simulator as its own process, until Ctrl-C.

use std::process::ExitCode;

use replicate_ideogram_simulator::{Faults, SimulatorConfig};

use crate::{Failure, args, connection::start_simulator, output};

pub async fn simulate(args: &args::Simulate) -> Result<ExitCode, Failure> {
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
    if let Some(faults) = &args.delivery_fault_mix {
        config = config.delivery_faults(faults.clone());
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
    let simulator = start_simulator(config).await?;
    let line = serde_json::json!({
        "base_url": simulator.base_url(),
        "token": simulator.token(),
        "delivery_url": simulator.delivery_url(),
        "record_url": format!("{}/_simulator/record", simulator.base_url()),
    });
    output::line(line)?;
    output::note(format_args!(
        "Simulator running at {}; stop it with Ctrl-C.",
        simulator.base_url()
    ));
    let _ = tokio::signal::ctrl_c().await;
    Ok(ExitCode::SUCCESS)
}
