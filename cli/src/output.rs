//! Standard output and standard error, the one way the CLI writes each.
//!
//! A reader that goes away (`ideogram batch f --json | head -1`) ends the run the way it ends any Unix tool:
//! quietly, with exit status 141 (128 + SIGPIPE), and nothing on stderr. Rust ignores SIGPIPE, so a write to
//! a closed pipe returns `BrokenPipe` (where `println!` would panic); putting the signal's default back
//! would take `unsafe`, so the error is turned into that exit instead.

use std::{fmt::Display, io::Write as _};

use crate::{Failure, exit::Exit};

/// Writes `text` and a newline to stdout. A closed stdout is a quiet [`Failure`] with code
/// [`Exit::OutputClosed`]; any other error writing it stops the run with a message ([`Exit::Api`], as for
/// other I/O).
pub fn line(text: impl Display) -> Result<(), Failure> {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{text}")
        .and_then(|()| stdout.flush())
        .map_err(|error| match error.kind() {
            std::io::ErrorKind::BrokenPipe => closed(),
            _ => Failure {
                code: Exit::Api,
                message: format!("cannot write to standard output: {error}"),
            },
        })
}

/// Writes `text` and a newline to stderr, in one write. A stderr that cannot be written is ignored: it
/// carries commentary, and losing that must not stop a batch that is saving what was paid for (`eprintln!`
/// would panic).
pub fn note(text: impl Display) {
    let _ = std::io::stderr().write_all(format!("{text}\n").as_bytes());
}

/// The failure that ends a run whose reader went away: no message.
pub fn closed() -> Failure {
    Failure {
        code: Exit::OutputClosed,
        message: String::new(),
    }
}

/// Whether `failure` is a closed stdout, which ends the run without a word.
pub fn is_closed(failure: &Failure) -> bool {
    failure.code == Exit::OutputClosed
}
