//! Makes what the simulator serves as each model's published schema (Cog's OpenAPI document) from the
//! library's `openapi.yaml`, with the library's own reader (`build/codegen/published.rs`): the simulator
//! publishes exactly the schemas the client is generated from.
//!
//! A spec the library's build rejects is rejected here too, with the same one-line error.

use std::{env, fs, path::PathBuf, process};

// `published` reads the spec with its siblings `output` and `refs`, as in the library's build.
#[path = "../build/shared/output.rs"]
mod output;
#[path = "../build/codegen/published.rs"]
mod published;
// Shared by several readers of the spec; this one needs only part of it.
#[allow(dead_code)]
#[path = "../build/shared/refs.rs"]
mod refs;

const SPEC: &str = "../openapi.yaml";

fn main() {
    println!("cargo:rerun-if-changed={SPEC}");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=../build/codegen/published.rs");
    println!("cargo:rerun-if-changed=../build/shared");
    if let Err(problem) = run() {
        eprintln!("error: openapi.yaml: {problem}");
        process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let out_dir = PathBuf::from(env::var("OUT_DIR").map_err(|e| e.to_string())?);
    let text = fs::read_to_string(SPEC).map_err(|e| format!("cannot read it: {e}"))?;
    let spec: serde_json::Value =
        yaml_serde::from_str(&text).map_err(|e| format!("not valid YAML: {e}"))?;
    let tokens = published::tokens(&spec)?;
    let file: syn::File =
        syn::parse2(tokens).map_err(|e| format!("generated code does not parse: {e}"))?;
    fs::write(out_dir.join("published.rs"), prettyplease::unparse(&file))
        .map_err(|e| format!("cannot write the published schemas: {e}"))
}
