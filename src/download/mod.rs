//! Downloading outputs: to memory, or streamed to a file.
//!
//! Downloads use the client's connection pool. The token goes only to file routes under the base URL
//! (`{base}/files/…`, uploaded files), never to a delivery host nor to any other API path an output might
//! name. `data:` URLs are decoded locally.
//!
//! [`Download::bytes`] counts its bytes itself, not with `http_body_util::Limited` as API answers do: that
//! would change the errors a broken body reports (reqwest's kind and message) and box them.

use std::{future::Future, path::Path, time::Duration};

use base64::Engine;
use bytes::Bytes;
use reqwest::Url;
use tokio::time::Instant;

use crate::{
    Client, Error, Operation, Result,
    retry::read_again_if_broken,
    transport::{Credentials, bounded},
};

pub(crate) mod part;

use part::Part;
pub(crate) use part::{Finish, Written};

/// The default total time of a download.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10 * 60);
/// The default most [`Download::bytes`] holds in memory.
const DEFAULT_MAX_BYTES: u64 = 256 * 1024 * 1024;
/// How much longer than the download's deadline one attempt's own limit is: long enough that the deadline,
/// which names the download, always ends it first.
const ATTEMPT_MARGIN: Duration = Duration::from_secs(1);

/// A download being configured. Made by [`Client::download`].
#[must_use = "a download does nothing until `bytes` or `to_file` is awaited"]
pub struct Download<'c> {
    client: &'c Client,
    url: String,
    timeout: Duration,
    max_bytes: u64,
}

impl Client {
    /// Downloads an output URL (`https:`, `http:` or `data:`).
    ///
    /// The token goes only to file routes under the base URL (`{base_url}/files/…`, uploaded files): an
    /// output naming any other URL, another API path included, is fetched without it.
    ///
    /// ```no_run
    /// # async fn demo(client: replicate_ideogram::Client, url: String) -> replicate_ideogram::Result<()> {
    /// let bytes = client.download(&url).bytes().await?;
    /// let written = client.download(&url).to_file("out/image.png").await?;
    /// # Ok(()) }
    /// ```
    pub fn download(&self, url: &str) -> Download<'_> {
        Download {
            client: self,
            url: url.to_string(),
            timeout: DEFAULT_TIMEOUT,
            max_bytes: DEFAULT_MAX_BYTES,
        }
    }
}

impl Download<'_> {
    /// The total time the download may take, retries and body included (default 10 minutes): a host that
    /// trickles or keeps failing cannot hold it longer. Past it, [`Error::DownloadTimeout`].
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The most [`bytes`](Self::bytes) holds in memory (default 256 MiB); [`to_file`](Self::to_file) streams
    /// and is not limited.
    pub fn max_bytes(mut self, bytes: u64) -> Self {
        self.max_bytes = bytes;
        self
    }

    /// The whole output in memory.
    ///
    /// A body cut short (the connection closed before all of it came) is fetched again from the start, as
    /// often as the client's [`RetryPolicy`](crate::RetryPolicy) allows, within the download's timeout.
    pub async fn bytes(self) -> Result<Bytes> {
        let url = match self.source()? {
            Source::Data(bytes) => return Ok(bytes),
            Source::Http(url) => url,
        };
        let fetch = read_again_if_broken(
            self.client.shared.transport.retry(),
            Operation::Download,
            || async {
                let mut response = self.get(url.clone()).await?;
                self.read_capped(&mut response, &url).await
            },
        );
        self.before(self.deadline(), &url, fetch).await
    }

    /// Streams the output to `path` and returns the number of bytes written.
    ///
    /// The body is written to `<path>.part` a chunk at a time (memory use does not grow with the file) and
    /// renamed to `path` only when complete, so a failed download never leaves a truncated file (nor a
    /// `.part` file) behind, not even when the future is dropped before it ends. A body cut short is
    /// fetched again from the start, into a fresh `.part` file, as [`bytes`](Self::bytes) does. A file
    /// already at `path` is replaced; a symlink at `path` or at `<path>.part` is replaced too, never
    /// followed. Missing parent directories are created.
    pub async fn to_file(self, path: impl AsRef<Path>) -> Result<u64> {
        let written = self.save(path.as_ref(), Finish::default()).await?;
        Ok(written.bytes)
    }

    /// Streams the output to `path` as [`to_file`](Self::to_file) does, finished as `finish` says, and
    /// returns what was written (its size, hash and first bytes).
    pub(crate) async fn save(self, path: &Path, finish: Finish) -> Result<Written> {
        let url = match self.source()? {
            Source::Data(bytes) => {
                let mut part = Part::new(path, finish);
                part.write(&bytes).await?;
                return part.finish_written().await;
            }
            Source::Http(url) => url,
        };
        let fetch = read_again_if_broken(
            self.client.shared.transport.retry(),
            Operation::Download,
            || async {
                let mut response = self.get(url.clone()).await?;
                let mut part = Part::new(path, finish);
                copy_body(&mut response, &mut part).await?;
                part.finish_written().await
            },
        );
        self.before(self.deadline(), &url, fetch).await
    }

    /// The body, refused once it passes `max_bytes`.
    async fn read_capped(&self, response: &mut reqwest::Response, url: &Url) -> Result<Bytes> {
        let mut body = Vec::new();
        while let Some(chunk) = next_chunk(response).await? {
            if (body.len() + chunk.len()) as u64 > self.max_bytes {
                return Err(Error::DownloadTooLarge {
                    url: crate::redact::url(url),
                    max_bytes: self.max_bytes,
                });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Bytes::from(body))
    }

    fn source(&self) -> Result<Source> {
        let url = Url::parse(&self.url).map_err(|e| {
            Error::invalid_input("url", format!("is not a URL ({e}): {:?}", self.url))
        })?;
        match url.scheme() {
            "http" | "https" => Ok(Source::Http(url)),
            "data" => decode_data_url(&self.url).map(Source::Data),
            other => Err(Error::invalid_input(
                "url",
                format!("has scheme {other}:, expected https:, http: or data:"),
            )),
        }
    }

    /// When the whole download must be over; `None` for a timeout too long to be an instant.
    fn deadline(&self) -> Option<Instant> {
        Instant::now().checked_add(self.timeout)
    }

    /// `step`, or [`Error::DownloadTimeout`] if the download's deadline passes first.
    async fn before<T>(
        &self,
        deadline: Option<Instant>,
        url: &Url,
        step: impl Future<Output = Result<T>>,
    ) -> Result<T> {
        let Some(deadline) = deadline else {
            return step.await;
        };
        tokio::time::timeout_at(deadline, step)
            .await
            .unwrap_or_else(|_| {
                Err(Error::DownloadTimeout {
                    url: crate::redact::url(url),
                    timeout: self.timeout,
                })
            })
    }

    async fn get(&self, url: Url) -> Result<reqwest::Response> {
        let shared = &self.client.shared;
        let request = shared
            .http
            .get(url.clone())
            .timeout(bounded(self.timeout).saturating_add(ATTEMPT_MARGIN))
            .build()
            .map_err(transport)?;
        let response = shared
            .transport
            .execute(
                &shared.http,
                request,
                Operation::Download,
                "download",
                Credentials::FilesOnly,
            )
            .await
            .map_err(transport)?;
        if !response.status().is_success() {
            return Err(Error::Download {
                url: crate::redact::url(&url),
                status: response.status().as_u16(),
            });
        }
        Ok(response)
    }
}

enum Source {
    Http(Url),
    Data(Bytes),
}

async fn next_chunk(response: &mut reqwest::Response) -> Result<Option<Bytes>> {
    response.chunk().await.map_err(transport)
}

async fn copy_body(response: &mut reqwest::Response, part: &mut Part) -> Result<()> {
    while let Some(chunk) = next_chunk(response).await? {
        part.write(&chunk).await?;
    }
    Ok(())
}

/// A download's transport error, without its URL.
fn transport(source: reqwest::Error) -> Error {
    Error::transport(Operation::Download, source)
}

/// Decodes `data:[<media type>][;base64],<data>`.
pub(crate) fn decode_data_url(url: &str) -> Result<Bytes> {
    let bad = |why: &str| Error::invalid_input("url", format!("is not a valid data: URL ({why})"));
    let rest = url
        .get(5..)
        .filter(|_| url[..5].eq_ignore_ascii_case("data:"))
        .ok_or_else(|| bad("no data: prefix"))?;
    let (meta, data) = rest.split_once(',').ok_or_else(|| bad("no comma"))?;
    if meta
        .rsplit(';')
        .next()
        .is_some_and(|last| last.eq_ignore_ascii_case("base64"))
    {
        let compact: Vec<u8> = percent_encoding::percent_decode_str(data)
            .filter(|b| !b.is_ascii_whitespace())
            .collect();
        base64::engine::general_purpose::STANDARD
            .decode(compact)
            .map(Bytes::from)
            .map_err(|e| bad(&e.to_string()))
    } else {
        Ok(Bytes::from(
            percent_encoding::percent_decode_str(data).collect::<Vec<u8>>(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_urls_decode() {
        assert_eq!(
            decode_data_url("data:image/png;base64,aGVsbG8=").unwrap(),
            Bytes::from_static(b"hello")
        );
        assert_eq!(
            decode_data_url("data:application/octet-stream;base64,aGVs%0AbG8=").unwrap(),
            Bytes::from_static(b"hello")
        );
        assert_eq!(
            decode_data_url("data:,a%20b").unwrap(),
            Bytes::from_static(b"a b")
        );
        assert!(decode_data_url("data:image/png;base64,!!!").is_err());
        assert!(decode_data_url("data:image/png;base64").is_err());
    }
}
