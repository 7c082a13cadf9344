//! `ideogram cancel ID`: cancels a prediction and shows it.

use std::process::ExitCode;

use crate::{Failure, args::Cli, commands::get::show, connect};

pub async fn cancel(cli: &Cli, id: &str, json: bool) -> Result<ExitCode, Failure> {
    let connection = connect(cli, false).await?;
    show(&connection.client.cancel(id).await?, json)?;
    Ok(ExitCode::SUCCESS)
}
