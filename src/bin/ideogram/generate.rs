//! `ideogram generate`: N predictions, at most C in flight, each created, waited for and saved.

use std::{
    io::IsTerminal,
    path::{Path, PathBuf},
    process::ExitCode,
    sync::atomic::{AtomicUsize, Ordering},
};

use base64::Engine;
use futures_util::{StreamExt, stream};
use replicate_ideogram::{Client, Error, ModelInput, Prediction, models::IdeogramV2TurboInput};
use serde_json::json;

use crate::{
    Failure,
    args::{Cli, Generate},
    connect, exit_code,
    progress::Progress,
};

/// Local files larger than this cannot be sent inline as data URLs.
const MAX_INLINE_FILE: u64 = 10_000_000;

pub async fn generate(cli: &Cli, args: &Generate) -> Result<ExitCode, Failure> {
    let inputs = inputs(args)?;
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

/// Every input, validated before anything is sent.
fn inputs(args: &Generate) -> Result<Vec<IdeogramV2TurboInput>, Failure> {
    let mut base = IdeogramV2TurboInput::new(args.prompt.clone());
    if let Some(value) = args.aspect_ratio {
        base = base.aspect_ratio(value);
    }
    if let Some(value) = args.resolution {
        base = base.resolution(value);
    }
    if let Some(value) = args.style_type {
        base = base.style_type(value);
    }
    if let Some(value) = args.magic_prompt {
        base = base.magic_prompt_option(value);
    }
    if let Some(value) = &args.negative_prompt {
        base = base.negative_prompt(value);
    }
    if let Some(value) = &args.image {
        base = base.image(file_or_url("--image", value)?);
    }
    if let Some(value) = &args.mask {
        base = base.mask(file_or_url("--mask", value)?);
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
    base.validate()?;
    Ok((0..args.count)
        .map(|i| match args.seed {
            Some(seed) => base.clone().seed(seed + i64::from(i)),
            None => base.clone(),
        })
        .collect())
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
    input: IdeogramV2TurboInput,
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
