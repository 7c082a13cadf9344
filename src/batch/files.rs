//! Where a batch item's output files go: their names (index, a slug of the prompt, the output's own
//! extension, never a name another item holds) and how they are written (streamed whole to a `.part` file
//! that is never a symlink's target, then renamed), and whether a recorded file is still whole.

use std::{
    io::Read,
    path::{Path, PathBuf},
    time::Duration,
};

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::{
    context::{BatchContext, lock},
    identify::Item,
    journal::{ItemId, SavedFile},
};
use crate::{Error, Result, digest::hex, download::Finish};

/// The longest slug of a prompt in a file name.
const SLUG_CHARS: usize = 40;

/// The name of part `part` (of `parts`) of item `index`'s output: `00007-a-red-fox.png`, or with several
/// files `00007-a-red-fox-2.json`. Stable across runs: it depends on the item and the URL only.
pub(crate) fn file_name(
    index: usize,
    input: &Map<String, Value>,
    part: usize,
    parts: usize,
    url: &str,
) -> String {
    let slug = input
        .get("prompt")
        .and_then(Value::as_str)
        .map(slug)
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "output".into());
    let extension = extension_of(url).unwrap_or_else(|| "bin".into());
    if parts == 1 {
        format!("{index:05}-{slug}.{extension}")
    } else {
        format!("{index:05}-{slug}-{}.{extension}", part + 1)
    }
}

/// `A Red Fox, at dawn!` → `a-red-fox-at-dawn`: lowercase ASCII letters and digits, words joined by `-`.
pub(crate) fn slug(text: &str) -> String {
    let mut out = String::new();
    for word in text
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if out.len() + word.len() + 1 > SLUG_CHARS {
            break;
        }
        if !out.is_empty() {
            out.push('-');
        }
        out.push_str(&word.to_ascii_lowercase());
    }
    out
}

/// The extension an output URL's path ends in, if it has a plausible one (1 to 5 letters or digits),
/// lowercased: what a file saved from it should be called.
///
/// ```
/// use replicate_ideogram::batch::extension_of;
/// assert_eq!(extension_of("https://x/abc/out-0.WEBP?sig=1").as_deref(), Some("webp"));
/// assert_eq!(extension_of("https://x/abc/layers"), None);
/// ```
pub fn extension_of(url: &str) -> Option<String> {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let last = path.rsplit('/').next().unwrap_or(path);
    let (_, extension) = last.rsplit_once('.')?;
    ((1..=5).contains(&extension.len()) && extension.bytes().all(|b| b.is_ascii_alphanumeric()))
        .then(|| extension.to_ascii_lowercase())
}

/// The extension the content's first bytes say, for an output whose URL names none (what a
/// `Content-Type` would have said).
pub(crate) fn sniffed_extension(content: &[u8]) -> Option<&'static str> {
    let starts = |magic: &[u8]| content.starts_with(magic);
    if starts(b"\x89PNG\r\n\x1a\n") {
        Some("png")
    } else if starts(b"\xff\xd8\xff") {
        Some("jpg")
    } else if starts(b"RIFF") && content.get(8..12) == Some(b"WEBP") {
        Some("webp")
    } else if starts(b"GIF8") {
        Some("gif")
    } else if content
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'{' || *b == b'[')
    {
        Some("json")
    } else {
        None
    }
}

impl BatchContext {
    /// Streams part `part` of an item's output from `url` into the directory, under a name no other item
    /// holds, and returns the file as the journal records it. Memory stays bounded whatever its size; the
    /// file is synced with the batch's others (see `durable`).
    pub(super) async fn save(
        &self,
        item: &Item,
        dir: &Path,
        (part, parts): (usize, usize),
        url: &str,
        left: Duration,
    ) -> Result<SavedFile> {
        let wanted = file_name(item.index, &item.json, part, parts, url);
        let name = self.free_name(&item.id, &wanted);
        let finish = Finish {
            hash: true,
            no_sync: true,
        };
        let written = self
            .client
            .download(url)
            .timeout(left)
            .save(&dir.join(&name), finish)
            .await?;
        let mut name = name;
        if let (Some(stem), Some(sniffed)) =
            (name.strip_suffix(".bin"), sniffed_extension(&written.head))
        {
            // The URL named no kind of file; the content does.
            let renamed = self.free_name(&item.id, &format!("{stem}.{sniffed}"));
            std::fs::rename(dir.join(&name), dir.join(&renamed)).map_err(|source| Error::Io {
                path: dir.join(&renamed),
                source,
            })?;
            name = renamed;
        }
        self.durable.written(dir.join(&name));
        Ok(SavedFile {
            path: PathBuf::from(name),
            bytes: written.bytes,
            sha256: written.sha256.unwrap_or_default(),
        })
    }

    /// `wanted`, or `wanted` numbered (`~2`, `~3`, …) if another item holds that name: an edited batch
    /// moves items to other lines, and an item's file is never written over another's.
    fn free_name(&self, id: &ItemId, wanted: &str) -> String {
        let mut names = lock(&self.names);
        let (stem, extension) = wanted.rsplit_once('.').unwrap_or((wanted, ""));
        let mut candidate = wanted.to_string();
        let mut n = 1;
        while names
            .get(Path::new(&candidate))
            .is_some_and(|holder| holder != id)
        {
            n += 1;
            candidate = format!("{stem}~{n}.{extension}");
        }
        names.insert(PathBuf::from(&candidate), id.clone());
        candidate
    }
}

/// Whether `file` (under `dir`) is the complete file the journal recorded: same size, same SHA-256.
pub(crate) fn is_complete(dir: &Path, file: &SavedFile) -> bool {
    let path = dir.join(&file.path);
    match std::fs::symlink_metadata(&path) {
        Ok(meta) if meta.is_file() && meta.len() == file.bytes => {}
        _ => return false,
    }
    sha256_of(&path).is_some_and(|sum| sum == file.sha256)
}

/// The SHA-256 of a file, in lowercase hex.
fn sha256_of(path: &Path) -> Option<String> {
    let mut file = std::fs::File::open(path).ok()?;
    let mut hash = Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    loop {
        let read = file.read(&mut buffer).ok()?;
        if read == 0 {
            break;
        }
        hash.update(buffer.get(..read).unwrap_or_default());
    }
    Some(hex(&hash.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_stable_and_tell_the_item() {
        let input = serde_json::json!({"prompt": "A Red Fox, at dawn! (№ 7)"});
        let input = input.as_object().unwrap();
        assert_eq!(
            file_name(7, input, 0, 1, "https://x/abc/out-0.webp?sig=1"),
            "00007-a-red-fox-at-dawn-7.webp"
        );
        assert_eq!(
            file_name(12, &Map::new(), 1, 2, "https://x/abc/layers"),
            "00012-output-2.bin"
        );
        assert_eq!(slug(&"word ".repeat(30)).len(), 39);
    }

    #[test]
    fn content_names_what_the_url_does_not() {
        assert_eq!(sniffed_extension(b"\x89PNG\r\n\x1a\n...."), Some("png"));
        assert_eq!(sniffed_extension(b"  {\"a\":1}"), Some("json"));
        assert_eq!(sniffed_extension(b"RIFF\0\0\0\0WEBPVP8 "), Some("webp"));
        assert_eq!(sniffed_extension(b"\0\0"), None);
    }
}
