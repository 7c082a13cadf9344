//! Downloading outputs: to memory, or streamed to a file.
//!
//! Downloads use the client's connection pool. The token goes only to file routes under the base URL
//! (`{base}/files/…`, uploaded files), never to a delivery host nor to any other API path an output might
//! name. `data:` URLs are decoded locally.

use std::{
    path::{Path, PathBuf},
    time::Duration,
};

use base64::Engine;
use bytes::Bytes;
use reqwest::Url;
use tokio::{fs, io::AsyncWriteExt};

use crate::{Client, Error, Result, transport::Credentials};

/// The default total time of a download.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10 * 60);
/// The default most [`Download::bytes`] holds in memory.
const DEFAULT_MAX_BYTES: u64 = 256 * 1024 * 1024;

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
    /// The total time the download may take, body included (default 10 minutes): a host that trickles
    /// cannot hold it forever.
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
    pub async fn bytes(self) -> Result<Bytes> {
        match self.source()? {
            Source::Data(bytes) => Ok(bytes),
            Source::Http(url) => {
                let mut response = self.get(url).await?;
                let mut body = Vec::new();
                while let Some(chunk) = response.chunk().await.map_err(transport)? {
                    if (body.len() + chunk.len()) as u64 > self.max_bytes {
                        let reason = format!(
                            "the output is larger than the {} bytes allowed in memory",
                            self.max_bytes
                        );
                        return Err(Error::decode("download", None, None, reason, b""));
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(Bytes::from(body))
            }
        }
    }

    /// Streams the output to `path` and returns the number of bytes written.
    ///
    /// The body is written to `<path>.part` a chunk at a time (memory use does not grow with the file) and
    /// renamed to `path` only when complete, so a failed download never leaves a truncated file behind.
    /// Missing parent directories are created.
    pub async fn to_file(self, path: impl AsRef<Path>) -> Result<u64> {
        let path = path.as_ref();
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| Error::Io { path, source }
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs::create_dir_all(parent).await.map_err(io(parent))?;
        }
        let part = part_path(path);
        let written = match self.source()? {
            Source::Data(bytes) => {
                fs::write(&part, &bytes).await.map_err(io(&part))?;
                bytes.len() as u64
            }
            Source::Http(url) => {
                let response = self.get(url).await?;
                match stream_to(response, &part).await {
                    Ok(written) => written,
                    Err(error) => {
                        let _ = fs::remove_file(&part).await;
                        return Err(error);
                    }
                }
            }
        };
        fs::rename(&part, path).await.map_err(io(path))?;
        Ok(written)
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

    async fn get(&self, url: Url) -> Result<reqwest::Response> {
        let shared = &self.client.shared;
        let request = shared
            .http
            .get(url.clone())
            .timeout(crate::transport::bounded(self.timeout))
            .build()
            .map_err(transport)?;
        let response = shared
            .corridor
            .execute(&shared.http, request, "download", Credentials::FilesOnly)
            .await
            .map_err(transport)?;
        if !response.status().is_success() {
            let mut shown = url;
            shown.set_query(None);
            return Err(Error::Download {
                url: shown.to_string(),
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

/// The size of the writes `to_file` makes.
const WRITE_BUFFER: usize = 1 << 20;

async fn stream_to(mut response: reqwest::Response, part: &Path) -> Result<u64> {
    let io = |source| Error::Io {
        path: part.to_path_buf(),
        source,
    };
    let file = fs::File::create(part).await.map_err(io)?;
    // Network chunks are a few KiB; each write to a tokio file is a trip to the blocking pool. Gathering
    // them into 1 MiB writes cuts those trips a hundredfold; the memory stays fixed whatever the size.
    let mut file = tokio::io::BufWriter::with_capacity(WRITE_BUFFER, file);
    let mut written = 0u64;
    loop {
        let Some(chunk) = response.chunk().await.map_err(transport)? else {
            break;
        };
        file.write_all(&chunk).await.map_err(io)?;
        written += chunk.len() as u64;
    }
    file.flush().await.map_err(io)?;
    file.get_ref().sync_all().await.map_err(io)?;
    Ok(written)
}

/// A download's transport error, without its URL.
fn transport(source: reqwest::Error) -> Error {
    Error::transport("download", source)
}

fn part_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".part");
    path.with_file_name(name)
}

/// Decodes `data:[<media type>][;base64],<data>`.
fn decode_data_url(url: &str) -> Result<Bytes> {
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

    #[test]
    fn part_files_sit_beside_the_target() {
        assert_eq!(
            part_path(Path::new("out/a.png")),
            Path::new("out/a.png.part")
        );
    }
}
