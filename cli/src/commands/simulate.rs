//! `ideogram simulate`: the offline simulator as its own process, until Ctrl-C.

use crate::exit::Exit;

use replicate_ideogram_simulator::{Faults, ServerLimits, SimulatorConfig};

use crate::{Failure, connection::start_simulator, output};

#[derive(Debug, clap::Args)]
pub struct SimulateArgs {
    /// The API's port on 127.0.0.1 (0: any free port).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// The path prefix the API is served under.
    #[arg(long, default_value = "/v1")]
    pub path_prefix: String,
    /// How long predictions stay `starting`, in milliseconds.
    #[arg(long, default_value_t = 100)]
    pub starting_ms: u64,
    /// How long predictions stay `processing`, in milliseconds.
    #[arg(long, default_value_t = 400)]
    pub processing_ms: u64,
    /// Let each prediction's processing time vary between --processing-ms and this.
    #[arg(long, value_name = "MS")]
    pub processing_max_ms: Option<u64>,
    /// Inject the standard fault mix (429 10%, 503 10%, dropped after 5%, dropped before 5%, HTML 502 3%,
    /// truncated JSON 3%).
    #[arg(long, conflicts_with = "fault_mix")]
    pub faults: bool,
    /// Inject faults with these probabilities, e.g. `429=0.1,503=0.1,drop-after=0.05`. Kinds: 429, 500,
    /// 502-html, 503, drop-before, drop-after, truncated-json.
    #[arg(long, value_name = "KIND=P,...", value_parser = parse_fault_mix)]
    pub fault_mix: Option<Faults>,
    /// Inject faults on the delivery host (output files) with these probabilities, in the kinds of
    /// --fault-mix; `truncated-json` there cuts a file's body short.
    #[arg(long, value_name = "KIND=P,...", value_parser = parse_fault_mix)]
    pub delivery_fault_mix: Option<Faults>,
    /// Make `urls.*` and list pages name api.replicate.com, as a proxy's answers do.
    #[arg(long)]
    pub foreign_urls: bool,
    /// The seed of ids and faults.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Publish this schema (Cog's OpenAPI document, a JSON file) as the latest version of MODEL, in place of
    /// the crate's own (to try `ideogram spec sync`). Repeatable.
    #[arg(long, value_name = "MODEL=FILE")]
    pub published_schema: Vec<String>,
    /// Throttle as Replicate does (429 with Retry-After): `replicate` (600 creates and 3,000 other requests a
    /// minute), `low-credit` (1 create a second, 6 others a second), or
    /// `CREATES_PER_MIN[:BURST][,OTHERS_PER_MIN[:BURST]]`, e.g. `120:20,3000:500` (a missing BURST is one
    /// second's worth; an empty part is unlimited). Default: no limits.
    #[arg(long, value_name = "LIMITS")]
    pub rate_limit: Option<ServerLimits>,
}

pub async fn simulate(args: &SimulateArgs) -> Result<Exit, Failure> {
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
    Ok(Exit::Success)
}

fn parse_fault_mix(text: &str) -> Result<Faults, String> {
    let mut faults = Faults::default();
    for part in text.split(',').filter(|p| !p.trim().is_empty()) {
        let (kind, probability) = part
            .split_once('=')
            .ok_or_else(|| format!("expected KIND=PROBABILITY, got {part:?}"))?;
        let p: f64 = probability
            .trim()
            .parse()
            .ok()
            .filter(|p: &f64| (0.0..=1.0).contains(p))
            .ok_or_else(|| format!("{probability:?} is not a probability between 0 and 1"))?;
        faults = match kind.trim() {
            "429" => faults.throttle(p),
            "500" => faults.server_error(p),
            "502-html" => faults.bad_gateway_html(p),
            "503" => faults.unavailable(p),
            "drop-before" => faults.drop_before(p),
            "drop-after" => faults.drop_after(p),
            "truncated-json" => faults.truncated_json(p),
            other => return Err(format!("unknown fault kind {other:?}")),
        };
    }
    Ok(faults)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_mixes_parse_by_kind() {
        let mix = parse_fault_mix("429=0.1, 503=0.1,drop-after=0.05").unwrap();
        assert_eq!(
            mix,
            Faults::default()
                .throttle(0.1)
                .unavailable(0.1)
                .drop_after(0.05)
        );
        assert!(
            parse_fault_mix("429=1.5")
                .unwrap_err()
                .contains("probability")
        );
        assert!(parse_fault_mix("418=0.1").unwrap_err().contains("unknown"));
        assert!(
            parse_fault_mix("429")
                .unwrap_err()
                .contains("KIND=PROBABILITY")
        );
    }
}
