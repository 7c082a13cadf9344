//! Removed outputs: Replicate deletes a prediction's output some time after it finishes (about an hour for
//! API predictions); from then on the prediction answers `"output": null, "data_removed": true` and its files
//! are gone from the delivery host.

use std::time::Duration;

use tokio::time::Instant;

use super::{
    Simulator, SimulatorConfig,
    state::{Phase, Stored},
};

impl Stored {
    /// Whether the output is removed at `now`: the prediction finished, and its expiry passed or a test
    /// removed it.
    pub(crate) fn output_removed(&self, phase: &Phase, now: Instant) -> bool {
        let Some(completed) = phase.completed else {
            return false;
        };
        let by_hand = self.removed.is_some_and(|removed| removed <= now);
        let expired = self
            .output_expiry
            .is_some_and(|expiry| completed + expiry <= now);
        by_hand || expired
    }
}

impl SimulatorConfig {
    /// Removes each prediction's output `expiry` after it finishes (`None`, the default: never), as Replicate
    /// does about an hour after: its JSON then has `"output": null, "data_removed": true` and the delivery
    /// host answers 404 for its files.
    #[must_use]
    pub fn output_expiry(mut self, expiry: Option<Duration>) -> Self {
        self.output_expiry = expiry;
        self
    }
}

impl Simulator {
    /// Removes the outputs of every prediction finished by now, as if their expiry had passed: each then
    /// answers `"output": null, "data_removed": true` and its files answer 404. Predictions still running keep
    /// their outputs when they finish. Returns how many predictions it marked so (failed and canceled ones
    /// among them, whose `data_removed` turns true as Replicate's do, though they had no output).
    pub fn remove_outputs(&self) -> usize {
        self.shared.store.remove_outputs(Instant::now())
    }
}
