//! A model's published description and latest version (`GET /models/{owner}/{name}`): where a model's input
//! and output schemas can be read, e.g. to bring `openapi.yaml` up to date (`ideogram spec sync`).

use chrono::{DateTime, Utc};
use futures_util::Stream;
use serde_json::{Map, Value};

use crate::{
    Client, Error, Operation, Result, Target,
    input::check_version_id,
    pages::{self, Page},
    retry::read_again_if_broken,
    transport::generated::types,
};

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
    /// The version of Cog it was built with.
    pub cog_version: Option<String>,
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
            cog_version: None,
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
            latest_version: model.latest_version.map(ModelVersion::from),
        }
    }
}

impl From<types::ModelVersion> for ModelVersion {
    fn from(version: types::ModelVersion) -> Self {
        Self {
            id: version.id,
            created_at: version.created_at,
            cog_version: version.cog_version,
            openapi_schema: version.openapi_schema,
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

    /// A model's versions, newest first, every page: what [`ModelInput::at_version`](crate::ModelInput::at_version)
    /// can name, and how to see that the latest version moved (a typed input's `VERSION` is the latest when
    /// this crate was released).
    ///
    /// ```no_run
    /// # async fn demo(client: replicate_ideogram::Client) -> replicate_ideogram::Result<()> {
    /// use futures_util::TryStreamExt;
    /// use replicate_ideogram::models::IdeogramV3TurboInput;
    /// let versions: Vec<_> = client.model_versions(IdeogramV3TurboInput::MODEL).try_collect().await?;
    /// if versions.first().map(|v| v.id.as_str()) != Some(IdeogramV3TurboInput::VERSION) {
    ///     eprintln!("ideogram-v3-turbo has a newer version than this crate knows");
    /// }
    /// # Ok(()) }
    /// ```
    pub fn model_versions<'c>(
        &'c self,
        owner_and_name: &str,
    ) -> impl Stream<Item = Result<ModelVersion>> + Send + 'c {
        let model = owner_and_name.to_string();
        pages::walk(Operation::ListVersions, move |cursor| {
            let model = model.clone();
            async move {
                let (owner, name) = Target::owner_and_name(&model)?;
                let page = read_again_if_broken(
                    self.shared.transport.retry(),
                    Operation::ListVersions,
                    || async {
                        match self
                            .shared
                            .api
                            .models_versions_list(owner, name, cursor.as_deref())
                            .await
                        {
                            Ok(page) => Ok(page.into_inner()),
                            Err(error) => {
                                Err(Error::from_generated(error, Operation::ListVersions, None)
                                    .await)
                            }
                        }
                    },
                )
                .await?;
                Ok(Page {
                    results: page.results.into_iter().map(ModelVersion::from).collect(),
                    next: page.next,
                })
            }
        })
    }

    /// One version of a model, with its schema; [`Error::UnknownVersion`] if the server has no such version
    /// of this model.
    ///
    /// ```no_run
    /// # async fn demo(client: replicate_ideogram::Client) -> replicate_ideogram::Result<()> {
    /// use replicate_ideogram::models::IdeogramV2aInput;
    /// let pinned = client.model_version(IdeogramV2aInput::MODEL, IdeogramV2aInput::VERSION).await?;
    /// println!("published {:?}", pinned.created_at);
    /// # Ok(()) }
    /// ```
    pub async fn model_version(&self, owner_and_name: &str, id: &str) -> Result<ModelVersion> {
        let (owner, name) = Target::owner_and_name(owner_and_name)?;
        check_version_id(id)?;
        read_again_if_broken(
            self.shared.transport.retry(),
            Operation::GetVersion,
            || async {
                match self.shared.api.models_versions_get(owner, name, id).await {
                    Ok(version) => Ok(version.into_inner().into()),
                    Err(error) => Err(Error::from_generated(error, Operation::GetVersion, None)
                        .await
                        .about_version(&format!("{owner_and_name}:{id}"))),
                }
            },
        )
        .await
    }
}
