#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod account;
mod api;
mod create;
mod faults;
mod files;
mod image;
mod literal;
mod rate_limit;
mod record;
mod removal;
mod runtime;
mod server;
mod state;
mod validate;
mod versions;
mod webhooks;

use std::{
    collections::BTreeMap,
    net::SocketAddr,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use rand::{SeedableRng, rngs::StdRng};
// Each model's schemas as Replicate publishes them, made by the library's build from its `openapi.yaml`:
// the simulator serves exactly the schemas the client is generated from.
use replicate_ideogram::workspace_only::published;
use tokio::task::JoinHandle;

pub use faults::Faults;
pub use rate_limit::{Bucket, ServerLimits};
pub use record::{CreatedPrediction, Record, UploadRecord};
use replicate_ideogram::{Client, ClientBuilder};
use state::{Clock, Store, Urls};

/// The API base a proxy's responses name in `urls.*` and `next`.
const REPLICATE_API: &str = "https://api.replicate.com/v1";

/// How the simulator behaves.
///
/// Prompts steer a prediction's end: one containing [`fail_marker`](Self::fail_marker) (`[fail]`) fails,
/// [`cancel_marker`](Self::cancel_marker) (`[cancel]`) is canceled while processing,
/// [`abort_marker`](Self::abort_marker) (`[abort]`) is aborted before it starts, and one containing
/// `[output=<json>]` (e.g. `[output=[]]`, `[output={}]`, `[output=[null,5]]`, `[output=null]`) succeeds with
/// exactly that JSON as its `output`, to test how a client takes outputs it does not expect. A marker whose
/// JSON does not parse, or is not followed by `]`, is ignored; `[fail]` wins over it.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct SimulatorConfig {
    /// The token it accepts (`Bearer` or `Token`). Default `r8_simulator`.
    pub token: String,
    /// The path the API is served under. Default `/v1`; a proxy's would be `/replicate/v1`.
    pub path_prefix: String,
    /// How long a prediction stays `starting`. Default 100 ms.
    pub starting: Duration,
    /// How long it stays `processing`. Default 400 ms.
    pub processing: Duration,
    /// If set, each prediction stays `processing` for a time drawn (from the seed) between `processing` and
    /// this, as real predictions vary. Default none.
    pub processing_max: Option<Duration>,
    /// Predictions whose prompt contains this fail. Default `[fail]`.
    pub fail_marker: Option<String>,
    /// Predictions whose prompt contains this are canceled halfway through processing, as if by someone else
    /// (`canceled`). Default `[cancel]`.
    pub cancel_marker: Option<String>,
    /// Predictions whose prompt contains this are aborted before they start, as when a `Cancel-After`
    /// deadline passes while they wait (`aborted`; needs a `starting` time above zero). Default `[abort]`.
    pub abort_marker: Option<String>,
    /// Make `urls.*` and list pages name `https://api.replicate.com/v1`, as a proxy's responses do.
    pub foreign_urls: bool,
    /// Predictions per list page. Default 100.
    pub page_size: usize,
    /// The webhook signing secret (`whsec_…`).
    pub webhook_secret: String,
    /// Faults to inject into API requests.
    pub faults: Faults,
    /// Faults to inject into the delivery host's answers (downloads of outputs). The same kinds, named
    /// `delivery …` in the record; a truncated answer announces its whole length and ends early, as a cut-off
    /// download does. Default: none.
    pub delivery_faults: Faults,
    /// Faults to inject into prediction creates only, in place of [`faults`](Self::faults) for them (e.g.
    /// every create's answer lost while reads and lists answer). Default: none, `faults` applies.
    pub create_faults: Option<Faults>,
    /// Seeds ids, model seeds and faults, so a run can be repeated.
    pub seed: u64,
    /// The API's port on 127.0.0.1 (0, the default: any free port). The delivery host always takes a free one.
    pub port: u16,
    /// Schemas served at `GET /models/{owner}/{name}` in place of those of this crate's spec, by
    /// `owner/name` (Cog's OpenAPI document, as `latest_version.openapi_schema`). A create for the model is
    /// checked against its `Input`, as the API checks inputs against the latest version's schema.
    pub published_schemas: BTreeMap<String, serde_json::Value>,
    /// Ids of a newer latest version than the spec's, by `owner/name` ([`latest_version`](Self::latest_version)).
    pub latest_versions: BTreeMap<String, String>,
    /// Rate limits per class of request, as Replicate's. Default: none.
    pub rate_limits: ServerLimits,
    /// How long after its creation a prediction appears in the list ([`list_lag`](Self::list_lag)).
    /// Default: none.
    pub list_lag: Duration,
    /// How long a create takes before its prediction exists ([`create_delay`](Self::create_delay)).
    /// Default: none.
    pub create_delay: Duration,
    /// How long after it finishes a prediction's output is removed ([`output_expiry`](Self::output_expiry)).
    /// Default: never.
    pub output_expiry: Option<Duration>,
    /// The `username` that `GET /account` answers. Default `simulator`.
    pub account_username: String,
}

impl Default for SimulatorConfig {
    fn default() -> Self {
        Self {
            token: "r8_simulator".into(),
            path_prefix: "/v1".into(),
            starting: Duration::from_millis(100),
            processing: Duration::from_millis(400),
            processing_max: None,
            fail_marker: Some("[fail]".into()),
            cancel_marker: Some("[cancel]".into()),
            abort_marker: Some("[abort]".into()),
            foreign_urls: false,
            page_size: 100,
            webhook_secret: "whsec_c2ltdWxhdG9yLXdlYmhvb2stc2lnbmluZy1rZXk=".into(),
            faults: Faults::default(),
            delivery_faults: Faults::default(),
            create_faults: None,
            seed: 1,
            port: 0,
            published_schemas: BTreeMap::new(),
            latest_versions: BTreeMap::new(),
            rate_limits: ServerLimits::none(),
            list_lag: Duration::ZERO,
            create_delay: Duration::ZERO,
            output_expiry: None,
            account_username: "simulator".into(),
        }
    }
}

impl SimulatorConfig {
    /// Sets how long predictions stay `starting` and then `processing`.
    #[must_use]
    pub fn timings(mut self, starting: Duration, processing: Duration) -> Self {
        self.starting = starting;
        self.processing = processing;
        self
    }

    /// Serves `openapi_schema` as the latest version's schema of `model` (`owner/name`) at
    /// `GET /models/{owner}/{name}`, e.g. a schema with a new field, to test a sync.
    #[must_use]
    pub fn published_schema(
        mut self,
        model: impl Into<String>,
        openapi_schema: serde_json::Value,
    ) -> Self {
        self.published_schemas.insert(model.into(), openapi_schema);
        self
    }

    /// Publishes a newer latest version of `model` (`owner/name`) under `id`, with the schema of the one it
    /// follows (or the one [`published_schema`](Self::published_schema) sets): the model moved, whether or
    /// not its schema changed. The spec's version stays listed, as the one before.
    #[must_use]
    pub fn latest_version(mut self, model: impl Into<String>, id: impl Into<String>) -> Self {
        self.latest_versions.insert(model.into(), id.into());
        self
    }

    /// Makes each prediction's `processing` time vary, drawn between [`processing`](Self::processing) and
    /// `max` (uniformly, from the seed), as real predictions' times do.
    #[must_use]
    pub fn processing_up_to(mut self, max: Duration) -> Self {
        self.processing_max = Some(max);
        self
    }

    /// Serves the API under `prefix` (e.g. `/replicate/v1`).
    #[must_use]
    pub fn path_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.path_prefix = prefix.into();
        self
    }

    /// Makes `urls.*` and list pages name `https://api.replicate.com/v1`, as a proxy's responses do.
    #[must_use]
    pub fn foreign_urls(mut self, foreign: bool) -> Self {
        self.foreign_urls = foreign;
        self
    }

    /// Sets the faults to inject.
    #[must_use]
    pub fn faults(mut self, faults: Faults) -> Self {
        self.faults = faults;
        self
    }

    /// Sets the faults to inject into downloads from the delivery host.
    #[must_use]
    pub fn delivery_faults(mut self, faults: Faults) -> Self {
        self.delivery_faults = faults;
        self
    }

    /// Sets the faults to inject into prediction creates, in place of [`faults`](Self::faults) for them.
    #[must_use]
    pub fn create_faults(mut self, faults: Faults) -> Self {
        self.create_faults = Some(faults);
        self
    }

    /// Sets the number of predictions per list page.
    #[must_use]
    pub fn page_size(mut self, size: usize) -> Self {
        self.page_size = size.max(1);
        self
    }

    /// Sets the seed.
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Sets the API's port (0: any free port).
    #[must_use]
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }
}

/// A running simulator. Dropping it stops it.
pub struct Simulator {
    shared: Arc<ServerState>,
    api: SocketAddr,
    delivery: SocketAddr,
    tasks: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulator")
            .field("base_url", &self.base_url())
            .field("delivery_url", &self.delivery_url())
            .finish_non_exhaustive()
    }
}

pub(crate) struct ServerState {
    pub(crate) config: SimulatorConfig,
    pub(crate) store: Store,
    pub(crate) clock: Clock,
    pub(crate) api_base: String,
    pub(crate) delivery_base: String,
    pub(crate) limiter: rate_limit::Limiter,
    pub(crate) validators: validate::Validators,
    pub(crate) runtime: runtime::Runtime,
    record: Mutex<Record>,
    rng: Mutex<StdRng>,
    next_id: AtomicU64,
    /// Background work (webhook deliveries), stopped with the simulator.
    background: Mutex<tokio::task::JoinSet<()>>,
}

impl ServerState {
    pub(crate) fn urls(&self) -> Urls<'_> {
        Urls {
            api: if self.config.foreign_urls {
                REPLICATE_API
            } else {
                &self.api_base
            },
            delivery: &self.delivery_base,
        }
    }

    pub(crate) fn record<T>(&self, change: impl FnOnce(&mut Record) -> T) -> T {
        change(&mut self.record.lock().unwrap_or_else(|e| e.into_inner()))
    }

    pub(crate) fn snapshot(&self) -> Record {
        self.record
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub(crate) fn spawn(&self, work: impl std::future::Future<Output = ()> + Send + 'static) {
        let mut background = self.background.lock().unwrap_or_else(|e| e.into_inner());
        while background.try_join_next().is_some() {}
        background.spawn(work);
    }

    pub(crate) fn random<T>(&self, draw: impl FnOnce(&mut StdRng) -> T) -> T {
        draw(&mut self.rng.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// A fresh id in Replicate's style: 26 lowercase letters and digits, different for every seed.
    pub(crate) fn new_id(&self) -> String {
        const ALPHABET: &[u8] = b"0123456789abcdefghjkmnpqrstvwxyz";
        fn splitmix(mut x: u64) -> u64 {
            x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
            x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            x ^ (x >> 31)
        }
        let n = self.next_id.fetch_add(1, Ordering::Relaxed);
        let high = splitmix(self.config.seed ^ splitmix(n));
        let bits = (u128::from(high) << 64) | u128::from(splitmix(high ^ n));
        (0..26)
            .map(|i| {
                char::from(
                    ALPHABET
                        .get(((bits >> (i * 5)) & 31) as usize)
                        .copied()
                        .unwrap_or(b'0'),
                )
            })
            .collect()
    }
}

impl Simulator {
    /// Starts the simulator on two loopback ports (the API and the delivery host).
    pub async fn start(config: SimulatorConfig) -> std::io::Result<Self> {
        let api = tokio::net::TcpListener::bind(("127.0.0.1", config.port)).await?;
        let delivery = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let (api_addr, delivery_addr) = (api.local_addr()?, delivery.local_addr()?);
        let prefix = format!("/{}", config.path_prefix.trim_matches('/'));
        let prefix = if prefix == "/" { String::new() } else { prefix };
        let mut config = config;
        config.path_prefix = prefix.clone();
        let shared = Arc::new(ServerState {
            limiter: rate_limit::Limiter::new(&config.rate_limits, tokio::time::Instant::now()),
            rng: Mutex::new(StdRng::seed_from_u64(config.seed)),
            runtime: runtime::Runtime::new(&config),
            config,
            validators: validate::Validators::default(),
            store: Store::default(),
            clock: Clock::new(),
            api_base: format!("http://{api_addr}{prefix}"),
            delivery_base: format!("http://{delivery_addr}"),
            record: Mutex::new(Record::default()),
            next_id: AtomicU64::new(0),
            background: Mutex::new(tokio::task::JoinSet::new()),
        });
        let tasks = vec![
            tokio::spawn(server::serve(api, server::Role::Api, shared.clone())),
            tokio::spawn(server::serve(
                delivery,
                server::Role::Delivery,
                shared.clone(),
            )),
        ];
        Ok(Self {
            shared,
            api: api_addr,
            delivery: delivery_addr,
            tasks,
        })
    }

    /// The API's base URL, e.g. `http://127.0.0.1:40123/v1`.
    pub fn base_url(&self) -> String {
        self.shared.api_base.clone()
    }

    /// The delivery host's base URL, where outputs are served.
    pub fn delivery_url(&self) -> String {
        self.shared.delivery_base.clone()
    }

    /// The API's address.
    pub fn api_addr(&self) -> SocketAddr {
        self.api
    }

    /// The delivery host's address.
    pub fn delivery_addr(&self) -> SocketAddr {
        self.delivery
    }

    /// The token it accepts.
    pub fn token(&self) -> &str {
        &self.shared.config.token
    }

    /// Its webhook signing secret.
    pub fn webhook_secret(&self) -> &str {
        &self.shared.config.webhook_secret
    }

    /// A client builder pointed at the simulator, with its token.
    pub fn client_builder(&self) -> ClientBuilder {
        Client::builder()
            .token(self.token())
            .base_url(self.base_url())
    }

    /// A client pointed at the simulator.
    pub fn client(&self) -> replicate_ideogram::Result<Client> {
        self.client_builder().build()
    }

    /// A snapshot of what it received so far.
    pub fn record(&self) -> Record {
        self.shared.snapshot()
    }

    /// Every prediction's JSON as `GET /predictions/{id}` would answer it now, in creation order, without
    /// counting a request or telling the record that a client learned of its end: a test's view of statuses
    /// and inputs.
    pub fn predictions(&self) -> Vec<serde_json::Value> {
        let now = tokio::time::Instant::now();
        let urls = self.shared.urls();
        self.shared
            .store
            .all()
            .iter()
            .map(|stored| stored.to_json(now, &self.shared.clock, &urls))
            .collect()
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
        self.shared
            .background
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .abort_all();
    }
}
