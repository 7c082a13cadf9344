//! `ideogram cancel ID`: cancels a prediction and shows it.

use crate::exit::Exit;

use crate::{Failure, args::Cli, commands::get::show, connect};

#[derive(Debug, clap::Args)]
pub struct CancelArgs {
    /// The prediction's id.
    pub id: String,
    /// Print the prediction as JSON.
    #[arg(long)]
    pub json: bool,
}

pub async fn cancel(cli: &Cli, args: &CancelArgs) -> Result<Exit, Failure> {
    let connection = connect(cli, false).await?;
    show(&connection.client.cancel(&args.id).await?, args.json)?;
    Ok(Exit::Success)
}
