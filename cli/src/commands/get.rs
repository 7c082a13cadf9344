//! `ideogram get ID`: one prediction, as lines or JSON.

use crate::exit::Exit;

use replicate_ideogram::Prediction;

use crate::{Failure, args::Cli, connect, output, terminal};

#[derive(Debug, clap::Args)]
pub struct GetArgs {
    /// The prediction's id.
    pub id: String,
    /// Print the prediction as JSON.
    #[arg(long)]
    pub json: bool,
}

pub async fn get(cli: &Cli, args: &GetArgs) -> Result<Exit, Failure> {
    let connection = connect(cli, false).await?;
    show(&connection.client.get(&args.id).await?, args.json)?;
    Ok(Exit::Success)
}

/// Prints a prediction: its JSON, or one line per field a reader wants.
pub fn show(prediction: &Prediction, json: bool) -> Result<(), Failure> {
    if json {
        return output::line(serde_json::to_string(prediction).unwrap_or_default());
    }
    let mut lines = vec![
        format!("id:      {}", prediction.id),
        format!("status:  {}", prediction.status),
    ];
    if let Some(model) = &prediction.model {
        lines.push(format!("model:   {model}"));
    }
    if let Some(created) = prediction.created_at {
        lines.push(format!("created: {}", created.to_rfc3339()));
    }
    if let Some(output) = &prediction.output {
        let output = output
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| output.to_string());
        lines.push(format!("output:  {output}"));
    }
    if let Some(error) = prediction.error_message() {
        lines.push(format!("error:   {error}"));
    }
    if let Some(time) = prediction.predict_time() {
        lines.push(format!("time:    {:.2}s", time.as_secs_f64()));
    }
    for line in lines {
        output::line(terminal::plain(&line))?;
    }
    Ok(())
}
