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
    models::{KNOWN_MODELS, check_input, input_schema_for},
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

/// Every input, validated against the model's typed input before anything is sent.
fn inputs(args: &Generate) -> Result<(&'static str, Vec<Input>, Vec<PathBuf>), Failure> {
    let model = known_model(&args.model)?;
    let schema = input_schema_for(model).unwrap_or_default();
    let has = |field: &str| schema.pointer(&format!("/properties/{field}")).is_some();
    let mut uploads = Vec::new();
    let mut base = Map::new();
    base.insert("prompt".into(), Value::String(args.prompt.clone()));
    let mut set = |flag: &str, field: &str, value: Value| {
        if has(field) {
            base.insert(field.into(), value);
            Ok(())
        } else {
            Err(Failure::usage(format!("{model} has no option {flag}")))
        }
    };
    let text = |value: &Option<String>| value.clone().map(Value::String);
    for (flag, field, value) in [
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
    ] {
        if let Some(value) = value {
            set(flag, field, value)?;
        }
    }
    if let Some(value) = &args.image {
        set(
            "--image",
            "image",
            file_or_url("--image", value, &mut uploads)?.into(),
        )?;
    }
    if let Some(value) = &args.mask {
        set(
            "--mask",
            "mask",
            file_or_url("--mask", value, &mut uploads)?.into(),
        )?;
    }
    if !args.style_reference_images.is_empty() {
        let urls = args
            .style_reference_images
            .iter()
            .map(|v| file_or_url("--style-reference-image", v, &mut uploads).map(Value::String))
            .collect::<Result<Vec<_>, _>>()?;
        set(
            "--style-reference-image",
            "style_reference_images",
            urls.into(),
        )?;
    }
    if let Some(seed) = args.seed {
        set("--seed", "seed", seed.into())?;
        let last = seed + i64::from(args.count) - 1;
        if last > 2_147_483_647 {
            return Err(Failure::usage(format!(
                "--seed {seed} with --count {} would go past the largest seed, 2147483647",
                args.count
            )));
        }
    }
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

/// Where a file input's value stands in for a local file still to be uploaded (validated as a URL, replaced
/// by the upload's URL before anything is created).
const PENDING_UPLOAD: &str = "https://upload.pending.invalid/";

/// A URL as it is; a local file inline as a data URL (at most 256 kB), or a placeholder for its upload.
fn file_or_url(flag: &str, value: &str, uploads: &mut Vec<PathBuf>) -> Result<String, Failure> {
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
        uploads.push(path.to_path_buf());
        return Ok(format!("{PENDING_UPLOAD}{}", uploads.len() - 1));
    }
    data_url_of(path).map_err(|e| Failure::usage(format!("{flag} {value}: {e}")))
}

/// Uploads the files `inputs` wait for (once each) and puts their URLs in place of the placeholders.
async fn upload_files(
    client: &Client,
    uploads: &[PathBuf],
    inputs: &mut [Input],
) -> Result<(), Failure> {
    let mut urls = Vec::with_capacity(uploads.len());
    for path in uploads {
        let uploaded = client.upload(path).await.map_err(|error| Failure {
            code: exit_code(&error),
            message: format!("upload of {}: {error}", path.display()),
        })?;
        urls.push(uploaded.url);
    }
    let replace = |value: &mut Value| {
        if let Some(index) = value
            .as_str()
            .and_then(|v| v.strip_prefix(PENDING_UPLOAD))
            .and_then(|i| i.parse::<usize>().ok())
        {
            *value = Value::String(urls[index].clone());
        }
    };
    for input in inputs {
        for value in input.values_mut() {
            match value {
                Value::Array(items) => items.iter_mut().for_each(&replace),
                other => replace(other),
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
        Ok((prediction, file)) => {
            let seconds = prediction.predict_time().map(|t| t.as_secs_f64());
            if args.json {
                print_json(Some(&prediction), Some(&file), None);
            } else if !std::io::stdout().is_terminal() {
                // For scripts; on a terminal the line on stderr already says it.
                println!("{}", file.display());
            }
            let timing = seconds.map(|s| format!(", {s:.1}s")).unwrap_or_default();
            progress.line(format!(
                "saved {} (prediction {}{timing})",
                file.display(),
                prediction.id
            ));
            0
        }
        Err(error) => {
            if args.json {
                print_json(error.prediction(), None, Some(&error));
            }
            progress.line(format!("error: {error}"));
            exit_code(&error)
        }
    }
}

async fn save(
    client: &Client,
    args: &Generate,
    index: usize,
    total: usize,
    prediction: &Prediction,
) -> Result<PathBuf, Error> {
    let url: String = prediction.output_as()?;
    // The server names the prediction; a name that is not a plain id never becomes a path.
    let plain = prediction
        .id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    let name = if plain && !prediction.id.is_empty() && prediction.id.len() <= 64 {
        format!("{}.png", prediction.id)
    } else {
        format!("image-{}.png", index + 1)
    };
    let file = match (&args.out, &args.out_dir) {
        (Some(out), _) if total == 1 => out.clone(),
        (Some(out), _) => numbered(out, index + 1),
        (None, Some(dir)) => dir.join(name),
        (None, None) => PathBuf::from(name),
    };
    client
        .download(&url)
        .timeout(args.timeout)
        .to_file(&file)
        .await?;
    Ok(file)
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

fn print_json(prediction: Option<&Prediction>, file: Option<&Path>, error: Option<&Error>) {
    let error_text = error
        .map(|e| e.to_string())
        .or_else(|| prediction.and_then(Prediction::error_message));
    let line = json!({
        "id": prediction.map(|p| p.id.as_str()).or_else(|| error.and_then(Error::prediction_id)),
        "status": prediction.map(|p| p.status.as_str()),
        "output": prediction.and_then(|p| p.output.clone()),
        "file": file.map(|f| f.display().to_string()),
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
