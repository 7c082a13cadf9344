//! Configuration from the environment. One test in its own binary: the environment is process-wide.

use replicate_ideogram::{Client, Error};

#[test]
fn from_env_reads_the_token_and_base_url() {
    // SAFETY: this binary has a single test, so no other thread reads the environment meanwhile.
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
