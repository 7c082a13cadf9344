//! Micro-benchmarks of the client's own work per prediction: serializing and validating an input, decoding
//! an answer. `cargo bench --bench micro`; results and the machine in BENCHMARKS.md.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use replicate_ideogram::{
    ModelInput, Prediction,
    models::{AspectRatio, IdeogramV2TurboInput, StyleType},
};

const SEED_RESPONSE: &[u8] = include_bytes!("../tests/fixtures/seed_response.json");

fn input() -> IdeogramV2TurboInput {
    IdeogramV2TurboInput::new(
        "An illustration of a gold running shoe with the text \"Run AI with an API\" written on the shoe.",
    )
    .aspect_ratio(AspectRatio::Ratio16x9)
    .style_type(StyleType::Render3D)
    .negative_prompt("blurry")
    .seed(42)
}

fn benches(c: &mut Criterion) {
    let input = input();
    c.bench_function("input: validate", |b| {
        b.iter(|| black_box(&input).validate())
    });
    c.bench_function("input: serialize the create body", |b| {
        b.iter(|| serde_json::to_vec(&serde_json::json!({ "input": black_box(&input) })))
    });
    c.bench_function("answer: decode the seed's prediction", |b| {
        b.iter(|| Prediction::from_json(black_box(SEED_RESPONSE)))
    });
    c.bench_function("input: parse an aspect ratio", |b| {
        b.iter(|| black_box("16:10").parse::<AspectRatio>())
    });
}

criterion_group!(micro, benches);
criterion_main!(micro);
