//! The command line, as clap parses it.

use std::{path::PathBuf, time::Duration};

use clap::{ArgAction, Args, Parser, Subcommand};
use replicate_ideogram_simulator::Faults;

/// The exit codes, as the top-level help lists them.
const EXIT_CODES: &str = "Exit codes: 0 all succeeded; 1 a prediction failed, was canceled or aborted; 2 bad \
usage or invalid input (nothing was sent); 3 an API or network error; 130 interrupted (Ctrl-C); 141 standard \
output was closed (e.g. by `| head`).";

/// The model `generate` and `schema` use unless told otherwise.
pub const DEFAULT_MODEL: &str = replicate_ideogram::models::IdeogramV2TurboInput::MODEL;

/// Generate images with Ideogram's models on Replicate (or a Replicate-compatible proxy): ideogram-v2 and
/// v2-turbo, v2a and v2a-turbo, v3-turbo, -balanced and -quality, v4-turbo, -balanced and -quality,
/// ideogram-character and layerize (`ideogram schema --list`); ideogram-v2-turbo unless `--model` says
/// otherwise.
///
/// The token comes from REPLICATE_API_TOKEN. With no token and no base URL, `generate` runs against the
/// built-in offline simulator.
#[derive(Debug, Parser)]
#[command(name = "ideogram", version, about, after_help = EXIT_CODES)]
pub struct Cli {
    /// The API base URL, with any path prefix.
    #[arg(long, global = true, env = "REPLICATE_BASE_URL", value_name = "URL")]
    pub base_url: Option<String>,

    /// Run against the built-in offline simulator, whatever the environment says.
    #[arg(long, global = true)]
    pub simulator: bool,

    /// How long after a create the server's list is trusted to show what it made, in seconds: before a
    /// create whose answer was lost is sent again, the list must have had this long to show it. Raise it
    /// for a proxy whose list lags more.
    #[arg(long, global = true, value_name = "SECONDS", default_value_t = 5.0, value_parser = settle_seconds)]
    pub list_settle: f64,

    /// Log more on stderr: -v info, -vv debug (each request, each status change). RUST_LOG, when set, wins.
    #[arg(short, long, global = true, action = ArgAction::Count)]
    pub verbose: u8,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create predictions, wait for them and save the images.
    Generate(Box<Generate>),
    /// Run a file of inputs as one batch: paced to the account's limits, resumable, with a contact sheet.
    Batch(Box<Batch>),
    /// Show a prediction.
    Get {
        /// The prediction's id.
        id: String,
        /// Print the prediction as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Cancel a prediction.
    Cancel {
        /// The prediction's id.
        id: String,
        /// Print the prediction as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List recent predictions, newest first.
    List {
        /// How many to show.
        #[arg(long, default_value_t = 20)]
        limit: usize,
        /// Print one JSON object per prediction.
        #[arg(long)]
        json: bool,
    },
    /// Show the account the token belongs to: a cheap check of a token before a long job.
    Account {
        /// Print the account as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List a model's versions, newest first: the ids a pinned run or `spec sync --version` takes.
    Versions {
        /// The model: `ideogram-ai/<name>` or just `<name>`.
        model: String,
        /// Print one JSON object per version (with its schema).
        #[arg(long)]
        json: bool,
    },
    /// List or delete the files uploaded to the account (reference images over 256 kB are uploaded, and
    /// stay until they expire).
    #[command(subcommand)]
    Files(FilesCommand),
    /// Print the JSON Schema of a model's input (for LLM tool definitions), or list the models.
    Schema(SchemaArgs),

    /// Work on openapi.yaml.
    #[command(subcommand)]
    Spec(SpecCommand),
    /// Run the offline simulator on loopback until stopped (for tests and benchmarks in other processes).
    ///
    /// Prints one JSON line: `base_url`, `token`, `delivery_url`, `record_url` (its record of requests, as
    /// JSON, with the token).
    Simulate(Box<Simulate>),
}

#[derive(Debug, Subcommand)]
pub enum FilesCommand {
    /// List the uploaded files, newest first.
    List {
        /// Print one JSON object per file.
        #[arg(long)]
        json: bool,
    },
    /// Delete uploaded files: those named, or every one older than --older-than.
    Delete {
        /// The ids of the files to delete.
        #[arg(required_unless_present = "older_than", conflicts_with = "older_than")]
        ids: Vec<String>,
        /// Every file uploaded longer ago than this: a number and a unit, `s`, `m`, `h` or `d` (`7d`).
        #[arg(long, value_name = "AGE", value_parser = parse_age)]
        older_than: Option<Duration>,
        /// Print what would be deleted, and delete nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum SpecCommand {
    /// Rewrite a model's components in openapi.yaml from the schema its latest version publishes
    /// (`GET /models/{owner}/{name}`), and say what changed.
    ///
    /// With --check, rewrite nothing: say for each model whether the spec is behind its published schema, and
    /// exit 1 if any is (for a scheduled job in CI).
    Sync(SyncArgs),
}

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// The model, `owner/name` (or --all).
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    pub model: Option<String>,
    /// Every model the spec has an input for.
    #[arg(long)]
    pub all: bool,
    /// Sync against this version of the model (an id `ideogram versions MODEL` lists) instead of the latest.
    #[arg(long, value_name = "ID", conflicts_with = "all")]
    pub version: Option<String>,
    /// The spec to rewrite.
    #[arg(long, value_name = "FILE", default_value = "openapi.yaml")]
    pub spec: PathBuf,
    /// Print what would change, and leave the file alone.
    #[arg(long)]
    pub dry_run: bool,
    /// Change nothing; exit 1 if the spec is behind any model's published schema, or a model's latest
    /// version is not the one the spec records (the model moved, whether or not its schema changed).
    #[arg(long, conflicts_with = "dry_run")]
    pub check: bool,
}

#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// The model: `ideogram-ai/<name>` or just `<name>`.
    #[arg(long, value_name = "MODEL", default_value = DEFAULT_MODEL)]
    pub model: String,
    /// List the models this tool knows instead.
    #[arg(long)]
    pub list: bool,
}

#[derive(Debug, Args)]
pub struct Simulate {
    /// The API's port on 127.0.0.1 (0: any free port).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// The path prefix the API is served under.
    #[arg(long, default_value = "/v1")]
    pub path_prefix: String,
    /// How long predictions stay `starting`, in milliseconds.
    #[arg(long, default_value_t = 100)]
    pub starting_ms: u64,
    /// How long predictions stay `processing`, in milliseconds.
    #[arg(long, default_value_t = 400)]
    pub processing_ms: u64,
    /// Let each prediction's processing time vary between --processing-ms and this.
    #[arg(long, value_name = "MS")]
    pub processing_max_ms: Option<u64>,
    /// Inject the standard fault mix (429 10%, 503 10%, dropped after 5%, dropped before 5%, HTML 502 3%,
    /// truncated JSON 3%).
    #[arg(long, conflicts_with = "fault_mix")]
    pub faults: bool,
    /// Inject faults with these probabilities, e.g. `429=0.1,503=0.1,drop-after=0.05`. Kinds: 429, 500,
    /// 502-html, 503, drop-before, drop-after, truncated-json.
    #[arg(long, value_name = "KIND=P,...", value_parser = parse_fault_mix)]
    pub fault_mix: Option<Faults>,
    /// Inject faults on the delivery host (output files) with these probabilities, in the kinds of
    /// --fault-mix; `truncated-json` there cuts a file's body short.
    #[arg(long, value_name = "KIND=P,...", value_parser = parse_fault_mix)]
    pub delivery_fault_mix: Option<Faults>,
    /// Make `urls.*` and list pages name api.replicate.com, as a proxy's answers do.
    #[arg(long)]
    pub foreign_urls: bool,
    /// The seed of ids and faults.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Publish this schema (Cog's OpenAPI document, a JSON file) as the latest version of MODEL, in place of
    /// the crate's own (to try `ideogram spec sync`). Repeatable.
    #[arg(long, value_name = "MODEL=FILE")]
    pub published_schema: Vec<String>,
    /// Throttle as Replicate does (429 with Retry-After): `replicate` (600 creates and 3,000 other requests a
    /// minute), `low-credit` (1 create a second, 6 others a second), or
    /// `CREATES_PER_MIN[:BURST][,OTHERS_PER_MIN[:BURST]]`, e.g. `120:20,3000:500` (a missing BURST is one
    /// second's worth; an empty part is unlimited). Default: no limits.
    #[arg(long, value_name = "LIMITS")]
    pub rate_limit: Option<replicate_ideogram_simulator::ServerLimits>,
}

#[derive(Debug, Args)]
pub struct Generate {
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

/// `ideogram batch`: one input per line of a file.
#[derive(Debug, Args)]
pub struct Batch {
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

/// The options that set fields of a model's input, for `generate` and as defaults for `batch`.
#[derive(Debug, Args)]
pub struct InputOptions {
    /// The model: `ideogram-ai/<name>` or just `<name>`, one of `ideogram schema --list`.
    #[arg(long, value_name = "MODEL", default_value = DEFAULT_MODEL)]
    pub model: String,

    /// Aspect ratio, e.g. 16:9 (the values depend on the model). Ignored if a resolution or inpainting image
    /// is given.
    #[arg(long, value_name = "RATIO")]
    pub aspect_ratio: Option<String>,

    /// Exact size, e.g. 1024x1024. Overrides the aspect ratio.
    #[arg(long, value_name = "WxH")]
    pub resolution: Option<String>,

    /// Style: Auto, General, Realistic, Design, "Render 3D", Anime or None (v3: no "Render 3D" or Anime).
    #[arg(long, value_name = "STYLE")]
    pub style_type: Option<String>,

    /// A predefined style (v3 models), e.g. "Art Deco".
    #[arg(long, value_name = "PRESET")]
    pub style_preset: Option<String>,

    /// Magic Prompt: Auto, On or Off.
    #[arg(long, value_name = "OPTION")]
    pub magic_prompt: Option<String>,

    /// Things you do not want to see in the image (v2 and v2-turbo).
    #[arg(long, value_name = "TEXT")]
    pub negative_prompt: Option<String>,

    /// Random seed, for reproducible images. With --count, each image gets the next seed.
    #[arg(long, value_parser = clap::value_parser!(i64).range(0..=2_147_483_647))]
    pub seed: Option<i64>,

    /// An image to inpaint: an http(s) URL, or a local file (inline up to 256 kB, uploaded above).
    #[arg(long, value_name = "PATH|URL")]
    pub image: Option<String>,

    /// The inpainting mask (black is inpainted): an http(s) URL or a local file (as for --image).
    #[arg(long, value_name = "PATH|URL")]
    pub mask: Option<String>,

    /// An image whose style to follow (v3 models; repeat for several): a URL or a local file.
    #[arg(long = "style-reference-image", value_name = "PATH|URL")]
    pub style_reference_images: Vec<String>,

    /// A structured Ideogram 4 prompt: a file holding a JSON object (`-` reads standard input). Use it or
    /// a prompt, not both.
    #[arg(long, value_name = "FILE")]
    pub json_prompt: Option<PathBuf>,

    /// The character to keep (ideogram-character): an http(s) URL or a local file (as for --image).
    #[arg(long, value_name = "PATH|URL")]
    pub character_reference_image: Option<String>,

    /// Rendering speed (ideogram-character): Default, Turbo or Quality.
    #[arg(long, value_name = "SPEED")]
    pub rendering_speed: Option<String>,

    /// Ask Ideogram 4 to check the image for copyrighted material after generating it.
    #[arg(long)]
    pub enable_copyright_detection: bool,

    /// The flat graphic to split into layers (layerize): an http(s) URL or a local file.
    #[arg(long, value_name = "PATH|URL")]
    pub flat_graphic_image: Option<String>,

    /// Any other field of the model's input, e.g. `font_name_h1=Inter` or `seed=7` (the value is read as
    /// JSON when it is JSON, else as text). Repeatable.
    #[arg(long = "set", value_name = "FIELD=VALUE", value_parser = parse_field)]
    pub fields: Vec<(String, serde_json::Value)>,
}

/// `FIELD=VALUE`: the value as JSON when it parses, else as a string.
fn parse_field(text: &str) -> Result<(String, serde_json::Value), String> {
    let (field, value) = text
        .split_once('=')
        .ok_or_else(|| format!("{text:?}: expected FIELD=VALUE"))?;
    if field.trim().is_empty() {
        return Err(format!("{text:?}: the field name is empty"));
    }
    let value = serde_json::from_str(value).unwrap_or_else(|_| value.into());
    Ok((field.trim().to_string(), value))
}

fn parse_fault_mix(text: &str) -> Result<Faults, String> {
    let mut faults = Faults::default();
    for part in text.split(',').filter(|p| !p.trim().is_empty()) {
        let (kind, probability) = part
            .split_once('=')
            .ok_or_else(|| format!("expected KIND=PROBABILITY, got {part:?}"))?;
        let p: f64 = probability
            .trim()
            .parse()
            .ok()
            .filter(|p: &f64| (0.0..=1.0).contains(p))
            .ok_or_else(|| format!("{probability:?} is not a probability between 0 and 1"))?;
        faults = match kind.trim() {
            "429" => faults.throttle(p),
            "500" => faults.server_error(p),
            "502-html" => faults.bad_gateway_html(p),
            "503" => faults.unavailable(p),
            "drop-before" => faults.drop_before(p),
            "drop-after" => faults.drop_after(p),
            "truncated-json" => faults.truncated_json(p),
            other => return Err(format!("unknown fault kind {other:?}")),
        };
    }
    Ok(faults)
}

fn parse_seconds(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds"))?;
    if !(seconds > 0.0 && seconds.is_finite()) {
        return Err("must be more than 0 seconds".into());
    }
    Duration::try_from_secs_f64(seconds).map_err(|e| e.to_string())
}

/// A settle margin in seconds: finite, from 0.1 to an hour.
fn settle_seconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(seconds) if (0.1..=3600.0).contains(&seconds) => Ok(seconds),
        _ => Err(format!(
            "{text:?} is not a number of seconds from 0.1 to 3600"
        )),
    }
}

/// An age: a whole number and a unit, `s`, `m`, `h` or `d`.
fn parse_age(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text.len().saturating_sub(1);
    let (number, unit) = (
        text.get(..split).unwrap_or(""),
        text.get(split..).unwrap_or(""),
    );
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => {
            return Err(format!(
                "{text:?}: a number and a unit, s, m, h or d (e.g. 7d)"
            ));
        }
    };
    let count: u64 = number
        .parse()
        .map_err(|_| format!("{text:?}: a number and a unit, s, m, h or d (e.g. 7d)"))?;
    count
        .checked_mul(seconds)
        .map(Duration::from_secs)
        .ok_or_else(|| format!("{text:?}: too long"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_mixes_parse_by_kind() {
        let mix = parse_fault_mix("429=0.1, 503=0.1,drop-after=0.05").unwrap();
        assert_eq!(
            mix,
            Faults::default()
                .throttle(0.1)
                .unavailable(0.1)
                .drop_after(0.05)
        );
        assert!(
            parse_fault_mix("429=1.5")
                .unwrap_err()
                .contains("probability")
        );
        assert!(parse_fault_mix("418=0.1").unwrap_err().contains("unknown"));
        assert!(
            parse_fault_mix("429")
                .unwrap_err()
                .contains("KIND=PROBABILITY")
        );
    }

    #[test]
    fn ages_take_a_number_and_a_unit() {
        assert_eq!(parse_age("7d"), Ok(Duration::from_secs(7 * 86_400)));
        assert_eq!(parse_age("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_age("2h"), Ok(Duration::from_secs(7200)));
        for bad in ["7", "d", "", "-1d", "1w", "1.5h", "99999999999999999999d"] {
            assert!(parse_age(bad).is_err(), "{bad:?}");
        }
    }
}
