//! The contact sheet's file: an `index.html` that is not ours is kept and ours goes beside it, a link at the
//! sheet's path or its temporary file's never has its target written, and a sheet that cannot be written is
//! a warning while the batch goes on.

use crate::cli_support;

use std::path::Path;

use cli_support::{assert_png, ideogram, simulator, stderr};

/// `n` prompts in `inputs.txt`, run into `out` (made beforehand, for the test to put things in).
fn batch_dir(n: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let inputs: Vec<String> = (0..n).map(|i| format!("a paper boat {i}")).collect();
    std::fs::write(dir.path().join("inputs.txt"), inputs.join("\n")).unwrap();
    std::fs::create_dir(dir.path().join("out")).unwrap();
    dir
}

const BATCH: &[&str] = &["batch", "inputs.txt", "--out-dir", "out"];

fn pngs(out: &Path) -> usize {
    std::fs::read_dir(out)
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().extension() == Some("png".as_ref()))
        .count()
}

#[tokio::test]
async fn an_index_html_not_ours_is_kept_and_the_sheet_goes_beside_it() {
    let sim = simulator().await;
    let dir = batch_dir(3);
    let out = dir.path().join("out");
    let theirs = b"<!doctype html><title>My web folder</title><p>Hand-written.</p>\n";
    std::fs::write(out.join("index.html"), theirs).unwrap();

    for run in 0..2 {
        let output = ideogram(Some(&sim), dir.path(), BATCH).await;
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(0), "{err}");
        assert_eq!(
            std::fs::read(out.join("index.html")).unwrap(),
            theirs,
            "run {run}"
        );
        let notes = err.matches("is not a contact sheet of ours").count();
        assert_eq!(notes, 1, "said once: {err}");
        assert!(err.contains("ideogram-index.html"), "{err}");
        let summary = err.lines().last().unwrap();
        assert!(summary.ends_with("out/ideogram-index.html"), "{summary}");
    }
    let sheet = std::fs::read_to_string(out.join("ideogram-index.html")).unwrap();
    assert_eq!(sheet.matches("<figure class=").count(), 3, "{sheet}");
    assert!(sheet.contains(r#"<meta name="generator" content="replicate-ideogram"#));
    assert!(
        !out.join("ideogram-index-2.html").exists(),
        "the second run rewrote its own sheet"
    );
}

#[cfg(unix)]
#[tokio::test]
async fn links_at_the_sheet_and_its_temporary_file_are_never_written_through() {
    let sim = simulator().await;
    let dir = batch_dir(2);
    let out = dir.path().join("out");
    let targets = ["outside-sheet.txt", "outside-part.txt"];
    for (link, target) in ["index.html", "index.html.part"].iter().zip(targets) {
        std::fs::write(dir.path().join(target), "precious").unwrap();
        std::os::unix::fs::symlink(dir.path().join(target), out.join(link)).unwrap();
    }
    let output = ideogram(Some(&sim), dir.path(), BATCH).await;
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{err}");
    for target in targets {
        let text = std::fs::read_to_string(dir.path().join(target)).unwrap();
        assert_eq!(text, "precious", "{target}: {err}");
    }
    assert!(
        out.join("index.html").is_symlink(),
        "the link is left alone"
    );
    let sheet = std::fs::read_to_string(out.join("ideogram-index.html")).unwrap();
    assert_eq!(sheet.matches("<figure class=").count(), 2, "{sheet}");
}

#[tokio::test]
async fn a_sheet_that_cannot_be_written_is_a_warning_and_the_batch_finishes() {
    let sim = simulator().await;
    let dir = batch_dir(5);
    let out = dir.path().join("out");
    std::fs::create_dir(out.join("index.html")).unwrap();
    let output = ideogram(
        Some(&sim),
        dir.path(),
        &[BATCH, &["--concurrency", "1"]].concat(),
    )
    .await;
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{err}");
    assert_eq!(pngs(&out), 5, "{err}");
    for entry in std::fs::read_dir(&out).unwrap() {
        let path = entry.unwrap().path();
        if path.extension() == Some("png".as_ref()) {
            assert_png(&path);
        }
    }
    let warnings = err.matches("cannot write the contact sheet").count();
    assert_eq!(warnings, 1, "warned once: {err}");
    assert!(err.contains("5 succeeded"), "{err}");
    assert!(err.contains("contact sheet: not written"), "{err}");
}
