//! Micro-benchmarks of the client's own work per prediction: serializing and validating an input, decoding
//! an answer, and (with the `simulator` feature) one whole request built, sent on loopback and decoded,
//! through the client and through bare reqwest. `cargo bench --bench micro`; results
//! and the machine in BENCHMARKS.md.

// A benchmark stops on a broken setup by panicking: it is not code a server or a user reaches.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use replicate_ideogram::{
    ModelInput, Prediction,
    models::{AspectRatio, IdeogramV2TurboInput, StyleType},
};

const EXAMPLE_RESPONSE: &[u8] = include_bytes!("../../tests/fixtures/example_response.json");

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
    c.bench_function("answer: decode the example's prediction", |b| {
        b.iter(|| Prediction::from_json(black_box(EXAMPLE_RESPONSE)))
    });
    c.bench_function("input: parse an aspect ratio", |b| {
        b.iter(|| black_box("16:10").parse::<AspectRatio>())
    });
}

/// One `GET /predictions/{id}` on loopback against the simulator: the client (request built by the
/// generated code, the transport's retry and tracing, the answer decoded into `Prediction`) against bare
/// reqwest (the same request, the answer parsed into a `serde_json::Value`).
fn round_trips(c: &mut Criterion) {
    use replicate_ideogram_simulator::{Simulator, SimulatorConfig};

    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let (sim, client, id) = runtime.block_on(async {
        let sim = Simulator::start(SimulatorConfig::default())
            .await
            .expect("the simulator");
        let client = sim.client().expect("a client");
        let id = client.create(input()).await.expect("a prediction").id;
        (sim, client, id)
    });
    c.bench_function("round trip: get a prediction with the client", |b| {
        b.to_async(&runtime)
            .iter(|| async { client.get(black_box(&id)).await.expect("a prediction") })
    });
    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("reqwest");
    let url = format!("{}/predictions/{id}", sim.base_url());
    c.bench_function("round trip: the same get with bare reqwest", |b| {
        b.to_async(&runtime).iter(|| async {
            http.get(black_box(&url))
                .bearer_auth(sim.token())
                .send()
                .await
                .expect("an answer")
                .json::<serde_json::Value>()
                .await
                .expect("JSON")
        })
    });
}

criterion_group!(micro, benches, round_trips);
criterion_main!(micro);
