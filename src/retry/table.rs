//! Which failures are tried again, by which layer, and how: the one table every retrying loop asks.
//!
//! Three layers retry, each only what it alone can do:
//! - the transport (`transport/`) sends a request again after the answer's `Retry-After`, or the policy's
//!   backoff when there is none ([`Decision::AfterDelay`]), or queues it behind its class's pace at the
//!   rate governor, not counted as a retry ([`Decision::AfterPace`]);
//! - the re-read loop (`retry/reread.rs`) reads again, after the policy's backoff, when an answer broke
//!   after the transport had accepted it ([`Decision::ReadAgain`]);
//! - the create resolver (`resolve/`) looks for the prediction a create may have made, and sends the create
//!   again only when that shows nothing was made ([`Decision::LookUp`]).
//!
//! Each layer acts on its own decisions and hands every other failure up as it came: a layer above may own
//! it, or it is [`Decision::Never`] and reaches the caller. How many times and for how long is the
//! [`RetryPolicy`](super::RetryPolicy)'s (`max_retries`, `max_elapsed`, `max_throttled`), and the
//! caller's deadline still cuts everything short.
//!
//! | failure | create | cancel, upload, file delete | get, list page, version, file, account, webhook secret | model | download |
//! | --- | --- | --- | --- | --- | --- |
//! | no connection could be made (nothing was sent) | delay | delay | delay | delay | delay |
//! | sent, but no answer (a timeout, a lost connection) | look up | never | delay | delay | delay |
//! | 429 from the API | pace | pace | pace | pace | pace |
//! | 429 from another host | delay | delay | delay | delay | delay |
//! | 408 | never | never | delay | delay | delay |
//! | 5xx | look up | never | delay | delay | delay |
//! | any other error status | never | never | never | never | never |
//! | the body broke off or came cut short | look up | never | read again | never | read again |
//! | the body is whole but unreadable or over a limit | look up | never | never | never | never |
//! | the caller's deadline passed on the way | look up | never | never | never | never |
//! | its prediction adopted by another create | look up | never | never | never | never |
//! | anything else (bad input, a local file, …) | never | never | never | never | never |
//!
//! *delay* and *pace* are the transport's, *read again* the re-read loop's, *look up* the create resolver's;
//! *never* hands the failure to the caller.
//!
//! Why: a read changes nothing, so sending it again is safe whatever happened. A write is sent again only
//! when the server certainly did not process it (no connection, or a 429). A create whose fate is unknown
//! is never sent blindly: its prediction is looked for first, so that none is paid for twice. A body over a
//! limit or of the wrong shape would come the same again. A download cut short is fetched again from the
//! start (into a fresh `.part` file); a model's description is read once. Decoding JSON handed
//! to the client, or a verified webhook's body, sends nothing and is never retried.

use reqwest::Response;

use crate::{Error, Operation, error::Kind};

/// A failure, as the table tells them apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Failure {
    /// No connection could be made: nothing was sent.
    NotConnected,
    /// The request may have reached the server, but no answer came (a timeout, a connection lost).
    NoAnswer,
    /// The API answered 429: its rate limit.
    Throttled,
    /// Another error status (a 429 from another host included).
    Status(u16),
    /// The answer arrived, but its body broke off or came cut short.
    BrokenBody,
    /// The answer's body is whole but cannot be read: not of the expected shape, or over a limit.
    Unreadable,
    /// The caller's deadline passed while the request was on its way.
    Deadline,
    /// The prediction a create made was adopted by another create of the same input.
    Adopted,
    /// Anything that is not a request's failure: bad input, a local file, a failed prediction, …
    Other,
}

/// What is done about a failure, and by which layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Decision {
    /// The transport sends the request again, after the answer's `Retry-After` if it has one, else after the
    /// policy's backoff.
    AfterDelay,
    /// The transport queues the request behind its class's pace at the rate governor and sends it again.
    AfterPace,
    /// The re-read loop reads again after the policy's backoff.
    ReadAgain,
    /// The create resolver looks for the prediction the create may have made.
    LookUp,
    /// Not tried again: the failure is the caller's.
    Never,
}

/// What an operation sends, as far as trying again goes (the table's columns).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Request {
    /// Creating a prediction: a write whose fate can be looked up.
    Create,
    /// Another write (cancel, upload).
    Write,
    /// A read whose answer is read again when it breaks (get, a list page, the webhook secret).
    Read,
    /// A read whose answer is not read again (a model's description).
    ReadOnce,
    /// A download: a read whose body is written as it arrives.
    Download,
    /// Nothing is sent (decoding JSON handed to the client).
    Nothing,
}

impl Request {
    fn of(operation: Operation) -> Self {
        match operation {
            Operation::Create => Self::Create,
            Operation::Cancel | Operation::Upload | Operation::DeleteFile => Self::Write,
            Operation::Get
            | Operation::List
            | Operation::ListVersions
            | Operation::GetVersion
            | Operation::ListFiles
            | Operation::GetFile
            | Operation::GetAccount
            | Operation::GetWebhookSecret => Self::Read,
            Operation::GetModel => Self::ReadOnce,
            Operation::Download => Self::Download,
            Operation::Decode | Operation::VerifyWebhook => Self::Nothing,
        }
    }

    /// Whether sending it again changes nothing on the server.
    fn is_read(self) -> bool {
        matches!(self, Self::Read | Self::ReadOnce | Self::Download)
    }
}

/// What to do about `failure` of `operation` (see the table in the module docs).
pub(crate) fn decide(operation: Operation, failure: Failure) -> Decision {
    use Decision::*;
    let request = Request::of(operation);
    match (request, failure) {
        (Request::Nothing, _) => Never,
        (_, Failure::NotConnected | Failure::Status(429)) => AfterDelay,
        (_, Failure::Throttled) => AfterPace,
        (r, Failure::NoAnswer | Failure::Status(408 | 500..=599)) if r.is_read() => AfterDelay,
        (Request::Create, Failure::NoAnswer | Failure::Status(500..=599)) => LookUp,
        (Request::Read | Request::Download, Failure::BrokenBody) => ReadAgain,
        (
            Request::Create,
            Failure::BrokenBody | Failure::Unreadable | Failure::Deadline | Failure::Adopted,
        ) => LookUp,
        _ => Never,
    }
}

impl Failure {
    /// How one sending ended, as the transport sees it (before any body is read); `None` for an answer that
    /// is no failure. `api` says whether the request went to the API, whose 429 is its rate limit.
    pub(crate) fn of_sending(outcome: &reqwest::Result<Response>, api: bool) -> Option<Self> {
        match outcome {
            Err(error) if error.is_connect() => Some(Self::NotConnected),
            // The transport has no answer yet: whatever broke, broke before one.
            Err(_) => Some(Self::NoAnswer),
            Ok(response) => Self::of_status(response.status().as_u16(), api),
        }
    }

    /// The failure an error status is; `None` for a status that is no failure.
    fn of_status(status: u16, api: bool) -> Option<Self> {
        match status {
            429 if api => Some(Self::Throttled),
            400.. => Some(Self::Status(status)),
            _ => None,
        }
    }

    /// How a request ended, as a layer above the transport sees it: after the transport's own retries, with
    /// the body read.
    pub(crate) fn of_error(error: &Error) -> Self {
        match error {
            Error::Transport { source, .. } if source.is_body() || source.is_decode() => {
                Self::BrokenBody
            }
            Error::Transport { source, .. } if source.is_connect() => Self::NotConnected,
            Error::Transport { .. } => Self::NoAnswer,
            Error::Api(api) => Self::of_status(api.status, true).unwrap_or(Self::Other),
            Error::Download { status, .. } => {
                Self::of_status(*status, false).unwrap_or(Self::Other)
            }
            Error::Decode { .. } if error.decode_kind() == Some(Kind::Truncated) => {
                Self::BrokenBody
            }
            Error::Decode { .. } => Self::Unreadable,
            Error::Timeout { .. } | Error::DownloadTimeout { .. } => Self::Deadline,
            Error::AdoptedByAnother { .. } => Self::Adopted,
            _ => Self::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Decision::*, *};
    use crate::error::ApiError;

    /// The table's columns, each with the operations it stands for.
    const COLUMNS: [&[Operation]; 5] = [
        &[Operation::Create],
        &[Operation::Cancel, Operation::Upload, Operation::DeleteFile],
        &[
            Operation::Get,
            Operation::List,
            Operation::ListVersions,
            Operation::GetVersion,
            Operation::ListFiles,
            Operation::GetFile,
            Operation::GetAccount,
            Operation::GetWebhookSecret,
        ],
        &[Operation::GetModel],
        &[Operation::Download],
    ];

    /// Checks one row of the table: the decision of each column, and that what sends nothing is never
    /// tried again.
    fn row(failure: Failure, decisions: [Decision; 5]) {
        for (operations, expected) in COLUMNS.iter().zip(decisions) {
            for &operation in *operations {
                assert_eq!(
                    decide(operation, failure),
                    expected,
                    "{operation} after {failure:?}"
                );
            }
        }
        for operation in [Operation::Decode, Operation::VerifyWebhook] {
            assert_eq!(decide(operation, failure), Never, "{operation}");
        }
    }

    #[test]
    fn no_connection_is_sent_again_by_every_request() {
        row(Failure::NotConnected, [AfterDelay; 5]);
    }

    #[test]
    fn no_answer_is_sent_again_for_reads_and_looked_up_for_a_create() {
        row(
            Failure::NoAnswer,
            [LookUp, Never, AfterDelay, AfterDelay, AfterDelay],
        );
    }

    #[test]
    fn the_apis_429_waits_for_the_pace() {
        row(Failure::Throttled, [AfterPace; 5]);
    }

    #[test]
    fn another_hosts_429_is_sent_again_after_a_delay() {
        row(Failure::Status(429), [AfterDelay; 5]);
    }

    #[test]
    fn a_408_is_sent_again_only_for_reads() {
        row(
            Failure::Status(408),
            [Never, Never, AfterDelay, AfterDelay, AfterDelay],
        );
    }

    #[test]
    fn a_5xx_is_sent_again_for_reads_and_looked_up_for_a_create() {
        for status in [500, 502, 503, 504, 599] {
            row(
                Failure::Status(status),
                [LookUp, Never, AfterDelay, AfterDelay, AfterDelay],
            );
        }
    }

    #[test]
    fn other_statuses_are_never_tried_again() {
        for status in [400, 401, 403, 404, 409, 410, 422, 600] {
            row(Failure::Status(status), [Never; 5]);
        }
    }

    #[test]
    fn a_broken_body_is_read_again_by_reads_that_can_and_looked_up_for_a_create() {
        row(
            Failure::BrokenBody,
            [LookUp, Never, ReadAgain, Never, ReadAgain],
        );
    }

    #[test]
    fn an_unreadable_body_is_looked_up_only_for_a_create() {
        row(Failure::Unreadable, [LookUp, Never, Never, Never, Never]);
    }

    #[test]
    fn a_deadline_on_the_way_is_looked_up_only_for_a_create() {
        row(Failure::Deadline, [LookUp, Never, Never, Never, Never]);
    }

    #[test]
    fn an_adopted_prediction_is_looked_up() {
        row(Failure::Adopted, [LookUp, Never, Never, Never, Never]);
    }

    #[test]
    fn anything_else_is_never_tried_again() {
        row(Failure::Other, [Never; 5]);
    }

    fn answer(status: u16) -> reqwest::Result<Response> {
        let mut response = http::Response::new(String::new());
        *response.status_mut() = http::StatusCode::from_u16(status).unwrap();
        Ok(Response::from(response))
    }

    #[test]
    fn the_corridor_tells_answers_apart_by_status_and_host() {
        assert_eq!(Failure::of_sending(&answer(200), true), None);
        assert_eq!(Failure::of_sending(&answer(304), true), None);
        assert_eq!(
            Failure::of_sending(&answer(429), true),
            Some(Failure::Throttled)
        );
        assert_eq!(
            Failure::of_sending(&answer(429), false),
            Some(Failure::Status(429))
        );
        assert_eq!(
            Failure::of_sending(&answer(503), false),
            Some(Failure::Status(503))
        );
        assert_eq!(
            Failure::of_sending(&answer(404), true),
            Some(Failure::Status(404))
        );
    }

    #[tokio::test]
    async fn the_corridor_tells_a_refused_connection_from_a_lost_answer() {
        let client = reqwest::Client::new();
        let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = closed.local_addr().unwrap().port();
        drop(closed);
        let refused = client.get(format!("http://127.0.0.1:{port}/")).send().await;
        assert_eq!(
            Failure::of_sending(&refused, true),
            Some(Failure::NotConnected)
        );
        // Accepts, never answers.
        let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", silent.local_addr().unwrap());
        let _held = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((stream, _)) = silent.accept().await {
                held.push(stream);
            }
        });
        let lost = client
            .get(url)
            .timeout(std::time::Duration::from_millis(50))
            .send()
            .await;
        assert_eq!(Failure::of_sending(&lost, true), Some(Failure::NoAnswer));
        // Above the transport, the same errors are the same failures.
        let error = |source| Error::transport(Operation::Get, source);
        assert_eq!(
            Failure::of_error(&error(refused.unwrap_err())),
            Failure::NotConnected
        );
        assert_eq!(
            Failure::of_error(&error(lost.unwrap_err())),
            Failure::NoAnswer
        );
    }

    #[test]
    fn errors_are_told_apart_by_kind_not_by_words() {
        let api = |status| {
            Error::Api(Box::new(ApiError {
                operation: Operation::Create,
                status,
                title: None,
                detail: None,
                kind: None,
                instance: None,
                invalid_fields: Vec::new(),
                prediction_id: None,
                retry_after: None,
                body_snippet: None,
                hint: None,
            }))
        };
        assert_eq!(Failure::of_error(&api(429)), Failure::Throttled);
        assert_eq!(Failure::of_error(&api(504)), Failure::Status(504));
        assert_eq!(Failure::of_error(&api(404)), Failure::Status(404));
        let truncated = Error::decode(
            Kind::Truncated,
            Operation::Get,
            None,
            None,
            "unusual words",
            b"{",
        );
        assert_eq!(Failure::of_error(&truncated), Failure::BrokenBody);
        // The words of a truncated body do not make a malformed one truncated.
        let malformed =
            Error::malformed(Operation::Get, None, None, "the body ends too early", b"{");
        assert_eq!(Failure::of_error(&malformed), Failure::Unreadable);
        let over = Error::decode(Kind::OverLimit, Operation::Get, None, None, "big", b"");
        assert_eq!(Failure::of_error(&over), Failure::Unreadable);
        let timeout = Error::Timeout {
            prediction_id: None,
            waited: std::time::Duration::ZERO,
            status: None,
        };
        assert_eq!(Failure::of_error(&timeout), Failure::Deadline);
        let adopted = Error::AdoptedByAnother {
            prediction_id: "p".into(),
        };
        assert_eq!(Failure::of_error(&adopted), Failure::Adopted);
        let input = Error::invalid_input("prompt", "is empty");
        assert_eq!(Failure::of_error(&input), Failure::Other);
    }
}
