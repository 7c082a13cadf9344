//! The client a command talks through: the API (or a proxy) as the flags and environment say, or the built-in
//! simulator.

use replicate_ideogram::{Client, ClientBuilder, Error};
use replicate_ideogram_simulator::{Simulator, SimulatorConfig};

use crate::{Failure, args::Cli, exit::Exit};

/// A client, and the simulator it talks to when there is one (kept alive as long as the client).
pub struct Connection {
    pub client: Client,
    _simulator: Option<Simulator>,
}

/// Connects as the flags and environment say. `simulate_by_default`: with no token and no base URL, use the
/// built-in simulator (and say so) instead of failing.
pub async fn connect(cli: &Cli, simulate_by_default: bool) -> Result<Connection, Failure> {
    let has_token = std::env::var(Client::TOKEN_ENV).is_ok_and(|t| !t.trim().is_empty());
    let by_default = simulate_by_default && !has_token && cli.base_url.is_none();
    if cli.simulator || by_default {
        if by_default {
            crate::output::note(format_args!(
                "No {} and no base URL: running against the built-in offline simulator.",
                Client::TOKEN_ENV
            ));
        } else {
            crate::output::note("Running against the built-in offline simulator.");
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
        let simulator = start_simulator(config).await?;
        let settle = std::time::Duration::from_secs_f64(cli.list_settle);
        let client = simulator.client_builder().list_settle(settle).build()?;
        return Ok(Connection {
            client,
            _simulator: Some(simulator),
        });
    }
    let settle = std::time::Duration::from_secs_f64(cli.list_settle);
    let mut builder = ClientBuilder::from_env().list_settle(settle);
    if let Some(base_url) = &cli.base_url {
        builder = builder.base_url(base_url);
    }
    let client = with_claims(builder).map_err(|e| match e {
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

/// Builds the client with its claims in the user's cache directory, shared with every other `ideogram`
/// process of the same server and token; without one (or if it cannot be opened), in memory, with a warning.
fn with_claims(builder: ClientBuilder) -> Result<Client, Error> {
    let Some(dir) = dirs::cache_dir().map(|d| d.join("replicate-ideogram")) else {
        tracing::warn!(
            "no cache directory: claims are kept in memory, not shared with other processes"
        );
        return builder.build();
    };
    // Another process may be opening it at the same instant: a few tries before going without it.
    let mut tries = 0;
    loop {
        tries += 1;
        match builder.clone().claims_dir(&dir).build() {
            Err(Error::ClaimFile { .. }) if tries < 3 => {
                std::thread::sleep(std::time::Duration::from_millis(50 * tries));
            }
            Err(Error::ClaimFile { path, reason }) => {
                tracing::warn!(path = %path.display(), %reason, "the claim file cannot be opened: claims are kept in memory, not shared with other processes");
                return builder.build();
            }
            other => return other,
        }
    }
}

/// Starts the built-in simulator; failing to is an error of the network kind (exit code 3).
pub async fn start_simulator(config: SimulatorConfig) -> Result<Simulator, Failure> {
    Simulator::start(config).await.map_err(|e| Failure {
        code: Exit::Api,
        message: format!("cannot start the simulator: {e}"),
    })
}
