//! Files: uploads on the API host, and outputs on the delivery host (and through the API host, redirected).

// Handlers return an early answer as `Err(Response)`, the axum idiom; its size does not matter here.
#![allow(clippy::result_large_err)]

use std::{collections::HashMap, sync::Arc};

use axum::{
    body::Body,
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use chrono::Utc;
use serde_json::{Value, json};
use tokio::time::Instant;

use super::{
    ServerState,
    api::{Reply, authorize, decode_cursor, encode_cursor, invalid, json_reply, missing, problem},
    image,
    state::Stored,
};

/// `POST /files`: a multipart upload (`content`, optional `filename` and `type`), answered as Replicate does.
pub(crate) async fn upload(
    State(shared): State<Arc<ServerState>>,
    headers: HeaderMap,
    mut form: axum::extract::Multipart,
) -> Reply {
    authorize(&shared, &headers)?;
    let (mut content, mut filename, mut media) = (None, None, None);
    while let Some(field) = form.next_field().await.map_err(|e| {
        problem(
            StatusCode::BAD_REQUEST,
            "Invalid multipart body",
            &e.to_string(),
        )
    })? {
        let name = field.name().unwrap_or_default().to_string();
        let file_name = field.file_name().map(str::to_string);
        let field_type = field.content_type().map(str::to_string);
        let bytes = field.bytes().await.map_err(|e| {
            problem(
                StatusCode::BAD_REQUEST,
                "Invalid multipart body",
                &e.to_string(),
            )
        })?;
        match name.as_str() {
            "content" => {
                filename = filename.or(file_name);
                media = media.or(field_type);
                content = Some(bytes);
            }
            "filename" => filename = Some(String::from_utf8_lossy(&bytes).into_owned()),
            "type" => media = Some(String::from_utf8_lossy(&bytes).into_owned()),
            _ => {}
        }
    }
    let Some(content) = content else {
        return Err(invalid("content", "is required"));
    };
    let sha256 = sha256_hex(&content);
    let upload = super::UploadRecord {
        id: shared.new_id(),
        filename: filename.unwrap_or_else(|| "file".into()),
        content_type: media.unwrap_or_else(|| "application/octet-stream".into()),
        size: content.len(),
        sha256,
        created_at: Utc::now(),
        deleted: false,
    };
    let body = file_json(&shared, &upload);
    shared.record(|r| r.uploads.push(upload));
    Ok(json_reply(StatusCode::CREATED, &body))
}

/// SHA-256 in lowercase hex (uploads' checksums, published versions' ids).
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// An uploaded file's answer (`GET /files/{id}` and `POST /files`): it expires a day after its upload, as
/// Replicate's uploads do.
fn file_json(shared: &ServerState, upload: &super::UploadRecord) -> Value {
    let created = upload.created_at;
    let stamp = |at: chrono::DateTime<Utc>| at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    json!({
        "id": upload.id,
        "name": upload.filename,
        "urls": {"get": format!("{}/files/{}", shared.urls().api, upload.id)},
        "content_type": upload.content_type,
        "size": upload.size,
        "checksums": {"sha256": upload.sha256},
        "metadata": {},
        "created_at": stamp(created),
        "expires_at": stamp(created + chrono::TimeDelta::days(1)),
    })
}

/// `GET /files/{name}`: an uploaded file's description, or an output file through the API host (a redirect to
/// the delivery host, as file downloads can be).
pub(crate) async fn file_or_output(
    State(shared): State<Arc<ServerState>>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Reply {
    authorize(&shared, &headers)?;
    // The one upload, not a copy of the whole record.
    let uploaded = shared.record(|r| {
        r.uploads
            .iter()
            .find(|u| u.id == name && !u.deleted)
            .cloned()
    });
    if let Some(upload) = uploaded {
        return Ok(json_reply(StatusCode::OK, &file_json(&shared, &upload)));
    }
    let location = format!("{}/files/{name}", shared.delivery_base);
    Ok((StatusCode::FOUND, [(header::LOCATION, location)]).into_response())
}

/// `GET /files`: the uploads not deleted, newest first, a page at a time (the configured page size).
pub(crate) async fn list_files(
    State(shared): State<Arc<ServerState>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Reply {
    authorize(&shared, &headers)?;
    let offset = match query.get("cursor") {
        Some(cursor) => decode_cursor(cursor)
            .ok_or_else(|| problem(StatusCode::BAD_REQUEST, "Invalid cursor", cursor))?,
        None => 0,
    };
    let size = shared.config.page_size.max(1);
    let mut uploads: Vec<super::UploadRecord> =
        shared.record(|r| r.uploads.iter().filter(|u| !u.deleted).cloned().collect());
    uploads.reverse();
    let results: Vec<Value> = uploads
        .iter()
        .skip(offset)
        .take(size)
        .map(|u| file_json(&shared, u))
        .collect();
    let api = shared.urls().api;
    let page_url = |offset: usize| format!("{api}/files?cursor={}", encode_cursor(offset));
    let body = json!({
        "next": (offset + size < uploads.len()).then(|| page_url(offset + size)),
        "previous": (offset > 0).then(|| page_url(offset.saturating_sub(size))),
        "results": results,
    });
    Ok(json_reply(StatusCode::OK, &body))
}

/// `DELETE /files/{id}`: 204, then the file is neither listed nor served; 404 for one not there.
pub(crate) async fn delete_file(
    State(shared): State<Arc<ServerState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Reply {
    authorize(&shared, &headers)?;
    let deleted = shared.record(|r| {
        r.uploads
            .iter_mut()
            .find(|u| u.id == id && !u.deleted)
            .map(|u| u.deleted = true)
            .is_some()
    });
    if deleted {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(missing())
    }
}

pub(crate) async fn file(
    State(shared): State<Arc<ServerState>>,
    Path(name): Path<String>,
) -> Response {
    let (id, json) = match name.strip_suffix(".json") {
        Some(id) => (id, true),
        None => (name.strip_suffix(".png").unwrap_or(&name), false),
    };
    match shared.store.get(id) {
        Some(stored) if served(&stored) && json => {
            let layers = json!({"prediction": stored.id, "layers": [{"kind": "background"}]});
            (
                [(header::CONTENT_TYPE, "application/json")],
                Body::from(layers.to_string()),
            )
                .into_response()
        }
        Some(stored) if served(&stored) => {
            let png = image::png_for(&stored.id, &stored.input);
            ([(header::CONTENT_TYPE, "image/png")], Body::from(png)).into_response()
        }
        _ => missing(),
    }
}

/// Whether a prediction's files are on the delivery host now: it succeeded and its output was not removed.
fn served(stored: &Stored) -> bool {
    let now = Instant::now();
    let phase = stored.phase(now);
    phase.status == "succeeded" && !stored.output_removed(&phase, now)
}

/// `bytes` bytes of filler, sent in 1 MiB chunks of one shared buffer (so serving 100 MB costs 1 MiB).
pub(crate) async fn blob(Path(bytes): Path<u64>) -> Response {
    const CHUNK: usize = 1 << 20;
    let chunk = bytes::Bytes::from((0..CHUNK).map(|i| (i % 251) as u8).collect::<Vec<u8>>());
    let chunks = (0..bytes.div_ceil(CHUNK as u64)).map(move |i| {
        let left = bytes - i * CHUNK as u64;
        Ok::<_, std::convert::Infallible>(chunk.slice(..(left.min(CHUNK as u64) as usize)))
    });
    (
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_string()),
            (header::CONTENT_LENGTH, bytes.to_string()),
        ],
        Body::from_stream(futures_util::stream::iter(chunks)),
    )
        .into_response()
}
