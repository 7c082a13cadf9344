//! Reading a prediction where it can fail: the prediction from its JSON, its output as a type or as file
//! URLs. Apart from the plain data (`prediction.rs`), because what does not fit becomes an [`Error`], and
//! errors carry predictions.

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::{
    error::{Error, Operation, Result},
    prediction::{Prediction, PredictionUrls},
    transport::generated::types,
};

impl Prediction {
    /// Decodes a prediction from its JSON (a stored answer, a webhook payload you have verified), through the
    /// same types generated from `openapi.yaml` that decode the API's answers.
    pub fn from_json(json: &[u8]) -> Result<Self> {
        Self::decode(json, Operation::Decode)
    }

    pub(crate) fn decode(json: &[u8], operation: Operation) -> Result<Self> {
        serde_json::from_slice::<types::Prediction>(json)
            .map(Self::from)
            .map_err(|e| {
                Error::malformed(
                    operation,
                    None,
                    None,
                    format!("not a prediction ({e})"),
                    json,
                )
            })
    }

    /// The output decoded as `T` (for a typed input, its `Output`).
    ///
    /// A missing output (still running, or removed) is [`Error::OutputMissing`]; one of another shape is
    /// [`Error::OutputMismatch`].
    pub fn output_as<T: DeserializeOwned>(&self) -> Result<T> {
        let Some(output) = &self.output else {
            return Err(Error::OutputMissing {
                prediction_id: self.id.clone(),
                removed: self.data_removed,
            });
        };
        T::deserialize(output).map_err(|e| {
            Error::output_mismatch(
                self.id.clone(),
                format!("the output does not have the model's output schema ({e})"),
                output,
            )
        })
    }

    /// The output's file URLs: one URL, or each string of a list of them (the shapes of the ideogram models'
    /// outputs).
    ///
    /// A missing output is [`Error::OutputMissing`]; an output with no URL in it is [`Error::OutputMismatch`].
    ///
    /// ```no_run
    /// # async fn demo(client: replicate_ideogram::Client, id: &str) -> replicate_ideogram::Result<()> {
    /// for url in client.get(id).await?.output_urls()? {
    ///     client.download(&url).to_file(url.rsplit('/').next().unwrap_or("output")).await?;
    /// }
    /// # Ok(()) }
    /// ```
    pub fn output_urls(&self) -> Result<Vec<String>> {
        output_files(&self.id, self.output.as_ref(), self.data_removed)
    }
}

/// The file URLs of prediction `id`'s output (`removed`: the server says it deleted it), by the one rule
/// every reader of outputs follows: one URL, or a list of them and nothing else. A missing output is
/// [`Error::OutputMissing`]; an empty list, an object, or a list with anything but URLs in it is
/// [`Error::OutputMismatch`].
pub(crate) fn output_files(id: &str, output: Option<&Value>, removed: bool) -> Result<Vec<String>> {
    let Some(output) = output.filter(|o| !o.is_null()) else {
        return Err(Error::OutputMissing {
            prediction_id: id.to_string(),
            removed,
        });
    };
    let mismatch = |why: &str| Error::output_mismatch(id.to_string(), why.to_string(), output);
    match output {
        Value::String(url) => Ok(vec![url.clone()]),
        Value::Array(items) if items.is_empty() => Err(mismatch("the output is an empty list")),
        Value::Array(items) => items
            .iter()
            .map(|item| {
                item.as_str().map(str::to_string).ok_or_else(|| {
                    mismatch("the output's list holds something other than a file URL")
                })
            })
            .collect(),
        _ => Err(mismatch("the output holds no file URL")),
    }
}

/// The wire type generated from `openapi.yaml` as the public prediction; a `null` output or error is none.
/// Here rather than in `prediction.rs`, which stays plain data below the transport that generates it.
impl From<types::Prediction> for Prediction {
    fn from(p: types::Prediction) -> Self {
        let urls = p.urls.unwrap_or_default();
        Self {
            id: p.id,
            model: p.model,
            version: p.version,
            status: p.status,
            input: p.input,
            output: p.output.filter(|v| !v.is_null()),
            logs: p.logs,
            error: p.error.filter(|v| !v.is_null()),
            source: p.source,
            data_removed: p.data_removed,
            created_at: p.created_at,
            started_at: p.started_at,
            completed_at: p.completed_at,
            deadline: p.deadline,
            deployment: p.deployment,
            metrics: p.metrics,
            urls: PredictionUrls {
                get: urls.get,
                cancel: urls.cancel,
                web: urls.web,
                stream: urls.stream,
            },
        }
    }
}
