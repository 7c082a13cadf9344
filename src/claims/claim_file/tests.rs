//! The claim store's tests: its answers, two stores and two processes racing, a crash, symbolic links,
//! pruning and the cost of a claim.

use std::{collections::HashMap, process::Command, sync::Arc, time::Instant};

use super::*;

/// Set in a child process to the store it works on; unset, [`child_process_side`] does nothing.
const CHILD_STORE: &str = "CLAIM_FILE_TEST_CHILD_STORE";
/// What the child does: `race` or `crash`.
const CHILD_MODE: &str = "CLAIM_FILE_TEST_CHILD_MODE";
/// How many ids the two processes race for.
const RACED: usize = 1_000;

impl ClaimFile {
    /// A claim made at `at` (seconds since the epoch), to age it.
    fn claim_at(&self, id: &str, owner: &str, at: i64) -> Result<Option<String>> {
        self.claim_stamped(id, owner, at)
    }
}

/// A store in a fresh directory, and the directory (removed when dropped).
fn store() -> (ClaimFile, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    (
        ClaimFile::open(&dir.path().join("claims.sqlite")).unwrap(),
        dir,
    )
}

/// The owner of `id`, as text ("" for none), for short assertions.
fn owner(claims: &ClaimFile, id: &str) -> String {
    claims.owner(id).unwrap().unwrap_or_default()
}

#[test]
fn a_prediction_goes_to_one_owner() {
    let (claims, dir) = store();
    assert_eq!(claims.claim("p1", "a").unwrap(), None);
    assert_eq!(claims.claim("p1", "a").unwrap(), None, "held already");
    assert_eq!(claims.claim("p1", "b").unwrap().as_deref(), Some("a"));
    assert_eq!(
        (owner(&claims, "p1"), owner(&claims, "p2")),
        ("a".into(), "".into())
    );
    assert_eq!(claims.claim("p2", "b").unwrap(), None);
    assert_eq!(claims.path(), dir.path().join("claims.sqlite"));
}

#[test]
fn what_an_adoption_passed_over_is_kept_in_order_while_it_is_claimed() {
    let (claims, _dir) = store();
    let others = ["z".to_owned(), "m".to_owned(), "a".to_owned()];
    claims.pass_over("unclaimed", &others).unwrap();
    assert!(claims.passed_over("unclaimed").unwrap().is_empty());
    claims.claim("adopted", "a").unwrap();
    claims.pass_over("adopted", &[]).unwrap();
    assert!(claims.passed_over("adopted").unwrap().is_empty());
    claims.pass_over("adopted", &others).unwrap();
    assert_eq!(claims.passed_over("adopted").unwrap(), others);
    claims.pass_over("adopted", &others[1..]).unwrap();
    assert_eq!(
        claims.passed_over("adopted").unwrap(),
        ["m", "a"],
        "replaced"
    );
}

#[test]
fn two_stores_on_one_file_racing_from_threads_give_each_id_one_owner() {
    let (first, dir) = store();
    let second = ClaimFile::open(&dir.path().join("claims.sqlite")).unwrap();
    let stores = [Arc::new(first), Arc::new(second)];
    let threads: Vec<_> = (0..6)
        .map(|t| {
            let claims = Arc::clone(&stores[t % 2]);
            // Each thread starts elsewhere in the ids, so they collide all along.
            std::thread::spawn(move || {
                let ids = (0..300).map(|i| format!("t{}", (i + t * 50) % 300));
                let mine = ids.map(|id| (claims.claim(&id, &format!("o{t}")).unwrap(), id));
                (format!("o{t}"), mine.collect::<Vec<_>>())
            })
        })
        .collect();
    let mut grants = HashMap::<String, usize>::new();
    for (me, answers) in threads.into_iter().map(|thread| thread.join().unwrap()) {
        for (answer, id) in answers {
            let held = owner(&stores[0], &id);
            assert_eq!(owner(&stores[1], &id), held, "{id}: both stores agree");
            *grants.entry(id.clone()).or_default() += usize::from(answer.is_none());
            assert_eq!(
                answer.unwrap_or_else(|| me.clone()),
                held,
                "{id}: {me}'s answer"
            );
        }
    }
    assert!(
        grants.len() == 300 && grants.values().all(|&n| n == 1),
        "{grants:?}"
    );
}

/// Runs this test binary again as a child doing `mode` on the store at `path`.
fn child(mode: &str, path: &Path) -> std::process::Child {
    let test = module_path!().split_once("::").unwrap().1;
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", &format!("{test}::child_process_side"), "--quiet"])
        .env(CHILD_STORE, path)
        .env(CHILD_MODE, mode)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

/// The child's side of the tests with two processes (a plain run has nothing to do here).
#[test]
fn child_process_side() {
    let Some(path) = std::env::var_os(CHILD_STORE).map(PathBuf::from) else {
        return;
    };
    if std::env::var(CHILD_MODE).unwrap() == "create" {
        let claims = ClaimFile::open(&path).unwrap();
        for i in 0..5 {
            assert_eq!(claims.claim(&format!("child{i}"), "child").unwrap(), None);
        }
        return;
    }
    let claims = ClaimFile::open(&path).unwrap();
    if std::env::var(CHILD_MODE).unwrap() == "crash" {
        for i in 0..100 {
            assert_eq!(claims.claim(&format!("c{i}"), "crashed").unwrap(), None);
        }
        // No clean close, no checkpoint: what was committed must be in the file all the same.
        std::process::abort();
    }
    std::fs::write(path.with_extension("ready"), "").unwrap();
    // Downwards, where the parent goes upwards: they meet, and collide, somewhere in the middle.
    let answers: Vec<String> = (0..RACED)
        .rev()
        .map(|i| {
            let id = format!("r{i}");
            let answer = claims.claim(&id, "child").unwrap();
            format!("{id} {}", answer.as_deref().unwrap_or("child"))
        })
        .collect();
    std::fs::write(path.with_extension("answers"), answers.join("\n")).unwrap();
}

#[test]
fn two_processes_racing_for_the_same_ids_never_both_get_one() {
    let (claims, dir) = store();
    let path = dir.path().join("claims.sqlite");
    let mut process = child("race", &path);
    let waited = Instant::now();
    while !path.with_extension("ready").exists() {
        assert!(
            waited.elapsed() < Duration::from_secs(60),
            "child not ready"
        );
        std::thread::sleep(Duration::from_micros(200));
    }
    let mine: HashMap<String, Option<String>> = (0..RACED)
        .map(|i| format!("r{i}"))
        .map(|id| (id.clone(), claims.claim(&id, "parent").unwrap()))
        .collect();
    assert!(process.wait().unwrap().success(), "the child failed");
    let theirs = std::fs::read_to_string(path.with_extension("answers")).unwrap();
    let mut won = HashMap::<String, usize>::new();
    for (id, answer) in theirs.lines().map(|line| line.split_once(' ').unwrap()) {
        let held = owner(&claims, id);
        assert_eq!(answer, held, "{id}: the child's answer names its owner");
        assert_eq!(
            mine[id].as_deref().unwrap_or("parent"),
            held,
            "{id}: the parent's"
        );
        *won.entry(held).or_default() += 1;
    }
    let (parent, child) = (won.remove("parent"), won.remove("child"));
    assert!(won.is_empty(), "ids held by neither: {won:?}");
    assert_eq!(
        parent.unwrap_or(0) + child.unwrap_or(0),
        RACED,
        "each id answered on both sides"
    );
    eprintln!("of {RACED} ids, the parent won {parent:?}, the child {child:?}");
}

#[test]
fn claims_made_before_a_crash_are_kept() {
    let (claims, dir) = store();
    let path = dir.path().join("claims.sqlite");
    assert!(!child("crash", &path).wait().unwrap().success());
    for i in 0..100 {
        assert_eq!(
            claims.claim(&format!("c{i}"), "x").unwrap().unwrap(),
            "crashed"
        );
    }
    claims.claim("kept", "x").unwrap();
    drop(claims);
    assert_eq!(owner(&ClaimFile::open(&path).unwrap(), "kept"), "x");
}

#[cfg(unix)]
#[test]
fn a_symlink_at_the_path_is_refused_and_its_target_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("precious");
    std::fs::write(&target, "keep me").unwrap();
    for (link, to) in [("claims", &target), ("dangling", &dir.path().join("none"))] {
        let link = dir.path().join(link);
        std::os::unix::fs::symlink(to, &link).unwrap();
        match ClaimFile::open(&link) {
            Err(Error::ClaimFile { path, reason }) => {
                assert_eq!(path, link);
                assert!(reason.contains("symbolic link"), "{reason}");
            }
            other => panic!("{:?}", other.map(|_| ())),
        }
    }
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me");
    let names = std::fs::read_dir(dir.path()).unwrap().count();
    assert_eq!(
        names, 3,
        "no journal beside the target, nothing at the dangling end"
    );
}

#[cfg(unix)]
#[test]
fn a_directory_reached_through_a_link_and_a_missing_one_are_fine() {
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(dir.path(), dir.path().join("via")).unwrap();
    let path = dir.path().join("via/new/deeper/claims.sqlite");
    ClaimFile::open(&path).unwrap().claim("p", "a").unwrap();
    let direct = ClaimFile::open(&dir.path().join("new/deeper/claims.sqlite")).unwrap();
    assert_eq!(owner(&direct, "p"), "a");
}

#[test]
fn claims_older_than_thirty_days_are_pruned_at_open() {
    let (claims, dir) = store();
    let day = 24 * 60 * 60;
    claims.claim_at("old", "a", now() - 31 * day).unwrap();
    claims.claim_at("recent", "a", now() - 29 * day).unwrap();
    claims.pass_over("old", &["x".to_owned()]).unwrap();
    claims.pass_over("recent", &["y".to_owned()]).unwrap();
    assert_eq!(owner(&claims, "old"), "a", "until reopened");
    drop(claims);
    let claims = ClaimFile::open(&dir.path().join("claims.sqlite")).unwrap();
    assert_eq!(
        (owner(&claims, "old"), owner(&claims, "recent")),
        ("".into(), "a".into())
    );
    assert!(claims.passed_over("old").unwrap().is_empty());
    assert_eq!(claims.passed_over("recent").unwrap(), ["y"]);
}

/// Not a benchmark, a guard: a claim is one small transaction without `fsync`, tens of microseconds.
#[test]
fn a_claim_takes_tens_of_microseconds() {
    let (claims, _dir) = store();
    let per_claim = |owner: &str| {
        let started = Instant::now();
        (0..5_000).for_each(|i| drop(claims.claim(&format!("p{i}"), owner).unwrap()));
        started.elapsed() / 5_000
    };
    let (new, taken) = (per_claim("a"), per_claim("b"));
    eprintln!("one claim: {new:?} new, {taken:?} already held");
    assert!(
        new.max(taken) < Duration::from_millis(2),
        "{new:?}, {taken:?}"
    );
}

#[test]
fn two_processes_creating_the_store_at_once_keep_both_their_claims() {
    // Each round, a new store both processes create at the same moment.
    for round in 0..10 {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("claims.sqlite");
        let mut process = child("create", &path);
        let mut others: Vec<_> = (0..3).map(|_| child("create", &path)).collect();
        let claims = ClaimFile::open(&path).unwrap();
        for i in 0..5 {
            assert_eq!(claims.claim(&format!("parent{i}"), "parent").unwrap(), None);
        }
        assert!(process.wait().unwrap().success());
        for other in &mut others {
            assert!(
                other.wait().unwrap().success(),
                "round {round}: a process could not open the store"
            );
        }
        drop(claims);
        let reopened = ClaimFile::open(&path).unwrap();
        for (who, i) in ["parent", "child"]
            .iter()
            .flat_map(|w| (0..5).map(move |i| (*w, i)))
        {
            assert_eq!(
                reopened.owner(&format!("{who}{i}")).unwrap().as_deref(),
                Some(who),
                "round {round}: {who}{i} lost"
            );
        }
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name())
            .filter(|n| n.to_string_lossy().ends_with(".new"))
            .collect();
        assert!(left.is_empty(), "{left:?}");
    }
}
