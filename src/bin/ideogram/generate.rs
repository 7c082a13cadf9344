//! `ideogram generate`: N predictions, at most C in flight, each created, waited for and saved.

use std::{
    io::IsTerminal,
    path::{Path, PathBuf},
    process::ExitCode,
    sync::atomic::{AtomicUsize, Ordering},
};

use base64::Engine;
use futures_util::{StreamExt, stream};
use replicate_ideogram::{
    Client, Error, JsonInput, Prediction, Target,
    models::{KNOWN_MODELS, check_input, input_schema_for},
};
use serde_json::{Map, Value, json};

use crate::{
    Failure,
    args::{Cli, Generate},
    connect, exit_code,
    progress::Progress,
};

/// Local files larger than this cannot be sent inline as data URLs.
const MAX_INLINE_FILE: u64 = 10_000_000;

pub async fn generate(cli: &Cli, args: &Generate) -> Result<ExitCode, Failure> {
    let (model, inputs) = inputs(args)?;
    let connection = connect(cli, true).await?;
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
fn inputs(args: &Generate) -> Result<(&'static str, Vec<Input>), Failure> {
    let model = known_model(&args.model)?;
    let schema = input_schema_for(model).unwrap_or_default();
    let has = |field: &str| schema.pointer(&format!("/properties/{field}")).is_some();
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
        set("--image", "image", file_or_url("--image", value)?.into())?;
    }
    if let Some(value) = &args.mask {
        set("--mask", "mask", file_or_url("--mask", value)?.into())?;
    }
    if !args.style_reference_images.is_empty() {
        let urls = args
            .style_reference_images
            .iter()
            .map(|v| file_or_url("--style-reference-image", v).map(Value::String))
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
    Ok((model, inputs))
}

/// A URL as it is, or a local file as a data URL.
fn file_or_url(flag: &str, value: &str) -> Result<String, Failure> {
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
    if size > MAX_INLINE_FILE {
        return Err(Failure::usage(format!(
            "{flag} {value}: {size} bytes is too large to send inline (at most {MAX_INLINE_FILE}); host it and pass its URL"
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| Failure::usage(format!("{flag} {value}: {e}")))?;
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let media = match extension.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "gif" => "image/gif",
        _ => "application/octet-stream",
    };
    let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
    Ok(format!("data:{media};base64,{encoded}"))
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
