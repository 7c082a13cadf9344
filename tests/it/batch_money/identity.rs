//! What a batch item is: its content. Reruns with large reference files, inputs that differ only in a
//! file, identical inputs, and an edited batch file pay for nothing twice and hand no item another's output,
//! counted on the simulator's record.

use crate::common;

use std::{collections::HashSet, path::Path, time::Duration};

use common::batches::{client, input_of, killed_with_creates_held, made, run};
use replicate_ideogram::{
    batch::Origin,
    models::{IdeogramCharacterInput, IdeogramV2TurboInput, LayerizeInput, local_file},
};
use replicate_ideogram_simulator::{Faults, Simulator, SimulatorConfig};

const SETTLE: Duration = Duration::from_secs(1);

async fn simulator(config: SimulatorConfig) -> Simulator {
    let config = config.timings(Duration::from_millis(10), Duration::from_millis(40));
    Simulator::start(config).await.unwrap()
}

/// A file of `size` bytes, all of them `byte`.
fn file(dir: &Path, name: &str, byte: u8, size: usize) -> String {
    let path = dir.join(name);
    std::fs::write(&path, vec![byte; size]).unwrap();
    local_file(&path).unwrap()
}

#[tokio::test]
async fn a_rerun_with_a_large_reference_file_pays_for_nothing_again() {
    let sim = simulator(SimulatorConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let me = file(dir.path(), "me.png", 7, 300 * 1024);
    let inputs = || {
        (0..3)
            .map(|i| IdeogramCharacterInput::new(format!("her, take {i}"), me.clone()))
            .collect::<Vec<_>>()
    };
    let out = dir.path().join("out");
    for run_number in 1..=3 {
        let (results, _) = run(&client(&sim, SETTLE), inputs(), &out, false).await;
        let origins: Vec<_> = results
            .iter()
            .map(|r| r.as_ref().map(|d| d.origin))
            .collect();
        assert!(
            origins.iter().all(|o| o.is_ok()),
            "run {run_number}: {origins:?}"
        );
        assert_eq!(made(&sim).len(), 3, "run {run_number} paid again");
    }
    assert_eq!(
        sim.record().uploads.len(),
        1,
        "the upload is reused across runs"
    );

    // Killed with its creates held: the rerun recognises the predictions by the upload it recorded.
    let killed = dir.path().join("killed");
    let others: Vec<_> = (0..3)
        .map(|i| IdeogramCharacterInput::new(format!("him, take {i}"), me.clone()))
        .collect();
    killed_with_creates_held(&sim, &client(&sim, SETTLE), others.clone(), &killed, 3).await;
    let (results, report) = run(&client(&sim, SETTLE), others, &killed, false).await;
    for result in &results {
        assert_eq!(result.as_ref().unwrap().origin, Origin::Resumed);
    }
    assert_eq!(made(&sim).len(), 6, "nothing paid twice after the kill");
    assert!(report.undelivered.is_empty(), "{report:?}");
}

#[tokio::test]
async fn inputs_that_differ_only_in_an_inline_file_never_get_each_others_output() {
    // Every create's answer is lost: each item finds its prediction by what it sent.
    let config = SimulatorConfig::default().create_faults(Faults::default().drop_after(1.0));
    let sim = simulator(config).await;
    let dir = tempfile::tempdir().unwrap();
    let posters: Vec<String> = (0..6)
        .map(|i| file(dir.path(), &format!("poster{i}.png"), i as u8, 1000))
        .collect();
    let inputs: Vec<_> = posters
        .iter()
        .map(|p| LayerizeInput::new(p.clone()))
        .collect();
    let (results, _) = run(
        &client(&sim, SETTLE),
        inputs,
        &dir.path().join("out"),
        false,
    )
    .await;
    assert_eq!(made(&sim).len(), 6);
    for (i, result) in results.iter().enumerate() {
        let id = &result.as_ref().unwrap().prediction_id;
        let sent = input_of(&sim, id)["flat_graphic_image"]
            .as_str()
            .unwrap()
            .to_string();
        let expected = replicate_ideogram::models::data_url_of(
            url::Url::parse(&posters[i])
                .unwrap()
                .to_file_path()
                .unwrap(),
        )
        .unwrap();
        assert_eq!(sent, expected, "item {i} got another poster's prediction");
    }
}

#[tokio::test]
async fn on_resume_two_characters_keep_their_own_pictures() {
    let sim = simulator(SimulatorConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let alice = file(dir.path(), "alice.png", 1, 2000);
    let bob = file(dir.path(), "bob.png", 2, 2000);
    let inputs = vec![
        IdeogramCharacterInput::new("reading", alice.clone()),
        IdeogramCharacterInput::new("reading", bob.clone()),
    ];
    let out = dir.path().join("out");
    killed_with_creates_held(&sim, &client(&sim, SETTLE), inputs.clone(), &out, 2).await;
    let (results, _) = run(&client(&sim, SETTLE), inputs, &out, false).await;
    assert_eq!(made(&sim).len(), 2);
    for (result, file) in results.iter().zip(["alice.png", "bob.png"]) {
        let id = &result.as_ref().unwrap().prediction_id;
        let sent = input_of(&sim, id)["character_reference_image"]
            .as_str()
            .unwrap()
            .to_string();
        let expected = replicate_ideogram::models::data_url_of(dir.path().join(file)).unwrap();
        assert_eq!(sent, expected, "{file}'s item got the other's prediction");
    }
}

#[tokio::test]
async fn identical_inputs_killed_in_flight_pair_one_to_one_on_resume() {
    let sim = simulator(SimulatorConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    // `--count 4` without a seed: four variations of one input.
    let inputs = vec![IdeogramV2TurboInput::new("variations"); 4];
    let out = dir.path().join("out");
    killed_with_creates_held(&sim, &client(&sim, SETTLE), inputs.clone(), &out, 2).await;
    let (results, report) = run(&client(&sim, SETTLE), inputs, &out, false).await;
    assert_eq!(
        made(&sim).len(),
        4,
        "the two held are resumed, two more made"
    );
    let ids: HashSet<_> = results
        .iter()
        .map(|r| r.as_ref().unwrap().prediction_id.clone())
        .collect();
    assert_eq!(ids.len(), 4, "each item its own prediction");
    let contents: HashSet<_> = results
        .iter()
        .map(|r| r.as_ref().unwrap().files[0].sha256.clone())
        .collect();
    assert_eq!(contents.len(), 4, "four distinct images");
    assert!(report.undelivered.is_empty(), "{report:?}");
}

#[tokio::test]
async fn an_edited_batch_file_recreates_nothing_that_was_made() {
    let sim = simulator(SimulatorConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let line = |i: usize| IdeogramV2TurboInput::new(format!("line {i}")).seed(i as i64);
    let out = dir.path().join("out");
    let first: Vec<_> = (0..5).map(line).collect();
    run(&client(&sim, SETTLE), first, &out, false).await;
    assert_eq!(made(&sim).len(), 5);
    // A line inserted at the top, two moved, one duplicated.
    let edited = vec![
        IdeogramV2TurboInput::new("a new first line"),
        line(3),
        line(0),
        line(1),
        line(2),
        line(4),
        line(4),
    ];
    let (results, _) = run(&client(&sim, SETTLE), edited, &out, false).await;
    let origins: Vec<_> = results.iter().map(|r| r.as_ref().unwrap().origin).collect();
    assert_eq!(
        origins,
        [
            Origin::Created,
            Origin::Skipped,
            Origin::Skipped,
            Origin::Skipped,
            Origin::Skipped,
            Origin::Skipped,
            Origin::Created
        ]
    );
    assert_eq!(made(&sim).len(), 7, "only the new line and the duplicate");
    // No file written over another item's.
    let files: HashSet<_> = results
        .iter()
        .map(|r| r.as_ref().unwrap().files[0].path.clone())
        .collect();
    assert_eq!(files.len(), 7);
}
