//! What a prediction is made from: [`ModelInput`] (what every input implements), [`Target`] (where it
//! runs) and [`JsonInput`] (any model, as JSON). The typed inputs themselves are generated into
//! [`models`](crate::models).

use serde::{Serialize, de::DeserializeOwned};

use crate::{Error, Result};

/// The input of a model: what to run, the input itself, and what its output looks like.
pub trait ModelInput: Serialize + Send + Sync {
    /// The model's output, as its schema describes it (`String` for a single file URL).
    type Output: DeserializeOwned + Send;

    /// Where predictions for this input are created.
    fn target(&self) -> Target;

    /// Checks the input against the model's schema before anything is sent.
    fn validate(&self) -> Result<()> {
        Ok(())
    }

    /// This input, run on one version of its model (`POST /predictions` with `version`) instead of the
    /// model's latest.
    ///
    /// A typed input's fields are those of the version its type names in `VERSION` (the latest when this
    /// crate was released). An older version may lack a field or a value the type offers, or want one it
    /// lacks: the server then answers with a 422 naming the field ([`Error::Api`]). Pin a version to keep a
    /// batch's results reproducible while the model moves on.
    ///
    /// ```no_run
    /// # async fn demo(client: replicate_ideogram::Client) -> replicate_ideogram::Result<()> {
    /// use replicate_ideogram::{ModelInput, models::IdeogramV2aInput};
    /// let input = IdeogramV2aInput::new("a lighthouse at dawn").at_version(IdeogramV2aInput::VERSION);
    /// let url: String = client.run(input).await?;
    /// # Ok(()) }
    /// ```
    fn at_version(self, version: impl Into<String>) -> Pinned<Self>
    where
        Self: Sized,
    {
        Pinned {
            input: self,
            version: version.into(),
        }
    }
}

/// A model input pinned to one version of its model: made by [`ModelInput::at_version`].
#[derive(Clone, Debug, PartialEq)]
pub struct Pinned<I> {
    input: I,
    version: String,
}

impl<I> Pinned<I> {
    /// The input itself.
    pub fn input(&self) -> &I {
        &self.input
    }

    /// The version id it runs on.
    pub fn version(&self) -> &str {
        &self.version
    }
}

impl<I: Serialize> Serialize for Pinned<I> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.input.serialize(serializer)
    }
}

impl<I: ModelInput> ModelInput for Pinned<I> {
    type Output = I::Output;

    fn target(&self) -> Target {
        match self.input.target() {
            // `owner/name:id`: the server checks that the version is the model's.
            Target::Model(model) => Target::Version(format!("{model}:{}", self.version)),
            _ => Target::Version(self.version.clone()),
        }
    }

    fn validate(&self) -> Result<()> {
        check_version_id(&self.version)?;
        self.input.validate()
    }
}

/// Where a prediction is created: an official model, a model version or a deployment.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Target {
    /// An official model, `owner/name`: `POST /models/{owner}/{name}/predictions`.
    Model(String),
    /// A model version (`owner/name:id` or a bare id): `POST /predictions`.
    Version(String),
    /// A deployment, `owner/name`: `POST /deployments/{owner}/{name}/predictions`.
    Deployment(String),
}

impl Target {
    /// An official model, `owner/name`.
    pub fn model(owner_and_name: impl Into<String>) -> Self {
        Self::Model(owner_and_name.into())
    }

    /// A model version: `owner/name:version_id` or a bare version id.
    pub fn version(version: impl Into<String>) -> Self {
        Self::Version(version.into())
    }

    /// A deployment, `owner/name`.
    pub fn deployment(owner_and_name: impl Into<String>) -> Self {
        Self::Deployment(owner_and_name.into())
    }

    /// Splits `owner/name`, for the model and deployment targets. Each part goes into a URL path, so only
    /// letters, digits, `-`, `_` and `.` are accepted, and neither part may be `.` or `..`: a name such as
    /// `x/..\..\account` would otherwise lead a request (and the token) to another route.
    pub(crate) fn owner_and_name(value: &str) -> Result<(&str, &str)> {
        let segment = |part: &str| {
            !part.is_empty()
                && part != "."
                && part != ".."
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        };
        match value.split_once('/') {
            Some((owner, name)) if segment(owner) && segment(name) => Ok((owner, name)),
            _ => Err(Error::invalid_input(
                "model",
                format!(
                    "{value:?} is not of the form `owner/name` (letters, digits, `-`, `_` and `.`)"
                ),
            )),
        }
    }
}

impl Target {
    /// The target a [`Display`](std::fmt::Display) text names (`model owner/name`, …), as a journal keeps it.
    pub(crate) fn from_display(text: &str) -> Option<Self> {
        let (kind, name) = text.split_once(' ')?;
        match kind {
            "model" => Some(Self::Model(name.to_string())),
            "version" => Some(Self::Version(name.to_string())),
            "deployment" => Some(Self::Deployment(name.to_string())),
            _ => None,
        }
    }
}

impl Target {
    /// The model this crate has a typed input for that the target runs: a known model by name, or pinned
    /// as `owner/name:id`.
    fn known_model(&self) -> Option<&'static str> {
        let named = match self {
            Self::Model(model) => model.as_str(),
            Self::Version(version) => version.split_once(':').map_or("", |(model, _)| model),
            Self::Deployment(_) => return None,
        };
        crate::models::KNOWN_MODELS
            .iter()
            .copied()
            .find(|known| *known == named)
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Model(model) => write!(f, "model {model}"),
            Self::Version(version) => write!(f, "version {version}"),
            Self::Deployment(deployment) => write!(f, "deployment {deployment}"),
        }
    }
}

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
        if let (Some(model), Some(fields)) = (target.known_model(), input.as_object_mut()) {
            crate::models::encode_json_strings(model, fields);
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
                crate::models::check_input(m, fields).unwrap_or(Ok(()))
            }
            Target::Deployment(m) => Target::owner_and_name(m).map(|_| ()),
            Target::Version(v) if v.trim().is_empty() => {
                Err(Error::invalid_input("version", "must not be empty"))
            }
            Target::Version(_) => Ok(()),
        }
    }
}

/// A version id is hex digits (Replicate's are 64): anything else is refused before it goes into a URL.
pub(crate) fn check_version_id(id: &str) -> Result<()> {
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(Error::invalid_input(
            "version",
            format!("{id:?} is not a version id (hex digits)"),
        ));
    }
    Ok(())
}
