//! The invariants, checked on the simulator's record and the files on disk, never on the client's word:
//! every prediction made was wanted by one item, each item's files hold its own prediction's output, and
//! the token never left the API.

use std::collections::{HashMap, HashSet};

use replicate_ideogram_simulator::{Simulator, UploadRecord};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{
    run::{Workspace, big_file, poster},
    schedule::Line,
};

/// One output directory and the lines whose items it should hold.
pub struct Wanted<'a> {
    pub out: &'a str,
    pub lines: &'a [Line],
}

/// Checks every invariant; the first broken one, in words.
pub async fn invariants(
    sim: &Simulator,
    ws: &Workspace,
    wanted: &[Wanted<'_>],
) -> Result<(), String> {
    let record = sim.record();
    if !record.delivery_authorization.is_empty() {
        return Err(format!(
            "the token went to the delivery host: {:?}",
            record.delivery_authorization
        ));
    }
    let items: usize = wanted.iter().map(|w| w.lines.len()).sum();
    if record.created.len() != items {
        return Err(format!(
            "{} predictions made for {items} items",
            record.created.len()
        ));
    }
    let predictions: HashMap<String, Value> = sim
        .predictions()
        .into_iter()
        .filter_map(|p| Some((p["id"].as_str()?.to_string(), p)))
        .collect();
    let outputs = outputs_by_content(&predictions).await?;
    let mut delivered = HashSet::new();
    for wanted in wanted {
        let held = held_by(ws, wanted.out, &outputs)?;
        let mut by_prompt: HashMap<&str, usize> = HashMap::new();
        for id in &held {
            if !delivered.insert(id.clone()) {
                return Err(format!("prediction {id} is in two directories"));
            }
            let prediction = &predictions[id];
            check_input(prediction, wanted.lines, &record.uploads)?;
            *by_prompt.entry(prompt_of(prediction)).or_default() += 1;
        }
        for line in wanted.lines {
            let want = wanted
                .lines
                .iter()
                .filter(|l| l.prompt() == line.prompt())
                .count();
            let have = by_prompt.get(line.prompt()).copied().unwrap_or(0);
            if have != want {
                return Err(format!(
                    "{}: {have} predictions' outputs for the {want} items of {:?}",
                    wanted.out,
                    line.prompt()
                ));
            }
        }
    }
    Ok(())
}

fn prompt_of(prediction: &Value) -> &str {
    prediction["input"]["prompt"].as_str().unwrap_or_default()
}

/// Each prediction's output files, by the SHA-256 of their content, fetched from the delivery host.
async fn outputs_by_content(
    predictions: &HashMap<String, Value>,
) -> Result<HashMap<String, String>, String> {
    let http = reqwest::Client::new();
    let mut by_content = HashMap::new();
    for (id, prediction) in predictions {
        let urls: Vec<&str> = match &prediction["output"] {
            Value::String(url) => vec![url.as_str()],
            Value::Array(urls) => urls.iter().filter_map(Value::as_str).collect(),
            _ => continue,
        };
        for url in urls {
            let answer = http.get(url).send().await.map_err(|e| e.to_string())?;
            let bytes = answer.bytes().await.map_err(|e| e.to_string())?;
            by_content.insert(hex(&Sha256::digest(&bytes)), id.clone());
        }
    }
    Ok(by_content)
}

/// The predictions whose outputs the directory's files hold; a file that holds none is an error.
fn held_by(
    ws: &Workspace,
    out: &str,
    outputs: &HashMap<String, String>,
) -> Result<HashSet<String>, String> {
    let dir = ws.dir.join(out);
    let mut held = HashSet::new();
    for entry in std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))? {
        let path = entry.map_err(|e| e.to_string())?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let output = (name.ends_with(".png") || name.ends_with(".json")) && !name.contains("index");
        if !output {
            continue;
        }
        let content = std::fs::read(&path).map_err(|e| e.to_string())?;
        match outputs.get(&hex(&Sha256::digest(&content))) {
            Some(id) => {
                held.insert(id.clone());
            }
            None => return Err(format!("{out}/{name} holds no prediction's output")),
        }
    }
    Ok(held)
}

/// The prediction is one the lines asked for: its prompt is an item's, and so are its files.
fn check_input(prediction: &Value, lines: &[Line], uploads: &[UploadRecord]) -> Result<(), String> {
    let prompt = prompt_of(prediction);
    let Some(line) = lines.iter().find(|l| l.prompt() == prompt) else {
        return Err(format!(
            "{} was made for no item ({prompt:?})",
            prediction["id"]
        ));
    };
    let (field, content) = match line {
        Line::BigReference(_) => ("character_reference_image", big_file()),
        Line::InlinePoster(_, n) => ("flat_graphic_image", poster(*n)),
        _ => return Ok(()),
    };
    let sent = prediction["input"][field].as_str().unwrap_or_default();
    let sha = hex(&Sha256::digest(&content));
    let same = match sent.strip_prefix("data:") {
        Some(_) => sent.ends_with(&base64(&content)),
        // An upload: the simulator's record of it says what it held.
        None => uploads
            .iter()
            .any(|u| sent.contains(&u.id) && u.sha256 == sha),
    };
    if !same {
        return Err(format!(
            "{} was sent another item's {field}",
            prediction["id"]
        ));
    }
    Ok(())
}

fn base64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
