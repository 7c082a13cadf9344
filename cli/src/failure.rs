//! Why the program stops, and with which exit code.

use replicate_ideogram::Error;

use crate::exit::Exit;

/// Why the program stops, and with which exit code.
#[derive(Debug)]
pub struct Failure {
    pub code: Exit,
    pub message: String,
}

impl Failure {
    pub fn usage(message: impl Into<String>) -> Self {
        Self {
            code: Exit::Usage,
            message: message.into(),
        }
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Self {
            code: exit_code(&error),
            message: error.to_string(),
        }
    }
}

/// [`Exit::SomeFailed`] for a prediction that ended badly (its output gone or empty included),
/// [`Exit::Usage`] for input or configuration (a version the server does not know, a journal of another
/// server or account included), [`Exit::Api`] for the API or the network.
pub fn exit_code(error: &Error) -> Exit {
    match error {
        Error::PredictionFailed(_)
        | Error::PredictionCanceled(_)
        | Error::PredictionAborted(_)
        | Error::OutputExpired { .. }
        | Error::OutputMissing { .. }
        | Error::OutputMismatch { .. } => Exit::SomeFailed,
        Error::InvalidInput { .. }
        | Error::UnknownVersion { .. }
        | Error::Config(_)
        | Error::JournalLocked { .. }
        | Error::JournalMismatch { .. }
        | Error::Journal { .. } => Exit::Usage,
        _ => Exit::Api,
    }
}
