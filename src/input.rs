//! What a prediction is made from: [`ModelInput`] (what every input implements) and [`Target`] (where it
//! runs). The typed inputs that implement it are generated into [`models`](crate::models), above this;
//! [`JsonInput`](crate::JsonInput) (any model, as JSON) stands above them, as it checks by their rules.

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

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Model(model) => write!(f, "model {model}"),
            Self::Version(version) => write!(f, "version {version}"),
            Self::Deployment(deployment) => write!(f, "deployment {deployment}"),
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
