//! A model's published description and latest version (`GET /models/{owner}/{name}`): where a model's input
//! and output schemas can be read, e.g. to bring `openapi.yaml` up to date (`ideogram spec sync`).

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::{Client, Error, Operation, Result, Target, generated::types};

/// A model, as the API describes it.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ModelInfo {
    /// The owner (user or organization).
    pub owner: String,
    /// The model's name.
    pub name: String,
    /// What the model does.
    pub description: Option<String>,
    /// Its latest version, if it has one.
    pub latest_version: Option<ModelVersion>,
}

/// A version of a model.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ModelVersion {
    /// The version's id.
    pub id: String,
    /// When it was published.
    pub created_at: Option<DateTime<Utc>>,
    /// The model's own OpenAPI document (Cog's): `components.schemas.Input`, `Output` and their enums.
    pub openapi_schema: Option<Map<String, Value>>,
}

impl ModelVersion {
    /// A version with its id and schema (Cog's OpenAPI document), e.g. read from a file to check a spec
    /// against it.
    pub fn new(id: impl Into<String>, openapi_schema: Map<String, Value>) -> Self {
        Self {
            id: id.into(),
            created_at: None,
            openapi_schema: Some(openapi_schema),
        }
    }
}

impl From<types::Model> for ModelInfo {
    fn from(model: types::Model) -> Self {
        Self {
            owner: model.owner,
            name: model.name,
            description: model.description,
            latest_version: model.latest_version.map(|v| ModelVersion {
                id: v.id,
                created_at: v.created_at,
                openapi_schema: v.openapi_schema,
            }),
        }
    }
}

impl Client {
    /// A model's description and latest version, by `owner/name`.
    ///
    /// ```no_run
    /// # async fn demo(client: replicate_ideogram::Client) -> replicate_ideogram::Result<()> {
    /// let model = client.model("ideogram-ai/ideogram-v3-turbo").await?;
    /// if let Some(version) = &model.latest_version {
    ///     println!("{} is at version {}", model.name, version.id);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn model(&self, owner_and_name: &str) -> Result<ModelInfo> {
        let (owner, name) = Target::owner_and_name(owner_and_name)?;
        match self.shared.api.models_get(owner, name).await {
            Ok(model) => Ok(model.into_inner().into()),
            Err(error) => Err(Error::from_generated(error, Operation::GetModel, None).await),
        }
    }
}
