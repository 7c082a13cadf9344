//! `ideogram`: generate images with the ideogram-ai models on Replicate from the command line.
//!
//! Its exit codes are the variants of [`exit::Exit`], which `--help` lists.

// `println!` and `eprintln!` panic when their stream is closed: both go through `output`.
#![warn(clippy::print_stdout, clippy::print_stderr)]

mod active_bar;
mod args;
mod command_line;
mod commands;
mod connection;
mod exit;
mod failure;
mod inputs;
mod interrupt;
mod logging;
mod output;
mod progress;
mod runner;
mod sheet;
mod sheet_file;
mod terminal;

use std::process::ExitCode;

use clap::Parser;

use args::Cli;
use connection::connect;
use failure::{Failure, exit_code};

// One thread: a batch's work is waiting on the network; a second thread only hands each step over (futex
// wake-ups per request and per file) and doubled the CLI's CPU per image.
#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    logging::install(cli.verbose);
    match commands::run(&cli).await {
        Ok(exit) => exit.into(),
        // The reader went away: said by the exit status alone, as any Unix tool says it.
        Err(failure) if output::is_closed(&failure) => failure.code.into(),
        Err(failure) => {
            output::note(format_args!("error: {}", terminal::plain(&failure.message)));
            failure.code.into()
        }
    }
}
