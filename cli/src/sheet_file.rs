//! Where the contact sheet goes and how it gets there.
//!
//! - Never over a file that is not ours: `--out-dir .` in a web folder has an `index.html` someone wrote.
//!   Our sheets carry a `generator` mark in their head; an `index.html` without it (or a link, or anything
//!   else not a plain file) is left alone and the sheet is written beside it, as `ideogram-index.html` (or a
//!   numbered name if that too is someone else's), and the user is told once.
//! - Never through a link: each rewrite goes to a fresh temporary file (created exclusively, with a random
//!   name) and is renamed over the sheet, and a rename replaces a link at the sheet's path instead of
//!   following it. A link at either path never has its target written.
//! - A sheet that cannot be written (read-only directory, a directory in its place, a full disk) is a warning,
//!   given once: the images and the journal are what the batch is for.

use std::{
    fs::File,
    io::{self, Read as _, Write as _},
    path::{Path, PathBuf},
};

use crate::active_bar;

/// What marks a sheet as ours, at the start of the `generator` meta tag [`crate::sheet`] writes in its head.
pub const MARK: &str = r#"<meta name="generator" content="replicate-ideogram"#;

/// The head of the sheets written before they carried [`MARK`], up to their title: theirs to replace too.
const EARLIER_HEAD: &str = "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>ideogram batch</title>\n";

/// How much of an existing file is read to find the mark (the head comes first).
const HEAD_BYTES: u64 = 4096;

/// The names tried after `index.html`: `ideogram-index.html`, then `ideogram-index-2.html` and on.
const MOST_NAMES: usize = 100;

pub struct SheetFile {
    dir: PathBuf,
    /// Chosen at the first write, then kept.
    path: Option<PathBuf>,
    /// Whether the last write failed.
    failing: bool,
    warned: bool,
}

/// What is at a name the sheet could take.
enum Occupant {
    /// Nothing, or a sheet of ours: the sheet goes there.
    Free,
    /// Someone else's: left alone.
    Theirs,
    /// A directory: nothing can be written there, and nothing of anyone's is at risk.
    Directory,
}

impl SheetFile {
    pub fn new(dir: PathBuf) -> Self {
        Self {
            dir,
            path: None,
            failing: false,
            warned: false,
        }
    }

    /// Where the sheet is, for the summary.
    pub fn location(&self) -> String {
        match (&self.path, self.failing) {
            (Some(path), false) => path.display().to_string(),
            _ => "not written (see the warning above)".to_string(),
        }
    }

    /// Writes the whole sheet; a failure is a warning the first time, and nothing more after.
    pub fn write(&mut self, html: &str) {
        let written = self.try_write(html);
        self.failing = written.is_err();
        if let Err(error) = written
            && !self.warned
        {
            self.warned = true;
            let path = self
                .path
                .clone()
                .unwrap_or_else(|| self.dir.join("index.html"));
            active_bar::note(&format!(
                "warning: cannot write the contact sheet {}: {error} (the batch goes on without it)",
                path.display()
            ));
        }
    }

    fn try_write(&mut self, html: &str) -> io::Result<()> {
        let path = match &self.path {
            Some(path) => path.clone(),
            None => {
                let path = self.choose()?;
                self.path = Some(path.clone());
                path
            }
        };
        let mut temporary = temporary_in(&self.dir)?;
        temporary.write_all(html.as_bytes())?;
        temporary.persist(&path).map_err(|e| e.error)?;
        Ok(())
    }

    /// The first name that is free or holds a sheet of ours; says so if it is not `index.html`.
    fn choose(&self) -> io::Result<PathBuf> {
        let index = self.dir.join("index.html");
        let names = std::iter::once("ideogram-index.html".to_string())
            .chain((2..=MOST_NAMES).map(|n| format!("ideogram-index-{n}.html")));
        match occupant(&index)? {
            Occupant::Free | Occupant::Directory => return Ok(index),
            Occupant::Theirs => {}
        }
        for name in names {
            let path = self.dir.join(name);
            if let Occupant::Free = occupant(&path)? {
                active_bar::note(&format!(
                    "{} is not a contact sheet of ours: leaving it as it is, writing the sheet to {}",
                    index.display(),
                    path.display()
                ));
                return Ok(path);
            }
        }
        Err(io::Error::other(format!(
            "{} and every ideogram-index name up to {MOST_NAMES} are taken",
            index.display()
        )))
    }
}

/// What is at `path`, looked at without following a link.
fn occupant(path: &Path) -> io::Result<Occupant> {
    let metadata = match std::fs::symlink_metadata(path) {
        Ok(metadata) => metadata,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Occupant::Free),
        Err(error) => return Err(error),
    };
    if metadata.is_dir() {
        return Ok(Occupant::Directory);
    }
    if !metadata.is_file() {
        return Ok(Occupant::Theirs);
    }
    let mut head = Vec::with_capacity(HEAD_BYTES as usize);
    File::open(path)?.take(HEAD_BYTES).read_to_end(&mut head)?;
    let head = String::from_utf8_lossy(&head);
    Ok(if is_ours(&head) {
        Occupant::Free
    } else {
        Occupant::Theirs
    })
}

fn is_ours(head: &str) -> bool {
    head.contains(MARK) || head.starts_with(EARLIER_HEAD)
}

/// A new file in `dir` with a random name, made only if no file or link has that name, readable as a file
/// the user wrote would be (the umask applies).
fn temporary_in(dir: &Path) -> io::Result<tempfile::NamedTempFile> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(".index.html.").suffix(".part");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    builder.tempfile_in(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_sheets_old_and_new_are_ours_and_nothing_else_is() {
        assert!(is_ours(crate::sheet::HEAD));
        assert!(is_ours(&format!("{EARLIER_HEAD}<style>")));
        assert!(!is_ours("<!doctype html>\n<title>My site</title>"));
        assert!(!is_ours(""));
    }

    #[test]
    fn a_foreign_index_is_kept_and_the_sheet_goes_beside_it() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("index.html"), "<p>mine</p>").unwrap();
        std::fs::write(dir.path().join("ideogram-index.html"), "<p>mine too</p>").unwrap();
        let mut file = SheetFile::new(dir.path().to_path_buf());
        file.write(crate::sheet::HEAD);
        file.write(crate::sheet::HEAD);
        let read = |name: &str| std::fs::read_to_string(dir.path().join(name)).unwrap();
        assert_eq!(read("index.html"), "<p>mine</p>");
        assert_eq!(read("ideogram-index.html"), "<p>mine too</p>");
        assert_eq!(read("ideogram-index-2.html"), crate::sheet::HEAD);
        assert!(file.location().ends_with("ideogram-index-2.html"));
        // The next run finds its own sheet there and goes on writing it.
        let again = SheetFile::new(dir.path().to_path_buf());
        assert_eq!(
            again.choose().unwrap(),
            dir.path().join("ideogram-index-2.html")
        );
        let leftovers = std::fs::read_dir(dir.path())
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .ends_with(".part")
            })
            .count();
        assert_eq!(leftovers, 0, "no temporary file is left behind");
    }
}
