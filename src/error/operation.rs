//! What the client was doing when an error happened.

use std::fmt;

/// What was being done when an error happened: the request sent, or the local step that failed.
///
/// Its `Display` is the short text that starts the error's message (`create`, `get`, `download`, …).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Operation {
    /// Creating a prediction (`Client::create`, `run`, a batch item).
    Create,
    /// Reading a prediction (`Client::get`, and the polls of a wait).
    Get,
    /// Asking the server to cancel a prediction.
    Cancel,
    /// Reading a page of the account's predictions.
    List,
    /// Reading a model's description (`Client::model`).
    GetModel,
    /// Reading a page of a model's versions (`Client::model_versions`).
    ListVersions,
    /// Reading one version of a model (`Client::model_version`).
    GetVersion,
    /// Reading the account the token belongs to (`Client::account`).
    GetAccount,
    /// Reading the signing secret of the account's default webhook.
    GetWebhookSecret,
    /// Uploading a file (`Client::upload`).
    Upload,
    /// Reading a page of the account's uploaded files (`Files::list`).
    ListFiles,
    /// Reading an uploaded file's description (`Files::get`).
    GetFile,
    /// Deleting an uploaded file (`Files::delete`).
    DeleteFile,
    /// Downloading an output.
    Download,
    /// Decoding a prediction's JSON handed to [`Prediction::from_json`](crate::Prediction::from_json).
    Decode,
    /// Reading the prediction a verified webhook request carries.
    VerifyWebhook,
}

impl Operation {
    /// The text messages show.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Get => "get",
            Self::Cancel => "cancel",
            Self::List => "list",
            Self::GetModel => "get model",
            Self::ListVersions => "list versions",
            Self::GetVersion => "get version",
            Self::GetAccount => "get account",
            Self::GetWebhookSecret => "get webhook secret",
            Self::Upload => "upload",
            Self::ListFiles => "list files",
            Self::GetFile => "get file",
            Self::DeleteFile => "delete file",
            Self::Download => "download",
            Self::Decode => "decode",
            Self::VerifyWebhook => "verify webhook",
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_keep_the_names_they_always_showed() {
        for (operation, text) in [
            (Operation::Create, "create"),
            (Operation::Get, "get"),
            (Operation::Cancel, "cancel"),
            (Operation::List, "list"),
            (Operation::Download, "download"),
        ] {
            assert_eq!(operation.to_string(), text);
        }
    }
}
