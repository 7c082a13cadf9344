//! The account's uploaded files: listed newest first across pages, read, deleted; ids that would lead
//! elsewhere are refused before anything is sent.

use crate::common;

use std::time::Duration;

use futures_util::{StreamExt, TryStreamExt};
use replicate_ideogram::{Error, Operation};
use replicate_ideogram_simulator::{Simulator, SimulatorConfig};

async fn simulator() -> Simulator {
    let mut config = SimulatorConfig::default();
    config.page_size = 2;
    Simulator::start(config).await.unwrap()
}

fn file_of(dir: &tempfile::TempDir, name: &str, byte: u8) -> std::path::PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, vec![byte; 1000]).unwrap();
    path
}

#[tokio::test]
async fn uploads_are_listed_newest_first_read_and_deleted() {
    let sim = simulator().await;
    let client = sim.client().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut uploaded = Vec::new();
    for (i, name) in ["a.png", "b.png", "c.png"].into_iter().enumerate() {
        uploaded.push(client.upload(file_of(&dir, name, i as u8)).await.unwrap());
    }

    // Three files on pages of two: both pages are walked.
    let listed: Vec<_> = client.files().list().try_collect().await.unwrap();
    let names: Vec<_> = listed.iter().map(|f| f.name.as_deref()).collect();
    assert_eq!(names, [Some("c.png"), Some("b.png"), Some("a.png")]);
    assert_eq!(sim.record().requests_to("GET /files"), 2);
    assert!(
        listed
            .iter()
            .all(|f| f.created_at.is_some() && f.size == Some(1000))
    );
    assert_eq!(
        listed[2].sha256,
        sim.record().uploads[0].sha256.clone().into()
    );

    let b = client.files().get(&uploaded[1].id).await.unwrap();
    assert_eq!(b, uploaded[1]);

    client.files().delete(&uploaded[1].id).await.unwrap();
    let left: Vec<String> = client
        .files()
        .list()
        .map_ok(|f| f.id)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(left, [uploaded[2].id.clone(), uploaded[0].id.clone()]);
    let gone = client.files().get(&uploaded[1].id).await.unwrap_err();
    assert!(
        matches!(&gone, Error::Api(api) if api.status == 404 && api.operation == Operation::GetFile),
        "{gone:?}"
    );
    let again = client.files().delete(&uploaded[1].id).await.unwrap_err();
    assert_eq!(again.status(), Some(404));
    assert!(again.to_string().starts_with("delete file:"), "{again}");
}

#[tokio::test]
async fn a_file_id_that_would_name_another_route_is_refused_before_sending() {
    let sim = simulator().await;
    let client = sim.client().unwrap();
    for id in ["..", "../account", "a/b", "", "x%2fy", "a b"] {
        let error = client.files().delete(id).await.unwrap_err();
        assert!(
            matches!(&error, Error::InvalidInput { field, .. } if field == "file"),
            "{id:?}: {error:?}"
        );
        assert!(client.files().get(id).await.is_err());
    }
    assert_eq!(
        sim.record().requests.len(),
        0,
        "{:?}",
        sim.record().requests
    );
}

#[tokio::test]
async fn a_files_listing_that_cycles_is_stopped() {
    use common::PREFIX;
    let server = common::server().await;
    let file = serde_json::json!({"id": "f1", "urls": {"get": "https://x.invalid/f1"}});
    let page =
        serde_json::json!({"next": format!("{PREFIX}/files?cursor=same"), "results": [file]});
    wiremock::Mock::given(wiremock::matchers::path(format!("{PREFIX}/files")))
        .respond_with(common::json(200, &page))
        .mount(&server)
        .await;
    let client = common::client(&server);
    let items: Vec<_> = tokio::time::timeout(
        Duration::from_secs(30),
        client.files().list().collect::<Vec<_>>(),
    )
    .await
    .expect("the listing ends");
    let (last, yielded) = items.split_last().unwrap();
    assert!(yielded.len() <= 3, "{} files", yielded.len());
    assert!(
        matches!(
            last,
            Err(Error::ListStalled {
                operation: Operation::ListFiles,
                ..
            })
        ),
        "{last:?}"
    );
}
