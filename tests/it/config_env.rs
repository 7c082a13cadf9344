//! Configuration from the environment. The environment is process-wide and the other tests of this binary
//! run on other threads, so the test runs again alone in a child process of this binary, and changes the
//! environment only there.

use std::process::Command;

use replicate_ideogram::{Client, Error};

/// Set in the child process: there this test is the only one running.
const ALONE: &str = "REPLICATE_IDEOGRAM_TEST_ALONE";

#[test]
fn from_env_reads_the_token_and_base_url() {
    if std::env::var_os(ALONE).is_none() {
        let name = concat!(module_path!(), "::from_env_reads_the_token_and_base_url");
        let name = name.split_once("::").map_or(name, |(_binary, path)| path);
        let child = Command::new(std::env::current_exe().unwrap())
            .args([name, "--exact", "--test-threads=1", "--nocapture"])
            .env(ALONE, "1")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&child.stdout);
        assert!(
            child.status.success(),
            "{stdout}{}",
            String::from_utf8_lossy(&child.stderr)
        );
        // A filter that matched nothing would pass too.
        assert!(stdout.contains("test result: ok. 1 passed"), "{stdout}");
        return;
    }
    // SAFETY: this process runs this one test, on one thread, so no other thread reads the environment.
    unsafe {
        std::env::remove_var("REPLICATE_API_TOKEN");
        std::env::remove_var("REPLICATE_BASE_URL");
    }
    let error = Client::from_env().unwrap_err();
    assert!(
        matches!(&error, Error::Config(m) if m.contains("REPLICATE_API_TOKEN")),
        "{error}"
    );

    unsafe { std::env::set_var("REPLICATE_API_TOKEN", "  ") };
    let error = Client::from_env().unwrap_err();
    assert!(
        matches!(&error, Error::Config(m) if m == "REPLICATE_API_TOKEN is empty"),
        "{error}"
    );

    unsafe { std::env::set_var("REPLICATE_API_TOKEN", "r8_env") };
    assert_eq!(
        Client::from_env().unwrap().base_url(),
        "https://api.replicate.com/v1"
    );

    unsafe { std::env::set_var("REPLICATE_BASE_URL", "https://proxy.example/replicate/v1/") };
    assert_eq!(
        Client::from_env().unwrap().base_url(),
        "https://proxy.example/replicate/v1"
    );

    unsafe { std::env::set_var("REPLICATE_BASE_URL", "http://proxy.example/v1") };
    assert!(matches!(Client::from_env(), Err(Error::Config(_))));

    unsafe {
        std::env::remove_var("REPLICATE_API_TOKEN");
        std::env::remove_var("REPLICATE_BASE_URL");
    }
}
