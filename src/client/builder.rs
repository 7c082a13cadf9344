//! Configuring a [`Client`]: the token, the base URL, timeouts, retries, rate limits, claims.

use std::{fmt, sync::Arc, time::Duration};

use reqwest::Url;
use secrecy::SecretString;

use super::{Client, ClientState};
use crate::{
    Error, Result,
    claims::Claims,
    clock::{DEFAULT_LIST_SETTLE, DEFAULT_RUN_TIMEOUT, WaitOptions},
    governor::{Governor, RateLimits},
    retry::RetryPolicy,
    transport::{BodyLimits, Transport, bounded, generated},
};

const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Longer than the longest `Prefer: wait` (60 s): a held request sends nothing until it answers.
const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(90);
/// The most an API answer's body may weigh (not downloads, which stream to disk).
const DEFAULT_MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;
/// How long an API answer's body may take once its headers arrived.
const DEFAULT_RESPONSE_BODY_TIMEOUT: Duration = Duration::from_secs(30);
const DEFAULT_USER_AGENT: &str = concat!(env!("CARGO_PKG_NAME"), "/", env!("CARGO_PKG_VERSION"));

/// Configures a [`Client`].
///
/// ```no_run
/// # fn demo() -> replicate_ideogram::Result<()> {
/// use std::time::Duration;
/// let client = replicate_ideogram::Client::builder()
///     .token("r8_...")
///     .base_url("https://proxy.example/replicate/v1")
///     .read_timeout(Duration::from_secs(120))
///     .build()?;
/// # Ok(()) }
/// ```
#[derive(Clone, Default)]
#[must_use]
pub struct ClientBuilder {
    token: Option<String>,
    token_source: Option<&'static str>,
    base_url: Option<String>,
    user_agent: Option<String>,
    connect_timeout: Option<Duration>,
    read_timeout: Option<Duration>,
    http_client: Option<reqwest::Client>,
    wait: Option<WaitOptions>,
    run_timeout: Option<Duration>,
    retry: Option<RetryPolicy>,
    rate_limits: Option<RateLimits>,
    max_response_bytes: Option<usize>,
    response_body_timeout: Option<Duration>,
    allow_http: bool,
    list_settle: Option<Duration>,
    #[cfg(feature = "claims-file")]
    claims_dir: Option<std::path::PathBuf>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("token", &self.token.as_ref().map(|_| "[redacted]"))
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// A builder preset from `REPLICATE_API_TOKEN` and `REPLICATE_BASE_URL`; setters still override them.
    pub fn from_env() -> Self {
        let mut builder = Self::default();
        if let Some(token) = std::env::var_os(Client::TOKEN_ENV) {
            builder.token = Some(token.to_string_lossy().into_owned());
            builder.token_source = Some(Client::TOKEN_ENV);
        }
        if let Some(base) = std::env::var_os(Client::BASE_URL_ENV)
            && !base.is_empty()
        {
            builder.base_url = Some(base.to_string_lossy().into_owned());
        }
        builder
    }

    /// The API token (`r8_…`). Required.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self.token_source = None;
        self
    }

    /// The base URL, with any path prefix: `https://api.replicate.com/v1` (default) or a proxy's
    /// `https://proxy.example/replicate/v1`. A trailing slash is ignored, and a URL with no path at all
    /// (`https://api.replicate.com`) means `…/v1`. A 404 on a create, get or list under a base URL that
    /// does not end in `/v1` says so ([`ApiError::hint`](crate::ApiError::hint)).
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = Some(base_url.into());
        self
    }

    /// The `User-Agent` header (default `replicate-ideogram/<version>`).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// How long to wait for a connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// How long a read may stall (default 90 s, above the 60 s a `Prefer: wait` request is held).
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = Some(timeout);
        self
    }

    /// Use your own `reqwest::Client` (proxies, TLS, pools). Its timeouts then apply instead of
    /// [`connect_timeout`](Self::connect_timeout) and [`read_timeout`](Self::read_timeout); the token is
    /// still added per request, and only to the base URL's origin.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// How [`Client::wait`] and [`Client::run`] poll once the sync wait is over.
    pub fn wait_options(mut self, options: WaitOptions) -> Self {
        self.wait = Some(options);
        self
    }

    /// The default overall deadline of [`Client::run`] and [`Client::wait`] (default 10 minutes).
    pub fn run_timeout(mut self, timeout: Duration) -> Self {
        self.run_timeout = Some(timeout);
        self
    }

    /// How requests are retried (see [`RetryPolicy`]; default: up to 5 retries within 60 s).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// The most an API answer's body may weigh (default 16 MiB); more is [`Error::Decode`]. Downloads of
    /// outputs have their own limit: [`Download::max_bytes`](crate::builders::Download::max_bytes) for one
    /// held in memory (256 MiB), none for one streamed to a file.
    pub fn max_response_bytes(mut self, bytes: usize) -> Self {
        self.max_response_bytes = Some(bytes);
        self
    }

    /// How long an API answer's body may take to arrive once its headers have (default 30 s); a body that
    /// trickles longer is [`Error::Decode`]. `Duration::MAX` (as for every timeout here) means no limit.
    pub fn response_body_timeout(mut self, timeout: Duration) -> Self {
        self.response_body_timeout = Some(timeout);
        self
    }

    /// Allow a plain `http://` base URL on a host other than loopback. The token then crosses the network
    /// unencrypted; only for trusted networks.
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_http = allow;
        self
    }

    /// Sets the rate limits the client starts from (default: Replicate's documented limits against
    /// `api.replicate.com`, none against any other server until it answers 429). Whatever the start, a 429
    /// pauses every request of its class and the pace settles to what the server accepts.
    pub fn rate_limits(mut self, limits: RateLimits) -> Self {
        self.rate_limits = Some(limits);
        self
    }

    /// How long after a create the server's list is trusted to show the prediction it made (default 5 s):
    /// the settle margin of the proof that a create whose answer was lost made nothing. A list that lags
    /// more than this behind a server's creations can make that proof wrong; a longer margin makes every
    /// lost create that made nothing wait longer before it is sent again.
    pub fn list_settle(mut self, settle: Duration) -> Self {
        self.list_settle = Some(settle);
        self
    }

    /// Keep the claims of this client (which prediction belongs to which create or batch item) in a file
    /// under `dir` shared by every process on this machine that uses the same server and token, so that two
    /// processes running the same inputs, with answers lost, never take each other's predictions. The file
    /// (SQLite, `claims-<hash of the base URL and token>.sqlite3`, created if missing) is opened when the
    /// client is built ([`Error::ClaimFile`] if it cannot be); a symlink in its place is refused.
    ///
    /// ```no_run
    /// # fn demo() -> replicate_ideogram::Result<()> {
    /// let client = replicate_ideogram::Client::builder()
    ///     .token("r8_...")
    ///     .claims_dir("/var/cache/my-app")
    ///     .build()?;
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "claims-file")]
    pub fn claims_dir(mut self, dir: impl Into<std::path::PathBuf>) -> Self {
        self.claims_dir = Some(dir.into());
        self
    }

    /// Checks the configuration and builds the client.
    pub fn build(self) -> Result<Client> {
        let token = self.checked_token()?;
        let base_url = parse_base_url(
            self.base_url.as_deref().unwrap_or(Client::DEFAULT_BASE_URL),
            self.allow_http,
        )?;
        let http = self.http_or_default(&base_url)?;
        let limits = self.rate_limits.unwrap_or_else(|| {
            if base_url.host_str() == Some("api.replicate.com") {
                RateLimits::replicate()
            } else {
                RateLimits::learned()
            }
        });
        let claims = self.claims(&base_url, &token)?;
        let transport = Transport::new(
            SecretString::from(token),
            base_url.clone(),
            self.retry.unwrap_or_default(),
            BodyLimits {
                max_bytes: self
                    .max_response_bytes
                    .unwrap_or(DEFAULT_MAX_RESPONSE_BYTES),
                max_time: bounded(
                    self.response_body_timeout
                        .unwrap_or(DEFAULT_RESPONSE_BODY_TIMEOUT),
                ),
            },
            Governor::new(limits),
        );
        let api = generated::Client::new_with_client(
            base_url.as_str().trim_end_matches('/'),
            http.clone(),
            transport.clone(),
        );
        Ok(Client {
            shared: Arc::new(ClientState {
                api,
                http,
                transport,
                base_url,
                wait: self.wait.unwrap_or_default(),
                run_timeout: self.run_timeout.unwrap_or(DEFAULT_RUN_TIMEOUT),
                claims,
                list_settle: self.list_settle.unwrap_or(DEFAULT_LIST_SETTLE),
                owner_prefix: format!("client-{:016x}", fastrand::u64(..)),
                creates: Default::default(),
            }),
        })
    }

    /// The token, trimmed: present, not empty, and sendable in a header.
    fn checked_token(&self) -> Result<String> {
        let token = match (&self.token, self.token_source) {
            (None, _) => {
                return Err(Error::Config(format!(
                    "no API token: set {} or call ClientBuilder::token",
                    Client::TOKEN_ENV
                )));
            }
            (Some(token), source) if token.trim().is_empty() => {
                let source = source.unwrap_or("the token");
                return Err(Error::Config(format!("{source} is empty")));
            }
            (Some(token), _) => token.trim().to_string(),
        };
        if reqwest::header::HeaderValue::from_str(&format!("Bearer {token}")).is_err() {
            return Err(Error::Config(
                "the API token contains characters that cannot be sent in a header".into(),
            ));
        }
        Ok(token)
    }

    /// The caller's HTTP client, or one with this builder's timeouts and user agent.
    fn http_or_default(&self, base_url: &Url) -> Result<reqwest::Client> {
        if let Some(client) = &self.http_client {
            return Ok(client.clone());
        }
        let mut builder = reqwest::Client::builder()
            .user_agent(self.user_agent.as_deref().unwrap_or(DEFAULT_USER_AGENT))
            .connect_timeout(bounded(
                self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT),
            ))
            .read_timeout(bounded(self.read_timeout.unwrap_or(DEFAULT_READ_TIMEOUT)));
        // A server on this machine (the simulator, a local proxy) is reached directly, whatever
        // HTTP_PROXY says: a proxy would see the token, and offline it would not be there at all.
        if is_loopback(base_url) {
            builder = builder.no_proxy();
        }
        builder
            .build()
            .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))
    }

    /// The claims of the client: in memory, and in the claim file under the claims directory if one is set
    /// (one file per server and token: the processes that can see each other's predictions).
    #[allow(clippy::unused_self, unused_variables)]
    fn claims(&self, base_url: &Url, token: &str) -> Result<Claims> {
        #[cfg(feature = "claims-file")]
        if let Some(dir) = &self.claims_dir {
            let seen = format!("{}\0{token}", base_url.as_str().trim_end_matches('/'));
            let hash = crate::digest::sha256_hex(seen.as_bytes());
            let name = format!("claims-{}.sqlite3", hash.get(..16).unwrap_or(&hash));
            let file = crate::claims::claim_file::ClaimFile::open(&dir.join(name))?;
            return Ok(Claims::with_file(file));
        }
        Ok(Claims::default())
    }
}

fn parse_base_url(text: &str, allow_http: bool) -> Result<Url> {
    // Whatever is wrong with it, a password in it stays out of the message.
    let shown = crate::redact::url_text(text);
    let bad = |why: &str| Error::Config(format!("base URL {shown:?} {why}"));
    let url = Url::parse(text.trim()).map_err(|e| bad(&format!("is not a URL ({e})")))?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("must not have a query or fragment"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("must not carry credentials"));
    }
    match url.scheme() {
        "https" => {}
        "http" if allow_http || is_loopback(&url) => {}
        "http" => {
            return Err(bad(
                "is plain http on a non-loopback host: the token would cross the network unencrypted \
                 (use https, or ClientBuilder::allow_insecure_http)",
            ));
        }
        _ => return Err(bad("must be http or https")),
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("has no host"));
    }
    // Keep the path without a trailing slash so `{base}/predictions` never has `//`. No
    // Replicate-compatible server serves the API at its root: an empty path is the official Python
    // client's convention (it appends `/v1` itself), so it means `/v1` here too.
    let mut url = url;
    let path = match url.path().trim_end_matches('/') {
        "" => "/v1".to_string(),
        path => path.to_string(),
    };
    url.set_path(&path);
    Ok(url)
}

pub(super) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_lose_their_trailing_slash_and_keep_their_prefix() {
        for (given, expected) in [
            (
                "https://api.replicate.com/v1",
                "https://api.replicate.com/v1",
            ),
            (
                "https://api.replicate.com/v1/",
                "https://api.replicate.com/v1",
            ),
            (
                "https://proxy.example/replicate/v1//",
                "https://proxy.example/replicate/v1",
            ),
            ("http://127.0.0.1:8080/", "http://127.0.0.1:8080/v1"),
            ("https://api.replicate.com", "https://api.replicate.com/v1"),
            (
                "https://proxy.example/replicate",
                "https://proxy.example/replicate",
            ),
        ] {
            let url = parse_base_url(given, false).unwrap();
            assert_eq!(url.as_str().trim_end_matches('/'), expected);
        }
    }

    #[test]
    fn unsafe_base_urls_are_refused() {
        for bad in [
            "http://proxy.example/v1",
            "ftp://proxy.example/v1",
            "https://user:pw@proxy.example/v1",
            "https://proxy.example/v1?x=1",
            "not a url",
        ] {
            assert!(
                matches!(parse_base_url(bad, false), Err(Error::Config(_))),
                "{bad}"
            );
        }
        assert!(parse_base_url("http://proxy.example/v1", true).is_ok());
    }
}
