//! Local files named in a model input as `file://` URLs ([`local_file`]): read once, checked to be plain
//! files, identified by the SHA-256 of their content, and sent inline or uploaded.
//!
//! A `file://` value never reaches the server. [`Client::run`](crate::Client::run) and
//! [`Client::create`](crate::Client::create) put each one inline as a `data:` URL (up to
//! [`UploadedFile::MAX_INLINE`]) or upload it; a [batch](crate::batch) does the same, and also keeps the
//! file's hash in the item's identity (so an upload's new URL never makes a new item) and reuses an upload
//! across runs.
//!
//! Only regular files are read, and only if they hold what their size says: a device, a FIFO, or a file
//! of `/proc` that makes up its content as it is read (`/proc/self/environ`, which would put the token into
//! a model input) is refused.

use std::{
    io::Read,
    path::{Path, PathBuf},
};

use serde_json::{Map, Value};

use crate::{Client, Error, Result, Target, UploadedFile, digest::sha256_hex};

/// A local file as a model input's value: a `file://` URL that [`Client::run`](crate::Client::run),
/// [`Client::create`](crate::Client::create) and batches read, then send inline (up to 256 kB) or upload.
/// The path is made absolute (against the current directory), so the value means the same file wherever
/// it is read. It must name a regular, non-empty file of at most [`UploadedFile::MAX_UPLOAD`] bytes (its
/// content is checked again when it is read).
///
/// ```no_run
/// use replicate_ideogram::models::{IdeogramCharacterInput, local_file};
/// let input = IdeogramCharacterInput::new("her, reading in a cafe", local_file("me.jpg")?);
/// # Ok::<(), replicate_ideogram::Error>(())
/// ```
pub fn local_file(path: impl AsRef<Path>) -> Result<String> {
    let path = path.as_ref();
    let meta = sendable(path)?;
    if meta.len() == 0 {
        return Err(refused(path, "empty"));
    }
    let absolute = std::path::absolute(path).map_err(|source| io(path, source))?;
    url::Url::from_file_path(&absolute)
        .map(String::from)
        .map_err(|()| {
            Error::invalid_input("file", format!("{} is not a local path", path.display()))
        })
}

/// The path a `file://` URL names, or `None` if `text` is not one.
pub(crate) fn path_of(text: &str) -> Option<PathBuf> {
    if !text.starts_with("file:") {
        return None;
    }
    url::Url::parse(text).ok()?.to_file_path().ok()
}

/// A local file, read to be sent as an input.
pub(crate) struct LocalFile {
    pub(crate) path: PathBuf,
    pub(crate) bytes: Vec<u8>,
    pub(crate) sha256: String,
}

impl LocalFile {
    /// Reads `path`: a regular file of at most [`UploadedFile::MAX_UPLOAD`] bytes, which must hold as many
    /// bytes as its size says.
    pub(crate) fn read(path: &Path) -> Result<Self> {
        let meta = sendable(path)?;
        let file = std::fs::File::open(path).map_err(|source| io(path, source))?;
        let mut bytes = Vec::new();
        file.take(meta.len().saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(|source| io(path, source))?;
        if bytes.len() as u64 != meta.len() {
            return Err(refused(
                path,
                "its content is not what its size says (a file of /proc or /sys, or one being written): not sent",
            ));
        }
        Ok(Self {
            path: path.to_path_buf(),
            sha256: sha256_hex(&bytes),
            bytes,
        })
    }

    /// Whether it goes inline as a `data:` URL rather than uploaded.
    pub(crate) fn is_inline(&self) -> bool {
        self.bytes.len() as u64 <= UploadedFile::MAX_INLINE
    }

    /// Its `data:` URL.
    pub(crate) fn data_url(&self) -> String {
        crate::files::encode_data_url(&self.path, &self.bytes)
    }
}

/// Every distinct `file://` URL in `input` where a file can go, in order: the value (or an item of the
/// list) of a field the model's schema says is a URI, or, for a model this crate does not know, of any
/// field. A prompt that happens to read `file:///…` is never read from the disk.
pub(crate) fn file_urls(input: &Map<String, Value>, target: &Target) -> Vec<String> {
    let mut found = Vec::new();
    let maybe = |value: &Value| match value {
        Value::String(text) => text.starts_with("file:"),
        Value::Array(items) => items
            .iter()
            .any(|i| i.as_str().is_some_and(|t| t.starts_with("file:"))),
        _ => false,
    };
    if !input.values().any(maybe) {
        return found;
    }
    let uri_fields = uri_fields(target);
    for (field, value) in input {
        if uri_fields
            .as_ref()
            .is_some_and(|fields| !fields.contains(field))
        {
            continue;
        }
        let texts = match value {
            Value::String(text) => vec![text.as_str()],
            Value::Array(items) => items.iter().filter_map(|i| i.as_str()).collect(),
            _ => Vec::new(),
        };
        for text in texts {
            if path_of(text).is_some() && !found.iter().any(|f: &String| f == text) {
                found.push(text.to_string());
            }
        }
    }
    found
}

/// The fields of the target's model that take a URI (or a list of them), if this crate knows its schema.
fn uri_fields(target: &Target) -> Option<Vec<String>> {
    let model = match target {
        Target::Model(model) => model.as_str(),
        Target::Version(version) => version.split_once(':')?.0,
        Target::Deployment(_) => return None,
    };
    let schema = crate::typed_inputs::input_schema_for(model)?;
    let uri = |p: &Value| p.get("format").and_then(Value::as_str) == Some("uri");
    let properties = schema.get("properties")?.as_object()?;
    Some(
        properties
            .iter()
            .filter(|(_, p)| uri(p) || p.get("items").is_some_and(uri))
            .map(|(field, _)| field.clone())
            .collect(),
    )
}

/// `input` with each string of a field's value (or of a list there) that `replace` has a value for
/// replaced by it.
pub(crate) fn replace(input: &mut Map<String, Value>, replace: &dyn Fn(&str) -> Option<String>) {
    let swap = |text: &mut String| {
        if let Some(new) = replace(text) {
            *text = new;
        }
    };
    for value in input.values_mut() {
        match value {
            Value::String(text) => swap(text),
            Value::Array(items) => items.iter_mut().for_each(|item| {
                if let Value::String(text) = item {
                    swap(text);
                }
            }),
            _ => {}
        }
    }
}

impl Client {
    /// Puts every local file of `input` (for `target`) in place: inline, or uploaded.
    pub(crate) async fn place_local_files(
        &self,
        target: &Target,
        input: &mut Map<String, Value>,
    ) -> Result<()> {
        let mut placed = Vec::new();
        for url in file_urls(input, target) {
            let Some(path) = path_of(&url) else { continue };
            let file = LocalFile::read(&path)?;
            let value = if file.is_inline() {
                file.data_url()
            } else {
                self.upload_bytes(&file.path, file.bytes).await?.url
            };
            placed.push((url, value));
        }
        replace(input, &|text| {
            placed
                .iter()
                .find(|(url, _)| url == text)
                .map(|(_, value)| value.clone())
        });
        Ok(())
    }
}

/// The metadata of `path` if it may be sent: a regular file within Replicate's upload limit.
fn sendable(path: &Path) -> Result<std::fs::Metadata> {
    let meta = std::fs::metadata(path).map_err(|source| io(path, source))?;
    if !meta.is_file() {
        return Err(refused(
            path,
            "not a regular file (only regular files are sent)",
        ));
    }
    if meta.len() > UploadedFile::MAX_UPLOAD {
        let why = format!(
            "{} bytes, over the {} bytes Replicate accepts",
            meta.len(),
            UploadedFile::MAX_UPLOAD
        );
        return Err(refused(path, &why));
    }
    Ok(meta)
}

fn refused(path: &Path, why: &str) -> Error {
    Error::invalid_input("file", format!("{}: {why}", path.display()))
}

fn io(path: &Path, source: std::io::Error) -> Error {
    Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_url_names_an_absolute_path() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("some dir")).unwrap();
        std::fs::write(dir.path().join("some dir/me.png"), b"png").unwrap();
        let url = local_file(dir.path().join("some dir/me.png")).unwrap();
        assert!(url.starts_with("file:///"), "{url}");
        assert!(url.ends_with("/some%20dir/me.png"), "{url}");
        let path = path_of(&url).unwrap();
        assert!(path.is_absolute());
        assert!(path.ends_with("some dir/me.png"));
        assert_eq!(path_of("https://x/me.png"), None);
        assert_eq!(path_of("data:,x"), None);
        for refused in ["/proc/self/environ", "/dev/null", "missing.png"] {
            assert!(local_file(refused).is_err(), "{refused}");
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn files_that_are_not_what_their_size_says_are_refused() {
        for path in ["/proc/self/environ", "/dev/null", "/proc/self"] {
            let refused = LocalFile::read(Path::new(path));
            assert!(
                matches!(refused, Err(Error::InvalidInput { .. })),
                "{path}: {:?}",
                refused.map(|f| f.bytes.len())
            );
        }
    }

    #[test]
    fn a_regular_file_is_read_and_hashed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.png");
        std::fs::write(&path, b"picture").unwrap();
        let file = LocalFile::read(&path).unwrap();
        assert_eq!(file.sha256, sha256_hex(b"picture"));
        assert!(file.is_inline());
        assert!(file.data_url().starts_with("data:image/png;base64,"));
        let mut input = Map::from_iter([
            ("image".into(), Value::String(local_file(&path).unwrap())),
            (
                "refs".into(),
                serde_json::json!([local_file(&path).unwrap(), "https://x"]),
            ),
        ]);
        let unknown = Target::model("someone/something");
        assert_eq!(file_urls(&input, &unknown).len(), 1);
        // A known model's prompt is never read as a file, whatever it says.
        let character = Target::model("ideogram-ai/ideogram-character");
        let mut known = Map::from_iter([("prompt".into(), input["image"].clone())]);
        assert!(file_urls(&known, &character).is_empty());
        known.insert("character_reference_image".into(), input["image"].clone());
        assert_eq!(file_urls(&known, &character).len(), 1);
        replace(&mut input, &|t| path_of(t).map(|_| "placed".to_string()));
        assert_eq!(input["refs"], serde_json::json!(["placed", "https://x"]));
    }
}
