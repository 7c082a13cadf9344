//! One test per retry path that README's "What happens when…" table names, each against the simulator with
//! only the faults that path answers: downloads through each delivery fault, the webhook secret read again,
//! a create and a cancel sent again after a connection was refused, a truncated answer read again.

use std::{
    io::Write,
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use replicate_ideogram::{Client, Error, RetryPolicy, models::IdeogramV2TurboInput};
use replicate_ideogram_simulator::{Faults, Simulator, SimulatorConfig};

use tokio::net::{TcpListener, TcpStream};

/// Far more retries than the faults below can use up (each at most one request in two).
fn patient(builder: replicate_ideogram::ClientBuilder) -> Client {
    builder
        .retry(
            RetryPolicy::default()
                .max_retries(20)
                .initial_backoff(Duration::from_millis(2))
                .max_backoff(Duration::from_millis(20)),
        )
        .build()
        .unwrap()
}

async fn start(config: SimulatorConfig) -> Simulator {
    let config = config.timings(Duration::from_millis(5), Duration::from_millis(10));
    Simulator::start(config).await.unwrap()
}

fn injected(sim: &Simulator, kind: &str) -> usize {
    sim.record().faults.get(kind).copied().unwrap_or(0)
}

#[tokio::test]
async fn downloads_are_retried_through_each_fault_of_the_delivery_host() {
    let kinds: [(&str, Faults); 7] = [
        ("delivery 429", Faults::default().throttle(0.5)),
        ("delivery 500", Faults::default().server_error(0.5)),
        ("delivery 502 html", Faults::default().bad_gateway_html(0.5)),
        ("delivery 503", Faults::default().unavailable(0.5)),
        (
            "delivery dropped before",
            Faults::default().drop_before(0.5),
        ),
        ("delivery dropped after", Faults::default().drop_after(0.5)),
        ("delivery cut short", Faults::default().truncated_json(0.5)),
    ];
    for (kind, faults) in kinds {
        let sim = start(SimulatorConfig::default().delivery_faults(faults)).await;
        let client = patient(sim.client_builder());
        let url = client
            .run(IdeogramV2TurboInput::new("a fox"))
            .await
            .unwrap();
        for _ in 0..12 {
            let png = client.download(&url).bytes().await;
            let png = png.unwrap_or_else(|e| panic!("{kind}: {e}"));
            assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "{kind}");
        }
        assert!(
            injected(&sim, kind) > 0,
            "{kind}: {:?}",
            sim.record().faults
        );
    }
}

#[tokio::test]
async fn a_download_cut_short_is_fetched_again_into_a_whole_file() {
    let faults = Faults::default().truncated_json(0.5);
    let sim = start(SimulatorConfig::default().delivery_faults(faults).seed(3)).await;
    let client = patient(sim.client_builder());
    let url = client
        .run(IdeogramV2TurboInput::new("a fox"))
        .await
        .unwrap();
    let whole = client.download(&url).bytes().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    for i in 0..8 {
        let target = dir.path().join(format!("fox-{i}.png"));
        let written = client.download(&url).to_file(&target).await.unwrap();
        assert_eq!(written, whole.len() as u64);
        assert_eq!(std::fs::read(&target).unwrap(), whole);
    }
    assert!(injected(&sim, "delivery cut short") > 0);
    let left = std::fs::read_dir(dir.path()).unwrap().count();
    assert_eq!(left, 8, "no .part file is left behind");
}

/// Cut short every time: the retries run out, and the error says so.
#[tokio::test]
async fn a_download_cut_short_is_a_typed_error_and_leaves_no_file() {
    let sim =
        start(SimulatorConfig::default().delivery_faults(Faults::default().truncated_json(1.0)))
            .await;
    let client = patient(sim.client_builder());
    let url = client
        .run(IdeogramV2TurboInput::new("a fox"))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("fox.png");
    let error = client.download(&url).to_file(&target).await.unwrap_err();
    assert!(matches!(error, Error::Transport { .. }), "{error:?}");
    assert_eq!(
        injected(&sim, "delivery cut short"),
        21,
        "the first try and the policy's 20 retries"
    );
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(left.is_empty(), "{left:?}");
}

#[tokio::test]
async fn the_webhook_secret_is_read_again_through_5xx_and_lost_connections() {
    let faults = Faults::default()
        .server_error(0.15)
        .bad_gateway_html(0.1)
        .unavailable(0.1)
        .drop_before(0.1)
        .drop_after(0.05)
        .truncated_json(0.05);
    let sim = start(SimulatorConfig::default().faults(faults)).await;
    let client = patient(sim.client_builder());
    for _ in 0..12 {
        let secret = client.webhook_secret().await.unwrap();
        assert_eq!(secret.expose(), sim.webhook_secret());
    }
    let record = sim.record();
    assert!(
        record.faulted_requests["GET /webhooks/default/secret"] > 0,
        "{:?}",
        record.faulted_requests
    );
    for kind in ["500", "502 html", "503", "dropped before processing"] {
        assert!(injected(&sim, kind) > 0, "{kind}: {:?}", record.faults);
    }
}

#[tokio::test]
async fn a_truncated_answer_to_a_get_is_read_again() {
    let faults = Faults::default().truncated_json(0.5);
    let sim = start(SimulatorConfig::default().faults(faults).seed(5)).await;
    let client = patient(sim.client_builder());
    let id = client
        .run(IdeogramV2TurboInput::new("a fox"))
        .prediction()
        .await
        .unwrap()
        .id;
    for _ in 0..12 {
        assert_eq!(client.get(&id).await.unwrap().id, id);
    }
    let record = sim.record();
    assert!(
        record.faulted_requests["GET /predictions/{id}"] > 0,
        "{:?}",
        record.faulted_requests
    );
}

/// A trace of the client's requests, to know when an attempt has failed.
#[derive(Clone, Default)]
struct Trace(Arc<Mutex<Vec<u8>>>);

impl Write for Trace {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Trace {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// A free port on loopback, where connections are refused until something listens.
async fn refusing_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap()
}

/// Once `trace` shows an attempt of `operation` refused, listens on `at` and forwards every connection to
/// `target`: the request is sent again and reaches the server only then.
async fn open_after_refusal(trace: &Trace, operation: &str, at: SocketAddr, target: SocketAddr) {
    let refused = format!("operation=\"{operation}\"");
    tokio::time::timeout(Duration::from_secs(30), async {
        while !trace
            .text()
            .lines()
            .any(|l| l.contains("transport error") && l.contains(&refused))
        {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    })
    .await
    .expect("an attempt was refused");
    let listener = TcpListener::bind(at).await.unwrap();
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = listener.accept().await {
            tokio::spawn(async move {
                if let Ok(mut outbound) = TcpStream::connect(target).await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    });
}

/// A client of `sim` through a port that refuses connections for now, and the trace of its requests.
async fn behind_a_refusing_port(sim: &Simulator) -> (Client, Trace, SocketAddr) {
    let port = refusing_port().await;
    let client = patient(
        sim.client_builder()
            .base_url(format!("http://{port}/v1"))
            .connect_timeout(Duration::from_secs(5)),
    );
    (client, Trace::default(), port)
}

fn traced(trace: &Trace) -> tracing::subscriber::DefaultGuard {
    let sink = trace.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || sink.clone())
        .finish();
    tracing::subscriber::set_default(subscriber)
}

#[tokio::test]
async fn a_create_that_could_not_connect_is_sent_again_and_creates_once() {
    let sim = start(SimulatorConfig::default()).await;
    let (client, trace, port) = behind_a_refusing_port(&sim).await;
    let _guard = traced(&trace);
    let (created, ()) = tokio::join!(
        client.create(IdeogramV2TurboInput::new("a fox")),
        open_after_refusal(&trace, "models_predictions_create", port, sim.api_addr()),
    );
    let created = created.unwrap();
    let record = sim.record();
    assert_eq!(record.created.len(), 1);
    assert_eq!(record.created[0].id, created.id);
    assert_eq!(
        record.requests_to("POST /models/{owner}/{name}/predictions"),
        1,
        "only the attempt that connected reached the server: {:?}",
        record.requests
    );
    assert_eq!(
        record.requests_to("GET /predictions"),
        0,
        "no lookup was needed"
    );
}

#[tokio::test]
async fn a_cancel_that_could_not_connect_is_sent_again() {
    let sim = Simulator::start(
        SimulatorConfig::default().timings(Duration::from_millis(5), Duration::from_secs(60)),
    )
    .await
    .unwrap();
    let id = sim
        .client()
        .unwrap()
        .create(IdeogramV2TurboInput::new("a slow fox"))
        .await
        .unwrap()
        .id;
    let (client, trace, port) = behind_a_refusing_port(&sim).await;
    let _guard = traced(&trace);
    let (canceled, ()) = tokio::join!(
        client.cancel(&id),
        open_after_refusal(&trace, "predictions_cancel", port, sim.api_addr()),
    );
    assert_eq!(canceled.unwrap().status.to_string(), "canceled");
    assert_eq!(sim.record().requests_to("POST /predictions/{id}/cancel"), 1);
}
