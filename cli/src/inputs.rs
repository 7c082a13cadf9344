//! The inputs the command line describes: options checked against the model's schema, local files inline
//! or waiting for their upload, a JSON prompt read from a file.

use std::path::{Path, PathBuf};

use replicate_ideogram::{
    Client, UploadedFile,
    models::{KNOWN_MODELS, data_url_of, input_schema_for},
};
use serde_json::{Map, Value};

use crate::{Failure, args::InputOptions, exit_code};

/// `ideogram-ai/<name>` or `<name>` as the known model it names.
pub fn known_model(name: &str) -> Result<&'static str, Failure> {
    let full = if name.contains('/') {
        name.to_string()
    } else {
        format!("ideogram-ai/{name}")
    };
    KNOWN_MODELS
        .iter()
        .copied()
        .find(|m| *m == full)
        .ok_or_else(|| {
            Failure::usage(format!(
                "unknown model {name:?}; known models: {}",
                KNOWN_MODELS.join(", ")
            ))
        })
}

/// One model input, as JSON.
pub type Input = Map<String, Value>;

/// A local file an input waits for: uploaded before anything is created, its URL then put in `field` (at
/// `slot` in a list field) of input `item` (of every input, for `None`).
#[derive(Debug)]
pub struct PendingUpload {
    pub item: Option<usize>,
    pub field: String,
    pub slot: Option<usize>,
    pub path: PathBuf,
}

/// One option on the command line: its flag, the field it sets and the value.
pub type Setting = (String, String, Value);

/// The input the options describe (the first seed, if any), each option checked to be a field of `model`.
pub fn base_input(
    args: &InputOptions,
    prompt: Option<&str>,
    model: &str,
    count: u32,
) -> Result<(Input, Vec<PendingUpload>), Failure> {
    let mut uploads = Vec::new();
    let settings = settings(args, prompt, &mut uploads)?;
    let base = apply(&settings, model)?;
    if let Some(seed) = args.seed {
        let last = seed + i64::from(count) - 1;
        if last > 2_147_483_647 {
            return Err(Failure::usage(format!(
                "--seed {seed} with --count {count} would go past the largest seed, 2147483647"
            )));
        }
    }
    Ok((base, uploads))
}

/// Every field the options set, files included (not yet checked against a model).
pub fn settings(
    args: &InputOptions,
    prompt: Option<&str>,
    uploads: &mut Vec<PendingUpload>,
) -> Result<Vec<Setting>, Failure> {
    let mut settings = value_settings(args, prompt)?;
    settings.extend(file_settings(args, uploads)?);
    Ok(settings)
}

/// The input `settings` make for `model`; an option the model lacks is an error naming it.
pub fn apply(settings: &[Setting], model: &str) -> Result<Input, Failure> {
    let schema = input_schema_for(model).unwrap_or_default();
    let mut input = Map::new();
    for (flag, field, value) in settings {
        if schema.pointer(&format!("/properties/{field}")).is_none() {
            return Err(Failure::usage(format!("{model} has no option {flag}")));
        }
        input.insert(field.clone(), value.clone());
    }
    Ok(input)
}

/// The options that carry a value as it is (files aside).
fn value_settings(args: &InputOptions, prompt: Option<&str>) -> Result<Vec<Setting>, Failure> {
    let text = |value: &Option<String>| value.clone().map(Value::String);
    let mut settings: Vec<Setting> = [
        ("a prompt", "prompt", prompt.map(Value::from)),
        ("--aspect-ratio", "aspect_ratio", text(&args.aspect_ratio)),
        ("--resolution", "resolution", text(&args.resolution)),
        ("--style-type", "style_type", text(&args.style_type)),
        ("--style-preset", "style_preset", text(&args.style_preset)),
        (
            "--magic-prompt",
            "magic_prompt_option",
            text(&args.magic_prompt),
        ),
        (
            "--negative-prompt",
            "negative_prompt",
            text(&args.negative_prompt),
        ),
        (
            "--rendering-speed",
            "rendering_speed",
            text(&args.rendering_speed),
        ),
        ("--seed", "seed", args.seed.map(Value::from)),
        (
            "--enable-copyright-detection",
            "enable_copyright_detection",
            args.enable_copyright_detection.then_some(Value::Bool(true)),
        ),
    ]
    .into_iter()
    .filter_map(|(flag, field, value)| Some((flag.to_string(), field.to_string(), value?)))
    .collect();
    if let Some(path) = &args.json_prompt {
        let text = json_prompt(path)?;
        settings.push(("--json-prompt".into(), "json_prompt".into(), text.into()));
    }
    for (field, value) in &args.fields {
        settings.push((format!("--set {field}"), field.clone(), value.clone()));
    }
    Ok(settings)
}

/// The options that name a file: URLs as they are, local files inline or waiting for their upload.
fn file_settings(
    args: &InputOptions,
    uploads: &mut Vec<PendingUpload>,
) -> Result<Vec<Setting>, Failure> {
    let mut settings = Vec::new();
    for (flag, field, value) in [
        ("--image", "image", &args.image),
        ("--mask", "mask", &args.mask),
        (
            "--character-reference-image",
            "character_reference_image",
            &args.character_reference_image,
        ),
        (
            "--flat-graphic-image",
            "flat_graphic_image",
            &args.flat_graphic_image,
        ),
    ] {
        if let Some(value) = value {
            let url = file_or_url(flag, value, (None, field, None), uploads)?;
            settings.push((flag.to_string(), field.to_string(), url.into()));
        }
    }
    if !args.style_reference_images.is_empty() {
        let (flag, field) = ("--style-reference-image", "style_reference_images");
        let urls = args
            .style_reference_images
            .iter()
            .enumerate()
            .map(|(i, v)| file_or_url(flag, v, (None, field, Some(i)), uploads).map(Value::String))
            .collect::<Result<Vec<_>, _>>()?;
        settings.push((flag.to_string(), field.to_string(), urls.into()));
    }
    Ok(settings)
}

/// The text of a `--json-prompt` file (`-`: standard input), checked to be a JSON object.
pub fn json_prompt(path: &Path) -> Result<String, Failure> {
    let text = if path == Path::new("-") {
        std::io::read_to_string(std::io::stdin().lock())
    } else {
        std::fs::read_to_string(path)
    }
    .map_err(|e| Failure::usage(format!("--json-prompt {}: {e}", path.display())))?;
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(object)) => Ok(Value::Object(object).to_string()),
        Ok(_) => Err(Failure::usage(format!(
            "--json-prompt {}: must hold a JSON object",
            path.display()
        ))),
        Err(e) => Err(Failure::usage(format!(
            "--json-prompt {}: not JSON: {e}",
            path.display()
        ))),
    }
}

/// Stands in for a file still to be uploaded while the input is validated; never sent (the upload's URL
/// replaces it, found by field and slot, not by its text).
const PENDING_UPLOAD: &str = "https://upload.pending.invalid/";

/// A URL as it is; a local file inline as a data URL (at most 256 kB), or a stand-in for its upload.
pub fn file_or_url(
    flag: &str,
    value: &str,
    (item, field, slot): (Option<usize>, &str, Option<usize>),
    uploads: &mut Vec<PendingUpload>,
) -> Result<String, Failure> {
    if ["http://", "https://", "data:"]
        .iter()
        .any(|p| value.starts_with(p))
    {
        return Ok(value.to_string());
    }
    let path = Path::new(value);
    let size = std::fs::metadata(path)
        .map_err(|e| Failure::usage(format!("{flag} {value}: {e}")))?
        .len();
    if size > UploadedFile::MAX_UPLOAD {
        return Err(Failure::usage(format!(
            "{flag} {value}: {size} bytes is over the {} bytes Replicate accepts",
            UploadedFile::MAX_UPLOAD
        )));
    }
    if size > UploadedFile::MAX_INLINE {
        uploads.push(PendingUpload {
            item,
            field: field.to_string(),
            slot,
            path: path.to_path_buf(),
        });
        return Ok(PENDING_UPLOAD.to_string());
    }
    data_url_of(path).map_err(|e| Failure::usage(format!("{flag} {value}: {e}")))
}

/// Uploads the files the inputs wait for (once each) and puts their URLs where they belong.
pub async fn upload_files(
    client: &Client,
    uploads: &[PendingUpload],
    inputs: &mut [Input],
) -> Result<(), Failure> {
    for pending in uploads {
        let uploaded = client
            .upload(&pending.path)
            .await
            .map_err(|error| Failure {
                code: exit_code(&error),
                message: format!("upload of {}: {error}", pending.path.display()),
            })?;
        let url = Value::String(uploaded.url);
        for (index, input) in inputs.iter_mut().enumerate() {
            if pending.item.is_some_and(|item| item != index) {
                continue;
            }
            let place = match (input.get_mut(&pending.field), pending.slot) {
                (Some(Value::Array(items)), Some(slot)) => items.get_mut(slot),
                (value, None) => value,
                _ => None,
            };
            if let Some(place) = place {
                *place = url.clone();
            }
        }
    }
    Ok(())
}
