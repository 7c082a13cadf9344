//! [`JsonInput`]: the input of any model, as JSON. It stands above the generated models, as it writes and
//! checks the input of a model this crate knows by that model's typed rules.

use serde::Serialize;

use crate::{Error, ModelInput, Result, Target, typed_inputs};

/// The input of any model, as JSON: for models this crate has no typed input for.
///
/// ```
/// use replicate_ideogram::{JsonInput, Target};
/// let input = JsonInput::new(
///     Target::model("black-forest-labs/flux-schnell"),
///     serde_json::json!({ "prompt": "a lighthouse at dawn" }),
/// );
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct JsonInput {
    target: Target,
    input: serde_json::Value,
}

impl JsonInput {
    /// `input` (a JSON object) for `target`.
    ///
    /// For a model this crate knows (by name, or pinned as `owner/name:id`), a field that carries a JSON
    /// object as text (Ideogram 4's `json_prompt`) may be given as an object: it is written as text, as the
    /// model wants it.
    ///
    /// ```
    /// use replicate_ideogram::{JsonInput, Target};
    /// let input = JsonInput::new(
    ///     Target::model("ideogram-ai/ideogram-v4-turbo"),
    ///     serde_json::json!({"json_prompt": {"scene": "a shoe"}}),
    /// );
    /// assert_eq!(input.input()["json_prompt"], r#"{"scene":"a shoe"}"#);
    /// ```
    pub fn new(target: Target, mut input: serde_json::Value) -> Self {
        if let (Some(model), Some(fields)) = (known_model(&target), input.as_object_mut()) {
            typed_inputs::encode_json_strings(model, fields);
        }
        Self { target, input }
    }

    /// A typed input as JSON, checked first: so that inputs of several models can share one batch.
    ///
    /// ```
    /// use replicate_ideogram::{JsonInput, models::{IdeogramV2TurboInput, IdeogramV3TurboInput}};
    /// let mixed = vec![
    ///     JsonInput::from_typed(&IdeogramV2TurboInput::new("a red fox"))?,
    ///     JsonInput::from_typed(&IdeogramV3TurboInput::new("a red fox"))?,
    /// ];
    /// # Ok::<(), replicate_ideogram::Error>(())
    /// ```
    pub fn from_typed<I: ModelInput>(input: &I) -> Result<Self> {
        input.validate()?;
        let json = serde_json::to_value(input).map_err(|e| {
            Error::invalid_input("input", format!("cannot be written as JSON: {e}"))
        })?;
        Ok(Self::new(input.target(), json))
    }

    /// The input itself.
    pub fn input(&self) -> &serde_json::Value {
        &self.input
    }
}

impl Serialize for JsonInput {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.input.serialize(serializer)
    }
}

impl ModelInput for JsonInput {
    type Output = serde_json::Value;

    fn target(&self) -> Target {
        self.target.clone()
    }

    /// Checks the target's form and, for a model this crate knows, run at its latest version, the input by
    /// that model's typed rules (the same checks as its typed input). A pinned version may take other fields
    /// or values: its input is left to the server.
    fn validate(&self) -> Result<()> {
        let Some(fields) = self.input.as_object() else {
            return Err(Error::invalid_input("input", "must be a JSON object"));
        };
        match &self.target {
            Target::Model(m) => {
                Target::owner_and_name(m)?;
                typed_inputs::check_input(m, fields).unwrap_or(Ok(()))
            }
            Target::Deployment(m) => Target::owner_and_name(m).map(|_| ()),
            Target::Version(v) if v.trim().is_empty() => {
                Err(Error::invalid_input("version", "must not be empty"))
            }
            Target::Version(_) => Ok(()),
        }
    }
}

/// The model this crate has a typed input for that `target` runs: a known model by name, or pinned as
/// `owner/name:id`.
fn known_model(target: &Target) -> Option<&'static str> {
    let named = match target {
        Target::Model(model) => model.as_str(),
        Target::Version(version) => version.split_once(':').map_or("", |(model, _)| model),
        Target::Deployment(_) => return None,
    };
    typed_inputs::KNOWN_MODELS
        .iter()
        .copied()
        .find(|known| *known == named)
}
