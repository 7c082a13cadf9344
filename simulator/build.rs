//! Sets `cfg(library_at_hand)` where the library's sources sit beside the simulator, as in the repository.
//! Two of the simulator's tests read the library's spec and fixtures, which are not in this package: they
//! are compiled only there, so the tests of the packaged crate build too. The simulator itself is the same
//! either way.

use std::{env, path::PathBuf};

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rustc-check-cfg=cfg(library_at_hand)");
    let beside = env::var_os("CARGO_MANIFEST_DIR").map(|dir| PathBuf::from(dir).join(".."));
    let at_hand = beside.is_some_and(|dir| {
        dir.join("openapi.yaml").is_file() && dir.join("tests/fixtures/published").is_dir()
    });
    if at_hand {
        println!("cargo::rustc-cfg=library_at_hand");
    }
}
