//! Running many inputs into a directory as one batch (`ideogram batch`, `ideogram generate --out-dir`): the
//! library's batch with its journal, a progress bar, a line (or JSON object) per item, the contact sheet
//! rewritten as results arrive, and a summary at the end.

use std::{
    io::IsTerminal,
    path::PathBuf,
    time::{Duration, Instant},
};

use futures_util::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use replicate_ideogram::{
    Client, Error, JsonInput, ModelInput, Target,
    batch::{BatchItem, BatchReport, Origin, Outputs},
};
use serde_json::{Value, json};

use crate::{
    Failure, active_bar,
    exit::Exit,
    exit_code,
    inputs::Input,
    interrupt::{Gate, Interrupts},
    output,
    sheet::{Entry, Sheet},
};

/// How a batch runs.
pub struct Run {
    pub dir: PathBuf,
    pub concurrency: usize,
    pub retry_failed: bool,
    pub json: bool,
    pub timeout: Duration,
}

/// How the loop over the results ended.
enum Ended {
    /// Every item the batch started was reported (all of them, unless a first Ctrl-C stopped the batch).
    AllReported,
    /// A second Ctrl-C: those in flight are left to the next run.
    Abandoned,
    /// Stdout could not be written: those in flight are left to the next run.
    StdoutFailed(Failure),
}

/// How many items ended each way.
#[derive(Default)]
struct Tally {
    succeeded: usize,
    failed: usize,
    skipped: usize,
    resumed: usize,
    predict_time: f64,
    worst: Exit,
    /// Items whose output the server removed or gave empty (`--retry-failed` pays for them again).
    lost_outputs: usize,
    /// Items whose create could not be settled (nothing was created for them).
    uncertain: Vec<usize>,
}

/// Runs `items` (model, input) into `run.dir`. Local files are read, inlined or uploaded by the library's
/// batch once the journal is locked: a second process on the same directory sends nothing at all.
pub async fn run(client: &Client, items: Vec<(String, Input)>, run: &Run) -> Result<Exit, Failure> {
    let started = Instant::now();
    let total = items.len();
    // Ctrl-C (or a closed stdout) closes the gate: the inputs end there, and the batch with those in flight.
    let gate = Gate::default();
    let mut admit = gate.admit();
    let inputs = items
        .into_iter()
        .enumerate()
        .take_while(move |(index, _)| admit(index))
        .map(|(_, (model, input))| JsonInput::new(Target::model(model), Value::Object(input)));
    let mut results = client
        .batch(inputs)
        .concurrency(run.concurrency)
        .outputs(Outputs::directory(&run.dir))
        .journal(run.dir.join("journal.jsonl"))
        .retry_failed(run.retry_failed)
        .timeout(run.timeout)
        .start()
        .await?;

    let mut sheet = Sheet::new(run.dir.clone(), total);
    let bar = progress_bar(total);
    let mut tally = Tally::default();
    let interrupts = Interrupts::listen(&gate);
    let ended = loop {
        let Ok(next) = interrupts.unless_abandoned(results.next()).await else {
            break Ended::Abandoned;
        };
        let Some(item) = next else {
            break Ended::AllReported;
        };
        gate.finished(item.index);
        let entry = entry_of(&item);
        tally.count(&item);
        if let Err(failure) = report(run, &bar, &item, &entry) {
            // Nobody reads on: stop here; what is in flight is left to the next run.
            break Ended::StdoutFailed(failure);
        }
        sheet.add(entry);
        sheet.write_if_due();
        if let Some(bar) = &bar {
            bar.set_message(status(&tally, total, run.concurrency));
            bar.inc(1);
        }
    };
    sheet.write();
    clear(bar);
    match ended {
        Ended::Abandoned => return Ok(interrupts.abandon()),
        Ended::StdoutFailed(failure) => return Err(failure),
        Ended::AllReported => {}
    }
    output::note(summary(
        &tally,
        started.elapsed(),
        client,
        &sheet.location(),
    ));
    for line in money_lines(&tally, &results.report()) {
        output::note(line);
    }
    let finished = tally.succeeded + tally.failed;
    let early = interrupts.ended_early(finished, total);
    Ok(early.unwrap_or(tally.worst))
}

impl Tally {
    fn count(&mut self, item: &BatchItem<JsonInput>) {
        match &item.result {
            Ok(done) => {
                self.succeeded += 1;
                match done.origin {
                    Origin::Skipped => self.skipped += 1,
                    Origin::Resumed => self.resumed += 1,
                    _ => {}
                }
                self.predict_time += done.predict_time.map_or(0.0, |t| t.as_secs_f64());
            }
            Err(error) => {
                self.failed += 1;
                self.worst = self.worst.max(exit_code(error));
                match error {
                    Error::OutputMissing { .. }
                    | Error::OutputMismatch { .. }
                    | Error::OutputExpired { .. } => self.lost_outputs += 1,
                    Error::CreateUncertain { .. } => self.uncertain.push(item.index),
                    _ => {}
                }
            }
        }
    }
}

/// The sheet's entry for an item.
fn entry_of(item: &BatchItem<JsonInput>) -> Entry {
    let input = item.input.input();
    let model = match item.input.target() {
        Target::Model(model) => model,
        other => other.to_string(),
    };
    let mut entry = Entry {
        index: item.index,
        model,
        input: input.clone(),
        ..Entry::default()
    };
    match &item.result {
        Ok(done) => {
            entry.prediction_id = Some(done.prediction_id.clone());
            entry.predict_time = done.predict_time.map(|t| t.as_secs_f64());
            entry.files = done.files.iter().map(|f| f.path.clone()).collect();
            entry.origin = Some(done.origin);
        }
        Err(error) => {
            entry.prediction_id = error.prediction_id().map(str::to_string);
            entry.error = Some(error.to_string());
        }
    }
    entry
}

/// One item's line: JSON on stdout with `--json`, else a line above the bar (or on stderr). Fails only if
/// stdout cannot be written.
fn report(
    run: &Run,
    bar: &Option<ProgressBar>,
    item: &BatchItem<JsonInput>,
    entry: &Entry,
) -> Result<(), Failure> {
    if run.json {
        let files: Vec<String> = entry
            .files
            .iter()
            .map(|f| run.dir.join(f).display().to_string())
            .collect();
        let line = json!({
            "index": item.index,
            "id": entry.prediction_id,
            "status": if entry.error.is_none() { "succeeded" } else { "failed" },
            "output": item.result.as_ref().ok().map(|done| &done.output),
            "file": files.first(),
            "files": files,
            "error": entry.error,
            "predict_time": entry.predict_time,
            "origin": entry.origin.map(|o| format!("{o:?}").to_lowercase()),
        });
        output::line(line)?;
    }
    let text = match (&entry.error, entry.files.first()) {
        (Some(error), _) => format!("#{}: error: {}", item.index, crate::terminal::plain(error)),
        (None, Some(file)) => format!("#{}: {}", item.index, run.dir.join(file).display()),
        (None, None) => format!("#{}: done", item.index),
    };
    match bar {
        Some(bar) => bar.println(text),
        None => output::note(text),
    }
    Ok(())
}

fn progress_bar(total: usize) -> Option<ProgressBar> {
    std::io::stderr().is_terminal().then(|| {
        let bar = ProgressBar::new(total as u64);
        let style = ProgressStyle::with_template(
            "{bar:30} {pos}/{len} {msg} · {per_sec} · ETA {eta} [{elapsed}]",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.enable_steady_tick(Duration::from_millis(200));
        active_bar::show(&bar);
        bar
    })
}

/// Takes the bar off the screen for good.
fn clear(bar: Option<ProgressBar>) {
    if let Some(bar) = bar {
        bar.finish_and_clear();
        active_bar::hide();
    }
}

fn status(tally: &Tally, total: usize, concurrency: usize) -> String {
    let finished = tally.succeeded + tally.failed;
    let running = concurrency.min(total.saturating_sub(finished));
    format!("done · {} failed · {running} running", tally.failed)
}

/// The summary line: how each item ended, the model's time, the wall time and the pace the server allowed.
/// What the summary adds about money: outputs lost, creates left uncertain, predictions paid for and
/// delivered to no item.
fn money_lines(tally: &Tally, report: &BatchReport) -> Vec<String> {
    let mut lines = Vec::new();
    if tally.lost_outputs > 0 {
        lines.push(format!(
            "{} outputs were removed by the server or came empty; --retry-failed creates them again, at a cost",
            tally.lost_outputs
        ));
    }
    if !tally.uncertain.is_empty() {
        let items: Vec<String> = tally.uncertain.iter().map(|i| format!("#{i}")).collect();
        lines.push(format!(
            "{} creates are uncertain (a prediction may exist; nothing was created for them): {}; run the same command later to settle them",
            items.len(),
            items.join(", ")
        ));
    }
    if !report.undelivered.is_empty() {
        lines.push(format!(
            "{} predictions were paid for and delivered to no item: {}",
            report.undelivered.len(),
            report.undelivered.join(", ")
        ));
    }
    lines
}

fn summary(tally: &Tally, wall: Duration, client: &Client, sheet: &str) -> String {
    let pace = match client.rate_limits().creates {
        Some(rate) => format!("creates paced at {:.0}/min", rate.per_minute),
        None => "no create limit met".to_string(),
    };
    format!(
        "{} succeeded ({} skipped as already done, {} resumed), {} failed; predict time {:.1}s, wall time {:.1}s; {pace}; contact sheet: {sheet}",
        tally.succeeded,
        tally.skipped,
        tally.resumed,
        tally.failed,
        tally.predict_time,
        wall.as_secs_f64(),
    )
}
