//! One module per subcommand, and the dispatch.

pub mod account;
pub mod batch;
pub mod cancel;
pub mod files;
pub mod generate;
pub mod get;
pub mod list;
pub mod schema;
pub mod simulate;
pub mod spec;
pub mod versions;

use std::process::ExitCode;

use crate::{
    Failure,
    args::{Cli, Command, SpecCommand},
};

/// Runs the command the arguments name.
pub async fn run(cli: &Cli) -> Result<ExitCode, Failure> {
    match &cli.command {
        Command::Generate(args) => generate::generate(cli, args).await,
        Command::Batch(args) => batch::batch(cli, args).await,
        Command::Get { id, json } => get::get(cli, id, *json).await,
        Command::Cancel { id, json } => cancel::cancel(cli, id, *json).await,
        Command::List { limit, json } => list::list(cli, *limit, *json).await,
        Command::Account { json } => account::account(cli, *json).await,
        Command::Versions { model, json } => versions::versions(cli, model, *json).await,
        Command::Files(command) => files::files(cli, command).await,
        Command::Simulate(args) => simulate::simulate(args).await,
        Command::Spec(SpecCommand::Sync(args)) => spec::sync(cli, args).await,
        Command::Schema(args) => schema::schema(args),
    }
}
