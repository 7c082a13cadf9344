//! The library's (and the CLI's) tracing events on stderr: by default warnings and errors only (a prediction
//! that may have been paid for twice, files that could not be synced), more with `-v` (info) and `-vv`
//! (debug), or exactly what `RUST_LOG` asks for, which wins over both.
//!
//! Events go above the progress bar, never through it, and like every other text from a server on stderr
//! they are stripped of control characters: an event may carry a model's error or a server's problem
//! details. The library redacts the token from everything it records; nothing here adds request headers.

use std::io::{IsTerminal, Write};

use tracing_subscriber::{EnvFilter, fmt::MakeWriter};

/// The crates whose events `-v` and `-vv` turn up (a target names its crate first).
const OURS: [&str; 4] = [
    "replicate_ideogram",
    "replicate_ideogram_simulator",
    "ideogram",
    "ideogram_cli",
];

/// Installs the subscriber. `verbosity` is how many `-v` were given.
pub fn install(verbosity: u8) {
    let filter = match std::env::var("RUST_LOG") {
        Ok(directives) if !directives.trim().is_empty() => {
            EnvFilter::builder().parse_lossy(directives)
        }
        _ => EnvFilter::new(default_directives(verbosity)),
    };
    let builder = tracing_subscriber::fmt()
        .compact()
        .with_ansi(false)
        .with_writer(AboveTheBar)
        .with_env_filter(filter);
    // A terminal's reader is watching as it happens; a log file wants to know when.
    let installed = if std::io::stderr().is_terminal() {
        builder.without_time().try_init()
    } else {
        builder.try_init()
    };
    // Only a second install fails, and the first one stands.
    drop(installed);
}

/// `warn` for everything, and `info` or `debug` for our crates with `-v` or `-vv`.
fn default_directives(verbosity: u8) -> String {
    let level = match verbosity {
        0 => return "warn".to_string(),
        1 => "info",
        _ => "debug",
    };
    let ours: Vec<String> = OURS.iter().map(|c| format!("{c}={level}")).collect();
    format!("warn,{}", ours.join(","))
}

/// Each event's writer: stderr, above the progress bar.
struct AboveTheBar;

impl<'a> MakeWriter<'a> for AboveTheBar {
    type Writer = EventWriter;

    fn make_writer(&'a self) -> Self::Writer {
        EventWriter(Vec::with_capacity(256))
    }
}

/// One event, gathered and written whole when the subscriber is done with it (so the bar is taken off the
/// screen once per event, not once per piece the formatter writes).
struct EventWriter(Vec<u8>);

impl Write for EventWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for EventWriter {
    fn drop(&mut self) {
        if self.0.is_empty() {
            return;
        }
        let text = crate::terminal::plain(&String::from_utf8_lossy(&self.0));
        crate::active_bar::suspend(|| {
            let _ = std::io::stderr().lock().write_all(text.as_bytes());
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbosity_turns_up_our_crates_only() {
        assert_eq!(default_directives(0), "warn");
        let info = default_directives(1);
        assert!(info.starts_with("warn,"), "{info}");
        assert!(info.contains("replicate_ideogram=info"), "{info}");
        assert!(default_directives(5).contains("ideogram=debug"));
        for directives in [default_directives(1), default_directives(2)] {
            assert!(EnvFilter::try_new(&directives).is_ok(), "{directives}");
        }
    }
}
