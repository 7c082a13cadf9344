//! `ideogram schema`: the models with typed inputs, or one model's input as JSON Schema.

use crate::exit::Exit;

use replicate_ideogram::models::{KNOWN_MODELS, input_schema_for};

use crate::{Failure, inputs, output};

#[derive(Debug, clap::Args)]
pub struct SchemaArgs {
    /// The model: `ideogram-ai/<name>` or just `<name>`.
    #[arg(long, value_name = "MODEL", default_value = inputs::DEFAULT_MODEL)]
    pub model: String,
    /// List the models this tool knows instead.
    #[arg(long)]
    pub list: bool,
}

pub fn schema(args: &SchemaArgs) -> Result<Exit, Failure> {
    if args.list {
        for model in KNOWN_MODELS {
            output::line(model)?;
        }
        return Ok(Exit::Success);
    }
    let model = inputs::known_model(&args.model)?;
    let schema = input_schema_for(model).unwrap_or_default();
    output::line(serde_json::to_string_pretty(&schema).unwrap_or_default())?;
    Ok(Exit::Success)
}
