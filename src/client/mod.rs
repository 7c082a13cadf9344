//! The [`Client`] and how it is configured.

mod builder;

use std::{fmt, sync::Arc, time::Duration};

pub use builder::ClientBuilder;
use builder::is_loopback;
use reqwest::Url;

use crate::{
    Result,
    claims::Claims,
    clock::WaitOptions,
    governor::{Class, RateLimits},
    transport::{Transport, generated},
};

/// A client for Replicate's predictions API, or any server that speaks it under some base URL.
///
/// Cheap to clone: clones share one connection pool.
///
/// ```no_run
/// # async fn demo() -> replicate_ideogram::Result<()> {
/// use replicate_ideogram::{Client, models::{AspectRatio, IdeogramV2TurboInput}};
///
/// let client = Client::from_env()?;
/// let input = IdeogramV2TurboInput::new("a gold running shoe").aspect_ratio(AspectRatio::Ratio16x9);
/// let url = client.run(input).await?;
/// client.download(&url).to_file("shoe.png").await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    pub(crate) shared: Arc<ClientState>,
}

/// What every clone of a [`Client`] shares: the generated client, the HTTP pool, the transport, the settings
/// and the predictions it owns.
pub(crate) struct ClientState {
    pub(crate) api: generated::Client,
    pub(crate) http: reqwest::Client,
    pub(crate) transport: Transport,
    pub(crate) base_url: Url,
    pub(crate) wait: WaitOptions,
    pub(crate) run_timeout: Duration,
    /// Which owner holds each prediction this client created or adopted.
    pub(crate) claims: Claims,
    /// How long after a create the server's list is trusted to show what it made.
    pub(crate) list_settle: Duration,
    /// This client's name among the owners of claims, random, and the number of its last create.
    pub(crate) owner_prefix: String,
    pub(crate) creates: std::sync::atomic::AtomicU64,
}

impl ClientState {
    /// A new owner for one create request of this client.
    pub(crate) fn new_owner(&self) -> String {
        let n = self
            .creates
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        format!("{}/{n}", self.owner_prefix)
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.shared.base_url.as_str())
            .field("token", &"[redacted]")
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Replicate's API: the base URL unless [`ClientBuilder::base_url`] or
    /// [`BASE_URL_ENV`](Self::BASE_URL_ENV) says otherwise.
    pub const DEFAULT_BASE_URL: &str = "https://api.replicate.com/v1";

    /// The environment variable [`Client::from_env`] reads the API token from.
    ///
    /// ```no_run
    /// use replicate_ideogram::Client;
    /// if std::env::var_os(Client::TOKEN_ENV).is_none() {
    ///     eprintln!("set {} to run against Replicate", Client::TOKEN_ENV);
    /// }
    /// ```
    pub const TOKEN_ENV: &str = "REPLICATE_API_TOKEN";

    /// The environment variable that overrides the base URL in [`Client::from_env`] (for a proxy, say).
    pub const BASE_URL_ENV: &str = "REPLICATE_BASE_URL";

    /// How long past its deadline ([`Run::timeout`](crate::builders::Run::timeout),
    /// [`WaitFor::timeout`](crate::builders::WaitFor::timeout)) a call may take to return, whatever the server
    /// does: time to look for the prediction of a create that was on its way when the deadline came (so the
    /// error can name it), and to ask for a cancel. A create that was never sent, or that the server refused
    /// for certain (429), is not looked for.
    ///
    /// ```no_run
    /// # async fn demo(client: replicate_ideogram::Client) {
    /// use std::time::Duration;
    /// use replicate_ideogram::{Client, models::IdeogramV2TurboInput};
    /// let budget = Duration::from_secs(30);
    /// // Ask for the budget less the margin to be done by the budget.
    /// let run = client.run(IdeogramV2TurboInput::new("a fox")).timeout(budget - Client::DEADLINE_MARGIN);
    /// # }
    /// ```
    pub const DEADLINE_MARGIN: std::time::Duration = std::time::Duration::from_secs(1);

    /// A client for Replicate with `token`, everything else at its default.
    pub fn new(token: impl Into<String>) -> Result<Self> {
        Self::builder().token(token).build()
    }

    /// A client configured from the environment: `REPLICATE_API_TOKEN` (required) and `REPLICATE_BASE_URL`
    /// (optional, default `https://api.replicate.com/v1`).
    pub fn from_env() -> Result<Self> {
        ClientBuilder::from_env().build()
    }

    /// A builder, to set the base URL, timeouts, user agent or your own `reqwest::Client`.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The base URL every API request goes to, without a trailing slash.
    pub fn base_url(&self) -> &str {
        self.shared.base_url.as_str().trim_end_matches('/')
    }

    /// The server a batch's journal is tied to: the base URL, without the port of a server on this machine
    /// (the built-in simulator and local proxies take a new port each time they start).
    pub(crate) fn server_identity(&self) -> String {
        let mut url = self.shared.base_url.clone();
        if is_loopback(&url) {
            let _ = url.set_host(Some("localhost"));
            let _ = url.set_port(None);
        }
        url.as_str().trim_end_matches('/').to_string()
    }
}

impl Client {
    /// The pace this client keeps now: the limits it started from, or what it learned from the server's 429s
    /// (`None`: no limit known). Every `run`, batch and poll of this client (and its clones) shares it.
    pub fn rate_limits(&self) -> RateLimits {
        let governor = self.shared.transport.governor();
        RateLimits {
            creates: governor.rate(Class::Create),
            others: governor.rate(Class::Other),
        }
    }
}
