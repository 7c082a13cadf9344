//! Where a batch item's output files go: their names (index, a slug of the prompt, the output's own
//! extension) and how they are written (complete and synced before they take their name).

use std::{
    io::Write,
    path::{Path, PathBuf},
};

use bytes::Bytes;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::journal::SavedFile;
use crate::{
    Error, Result,
    download::part::{open_fresh, part_path},
};

/// The longest slug of a prompt in a file name.
const SLUG_CHARS: usize = 40;

/// The name of part `part` (of `parts`) of item `index`'s output: `00007-a-red-fox.png`, or with several
/// files `00007-a-red-fox-2.json`. Stable across runs: it depends on the item and the URL only.
pub(crate) fn file_name(
    index: usize,
    input: &Value,
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

/// Writes `content` to `dir/name`: to `name.part` first, then renamed, so a file under its name is always
/// whole (the batch syncs its files in groups: see `durable`). A name with no extension gets the one the
/// content says. A `.part` left by an earlier run, or a link put there, is removed rather than followed.
pub(crate) fn write(dir: &Path, name: &str, content: &Bytes) -> Result<SavedFile> {
    let mut name = name.to_string();
    if let (Some(stem), Some(sniffed)) = (name.strip_suffix(".bin"), sniffed_extension(content)) {
        name = format!("{stem}.{sniffed}");
    }
    let path = dir.join(&name);
    let part = part_path(&path);
    let io = |source| Error::Io {
        path: part.clone(),
        source,
    };
    let mut file = open_fresh(&part).map_err(io)?;
    if let Err(error) = file.write_all(content) {
        drop(file);
        let _ = std::fs::remove_file(&part);
        return Err(io(error));
    }
    drop(file);
    std::fs::rename(&part, &path).map_err(|source| Error::Io {
        path: path.clone(),
        source,
    })?;
    Ok(SavedFile {
        path: PathBuf::from(name),
        bytes: content.len() as u64,
        sha256: Sha256::digest(content)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_stable_and_tell_the_item() {
        let input = serde_json::json!({"prompt": "A Red Fox, at dawn! (№ 7)"});
        assert_eq!(
            file_name(7, &input, 0, 1, "https://x/abc/out-0.webp?sig=1"),
            "00007-a-red-fox-at-dawn-7.webp"
        );
        assert_eq!(
            file_name(12, &serde_json::json!({}), 1, 2, "https://x/abc/layers"),
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

    #[cfg(unix)]
    #[test]
    fn a_link_in_the_part_files_place_is_replaced_not_followed() {
        let dir = std::env::temp_dir().join(format!("batch-files-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let elsewhere = dir.join("elsewhere.txt");
        std::fs::write(&elsewhere, b"keep me").unwrap();
        std::os::unix::fs::symlink(&elsewhere, dir.join("00001-fox.png.part")).unwrap();
        let saved = write(&dir, "00001-fox.png", &Bytes::from_static(b"png")).unwrap();
        assert_eq!(std::fs::read(dir.join(&saved.path)).unwrap(), b"png");
        assert_eq!(std::fs::read(&elsewhere).unwrap(), b"keep me");
        assert!(!dir.join("00001-fox.png.part").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
