//! The versions of each model the simulator knows, newest first, each with its own schema: the latest is the
//! spec's (or the configured replacement), older ones are published schemas kept as they were. A create that
//! names a version is checked against that version's schema, and one that names no version the model has is
//! refused as Replicate refuses it.

use std::{
    collections::BTreeMap,
    sync::{Arc, OnceLock},
};

use axum::{
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode},
};
use serde_json::{Value, json};

use super::{
    ServerState, SimulatorConfig,
    api::{Reply, authorize, json_reply, not_found},
    files::sha256_hex,
};
use replicate_ideogram::models::KNOWN_MODELS;

/// One version of a model.
#[derive(Clone, Debug)]
pub(crate) struct Version {
    pub(crate) id: String,
    pub(crate) created_at: &'static str,
    /// Cog's OpenAPI document of the version (shared: a create reads it, and it is large).
    pub(crate) document: Arc<Value>,
}

/// Versions older than the spec's, as they were published: (model, id, published at, Cog's document).
const OLDER: &[(&str, &str, &str, &str)] = &[(
    "ideogram-ai/ideogram-v2-turbo",
    "fbb188a06a69327a5daa9d82162b31528823d918705aefeeebd17856f856cfac",
    "2024-10-22T09:30:05.000Z",
    include_str!("../schemas/ideogram-v2-turbo-fbb188a0.json"),
)];

/// When the simulator says the spec's version of a model was published (newer than every older one).
const SPEC_VERSION_PUBLISHED: &str = "2026-01-01T00:00:00.000Z";
/// When the simulator says a configured newer version was published.
const CONFIGURED_PUBLISHED: &str = "2026-06-01T00:00:00.000Z";

/// The versions of `model`, newest first; `None` for a model the simulator does not know.
///
/// The spec's schema is published under the id it records (`x-replicate-version`), or, where none is
/// published, under one made from the schema, as a new version's would be. A configured schema
/// ([`SimulatorConfig::published_schema`]) or id ([`SimulatorConfig::latest_version`]) makes a newer latest
/// version, and the spec's becomes the one before it.
pub(crate) fn versions_of(config: &SimulatorConfig, model: &str) -> Option<Vec<Version>> {
    let known = known(model);
    let configured_schema = config.published_schemas.get(model);
    let configured_id = config.latest_versions.get(model);
    let mut versions = Vec::new();
    let spec_document = known.spec.as_ref().map(|s| &*s.document);
    if let Some(document) = configured_schema.or(configured_id.and(spec_document)) {
        let id = configured_id.cloned().unwrap_or_else(|| id_of(document));
        if known.spec.as_ref().is_none_or(|spec| spec.id != id) {
            versions.push(Version {
                id,
                created_at: CONFIGURED_PUBLISHED,
                document: Arc::new(document.clone()),
            });
        }
    }
    versions.extend(known.spec.iter().cloned());
    if versions.is_empty() {
        return None;
    }
    versions.extend(known.older.iter().cloned());
    Some(versions)
}

/// The versions this build knows of a model, from the spec and [`OLDER`].
#[derive(Default)]
struct Known {
    spec: Option<Version>,
    older: Vec<Version>,
}

/// What this build knows of `model`'s versions, parsed (and the unrecorded ids hashed) once, not at every
/// create.
fn known(model: &str) -> &'static Known {
    static KNOWN: OnceLock<BTreeMap<&'static str, Known>> = OnceLock::new();
    static NONE: Known = Known {
        spec: None,
        older: Vec::new(),
    };
    KNOWN
        .get_or_init(|| {
            KNOWN_MODELS
                .iter()
                .map(|model| (*model, known_of(model)))
                .collect()
        })
        .get(model)
        .unwrap_or(&NONE)
}

fn known_of(model: &str) -> Known {
    let spec = crate::published::published_schema(model)
        .and_then(|text| serde_json::from_str::<Value>(text).ok())
        .map(|document| Version {
            id: crate::published::published_version(model)
                .map_or_else(|| id_of(&document), str::to_string),
            created_at: SPEC_VERSION_PUBLISHED,
            document: Arc::new(document),
        });
    let older = OLDER
        .iter()
        .filter(|(of, ..)| *of == model)
        .filter_map(|(_, id, created_at, text)| {
            Some(Version {
                id: (*id).to_string(),
                created_at,
                document: Arc::new(serde_json::from_str(text).ok()?),
            })
        })
        .collect();
    Known { spec, older }
}

/// The model and version a `version` field of `POST /predictions` names: `owner/name:id`, a bare id of any
/// model's version, or `owner/name` (the latest). `None` if no known model has it.
pub(crate) fn resolve(config: &SimulatorConfig, named: &str) -> Option<(&'static str, Version)> {
    let (model, id) = match named.split_once(':') {
        Some((model, id)) => (Some(model), Some(id)),
        None if named.contains('/') => (Some(named), None),
        None => (None, Some(named)),
    };
    KNOWN_MODELS
        .iter()
        .copied()
        .filter(|known| model.is_none_or(|m| m == *known))
        .find_map(|known| {
            let versions = versions_of(config, known)?;
            let version = match id {
                Some(id) => versions.into_iter().find(|v| v.id == id)?,
                None => versions.into_iter().next()?,
            };
            Some((known, version))
        })
}

/// The id a schema's version gets where none is recorded: made from the schema, as a new version's would be.
fn id_of(document: &Value) -> String {
    sha256_hex(document.to_string().as_bytes())
}

/// A version as the API shows it.
pub(crate) fn version_json(version: &Version) -> Value {
    json!({
        "id": version.id,
        "created_at": version.created_at,
        "cog_version": "0.10.0",
        "openapi_schema": version.document.as_ref(),
    })
}

/// `GET /models/{owner}/{name}/versions`: every version, newest first, on one page (a model has few).
pub(crate) async fn list_versions(
    State(shared): State<Arc<ServerState>>,
    Path((owner, name)): Path<(String, String)>,
    Query(_): Query<std::collections::HashMap<String, String>>,
    headers: HeaderMap,
) -> Reply {
    authorize(&shared, &headers)?;
    let Some(versions) = versions_of(&shared.config, &format!("{owner}/{name}")) else {
        return Err(not_found().await);
    };
    let results: Vec<Value> = versions.iter().map(version_json).collect();
    Ok(json_reply(
        StatusCode::OK,
        &json!({"next": null, "previous": null, "results": results}),
    ))
}

/// `GET /models/{owner}/{name}/versions/{id}`.
pub(crate) async fn get_version(
    State(shared): State<Arc<ServerState>>,
    Path((owner, name, id)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Reply {
    authorize(&shared, &headers)?;
    let version = versions_of(&shared.config, &format!("{owner}/{name}"))
        .and_then(|versions| versions.into_iter().find(|v| v.id == id));
    match version {
        Some(version) => Ok(json_reply(StatusCode::OK, &version_json(&version))),
        None => Err(not_found().await),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const V2_TURBO: &str = "ideogram-ai/ideogram-v2-turbo";
    const OLD: &str = "fbb188a06a69327a5daa9d82162b31528823d918705aefeeebd17856f856cfac";

    #[test]
    fn the_2024_v2_turbo_version_is_older_and_has_its_own_schema() {
        let config = SimulatorConfig::default();
        let versions = versions_of(&config, V2_TURBO).unwrap();
        assert_eq!(versions.len(), 2);
        assert_eq!(versions[1].id, OLD);
        let resolutions = |v: &Version| {
            v.document
                .pointer("/components/schemas/resolution/enum")
                .and_then(Value::as_array)
                .map(Vec::len)
        };
        assert_eq!(resolutions(&versions[1]), Some(79));
        assert_ne!(resolutions(&versions[0]), Some(79));
    }

    #[test]
    fn versions_are_found_by_model_and_id_or_by_id_alone() {
        let config = SimulatorConfig::default();
        let (model, version) = resolve(&config, OLD).unwrap();
        assert_eq!((model, version.id.as_str()), (V2_TURBO, OLD));
        assert!(resolve(&config, &format!("{V2_TURBO}:{OLD}")).is_some());
        assert!(resolve(&config, &format!("{V2_TURBO}:0000deadbeef")).is_none());
        assert!(resolve(&config, "ideogram-ai/ideogram-v2a:".to_string().as_str()).is_none());
        assert!(resolve(&config, &format!("ideogram-ai/ideogram-v2a:{OLD}")).is_none());
        assert!(resolve(&config, "0000deadbeef").is_none());
        assert_eq!(resolve(&config, V2_TURBO).unwrap().0, V2_TURBO);
    }

    #[test]
    fn a_configured_latest_version_moves_the_spec_s_one_down() {
        let config = SimulatorConfig::default().latest_version(V2_TURBO, "abc123");
        let versions = versions_of(&config, V2_TURBO).unwrap();
        let ids: Vec<&str> = versions.iter().map(|v| v.id.as_str()).collect();
        assert_eq!(ids.len(), 3);
        assert_eq!(ids[0], "abc123");
        assert_eq!(ids[2], OLD);
        assert_eq!(versions[0].document, versions[1].document);
    }
}
