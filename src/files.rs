//! Local files as model inputs (`image`, `mask`, style references): small ones inline as `data:` URLs, larger
//! ones uploaded to `POST /files` and passed by URL, as Replicate recommends (inline up to 256 kB).
//!
//! `POST /files` is `multipart/form-data`, which progenitor cannot generate: it is the one API call written by
//! hand. It still walks the transport (the token goes to the API origin only) and its answer is decoded with the
//! spec's `UploadedFile` schema.

use std::path::Path;

use base64::Engine;
use chrono::{DateTime, Utc};
use reqwest::multipart::{Form, Part};

use crate::{
    Client, Error, Operation, Result,
    transport::{Credentials, generated::types},
};

/// A file uploaded with [`Client::upload`].
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct UploadedFile {
    /// The file's id.
    pub id: String,
    /// Its name, as given at upload.
    pub name: Option<String>,
    /// The URL to pass as a model input (`urls.get`).
    pub url: String,
    /// The media type sent with it.
    pub content_type: Option<String>,
    /// Its size in bytes, as the server counted.
    pub size: Option<u64>,
    /// Its SHA-256 in hex, as the server computed it (`checksums.sha256`).
    pub sha256: Option<String>,
    /// When it was uploaded.
    pub created_at: Option<DateTime<Utc>>,
    /// When the server will delete it.
    pub expires_at: Option<DateTime<Utc>>,
}

impl UploadedFile {
    /// [`Client::file_input`] sends files up to this size (256 kB) inline as `data:` URLs and uploads larger
    /// ones, as Replicate recommends.
    pub const MAX_INLINE: u64 = 256 * 1024;

    /// Replicate refuses uploads over 100 MB (413); this client does not try, and reads no more of a file.
    ///
    /// ```no_run
    /// use replicate_ideogram::UploadedFile;
    /// let size = std::fs::metadata("photo.png")?.len();
    /// if size > UploadedFile::MAX_UPLOAD {
    ///     eprintln!("photo.png: {size} bytes, over the {} Replicate accepts", UploadedFile::MAX_UPLOAD);
    /// }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub const MAX_UPLOAD: u64 = 100 * 1000 * 1000;
}

impl From<types::UploadedFile> for UploadedFile {
    fn from(file: types::UploadedFile) -> Self {
        Self {
            id: file.id,
            name: file.name,
            url: file.urls.get,
            content_type: file.content_type,
            size: file.size.and_then(|s| u64::try_from(s).ok()),
            sha256: file.checksums.get("sha256").cloned(),
            created_at: file.created_at,
            expires_at: file.expires_at,
        }
    }
}

impl Client {
    /// A local file as the value of a file input: a `data:` URL if it is at most
    /// [`UploadedFile::MAX_INLINE`] bytes, otherwise uploaded ([`upload`](Self::upload)) and passed by its
    /// URL.
    ///
    /// ```no_run
    /// use replicate_ideogram::models::IdeogramV2TurboInput;
    /// # async fn demo(client: replicate_ideogram::Client) -> replicate_ideogram::Result<()> {
    /// let input = IdeogramV2TurboInput::new("a red door")
    ///     .image(client.file_input("photo.png").await?)
    ///     .mask(client.file_input("mask.png").await?);
    /// let url = client.run(input).await?;
    /// # Ok(()) }
    /// ```
    pub async fn file_input(&self, path: impl AsRef<Path>) -> Result<String> {
        let path = path.as_ref();
        let bytes = read_bounded(path).await?;
        if bytes.len() as u64 <= UploadedFile::MAX_INLINE {
            Ok(encode_data_url(path, &bytes))
        } else {
            Ok(self.upload_bytes(path, bytes).await?.url)
        }
    }

    /// Uploads a local file (`POST /files`, multipart) and returns what the server made of it.
    ///
    /// Not retried: a multipart body is sent once (an upload that fails costs nothing but the upload).
    /// The file is read once, at most [`UploadedFile::MAX_UPLOAD`] bytes of it: a FIFO, `/dev/stdin` or a
    /// file that grows while it is read is refused past the limit, whatever size it claimed.
    pub async fn upload(&self, path: impl AsRef<Path>) -> Result<UploadedFile> {
        let path = path.as_ref();
        let bytes = read_bounded(path).await?;
        self.upload_bytes(path, bytes).await
    }

    /// Uploads `bytes`, read from `path` (which names the upload and gives its media type).
    pub(crate) async fn upload_bytes(&self, path: &Path, bytes: Vec<u8>) -> Result<UploadedFile> {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("file")
            .to_string();
        let media = media_type(path);
        let part = Part::bytes(bytes)
            .file_name(name.clone())
            .mime_str(media)
            .map_err(|e| Error::invalid_input("file", e.to_string()))?;
        let form = Form::new()
            .part("content", part)
            .text("filename", name)
            .text("type", media);
        let shared = &self.shared;
        let url = format!("{}/files", self.base_url());
        let request = shared
            .http
            .post(url)
            .multipart(form)
            .build()
            .map_err(transport)?;
        let response = shared
            .transport
            .execute(
                &shared.http,
                request,
                Operation::Upload,
                "files.create",
                Credentials::Api,
            )
            .await
            .map_err(transport)?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = crate::transport::read_capped(response.bytes_stream()).await;
        if !(200..300).contains(&status) {
            return Err(Error::Api(Box::new(crate::transport::api_error(
                Operation::Upload,
                status,
                &headers,
                &body,
                None,
            ))));
        }
        serde_json::from_slice::<types::UploadedFile>(&body)
            .map(UploadedFile::from)
            .map_err(|e| {
                Error::malformed(Operation::Upload, Some(status), None, e.to_string(), &body)
            })
    }
}

/// `data:<media type>;base64,<content>` of a local file, read without async (for code that checks inputs
/// before it has a runtime or a client), whatever its size: [`Client::file_input`] is the async way, which
/// uploads files over [`UploadedFile::MAX_INLINE`]. The media type comes from the extension. Like
/// [`Client::upload`], it reads at most [`UploadedFile::MAX_UPLOAD`] bytes and refuses a file that holds
/// more.
///
/// ```no_run
/// use replicate_ideogram::models::{IdeogramV2TurboInput, data_url_of};
/// let input = IdeogramV2TurboInput::new("a red door").image(data_url_of("photo.png")?);
/// # Ok::<(), replicate_ideogram::Error>(())
/// ```
pub fn data_url_of(path: impl AsRef<Path>) -> Result<String> {
    use std::io::Read;
    let path = path.as_ref();
    let file = std::fs::File::open(path).map_err(|source| io(path, source))?;
    let mut bytes = Vec::new();
    file.take(UploadedFile::MAX_UPLOAD + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| io(path, source))?;
    check_size(path, &bytes)?;
    Ok(encode_data_url(path, &bytes))
}

/// The content of `path`, read once and at most [`UploadedFile::MAX_UPLOAD`] bytes of it. What `metadata`
/// says is not trusted: a FIFO or `/dev/stdin` has no size and a file may grow, so the read itself is what
/// is bounded.
async fn read_bounded(path: &Path) -> Result<Vec<u8>> {
    use tokio::io::AsyncReadExt;
    let file = tokio::fs::File::open(path)
        .await
        .map_err(|source| io(path, source))?;
    let mut bytes = Vec::new();
    file.take(UploadedFile::MAX_UPLOAD + 1)
        .read_to_end(&mut bytes)
        .await
        .map_err(|source| io(path, source))?;
    check_size(path, &bytes)?;
    Ok(bytes)
}

fn check_size(path: &Path, bytes: &[u8]) -> Result<()> {
    if bytes.len() as u64 > UploadedFile::MAX_UPLOAD {
        return Err(Error::invalid_input(
            "file",
            format!(
                "{}: more than the {} bytes Replicate accepts",
                path.display(),
                UploadedFile::MAX_UPLOAD
            ),
        ));
    }
    Ok(())
}

pub(crate) fn encode_data_url(path: &Path, bytes: &[u8]) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
    format!("data:{};base64,{encoded}", media_type(path))
}

/// The media type of an image file, from its extension.
fn media_type(path: &Path) -> &'static str {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    match extension.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "gif" => "image/gif",
        _ => "application/octet-stream",
    }
}

fn io(path: &Path, source: std::io::Error) -> Error {
    Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn transport(source: reqwest::Error) -> Error {
    Error::transport(Operation::Upload, source)
}
