//! Generates the client from `openapi.yaml`, the single source of truth for the wire format.
//!
//! Two generators read the one spec:
//! - progenitor writes the HTTP client and the wire types to `$OUT_DIR/codegen.rs` (private to the crate);
//! - `build/codegen/` writes the public, friendly model-input types (`IdeogramV2TurboInput`,
//!   `AspectRatio`, …) to `$OUT_DIR/models.rs`, and the API's own string enums (`WebhookEvent`) to
//!   `$OUT_DIR/root_enums.rs`; progenitor is told to use them in place of its own.
//!
//! What only the simulator needs (each model's schemas as Replicate publishes them) is written by
//! `build/codegen/published.rs` to `$OUT_DIR/published.rs`, for the library's hidden `workspace_only`
//! module: the simulator reads it from there, so it needs no build script and no file outside its package.
//!
//! A broken spec stops the build with one line that names the file and the problem.

use std::{
    env, fs,
    panic::{self, AssertUnwindSafe},
    path::PathBuf,
    process,
};

use progenitor::{GenerationSettings, Generator, HooksMode, InterfaceStyle, TagStyle, TypeImpl};

#[path = "build/codegen/mod.rs"]
pub(crate) mod codegen;

const SPEC: &str = "openapi.yaml";

fn main() {
    println!("cargo:rerun-if-changed={SPEC}");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=build");
    simulator_at_hand();
    if let Err(problem) = run() {
        eprintln!("error: {SPEC}: {problem}");
        process::exit(1);
    }
}

/// Sets `cfg(simulator_at_hand)` where the simulator's sources sit beside the library, as in the repository:
/// there it is a dev-dependency, which the published package has not (it names a path only), so the crate
/// docs' simulator example (`LIBRARY.md`) is compiled as a doctest only where this cfg is set.
fn simulator_at_hand() {
    println!("cargo::rustc-check-cfg=cfg(simulator_at_hand)");
    let at_hand = env::var_os("CARGO_MANIFEST_DIR")
        .is_some_and(|dir| PathBuf::from(dir).join("simulator/Cargo.toml").is_file());
    if at_hand {
        println!("cargo::rustc-cfg=simulator_at_hand");
    }
}

fn run() -> Result<(), String> {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").map_err(|e| e.to_string())?);
    let out_dir = PathBuf::from(env::var("OUT_DIR").map_err(|e| e.to_string())?);
    let text =
        fs::read_to_string(manifest_dir.join(SPEC)).map_err(|e| format!("cannot read it: {e}"))?;
    let generated = generate(&text)?;
    write_rust(&out_dir.join("models.rs"), generated.models)?;
    write_rust(&out_dir.join("root_enums.rs"), generated.root_enums)?;
    write_rust(&out_dir.join("published.rs"), generated.published)?;
    write_rust(&out_dir.join("codegen.rs"), generated.client)
}

/// The generated files, as tokens.
pub(crate) struct Generated {
    pub(crate) models: proc_macro2::TokenStream,
    pub(crate) root_enums: proc_macro2::TokenStream,
    pub(crate) client: proc_macro2::TokenStream,
    /// Each model's schemas as Replicate publishes them, for the simulator.
    pub(crate) published: proc_macro2::TokenStream,
}

/// Generates the files from the text of the spec, or says what is wrong with it.
pub(crate) fn generate(text: &str) -> Result<Generated, String> {
    let raw: serde_json::Value =
        yaml_serde::from_str(text).map_err(|e| format!("not valid YAML: {e}"))?;
    check_document(&raw)?;
    let spec: openapiv3::OpenAPI =
        yaml_serde::from_str(text).map_err(|e| format!("not an OpenAPI 3.0 document: {e}"))?;

    let models = codegen::Models::from_spec(&raw)?;
    let published = codegen::published::tokens(&raw)?;

    let mut settings = GenerationSettings::default();
    settings
        .with_interface(InterfaceStyle::Positional)
        .with_tag(TagStyle::Merged)
        .with_hooks(HooksMode::Expected)
        .with_inner_type(quote::quote!(crate::transport::Transport));
    for replacement in models.replacements() {
        let impls: &[TypeImpl] = if replacement.is_enum {
            &[TypeImpl::Display, TypeImpl::FromStr]
        } else {
            &[]
        };
        settings.with_replacement(
            &replacement.schema,
            &replacement.rust_path,
            impls.iter().cloned(),
        );
    }
    let mut generator = Generator::new(&settings);
    let client = generate_quietly(|| generator.generate_tokens(&spec))?;
    Ok(Generated {
        models: models.to_tokens(),
        root_enums: models.root_tokens(),
        client,
        published,
    })
}

/// Checks what progenitor would otherwise report with a panic or a confusing message.
fn check_document(raw: &serde_json::Value) -> Result<(), String> {
    let version = raw
        .get("openapi")
        .and_then(|v| v.as_str())
        .ok_or("`openapi` must be a quoted version string such as \"3.0.3\"")?;
    if !version.starts_with("3.0.") {
        return Err(format!(
            "`openapi: {version}` is not supported: progenitor reads OpenAPI 3.0.x only"
        ));
    }
    let info_version = raw
        .pointer("/info/version")
        .and_then(|v| v.as_str())
        .ok_or("`info.version` must be a quoted string")?;
    if !info_version
        .bytes()
        .all(|b| b.is_ascii_graphic() || b == b' ')
    {
        return Err("`info.version` must be printable ASCII (it is sent as a header)".into());
    }
    let paths = raw
        .get("paths")
        .and_then(|v| v.as_object())
        .ok_or("`paths` is missing")?;
    for (path, item) in paths {
        let Some(item) = item.as_object() else {
            return Err(format!("path `{path}` is not an object"));
        };
        for (method, operation) in item {
            if !matches!(
                method.as_str(),
                "get" | "post" | "put" | "delete" | "patch" | "head"
            ) {
                continue;
            }
            if operation
                .get("operationId")
                .and_then(|v| v.as_str())
                .is_none()
            {
                return Err(format!("`{method} {path}` has no operationId"));
            }
        }
    }
    Ok(())
}

/// Runs the generator, turning a panic deep inside it into an error message.
fn generate_quietly<T>(
    generate: impl FnOnce() -> Result<T, progenitor::Error>,
) -> Result<T, String> {
    let default_hook = panic::take_hook();
    panic::set_hook(Box::new(|_| {}));
    let outcome = panic::catch_unwind(AssertUnwindSafe(generate));
    panic::set_hook(default_hook);
    match outcome {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(format!("progenitor rejected it: {e}")),
        Err(payload) => {
            let message = payload
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| payload.downcast_ref::<&str>().copied())
                .unwrap_or("(no message)");
            Err(format!(
                "progenitor panicked while generating the client: {message} \
                 (common causes: two success responses with different schemas, enum values that \
                 differ only in case or punctuation)"
            ))
        }
    }
}

fn write_rust(path: &std::path::Path, tokens: proc_macro2::TokenStream) -> Result<(), String> {
    let file: syn::File =
        syn::parse2(tokens).map_err(|e| format!("generated code does not parse: {e}"))?;
    fs::write(path, prettyplease::unparse(&file))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}
