//! The contact sheet, `index.html` in a batch's directory: every item as a card (its image, prompt, seed,
//! model, options, prediction id and predict time) and every failed item with its error. One file, relative
//! links, no script and nothing from elsewhere: it opens from the file system. Rewritten as results arrive
//! (at most once a second, and at the end), each time whole; [`SheetFile`] says where and how.

use std::{
    fmt::Write as _,
    path::PathBuf,
    time::{Duration, Instant},
};

use replicate_ideogram::batch::Origin;
use serde_json::Value;

use crate::sheet_file::SheetFile;

/// One item on the sheet.
#[derive(Clone, Debug, Default)]
pub struct Entry {
    pub index: usize,
    pub model: String,
    pub input: Value,
    pub prediction_id: Option<String>,
    pub predict_time: Option<f64>,
    pub files: Vec<PathBuf>,
    pub origin: Option<Origin>,
    pub error: Option<String>,
}

pub struct Sheet {
    file: SheetFile,
    total: usize,
    /// Each item's card, made once when it arrives (the sheet is rewritten many times), in item order.
    cards: Vec<Card>,
    written: Option<Instant>,
}

struct Card {
    index: usize,
    failed: bool,
    html: String,
}

impl Sheet {
    /// The sheet of a batch of `total` items in `dir`.
    pub fn new(dir: PathBuf, total: usize) -> Self {
        Self {
            file: SheetFile::new(dir),
            total,
            cards: Vec::new(),
            written: None,
        }
    }

    pub fn add(&mut self, entry: Entry) {
        let mut html = String::with_capacity(700);
        card(&mut html, &entry);
        let at = self.cards.partition_point(|c| c.index < entry.index);
        self.cards.insert(
            at,
            Card {
                index: entry.index,
                failed: entry.error.is_some(),
                html,
            },
        );
    }

    /// Rewrites the sheet if it is due: a second after the last time, and a second more for every 2,000
    /// items on it (a 10,000-item sheet is rewritten every 6 s, not every second).
    pub fn write_if_due(&mut self) {
        let every = Duration::from_secs(1) + Duration::from_millis(self.cards.len() as u64 / 2);
        match self.written {
            Some(at) if at.elapsed() < every => {}
            _ => self.write(),
        }
    }

    /// Rewrites the sheet now. One that cannot be written is a warning (once), never a stop: a failed
    /// attempt counts as a write, so it is not tried again for every item.
    pub fn write(&mut self) {
        let html = self.html();
        self.file.write(&html);
        self.written = Some(Instant::now());
    }

    /// Where the sheet is, for the summary.
    pub fn location(&self) -> String {
        self.file.location()
    }

    fn html(&self) -> String {
        let failed = self.cards.iter().filter(|c| c.failed).count();
        let bytes: usize = self.cards.iter().map(|c| c.html.len()).sum();
        let mut out = String::with_capacity(1024 + bytes);
        out.push_str(HEAD);
        let _ = write!(
            out,
            "<h1>Batch: {} of {} done, {} failed</h1>\n<div class=\"grid\">\n",
            self.cards.len(),
            self.total,
            failed
        );
        for card in &self.cards {
            out.push_str(&card.html);
        }
        out.push_str("</div>\n</body>\n</html>\n");
        out
    }
}

fn card(out: &mut String, entry: &Entry) {
    let class = if entry.error.is_some() {
        "card failed"
    } else {
        "card"
    };
    let _ = writeln!(
        out,
        "<figure class=\"{class}\" id=\"item-{}\">",
        entry.index
    );
    for file in &entry.files {
        let href = escape(&relative_link(file));
        if is_image(file) {
            let _ = writeln!(
                out,
                "<a href=\"{href}\"><img src=\"{href}\" loading=\"lazy\" alt=\"item {}\"></a>",
                entry.index
            );
        } else {
            let _ = writeln!(out, "<a class=\"file\" href=\"{href}\">{href}</a>");
        }
    }
    out.push_str("<figcaption>\n");
    let prompt = entry
        .input
        .get("prompt")
        .and_then(Value::as_str)
        .unwrap_or("");
    let _ = writeln!(
        out,
        "<p class=\"prompt\">#{} {}</p>",
        entry.index,
        escape(prompt)
    );
    let mut facts = vec![("model", entry.model.clone())];
    if let Some(seed) = entry.input.get("seed").filter(|s| !s.is_null()) {
        facts.push(("seed", seed.to_string()));
    }
    if let Some(object) = entry.input.as_object() {
        for (key, value) in object
            .iter()
            .filter(|(k, _)| *k != "prompt" && *k != "seed")
        {
            facts.push((key.as_str(), shorten(&value_text(value))));
        }
    }
    if let Some(id) = &entry.prediction_id {
        facts.push(("prediction", id.clone()));
    }
    if let Some(time) = entry.predict_time {
        facts.push(("predict time", format!("{time:.1}s")));
    }
    if let Some(origin) = entry.origin.filter(|o| *o != Origin::Created) {
        facts.push(("from", format!("{origin:?}").to_lowercase()));
    }
    out.push_str("<dl>");
    for (name, value) in facts {
        let _ = write!(out, "<dt>{}</dt><dd>{}</dd>", escape(name), escape(&value));
    }
    out.push_str("</dl>\n");
    if let Some(error) = &entry.error {
        let _ = writeln!(
            out,
            "<p class=\"error\">{}</p>",
            escape(&crate::terminal::plain(error))
        );
    }
    out.push_str("</figcaption>\n</figure>\n");
}

/// A file name as a relative URL: each path segment percent-encoded where it must be.
fn relative_link(file: &std::path::Path) -> String {
    file.components()
        .map(|c| {
            let text = c.as_os_str().to_string_lossy();
            percent_encoding::utf8_percent_encode(&text, SEGMENT).to_string()
        })
        .collect::<Vec<_>>()
        .join("/")
}

const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.');

fn is_image(file: &std::path::Path) -> bool {
    let extension = file.extension().and_then(|e| e.to_str()).unwrap_or("");
    matches!(
        extension.to_ascii_lowercase().as_str(),
        "png" | "jpg" | "jpeg" | "webp" | "gif"
    )
}

fn value_text(value: &Value) -> String {
    match value {
        Value::String(text) if text.starts_with("data:") => "(inline file)".into(),
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

fn shorten(text: &str) -> String {
    match text.char_indices().nth(120) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

/// The sheet's head. Its `generator` tag marks the file as ours ([`crate::sheet_file::MARK`]): only a file
/// with it is ever replaced.
pub const HEAD: &str = concat!(
    r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ideogram batch</title>
<meta name="generator" content="replicate-ideogram-cli "#,
    env!("CARGO_PKG_VERSION"),
    r#"">
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; background: #fafafa; color: #222; }
h1 { font-size: 1.2rem; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(220px, 1fr)); gap: 1rem; }
.card { margin: 0; background: #fff; border: 1px solid #ddd; border-radius: 6px; overflow: hidden; }
.card.failed { border-color: #c33; background: #fff5f5; }
.card img { display: block; width: 100%; height: auto; background: #eee; }
.card .file { display: block; padding: .5rem; word-break: break-all; }
figcaption { padding: .5rem .6rem; }
.prompt { font-weight: 600; margin: 0 0 .3rem; }
dl { display: grid; grid-template-columns: auto 1fr; gap: .1rem .5rem; margin: 0; font-size: 12px; }
dt { color: #777; } dd { margin: 0; overflow-wrap: anywhere; }
.error { color: #a00; white-space: pre-wrap; margin: .4rem 0 0; }
</style>
</head>
<body>
"#
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn everything_from_outside_is_escaped_and_links_are_relative() {
        let entry = Entry {
            index: 3,
            model: "ideogram-ai/ideogram-v2-turbo".into(),
            input: serde_json::json!({"prompt": "<script>alert(1)</script>", "seed": 7}),
            files: vec![PathBuf::from("00003-a b#c.png")],
            error: Some("boom \u{1b}[31mred".into()),
            ..Entry::default()
        };
        let mut out = String::new();
        card(&mut out, &entry);
        assert!(!out.contains("<script>"), "{out}");
        assert!(out.contains("src=\"00003-a%20b%23c.png\""), "{out}");
        assert!(!out.contains('\u{1b}'), "{out}");
    }
}
