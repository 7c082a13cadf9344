//! `ideogram generate`: N predictions, at most C in flight, each created, waited for and saved.

use std::{
    io::IsTerminal,
    path::{Path, PathBuf},
    sync::atomic::{AtomicUsize, Ordering},
    time::Duration,
};

use futures_util::{StreamExt, stream};
use replicate_ideogram::{
    Client, Error, JsonInput, Prediction, Target,
    batch::extension_of,
    models::{check_input, encode_json_strings},
};
use serde_json::{Value, json};

use crate::{
    Failure,
    args::{Cli, parse_seconds},
    connect,
    exit::Exit,
    exit_code,
    inputs::{Input, InputOptions, base_input, known_model, place_local_files},
    interrupt, output,
    progress::Progress,
    runner,
};

#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    /// What to draw (Ideogram 4 takes --json-prompt instead; layerize needs none).
    pub prompt: Option<String>,

    #[command(flatten)]
    pub options: InputOptions,

    /// How many images to make.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub count: u32,

    /// How many predictions may be in flight at once.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=1_000))]
    pub concurrency: u32,

    /// Where to save the image (with --count, `-N` is added before the extension).
    #[arg(long, value_name = "FILE", conflicts_with = "out_dir")]
    pub out: Option<PathBuf>,

    /// A directory to save images in, as a batch: `00007-<prompt>.png`, with a journal (rerunning the same
    /// command resumes) and a contact sheet, `index.html` (default: the current directory, no journal).
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,

    /// Print one JSON object per prediction on stdout.
    #[arg(long)]
    pub json: bool,

    /// Give up on a prediction after this many seconds.
    #[arg(long, value_name = "SECS", default_value = "600", value_parser = parse_seconds)]
    pub timeout: Duration,
}

pub async fn generate(cli: &Cli, args: &GenerateArgs) -> Result<Exit, Failure> {
    let (model, mut inputs) = inputs(args)?;
    let connection = connect(cli, true).await?;
    if let Some(dir) = &args.out_dir {
        // Into a directory: a batch, with its journal and contact sheet.
        let items = inputs
            .into_iter()
            .map(|input| (model.to_string(), input))
            .collect();
        let run = runner::Run {
            dir: dir.clone(),
            concurrency: args.concurrency as usize,
            retry_failed: false,
            json: args.json,
            timeout: args.timeout,
        };
        return runner::run(&connection.client, items, &run).await;
    }
    place_local_files(&connection.client, model, &mut inputs).await?;
    let progress = Progress::new();
    let total = inputs.len();
    let (done, running) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let report = |done: usize, running: usize| {
        progress.status(format!("{done}/{total} done · {running} running"));
    };
    report(0, 0);
    let mut results = stream::iter(inputs.into_iter().enumerate())
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
        .buffer_unordered(args.concurrency as usize);
    // A block of its own, so that the spinner is cleared however it ends.
    let all = async {
        let mut worst = Exit::Success;
        while let Some(code) = results.next().await {
            // A closed stdout stops the rest (dropped with the stream).
            worst = worst.max(code?);
        }
        Ok(worst)
    };
    let ended = tokio::select! {
        ended = all => ended,
        () = interrupt::ctrl_c() => Err(interrupted()),
    };
    progress.finish();
    ended
}

/// Ctrl-C with no journal to resume from: what was created runs on, and `ideogram list` names it.
fn interrupted() -> Failure {
    Failure {
        code: Exit::Interrupted,
        message: "interrupted; predictions already created run on (`ideogram list` shows them)"
            .to_string(),
    }
}

/// Every input, validated against the model's typed input before anything is sent.
fn inputs(args: &GenerateArgs) -> Result<(&'static str, Vec<Input>), Failure> {
    let model = known_model(&args.options.model)?;
    let mut base = base_input(&args.options, args.prompt.as_deref(), model, args.count)?;
    encode_json_strings(model, &mut base);
    if let Some(Err(error)) = check_input(model, &base) {
        return Err(Failure::usage(format!("{model}: {error}")));
    }
    let inputs = (0..args.count)
        .map(|i| {
            let mut input = base.clone();
            if let Some(seed) = args.options.seed {
                input.insert("seed".into(), (seed + i64::from(i)).into());
            }
            input
        })
        .collect();
    Ok((model, inputs))
}

/// Runs one prediction and saves its image; returns its exit code, or why stdout could not be written.
async fn one(
    client: &Client,
    args: &GenerateArgs,
    index: usize,
    total: usize,
    input: JsonInput,
    progress: &Progress,
) -> Result<Exit, Failure> {
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
                print_json(Some(&prediction), &files, None)?;
            } else if !std::io::stdout().is_terminal() {
                // For scripts; on a terminal the line on stderr already says it.
                for file in &files {
                    output::line(file.display())?;
                }
            }
            let timing = seconds.map(|s| format!(", {s:.1}s")).unwrap_or_default();
            let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
            progress.line(format!(
                "saved {} (prediction {}{timing})",
                names.join(", "),
                prediction.id
            ));
            Ok(Exit::Success)
        }
        Err(error) => {
            if args.json {
                print_json(error.prediction(), &[], Some(&error))?;
            }
            progress.line(format!("error: {error}"));
            Ok(exit_code(&error))
        }
    }
}

/// Saves every file of the prediction's output (one URL, or a list of them) and returns where.
async fn save(
    client: &Client,
    args: &GenerateArgs,
    index: usize,
    total: usize,
    prediction: &Prediction,
) -> Result<Vec<PathBuf>, Error> {
    let urls = prediction.output_urls()?;
    // The server names the prediction; a name that is not a plain id never becomes a path.
    let stem = if prediction.has_plain_id() {
        prediction.id.clone()
    } else {
        format!("image-{}", index + 1)
    };
    let mut files = Vec::with_capacity(urls.len());
    for (part, url) in urls.iter().enumerate() {
        let extension = extension_of(url).unwrap_or_else(|| "png".into());
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

/// `shoe.png` → `shoe-3.png`.
fn numbered(path: &Path, n: usize) -> PathBuf {
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("image");
    let name = match path.extension().and_then(|e| e.to_str()) {
        Some(extension) => format!("{stem}-{n}.{extension}"),
        None => format!("{stem}-{n}"),
    };
    path.with_file_name(name)
}

fn print_json(
    prediction: Option<&Prediction>,
    files: &[PathBuf],
    error: Option<&Error>,
) -> Result<(), Failure> {
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
    output::line(line)
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
