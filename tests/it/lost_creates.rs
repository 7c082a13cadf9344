//! A create whose answer is lost looks for its own prediction, in a window of the server's time around its
//! sending: what a server does to the input, a client clock that is off, a list that lags, a gateway that
//! gives up on a held request, and the caller's deadline do not turn it into a second prediction or a lost id.

use crate::common;

use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use common::*;
use replicate_ideogram::{Error, RetryPolicy, models::IdeogramV2TurboInput};
use serde_json::{Value, json};
use wiremock::{
    Mock, MockServer, Request, Respond, ResponseTemplate,
    matchers::{method, path},
};

const LIST_PATH: &str = "/replicate/v1/predictions";

fn retrying_client(server: &MockServer) -> replicate_ideogram::Client {
    builder(server).build().unwrap()
}

fn builder(server: &MockServer) -> replicate_ideogram::ClientBuilder {
    replicate_ideogram::Client::builder()
        .token(TOKEN)
        .base_url(format!("{}{PREFIX}", server.uri()))
        .retry(
            RetryPolicy::default()
                .initial_backoff(Duration::from_millis(10))
                .max_backoff(Duration::from_millis(50)),
        )
}

/// The settle margin of [`quick_client`]: these mock lists never lag.
const QUICK_SETTLE: Duration = Duration::from_secs(1);

/// A client that trusts the list one second after a create.
fn quick_client(server: &MockServer) -> replicate_ideogram::Client {
    builder(server).list_settle(QUICK_SETTLE).build().unwrap()
}

/// The seed's prediction as the server stored `input`, created at `at`.
fn stored(id: &str, input: Value, at: DateTime<Utc>) -> Value {
    let mut p = prediction(id, "processing");
    p["input"] = input;
    p["created_at"] = at.to_rfc3339().into();
    p
}

fn page(results: Vec<Value>) -> ResponseTemplate {
    json(
        200,
        &json!({"results": results, "next": null, "previous": null}),
    )
}

async fn mount_create(server: &MockServer, answer: ResponseTemplate) {
    Mock::given(method("POST"))
        .and(path(CREATE_PATH))
        .respond_with(answer)
        .mount(server)
        .await;
}

async fn mount_list(server: &MockServer, answer: impl Respond + 'static) {
    Mock::given(method("GET"))
        .and(path(LIST_PATH))
        .respond_with(answer)
        .mount(server)
        .await;
}

#[tokio::test]
async fn an_input_the_server_normalised_is_still_recognised() {
    let server = server().await;
    mount_create(&server, problem(503, json!({"title": "Unavailable"}))).await;
    // The server added defaults and wrote the number its own way.
    let input = IdeogramV2TurboInput::new("a normalised fox").seed(7);
    let mut as_stored = serde_json::to_value(&input).unwrap();
    as_stored["seed"] = json!(7.0);
    as_stored["magic_prompt_option"] = json!("Auto");
    as_stored["resolution"] = json!("None");
    mount_list(&server, page(vec![stored("n1", as_stored, Utc::now())])).await;
    let prediction = retrying_client(&server).create(input).await.unwrap();
    assert_eq!(prediction.id, "n1");
    assert_eq!(hits(&server, CREATE_PATH).await, 1, "not sent again");
}

#[tokio::test]
async fn a_client_clock_ten_minutes_fast_still_finds_it() {
    let server = server().await;
    // The server's clock runs ten minutes behind this machine's; it stamps and dates by it.
    let server_now = || Utc::now() - TimeDelta::minutes(10);
    let dated = move |answer: ResponseTemplate| {
        answer.insert_header(
            "date",
            httpdate::fmt_http_date(server_now().into()).as_str(),
        )
    };
    let made = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let on_create = made.clone();
    Mock::given(method("POST"))
        .and(path(CREATE_PATH))
        .respond_with(move |request: &Request| {
            let body: Value = serde_json::from_slice(&request.body).unwrap();
            let created = stored("c1", body["input"].clone(), server_now());
            on_create.lock().unwrap().push(created);
            dated(problem(503, json!({"title": "Unavailable"})))
        })
        .mount(&server)
        .await;
    mount_list(&server, move |_: &Request| {
        dated(page(made.lock().unwrap().clone()))
    })
    .await;
    let input = IdeogramV2TurboInput::new("a fox on a fast clock");
    let prediction = retrying_client(&server).create(input).await.unwrap();
    assert_eq!(prediction.id, "c1");
    assert_eq!(hits(&server, CREATE_PATH).await, 1, "not sent again");
}

/// A list that shows a prediction only `lag` after the mock was made.
struct Lagging {
    since: Instant,
    lag: Duration,
    prediction: Value,
}

impl Respond for Lagging {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        if self.since.elapsed() < self.lag {
            page(Vec::new())
        } else {
            page(vec![self.prediction.clone()])
        }
    }
}

#[tokio::test]
async fn a_list_that_lags_a_few_seconds_is_waited_for() {
    let server = server().await;
    mount_create(&server, problem(503, json!({"title": "Unavailable"}))).await;
    let input = IdeogramV2TurboInput::new("a slow list");
    let lagging = Lagging {
        since: Instant::now(),
        lag: Duration::from_secs(3),
        prediction: stored("l1", serde_json::to_value(&input).unwrap(), Utc::now()),
    };
    mount_list(&server, lagging).await;
    let prediction = retrying_client(&server).create(input).await.unwrap();
    assert_eq!(prediction.id, "l1");
    assert_eq!(hits(&server, CREATE_PATH).await, 1, "not sent again");
}

#[tokio::test]
async fn a_gateway_that_gives_up_on_a_held_create_is_uncertain_not_resent() {
    let server = server().await;
    mount_create(&server, ResponseTemplate::new(504)).await;
    mount_list(&server, page(Vec::new())).await;
    let error = retrying_client(&server)
        .create(IdeogramV2TurboInput::new("held too long"))
        .await
        .unwrap_err();
    let Error::CreateUncertain {
        cause,
        lookup: None,
        searched: Some(_),
        ..
    } = &error
    else {
        panic!("expected CreateUncertain after searching, got {error:?}");
    };
    assert_eq!(cause.status(), Some(504));
    assert!(
        error
            .to_string()
            .contains("cannot prove that none was made"),
        "{error}"
    );
    assert_eq!(hits(&server, CREATE_PATH).await, 1, "not sent again");
}

#[tokio::test]
async fn a_refused_create_is_sent_again_only_once_the_settled_list_shows_nothing() {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path(CREATE_PATH))
        .respond_with(problem(503, json!({"title": "Unavailable"})))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    mount_create(&server, json(201, &prediction("r1", "starting"))).await;
    // Another input's prediction, made after this create: it no longer counts as proof that the list
    // covers the create's time (a list may lag, a server may still be making it); only time does.
    let later = stored(
        "other",
        json!({"prompt": "someone else's"}),
        Utc::now() + TimeDelta::seconds(30),
    );
    mount_list(&server, page(vec![later])).await;
    let started = Instant::now();
    let prediction = quick_client(&server)
        .create(IdeogramV2TurboInput::new("refused at first"))
        .await
        .unwrap();
    assert_eq!(prediction.id, "r1");
    assert_eq!(hits(&server, CREATE_PATH).await, 2);
    assert!(
        started.elapsed() >= QUICK_SETTLE,
        "sent again before the list had settled: {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_deadline_during_the_create_names_the_prediction_and_cancels_it() {
    let server = server().await;
    let input = IdeogramV2TurboInput::new("cut short by the deadline");
    mount_create(
        &server,
        json(201, &prediction("d1", "starting")).set_delay(Duration::from_secs(3)),
    )
    .await;
    let made = stored("d1", serde_json::to_value(&input).unwrap(), Utc::now());
    mount_list(&server, page(vec![made])).await;
    Mock::given(method("POST"))
        .and(path(format!("{PREFIX}/predictions/d1/cancel")))
        .respond_with(json(200, &prediction("d1", "canceled")))
        .mount(&server)
        .await;
    let error = retrying_client(&server)
        .run(input)
        .timeout(Duration::from_secs(1))
        .prefer_wait(Duration::from_secs(60))
        .cancel_on_timeout(true)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::Timeout { prediction_id: Some(id), .. } if id == "d1"),
        "{error:?}"
    );
    assert_eq!(
        hits(&server, &format!("{PREFIX}/predictions/d1/cancel")).await,
        1
    );
}

#[tokio::test]
async fn prefer_wait_never_reaches_past_the_deadline() {
    let server = server().await;
    mount_create(
        &server,
        json(201, &succeeded("w1", "https://delivery.example/w1.png")),
    )
    .await;
    retrying_client(&server)
        .run(IdeogramV2TurboInput::new("a short deadline"))
        .timeout(Duration::from_secs(20))
        .prefer_wait(Duration::from_secs(60))
        .await
        .unwrap();
    let requests = server.received_requests().await.unwrap();
    let prefer = requests[0].headers.get("prefer").unwrap().to_str().unwrap();
    let seconds: u64 = prefer.strip_prefix("wait=").unwrap().parse().unwrap();
    assert!(seconds <= 15, "{prefer} with 20 s left");
}

/// A server whose creates and list follow a script in time: the first create (A) is answered with a 503 only
/// after `A_ANSWER`, having made its prediction just before; the second (B) makes one and is answered 503 at
/// once; later creates succeed. The list shows what was made by the time it is asked, and its first answer
/// (B's lookup) is held back until A has looked and adopted.
#[derive(Clone, Default)]
struct Scripted {
    made: std::sync::Arc<std::sync::Mutex<Vec<Value>>>,
    creates: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    lists: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

const A_ANSWER: Duration = Duration::from_millis(2_600);

impl Scripted {
    fn make(&self, id: &str, request: &Request, at: DateTime<Utc>) -> Value {
        let body: Value = serde_json::from_slice(&request.body).unwrap();
        let made = stored(id, body["input"].clone(), at);
        self.made.lock().unwrap().push(made.clone());
        made
    }

    fn create(&self, request: &Request) -> ResponseTemplate {
        let unavailable = problem(503, json!({"title": "Unavailable"}));
        match self
            .creates
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
        {
            0 => {
                let at = Utc::now() + TimeDelta::milliseconds(2_500);
                self.make("a-made", request, at);
                unavailable.set_delay(A_ANSWER)
            }
            1 => {
                self.make("b-made", request, Utc::now());
                unavailable
            }
            n => json(201, &self.make(&format!("extra-{n}"), request, Utc::now())),
        }
    }

    fn list(&self) -> ResponseTemplate {
        let now = Utc::now();
        let mut shown: Vec<Value> = self.made.lock().unwrap().clone();
        shown.retain(|p| p["created_at"].as_str().unwrap() <= now.to_rfc3339().as_str());
        shown.reverse();
        let answer = page(shown);
        match self.lists.fetch_add(1, std::sync::atomic::Ordering::SeqCst) {
            0 => answer.set_delay(Duration::from_secs(3)),
            _ => answer,
        }
    }

    fn get(&self, request: &Request) -> ResponseTemplate {
        let id = request.url.path().rsplit('/').next().unwrap();
        let made = self.made.lock().unwrap();
        match made.iter().find(|p| p["id"] == id) {
            Some(p) => json(200, p),
            None => problem(404, json!({"title": "Not found"})),
        }
    }
}

#[tokio::test]
async fn a_lookup_that_took_a_neighbours_prediction_leaves_its_own_to_that_neighbour() {
    let server = server().await;
    let script = Scripted::default();
    let (create, list, get) = (script.clone(), script.clone(), script.clone());
    Mock::given(method("POST"))
        .and(path(CREATE_PATH))
        .respond_with(move |r: &Request| create.create(r))
        .mount(&server)
        .await;
    mount_list(&server, move |_: &Request| list.list()).await;
    Mock::given(method("GET"))
        .and(wiremock::matchers::path_regex(
            r"^/replicate/v1/predictions/[a-z-]+$",
        ))
        .respond_with(move |r: &Request| get.get(r))
        .mount(&server)
        .await;
    // Two creates of the same input from one client: A is sent first and answered late, B's lookup is slow.
    // A's window holds both predictions and it takes the earlier, B's; B must end with A's, not a third.
    let client = retrying_client(&server);
    let input = IdeogramV2TurboInput::new("the same input twice");
    let a = tokio::spawn({
        let (client, input) = (client.clone(), input.clone());
        async move { client.create(input).await }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let b = client.create(input).await.unwrap();
    let a = a.await.unwrap().unwrap();
    let mut ids = [a.id, b.id];
    ids.sort();
    assert_eq!(ids, ["a-made", "b-made"]);
    assert_eq!(hits(&server, CREATE_PATH).await, 2, "not sent a third time");
}

#[tokio::test]
async fn a_prediction_made_just_before_the_create_was_sent_is_not_taken_for_it() {
    let server = server().await;
    let input = IdeogramV2TurboInput::new("made just before");
    // The first create teaches the client the server's clock (stamped now: no offset); the second is
    // answered 503; the third makes "fresh".
    let creates = std::sync::atomic::AtomicUsize::new(0);
    Mock::given(method("POST"))
        .and(path(CREATE_PATH))
        .respond_with(move |request: &Request| {
            let body: Value = serde_json::from_slice(&request.body).unwrap();
            let made = |id: &str| {
                let mut p = stored(id, body["input"].clone(), Utc::now());
                p["completed_at"] = Utc::now().to_rfc3339().into();
                json(201, &p)
            };
            match creates.fetch_add(1, std::sync::atomic::Ordering::SeqCst) {
                0 => made("first"),
                1 => problem(503, json!({"title": "Unavailable"})),
                _ => made("fresh"),
            }
        })
        .mount(&server)
        .await;
    let client = quick_client(&server);
    let first = client.create(input.clone()).await.unwrap();
    // An identical prediction made 300 ms before the next create is sent (by another process, say), and
    // one of another input made well after it.
    let older = stored("older", serde_json::to_value(&input).unwrap(), Utc::now());
    let later = stored(
        "later",
        json!({"prompt": "someone else's"}),
        Utc::now() + TimeDelta::seconds(30),
    );
    let first = stored(
        "first",
        serde_json::to_value(&input).unwrap(),
        first.created_at.unwrap(),
    );
    mount_list(&server, page(vec![later, older, first])).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let prediction = client.create(input).await.unwrap();
    assert_eq!(prediction.id, "fresh");
    assert_eq!(hits(&server, CREATE_PATH).await, 3);
}
