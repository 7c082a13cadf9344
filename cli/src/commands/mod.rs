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

use crate::{
    Failure,
    args::{Cli, Command},
    exit::Exit,
};

/// Runs the command the arguments name.
pub async fn run(cli: &Cli) -> Result<Exit, Failure> {
    match &cli.command {
        Command::Generate(args) => generate::generate(cli, args).await,
        Command::Batch(args) => batch::batch(cli, args).await,
        Command::Get(args) => get::get(cli, args).await,
        Command::Cancel(args) => cancel::cancel(cli, args).await,
        Command::List(args) => list::list(cli, args).await,
        Command::Account(args) => account::account(cli, args).await,
        Command::Versions(args) => versions::versions(cli, args).await,
        Command::Files(command) => files::files(cli, command).await,
        Command::Simulate(args) => simulate::simulate(args).await,
        Command::Spec(spec::SpecCommand::Sync(args)) => spec::sync(cli, args).await,
        Command::Schema(args) => schema::schema(args),
    }
}
