//! Answers that could not be decoded, by kind: the kind, not the message, decides whether reading again
//! may help.

use super::{Error, Operation, id_in_body, snippet};

/// What kind of failure an [`Error::Decode`] is. Opaque: the client reads it to decide whether reading
/// again may help; the `reason` field says what was wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodeKind(Kind);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// The body ends too early: it may come whole next time.
    Truncated,
    /// The body is whole but not of the expected shape: it would come the same next time.
    Malformed,
    /// The body is larger, or slower to arrive, than allowed: reading it again costs the same again.
    OverLimit,
}

impl DecodeKind {
    pub(crate) fn kind(self) -> Kind {
        self.0
    }
}

impl Error {
    /// An answer that is whole but not of the expected shape.
    pub(crate) fn malformed(
        operation: Operation,
        status: Option<u16>,
        prediction_id: Option<String>,
        reason: impl Into<String>,
        body: &[u8],
    ) -> Self {
        Self::decode(
            Kind::Malformed,
            operation,
            status,
            prediction_id,
            reason,
            body,
        )
    }

    pub(crate) fn decode(
        kind: Kind,
        operation: Operation,
        status: Option<u16>,
        prediction_id: Option<String>,
        reason: impl Into<String>,
        body: &[u8],
    ) -> Self {
        Self::Decode {
            operation,
            status,
            prediction_id: prediction_id.or_else(|| id_in_body(body)),
            reason: reason.into(),
            snippet: snippet(body),
            kind: DecodeKind(kind),
        }
    }

    /// The kind of an [`Error::Decode`].
    pub(crate) fn decode_kind(&self) -> Option<Kind> {
        match self {
            Self::Decode { kind, .. } => Some(kind.kind()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kind_is_carried_not_read_from_the_words() {
        let error = Error::malformed(Operation::Get, None, None, "the body ends too early", b"{");
        assert_eq!(error.decode_kind(), Some(Kind::Malformed));
        let error = Error::decode(
            Kind::Truncated,
            Operation::Get,
            None,
            None,
            "cut",
            br#"{"id":"p1""#,
        );
        assert_eq!(error.decode_kind(), Some(Kind::Truncated));
        assert_eq!(error.prediction_id(), Some("p1"));
        assert_eq!(Error::Config("x".into()).decode_kind(), None);
    }
}
