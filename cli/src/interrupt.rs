//! Ctrl-C in a batch. The first stops starting items and lets those in flight finish and be saved (they are
//! paid for); the second leaves them to the next run, which takes them up from the journal without paying
//! again. Either way the user is told what happens and how to resume.

use std::{
    collections::BTreeSet,
    sync::{
        Arc, Mutex, MutexGuard, PoisonError,
        atomic::{AtomicBool, Ordering},
    },
};

use tokio::{sync::Notify, task::JoinHandle};

use crate::{active_bar, command_line, exit::Exit};

/// Which items a batch has started and not yet seen finish, and whether it may start more. The batch's
/// lazy inputs ask it before each item ([`Gate::admit`]); the loop reading results tells it of each end.
#[derive(Clone, Default)]
pub struct Gate {
    stopped: Arc<AtomicBool>,
    in_flight: Arc<Mutex<BTreeSet<usize>>>,
}

impl Gate {
    /// For `take_while` over the item indices: true (and the item counted as in flight) until stopped.
    pub fn admit(&self) -> impl FnMut(&usize) -> bool + Send + 'static {
        let gate = self.clone();
        move |index| {
            if gate.stopped.load(Ordering::Acquire) {
                return false;
            }
            gate.lock().insert(*index);
            true
        }
    }

    /// Starts no more items.
    pub fn stop(&self) {
        self.stopped.store(true, Ordering::Release);
    }

    pub fn finished(&self, index: usize) {
        self.lock().remove(&index);
    }

    /// The items started and not finished, in order.
    pub fn in_flight(&self) -> Vec<usize> {
        self.lock().iter().copied().collect()
    }

    fn lock(&self) -> MutexGuard<'_, BTreeSet<usize>> {
        self.in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// A second Ctrl-C came: what is in flight is left to the next run.
pub struct Abandoned;

/// Listens for Ctrl-C while a batch runs (and only then: before and after, Ctrl-C ends the process).
pub struct Interrupts {
    gate: Gate,
    second: Arc<Notify>,
    listener: Option<JoinHandle<()>>,
}

impl Interrupts {
    /// Starts listening. The handler is in place when this returns, so no Ctrl-C after it is missed.
    pub fn listen(gate: &Gate) -> Self {
        let second = Arc::new(Notify::new());
        let listener = signals().map(|mut signals| {
            let (gate, second) = (gate.clone(), Arc::clone(&second));
            tokio::spawn(async move {
                signals.next().await;
                gate.stop();
                let n = gate.in_flight().len();
                active_bar::note(&format!(
                    "stopping: {n} in flight will finish; Ctrl-C again to leave them to the next run"
                ));
                signals.next().await;
                second.notify_one();
            })
        });
        Self {
            gate: gate.clone(),
            second,
            listener,
        }
    }

    /// Runs `work` unless a second Ctrl-C comes first.
    pub async fn unless_abandoned<T>(&self, work: impl Future<Output = T>) -> Result<T, Abandoned> {
        tokio::select! {
            done = work => Ok(done),
            () = self.second.notified() => Err(Abandoned),
        }
    }

    /// After a second Ctrl-C: names the items left in flight and the command that resumes. Exit 130.
    pub fn abandon(&self) -> Exit {
        let left: Vec<String> = self
            .gate
            .in_flight()
            .iter()
            .map(|i| format!("#{i}"))
            .collect();
        if left.is_empty() {
            active_bar::note("interrupted");
        } else {
            active_bar::note(&format!(
                "interrupted: {} left in flight; their predictions go on, and the next run takes them up \
                 without paying again",
                left.join(", ")
            ));
        }
        resume_hint();
        Exit::Interrupted
    }

    /// After the batch ended: if a first Ctrl-C kept items from starting, says how to go on, and exit 130.
    pub fn ended_early(&self, finished: usize, total: usize) -> Option<Exit> {
        if !self.gate.stopped.load(Ordering::Acquire) || finished >= total {
            return None;
        }
        active_bar::note(&format!(
            "stopped: {} of {total} items not started",
            total - finished
        ));
        resume_hint();
        Some(Exit::Interrupted)
    }
}

impl Drop for Interrupts {
    fn drop(&mut self) {
        if let Some(listener) = &self.listener {
            listener.abort();
        }
    }
}

fn resume_hint() {
    active_bar::note(&format!(
        "to resume, run the same command again in the same directory:\n  {}",
        command_line::this_command()
    ));
}

/// Ctrl-C as a stream. On Unix one SIGINT handler for the whole batch, so that a second Ctrl-C that comes
/// while the first is being handled is not lost (a fresh `ctrl_c()` only sees signals after it is polled).
#[cfg(unix)]
struct Signals(tokio::signal::unix::Signal);

#[cfg(unix)]
fn signals() -> Option<Signals> {
    use tokio::signal::unix::{SignalKind, signal};
    signal(SignalKind::interrupt()).ok().map(Signals)
}

#[cfg(unix)]
impl Signals {
    async fn next(&mut self) {
        if self.0.recv().await.is_none() {
            std::future::pending::<()>().await;
        }
    }
}

#[cfg(not(unix))]
struct Signals;

#[cfg(not(unix))]
fn signals() -> Option<Signals> {
    Some(Signals)
}

#[cfg(not(unix))]
impl Signals {
    async fn next(&mut self) {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// The first Ctrl-C, for a run with nothing to finish gracefully (`generate` without `--out-dir`).
pub async fn ctrl_c() {
    if tokio::signal::ctrl_c().await.is_err() {
        // No handler could be installed: Ctrl-C keeps its default, ending the process.
        std::future::pending::<()>().await;
    }
}
