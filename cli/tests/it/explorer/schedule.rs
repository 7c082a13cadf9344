//! A schedule: everything an unlucky user's night can throw at a batch, drawn from one seed.

use std::time::Duration;

/// One line of a batch file, as the explorer writes it.
#[derive(Clone, Debug, PartialEq)]
pub enum Line {
    /// A plain prompt, its own.
    Plain(String),
    /// A JSON line with a seed.
    Seeded(String, i64),
    /// A prompt shared with other lines, without a seed: variations of one input.
    Identical(String),
    /// A character with the 300 kB reference file (uploaded, reused across runs).
    BigReference(String),
    /// A layerize poster with a small file of its own (inline), byte `n` throughout.
    InlinePoster(String, u8),
}

impl Line {
    /// The batch file's line.
    pub fn text(&self) -> String {
        match self {
            Self::Plain(prompt) | Self::Identical(prompt) => prompt.clone(),
            Self::Seeded(prompt, seed) => {
                serde_json::json!({"prompt": prompt, "seed": seed}).to_string()
            }
            Self::BigReference(prompt) => serde_json::json!({
                "model": "ideogram-character", "prompt": prompt,
                "character_reference_image": "big.png",
            })
            .to_string(),
            Self::InlinePoster(prompt, n) => serde_json::json!({
                "model": "layerize", "prompt": prompt, "flat_graphic_image": format!("poster{n}.png"),
            })
            .to_string(),
        }
    }

    /// The prompt: the items of a batch are told apart by it (only identical lines share one).
    pub fn prompt(&self) -> &str {
        match self {
            Self::Plain(p)
            | Self::Seeded(p, _)
            | Self::Identical(p)
            | Self::BigReference(p)
            | Self::InlinePoster(p, _) => p,
        }
    }
}

/// How the batch file is edited between two runs.
#[derive(Clone, Debug, PartialEq)]
pub enum Edit {
    /// A new line inserted at this position.
    Insert(usize, Line),
    /// The line at the first position moved to the second.
    Move(usize, usize),
    /// The line at this position written twice.
    Duplicate(usize),
}

/// One schedule.
#[derive(Clone, Debug)]
pub struct Schedule {
    pub seed: u64,
    pub lines: Vec<Line>,
    pub concurrency: usize,
    /// The probability that a create's answer is lost (after the prediction was made).
    pub lost: f64,
    pub list_lag: Duration,
    pub create_delay: Duration,
    /// When the first run is killed (SIGKILL), if it is.
    pub kill_after: Option<Duration>,
    pub edit: Option<Edit>,
    /// How far off (seconds) the clock that wrote the journal was from the rerun's.
    pub skew: i64,
    /// A second process runs the same batch into another directory, on the same account, meanwhile.
    pub second_process: bool,
}

impl Schedule {
    /// The schedule of `seed`.
    pub fn of(seed: u64) -> Self {
        let mut rng = fastrand::Rng::with_seed(seed);
        let n = rng.usize(4..=10);
        let mut lines: Vec<Line> = (0..n).map(|i| line(&mut rng, seed, i)).collect();
        // Variations of one input: a group of identical lines, sometimes.
        if rng.bool() {
            let copies = rng.usize(2..=4);
            let prompt = format!("variations {seed}");
            for _ in 0..copies {
                let at = rng.usize(0..=lines.len());
                lines.insert(at, Line::Identical(prompt.clone()));
            }
        }
        let edit = match rng.usize(0..4) {
            0 => None,
            1 => Some(Edit::Insert(
                rng.usize(0..=lines.len()),
                Line::Seeded(format!("inserted {seed}"), 99),
            )),
            2 => Some(Edit::Move(
                rng.usize(0..lines.len()),
                rng.usize(0..lines.len()),
            )),
            _ => Some(Edit::Duplicate(rng.usize(0..lines.len()))),
        };
        Self {
            seed,
            concurrency: rng.usize(1..=6),
            lost: if rng.bool() { 0.25 } else { 0.0 },
            list_lag: Duration::from_millis(rng.u64(0..=800)),
            create_delay: Duration::from_millis(rng.u64(0..=300)),
            kill_after: rng
                .bool()
                .then(|| Duration::from_millis(rng.u64(50..=1500))),
            edit,
            skew: rng.i64(-5..=5),
            second_process: rng.u8(0..4) == 0,
            lines,
        }
    }

    /// The lines after the edit.
    pub fn edited(&self) -> Vec<Line> {
        let mut lines = self.lines.clone();
        match &self.edit {
            None => {}
            Some(Edit::Insert(at, line)) => lines.insert((*at).min(lines.len()), line.clone()),
            Some(Edit::Move(from, to)) => {
                let line = lines.remove(*from);
                lines.insert((*to).min(lines.len()), line);
            }
            Some(Edit::Duplicate(at)) => {
                let line = lines[*at].clone();
                lines.insert(*at, line);
            }
        }
        lines
    }
}

fn line(rng: &mut fastrand::Rng, seed: u64, i: usize) -> Line {
    let prompt = format!("item {i} of schedule {seed}");
    match rng.usize(0..6) {
        0 | 1 => Line::Plain(prompt),
        2 => Line::Seeded(prompt, rng.i64(0..1_000_000)),
        3 => Line::BigReference(prompt),
        _ => Line::InlinePoster(prompt, i as u8),
    }
}
