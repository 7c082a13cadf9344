//! Model inputs: the typed ones generated from `openapi.yaml`, and [`JsonInput`] for any other model.
//!
//! Each typed input (e.g. [`IdeogramV2TurboInput`]) is generated from a component schema that carries
//! `x-replicate-model`; its enums (e.g. [`AspectRatio`]) from the string-enum components. Adding a model is a
//! spec edit. Every input implements [`ModelInput`], which is what [`Client::create`](crate::Client::create)
//! and [`Client::run`](crate::Client::run) take.

use serde::{Serialize, de::DeserializeOwned};

use crate::{Error, Result};

include!(concat!(env!("OUT_DIR"), "/models.rs"));
// What only the simulator needs (each model's schemas as Replicate publishes them); made apart so that it can
// move to the simulator's own build.
include!(concat!(env!("OUT_DIR"), "/published.rs"));

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
        let id = self.version.trim();
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(Error::invalid_input(
                "version",
                format!("{:?} is not a version id (hex digits)", self.version),
            ));
        }
        self.input.validate()
    }
}

/// A value for a field that carries a JSON object as a string (Ideogram 4's `json_prompt`): a
/// [`serde_json::Value`], or JSON text (checked when the input is validated).
pub trait JsonText {
    /// The JSON text.
    fn into_json_text(self) -> String;
}

impl JsonText for serde_json::Value {
    fn into_json_text(self) -> String {
        self.to_string()
    }
}

impl JsonText for &serde_json::Value {
    fn into_json_text(self) -> String {
        self.to_string()
    }
}

impl JsonText for String {
    fn into_json_text(self) -> String {
        self
    }
}

impl JsonText for &str {
    fn into_json_text(self) -> String {
        self.to_string()
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
    pub fn new(target: Target, input: serde_json::Value) -> Self {
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

    fn validate(&self) -> Result<()> {
        if !self.input.is_object() {
            return Err(Error::invalid_input("input", "must be a JSON object"));
        }
        match &self.target {
            Target::Model(m) | Target::Deployment(m) => Target::owner_and_name(m).map(|_| ()),
            Target::Version(v) if v.trim().is_empty() => {
                Err(Error::invalid_input("version", "must not be empty"))
            }
            Target::Version(_) => Ok(()),
        }
    }
}

/// The JSON Schema of a typed model input, e.g. for an LLM tool definition.
///
/// ```
/// use replicate_ideogram::models::{input_schema, IdeogramV2TurboInput};
/// let schema = input_schema::<IdeogramV2TurboInput>();
/// assert_eq!(schema["required"][0], "prompt");
/// ```
///
/// Optional fields are optional, not nullable: the schema says what the model accepts.
pub fn input_schema<I: ModelInput + schemars::JsonSchema>() -> serde_json::Value {
    schemars::schema_for!(I).to_value()
}

/// Writes the JSON objects of `input` that `model` wants as JSON text (Ideogram 4's `json_prompt`) as
/// strings, as they go on the wire; a JSON input (a batch line, a `--set`) may give them as objects.
///
/// ```
/// use replicate_ideogram::models::encode_json_strings;
/// let mut input = serde_json::json!({"json_prompt": {"scene": "a shoe"}});
/// let input = input.as_object_mut().unwrap();
/// encode_json_strings("ideogram-ai/ideogram-v4-turbo", input);
/// assert_eq!(input["json_prompt"], r#"{"scene":"a shoe"}"#);
/// ```
pub fn encode_json_strings(model: &str, input: &mut serde_json::Map<String, serde_json::Value>) {
    for field in json_string_fields(model) {
        if let Some(value) = input.get_mut(*field)
            && value.is_object()
        {
            *value = serde_json::Value::String(value.to_string());
        }
    }
}

/// Checks a JSON input by decoding it as the typed input `I` and validating that.
pub(crate) fn check_typed<I: ModelInput + serde::de::DeserializeOwned>(
    input: &serde_json::Map<String, serde_json::Value>,
) -> Result<()> {
    let value = serde_json::Value::Object(input.clone());
    let typed: I = serde_path_to_error::deserialize(value).map_err(|e| {
        let message = e.inner().to_string();
        let missing = message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next());
        match (e.path().to_string(), missing) {
            (root, Some(field)) if root == "." => Error::invalid_input(field, "is required"),
            (root, None) if root == "." => Error::invalid_input("input", message),
            (path, _) => Error::invalid_input(path, message),
        }
    })?;
    typed.validate()
}

/// Checks a `format: uri` field: an `http(s)` URL or a `data:` URL.
pub(crate) fn check_uri(field: &str, value: &str) -> Result<()> {
    match reqwest::Url::parse(value) {
        Ok(url) if matches!(url.scheme(), "http" | "https" | "data") => Ok(()),
        Ok(url) => Err(Error::invalid_input(
            field,
            format!("must be an http(s) or data: URL, not {}:", url.scheme()),
        )),
        Err(e) => Err(Error::invalid_input(
            field,
            format!("is not a URL ({e}): {value:?}"),
        )),
    }
}

/// Checks a field that carries a JSON object as a string.
pub(crate) fn check_json_object(field: &str, value: &str) -> Result<()> {
    match serde_json::from_str::<serde_json::Value>(value) {
        Ok(serde_json::Value::Object(_)) => Ok(()),
        Ok(other) => Err(Error::invalid_input(
            field,
            format!("must be a JSON object, not {}", json_kind(&other)),
        )),
        Err(e) => Err(Error::invalid_input(
            field,
            format!("is not valid JSON: {e}"),
        )),
    }
}

fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}
