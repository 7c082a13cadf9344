//! `ideogram batch FILE`: one input per line (a JSON object, or a plain prompt), the command line's options
//! as defaults, every line checked against its model before anything is sent, then run as one batch.

use std::{
    path::{Path, PathBuf},
    time::Duration,
};

use replicate_ideogram::models::{check_input, encode_json_strings, input_schema_for};
use serde_json::{Map, Value};

use crate::{
    Failure,
    args::{Cli, parse_seconds},
    connect,
    exit::Exit,
    inputs::{Input, InputOptions, Setting, apply, file_or_url, known_model, settings},
    runner,
};

/// `ideogram batch`: one input per line of a file.
#[derive(Debug, clap::Args)]
pub struct BatchArgs {
    /// The file of inputs, one per line: a JSON object (any field of the model's input, plus `model`), or a
    /// plain prompt. `-` reads standard input. Blank lines and lines starting with `#` are skipped.
    pub file: PathBuf,

    /// Defaults for every line (a line's own fields win).
    #[command(flatten)]
    pub options: InputOptions,

    /// Where the images, the journal (`journal.jsonl`) and the contact sheet (`index.html`) go. Running the
    /// same batch into the same directory again resumes it.
    #[arg(long, value_name = "DIR", default_value = "ideogram-batch")]
    pub out_dir: PathBuf,

    /// How many predictions may be in flight at once.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=1_000))]
    pub concurrency: u32,

    /// Run again the lines whose prediction failed or whose output expired in an earlier run.
    #[arg(long)]
    pub retry_failed: bool,

    /// Print one JSON object per line on stdout as it finishes.
    #[arg(long)]
    pub json: bool,

    /// Give up on a prediction after this many seconds.
    #[arg(long, value_name = "SECS", default_value = "600", value_parser = parse_seconds)]
    pub timeout: Duration,
}

pub async fn batch(cli: &Cli, args: &BatchArgs) -> Result<Exit, Failure> {
    let text = read(&args.file)?;
    let defaults = settings(&args.options, None)?;
    let mut items = Vec::new();
    for (number, line) in text.lines().enumerate().map(|(i, l)| (i + 1, l.trim())) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let at = |message: String| Failure::usage(format!("line {number}: {message}"));
        let (model, input) = line_input(line, &defaults, args).map_err(|f| at(f.message))?;
        items.push((model, input));
    }
    if items.is_empty() {
        return Err(Failure::usage(format!(
            "{}: no inputs (one JSON object or prompt per line)",
            args.file.display()
        )));
    }
    let connection = connect(cli, true).await?;
    let run = runner::Run {
        dir: args.out_dir.clone(),
        concurrency: args.concurrency as usize,
        retry_failed: args.retry_failed,
        json: args.json,
        timeout: args.timeout,
    };
    runner::run(&connection.client, items, &run).await
}

/// The batch file's text; a byte order mark at its start (as some editors write) is not part of it.
fn read(path: &Path) -> Result<String, Failure> {
    let text = if path == Path::new("-") {
        std::io::read_to_string(std::io::stdin().lock())
    } else {
        std::fs::read_to_string(path)
    }
    .map_err(|e| Failure::usage(format!("{}: {e}", path.display())))?;
    Ok(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    })
}

/// One line's model and input: the defaults, then the line's own fields, its local files inline or
/// waiting for their upload, checked against the model's schema.
fn line_input(
    line: &str,
    defaults: &[Setting],
    args: &BatchArgs,
) -> Result<(String, Input), Failure> {
    let mut fields: Map<String, Value> = if line.starts_with('{') {
        match serde_json::from_str(line) {
            Ok(Value::Object(object)) => object,
            Ok(_) => return Err(Failure::usage("not a JSON object")),
            Err(e) => return Err(Failure::usage(format!("not JSON: {e}"))),
        }
    } else {
        Map::from_iter([("prompt".to_string(), Value::String(line.to_string()))])
    };
    let model = match fields.remove("model") {
        Some(Value::String(model)) => known_model(&model)?,
        Some(other) => {
            return Err(Failure::usage(format!(
                "`model` must be a string, not {other}"
            )));
        }
        None => known_model(&args.options.model)?,
    };
    let mut input = apply(defaults, model)?;
    let schema = input_schema_for(model).unwrap_or_default();
    for (field, value) in fields {
        let property = schema.pointer(&format!("/properties/{field}"));
        let Some(property) = property else {
            return Err(Failure::usage(format!("{model} has no field `{field}`")));
        };
        let value = local_files(&field, value, property)?;
        input.insert(field, value);
    }
    encode_json_strings(model, &mut input);
    if let Some(Err(error)) = check_input(model, &input) {
        return Err(Failure::usage(format!("{model}: {error}")));
    }
    Ok((model.to_string(), input))
}

/// A file field's local paths as `file://` URLs; any other value as it is.
fn local_files(field: &str, value: Value, property: &Value) -> Result<Value, Failure> {
    let uri = |p: &Value| p.get("format").and_then(Value::as_str) == Some("uri");
    let flag = format!("`{field}`");
    match value {
        Value::String(text) if uri(property) => Ok(file_or_url(&flag, &text)?.into()),
        Value::Array(items) if property.get("items").is_some_and(uri) => items
            .into_iter()
            .map(|v| match v {
                Value::String(text) => file_or_url(&flag, &text).map(Value::from),
                other => Ok(other),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        other => Ok(other),
    }
}
