//! `ideogram generate`: N predictions, at most C in flight, each created, waited for and saved.

use std::{
    io::IsTerminal,
    path::{Path, PathBuf},
    process::ExitCode,
    sync::atomic::{AtomicUsize, Ordering},
};

use futures_util::{StreamExt, stream};
use replicate_ideogram::{
    Client, Error, JsonInput, MAX_INLINE_FILE, MAX_UPLOAD, Prediction, Target, data_url_of,
    models::{KNOWN_MODELS, check_input, encode_json_strings, input_schema_for},
};
use serde_json::{Map, Value, json};

use crate::{
    Failure,
    args::{Cli, Generate},
    connect, exit_code,
    progress::Progress,
};

pub async fn generate(cli: &Cli, args: &Generate) -> Result<ExitCode, Failure> {
    let (model, mut inputs, uploads) = inputs(args)?;
    let connection = connect(cli, true).await?;
    upload_files(&connection.client, &uploads, &mut inputs).await?;
    let progress = Progress::new();
    let total = inputs.len();
    let (done, running) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let report = |done: usize, running: usize| {
        progress.status(format!("{done}/{total} done · {running} running"));
    };
    report(0, 0);
    let codes: Vec<u8> = stream::iter(inputs.into_iter().enumerate())
        .map(|(index, input)| {
            let (client, progress, done, running) =
                (&connection.client, &progress, &done, &running);
            async move {
                report(
                    done.load(Ordering::Relaxed),
                    running.fetch_add(1, Ordering::Relaxed) + 1,
                );
                let input = JsonInput::new(Target::model(model), Value::Object(input));
                let code = one(client, args, index, total, input, progress).await;
                let now_running = running.fetch_sub(1, Ordering::Relaxed) - 1;
                report(done.fetch_add(1, Ordering::Relaxed) + 1, now_running);
                code
            }
        })
        .buffer_unordered(args.concurrency as usize)
        .collect()
        .await;
    progress.finish();
    let worst = codes.into_iter().max().unwrap_or(0);
    Ok(ExitCode::from(worst))
}

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
type Input = Map<String, Value>;

/// A local file an input waits for: uploaded before anything is created, its URL then put in `field` (at
/// `slot` in a list field).
#[derive(Debug)]
struct PendingUpload {
    field: &'static str,
    slot: Option<usize>,
    path: PathBuf,
}

/// Every input, validated against the model's typed input before anything is sent.
fn inputs(args: &Generate) -> Result<(&'static str, Vec<Input>, Vec<PendingUpload>), Failure> {
    let model = known_model(&args.model)?;
    let (mut base, uploads) = base_input(args, model)?;
    encode_json_strings(model, &mut base);
    if let Some(Err(error)) = check_input(model, &base) {
        return Err(Failure::usage(format!("{model}: {error}")));
    }
    let inputs = (0..args.count)
        .map(|i| {
            let mut input = base.clone();
            if let Some(seed) = args.seed {
                input.insert("seed".into(), (seed + i64::from(i)).into());
            }
            input
        })
        .collect();
    Ok((model, inputs, uploads))
}

/// One option on the command line: its flag, the field it sets and the value.
type Setting = (String, String, Value);

/// The input the options describe (the first seed, if any), each option checked to be a field of `model`.
fn base_input(args: &Generate, model: &str) -> Result<(Input, Vec<PendingUpload>), Failure> {
    let schema = input_schema_for(model).unwrap_or_default();
    let mut uploads = Vec::new();
    let mut settings = value_settings(args)?;
    settings.extend(file_settings(args, &mut uploads)?);
    let mut base = Map::new();
    for (flag, field, value) in settings {
        if schema.pointer(&format!("/properties/{field}")).is_none() {
            return Err(Failure::usage(format!("{model} has no option {flag}")));
        }
        base.insert(field, value);
    }
    if let Some(seed) = args.seed {
        let last = seed + i64::from(args.count) - 1;
        if last > 2_147_483_647 {
            return Err(Failure::usage(format!(
                "--seed {seed} with --count {} would go past the largest seed, 2147483647",
                args.count
            )));
        }
    }
    Ok((base, uploads))
}

/// The options that carry a value as it is (files aside).
fn value_settings(args: &Generate) -> Result<Vec<Setting>, Failure> {
    let text = |value: &Option<String>| value.clone().map(Value::String);
    let mut settings: Vec<Setting> = [
        ("a prompt", "prompt", text(&args.prompt)),
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
    args: &Generate,
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
            let url = file_or_url(flag, value, field, None, uploads)?;
            settings.push((flag.to_string(), field.to_string(), url.into()));
        }
    }
    if !args.style_reference_images.is_empty() {
        let (flag, field) = ("--style-reference-image", "style_reference_images");
        let urls = args
            .style_reference_images
            .iter()
            .enumerate()
            .map(|(i, v)| file_or_url(flag, v, field, Some(i), uploads).map(Value::String))
            .collect::<Result<Vec<_>, _>>()?;
        settings.push((flag.to_string(), field.to_string(), urls.into()));
    }
    Ok(settings)
}

/// The text of a `--json-prompt` file (`-`: standard input), checked to be a JSON object.
fn json_prompt(path: &Path) -> Result<String, Failure> {
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
fn file_or_url(
    flag: &str,
    value: &str,
    field: &'static str,
    slot: Option<usize>,
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
    if size > MAX_UPLOAD {
        return Err(Failure::usage(format!(
            "{flag} {value}: {size} bytes is over the {MAX_UPLOAD} bytes Replicate accepts"
        )));
    }
    if size > MAX_INLINE_FILE {
        uploads.push(PendingUpload {
            field,
            slot,
            path: path.to_path_buf(),
        });
        return Ok(PENDING_UPLOAD.to_string());
    }
    data_url_of(path).map_err(|e| Failure::usage(format!("{flag} {value}: {e}")))
}

/// Uploads the files the inputs wait for (once each) and puts their URLs where they belong.
async fn upload_files(
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
        for input in inputs.iter_mut() {
            let place = match (input.get_mut(pending.field), pending.slot) {
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

/// Runs one prediction and saves its image; returns its exit code.
async fn one(
    client: &Client,
    args: &Generate,
    index: usize,
    total: usize,
    input: JsonInput,
    progress: &Progress,
) -> u8 {
    let result = client.run(input).timeout(args.timeout).prediction().await;
    let saved = match result {
        Ok(prediction) => save(client, args, index, total, &prediction)
            .await
            .map(|file| (prediction, file)),
        Err(error) => Err(error),
    };
    match saved {
        Ok((prediction, files)) => {
            let seconds = prediction.predict_time().map(|t| t.as_secs_f64());
            if args.json {
                print_json(Some(&prediction), &files, None);
            } else if !std::io::stdout().is_terminal() {
                // For scripts; on a terminal the line on stderr already says it.
                for file in &files {
                    println!("{}", file.display());
                }
            }
            let timing = seconds.map(|s| format!(", {s:.1}s")).unwrap_or_default();
            let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
            progress.line(format!(
                "saved {} (prediction {}{timing})",
                names.join(", "),
                prediction.id
            ));
            0
        }
        Err(error) => {
            if args.json {
                print_json(error.prediction(), &[], Some(&error));
            }
            progress.line(format!("error: {error}"));
            exit_code(&error)
        }
    }
}

/// Saves every file of the prediction's output (one URL, or a list of them) and returns where.
async fn save(
    client: &Client,
    args: &Generate,
    index: usize,
    total: usize,
    prediction: &Prediction,
) -> Result<Vec<PathBuf>, Error> {
    let urls: Vec<String> = match prediction.output_as::<String>() {
        Ok(url) => vec![url],
        Err(_) => prediction.output_as()?,
    };
    // The server names the prediction; a name that is not a plain id never becomes a path.
    let plain = prediction
        .id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    let stem = if plain && !prediction.id.is_empty() && prediction.id.len() <= 64 {
        prediction.id.clone()
    } else {
        format!("image-{}", index + 1)
    };
    let mut files = Vec::with_capacity(urls.len());
    for (part, url) in urls.iter().enumerate() {
        let extension = extension_of(url);
        let file = match (&args.out, &args.out_dir) {
            (Some(out), _) if total == 1 && urls.len() == 1 => out.clone(),
            (Some(out), _) if urls.len() == 1 => numbered(out, index + 1),
            (Some(out), _) => {
                numbered(out, index * urls.len() + part + 1).with_extension(extension)
            }
            (None, dir) if urls.len() == 1 => join(dir, format!("{stem}.{extension}")),
            (None, dir) => join(dir, format!("{stem}-{}.{extension}", part + 1)),
        };
        client
            .download(url)
            .timeout(args.timeout)
            .to_file(&file)
            .await?;
        files.push(file);
    }
    Ok(files)
}

fn join(dir: &Option<PathBuf>, name: String) -> PathBuf {
    match dir {
        Some(dir) => dir.join(name),
        None => PathBuf::from(name),
    }
}

/// The extension an output URL's path ends in (`png` when it has none a file should carry).
fn extension_of(url: &str) -> String {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let last = path.rsplit('/').next().unwrap_or(path);
    match last.rsplit_once('.') {
        Some((_, ext))
            if (1..=5).contains(&ext.len()) && ext.bytes().all(|b| b.is_ascii_alphanumeric()) =>
        {
            ext.to_ascii_lowercase()
        }
        _ => "png".to_string(),
    }
}

/// `shoe.png` → `shoe-3.png`.
fn numbered(path: &Path, n: usize) -> PathBuf {
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("image");
    let name = match path.extension().and_then(|e| e.to_str()) {
        Some(extension) => format!("{stem}-{n}.{extension}"),
        None => format!("{stem}-{n}"),
    };
    path.with_file_name(name)
}

fn print_json(prediction: Option<&Prediction>, files: &[PathBuf], error: Option<&Error>) {
    let error_text = error
        .map(|e| e.to_string())
        .or_else(|| prediction.and_then(Prediction::error_message));
    let line = json!({
        "id": prediction.map(|p| p.id.as_str()).or_else(|| error.and_then(Error::prediction_id)),
        "status": prediction.map(|p| p.status.as_str()),
        "output": prediction.and_then(|p| p.output.clone()),
        "file": files.first().map(|f| f.display().to_string()),
        "files": files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>(),
        "error": error_text,
        "predict_time": prediction.and_then(Prediction::predict_time).map(|t| t.as_secs_f64()),
    });
    println!("{line}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_files_keep_their_extension() {
        assert_eq!(
            numbered(Path::new("out/shoe.png"), 3),
            Path::new("out/shoe-3.png")
        );
        assert_eq!(numbered(Path::new("shoe"), 1), Path::new("shoe-1"));
    }
}
