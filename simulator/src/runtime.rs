//! Settings a test may change while the simulator runs, between the runs of a batch: how late the list shows
//! a prediction, how long a create takes, and whether creates' answers are held back.

use std::{sync::Mutex, time::Duration};

use tokio::sync::watch;

use super::{Simulator, SimulatorConfig};

/// The runtime settings, shared by the handlers. Each starts from the [`SimulatorConfig`].
pub(crate) struct Runtime {
    list_lag: Mutex<Duration>,
    create_delay: Mutex<Duration>,
    /// Whether creates' answers are held; a watch, so that held creates learn at once when it is turned off.
    hold_creates: watch::Sender<bool>,
}

impl Runtime {
    pub(crate) fn new(config: &SimulatorConfig) -> Self {
        Self {
            list_lag: Mutex::new(config.list_lag),
            create_delay: Mutex::new(config.create_delay),
            hold_creates: watch::Sender::new(false),
        }
    }

    /// How long after its creation a prediction appears in the list.
    pub(crate) fn list_lag(&self) -> Duration {
        *self.list_lag.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How long a create takes before its prediction exists.
    pub(crate) fn create_delay(&self) -> Duration {
        *self.create_delay.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Returns once creates' answers are no longer held (at once if they are not).
    pub(crate) async fn released(&self) {
        let mut held = self.hold_creates.subscribe();
        // The sender lives as long as the simulator's state, which this borrows: the wait cannot fail.
        let _ = held.wait_for(|held| !held).await;
    }
}

impl SimulatorConfig {
    /// Makes `GET /predictions` (the list) show a prediction only once `lag` has passed since it was created,
    /// as Replicate's list lags behind its creates; `GET /predictions/{id}` is unaffected. Default: none.
    /// [`Simulator::set_list_lag`] changes it while the simulator runs.
    #[must_use]
    pub fn list_lag(mut self, lag: Duration) -> Self {
        self.list_lag = lag;
        self
    }

    /// Makes each create take `delay` before its prediction exists (its `created_at` is the moment it is
    /// made, after the delay). The prediction is made even if the client goes away during the delay, as a
    /// server goes on with a request whose client left. Default: none. [`Simulator::set_create_delay`]
    /// changes it while the simulator runs.
    #[must_use]
    pub fn create_delay(mut self, delay: Duration) -> Self {
        self.create_delay = delay;
        self
    }
}

impl Simulator {
    /// Sets the [list lag](SimulatorConfig::list_lag) from now on; it applies to predictions already made too.
    pub fn set_list_lag(&self, lag: Duration) {
        *self
            .shared
            .runtime
            .list_lag
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = lag;
    }

    /// Sets the [create delay](SimulatorConfig::create_delay) of creates that arrive from now on.
    pub fn set_create_delay(&self, delay: Duration) {
        *self
            .shared
            .runtime
            .create_delay
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = delay;
    }

    /// While `hold` is on, a create's prediction is made at once but its answer is withheld: the request hangs
    /// until hold is turned off (then it is answered as usual) or the client goes away. A test can so stop a
    /// client while its creates are in flight, their predictions already made. Off by default.
    pub fn set_hold_creates(&self, hold: bool) {
        self.shared.runtime.hold_creates.send_replace(hold);
    }
}
