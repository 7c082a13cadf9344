//! What every test file here starts from: a simulator, with fast timings.
#![allow(dead_code)]

use std::time::Duration;

use replicate_ideogram_simulator::{Simulator, SimulatorConfig};

pub async fn start(config: SimulatorConfig) -> Simulator {
    Simulator::start(config)
        .await
        .expect("the simulator starts")
}

pub fn fast() -> SimulatorConfig {
    SimulatorConfig::default().timings(Duration::from_millis(20), Duration::from_millis(60))
}
