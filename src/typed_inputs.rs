//! The typed model inputs generated from `openapi.yaml` (`build/codegen/`), their enums, and the helpers
//! their generated code calls. Public only through [`models`](crate::models), which re-exports them beside
//! what a value of an input is made with; below that face, so that what reads the generated schemas
//! (`local_files`, `resolve`) and [`JsonInput`](crate::JsonInput) can stand above the models, not beside them.

use crate::{Error, ModelInput, Result};

include!(concat!(env!("OUT_DIR"), "/models.rs"));

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
        // A `file:` URL is a local file the client puts in place before sending (`local_file`).
        Ok(url) if matches!(url.scheme(), "http" | "https" | "data" | "file") => Ok(()),
        Ok(url) => Err(Error::invalid_input(
            field,
            format!(
                "must be an http(s), data: or file: URL, not {}:",
                url.scheme()
            ),
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
