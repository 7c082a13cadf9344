//! The inputs the command line describes: options checked against the model's schema, local files as
//! `file://` URLs (the library reads, inlines or uploads them), a JSON prompt read from a file.

use std::path::{Path, PathBuf};

use replicate_ideogram::{
    Client,
    models::{KNOWN_MODELS, input_schema_for, local_file},
};
use serde_json::{Map, Value};

use crate::{Failure, exit_code};

/// The model `generate` and `schema` use unless told otherwise.
pub const DEFAULT_MODEL: &str = replicate_ideogram::models::IdeogramV2TurboInput::MODEL;

/// The options that set fields of a model's input, for `generate` and as defaults for `batch`.
#[derive(Debug, clap::Args)]
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

/// One option on the command line: its flag, the field it sets and the value.
pub type Setting = (String, String, Value);

/// The input the options describe (the first seed, if any), each option checked to be a field of `model`.
pub fn base_input(
    args: &InputOptions,
    prompt: Option<&str>,
    model: &str,
    count: u32,
) -> Result<Input, Failure> {
    let settings = settings(args, prompt)?;
    let base = apply(&settings, model)?;
    if let Some(seed) = args.seed {
        let last = seed + i64::from(count) - 1;
        if last > 2_147_483_647 {
            return Err(Failure::usage(format!(
                "--seed {seed} with --count {count} would go past the largest seed, 2147483647"
            )));
        }
    }
    Ok(base)
}

/// Every field the options set, files included (not yet checked against a model).
pub fn settings(args: &InputOptions, prompt: Option<&str>) -> Result<Vec<Setting>, Failure> {
    let mut settings = value_settings(args, prompt)?;
    settings.extend(file_settings(args)?);
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

/// The options that name a file: URLs as they are, local files as `file://` URLs.
fn file_settings(args: &InputOptions) -> Result<Vec<Setting>, Failure> {
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
            let url = file_or_url(flag, value)?;
            settings.push((flag.to_string(), field.to_string(), url.into()));
        }
    }
    if !args.style_reference_images.is_empty() {
        let (flag, field) = ("--style-reference-image", "style_reference_images");
        let urls = args
            .style_reference_images
            .iter()
            .map(|v| file_or_url(flag, v).map(Value::String))
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

/// A URL as it is; a local file as a `file://` URL, which the library reads when it sends the input (inline
/// up to 256 kB, uploaded above), and a batch identifies by its content.
pub fn file_or_url(flag: &str, value: &str) -> Result<String, Failure> {
    if ["http://", "https://", "data:"]
        .iter()
        .any(|p| value.starts_with(p))
    {
        return Ok(value.to_string());
    }
    local_file(value).map_err(|e| Failure::usage(format!("{flag} {value}: {e}")))
}

/// Puts the local files of `inputs` (of `model`) in place (inline or uploaded), each file once, for inputs
/// sent one by one outside a batch: an input run N times uploads its files once. Only the model's file
/// fields are read as files: a `--set prompt=file:///…` stays a prompt.
pub async fn place_local_files(
    client: &Client,
    model: &str,
    inputs: &mut [Input],
) -> Result<(), Failure> {
    let schema = input_schema_for(model).unwrap_or_default();
    let uri = |p: &Value| p.get("format").and_then(Value::as_str) == Some("uri");
    let is_file_field = |field: &str| {
        schema
            .pointer(&format!("/properties/{field}"))
            .is_some_and(|p| uri(p) || p.get("items").is_some_and(uri))
    };
    let mut placed: Vec<(String, String)> = Vec::new();
    for input in inputs.iter_mut() {
        for (field, value) in input.iter_mut() {
            if is_file_field(field) {
                place(client, value, &mut placed).await?;
            }
        }
    }
    Ok(())
}

fn place<'a>(
    client: &'a Client,
    value: &'a mut Value,
    placed: &'a mut Vec<(String, String)>,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), Failure>> + 'a>> {
    Box::pin(async move {
        match value {
            Value::String(text) if text.starts_with("file:") => {
                if let Some((_, done)) = placed.iter().find(|(url, _)| url == text) {
                    *text = done.clone();
                    return Ok(());
                }
                let path = url::Url::parse(text)
                    .ok()
                    .and_then(|u| u.to_file_path().ok())
                    .unwrap_or_else(|| PathBuf::from(text.as_str()));
                let url = client.file_input(&path).await.map_err(|error| Failure {
                    code: exit_code(&error),
                    message: format!("{}: {error}", path.display()),
                })?;
                placed.push((text.clone(), url.clone()));
                *text = url;
            }
            Value::Array(items) => {
                for item in items {
                    place(client, item, placed).await?;
                }
            }
            _ => {}
        }
        Ok(())
    })
}
