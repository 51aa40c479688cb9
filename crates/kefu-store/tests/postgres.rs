//! The conformance suite on a real PostgreSQL server. `KEFU_TEST_PG_URL` must name a server
//! where the user may create databases (the test script starts one); without it this test
//! fails rather than skips, so CI can never pass without PostgreSQL.

use std::sync::Arc;

use kefu_store::prelude::*;
use kefu_store::{PostgresStore, Store, conformance};
use tokio_postgres::NoTls;

fn admin_url() -> String {
    std::env::var("KEFU_TEST_PG_URL").expect(
        "KEFU_TEST_PG_URL is not set: run the tests through scripts/test.sh, which starts PostgreSQL",
    )
}

/// Creates an empty database for one check and returns its URL.
async fn fresh_database(name: &str) -> String {
    let admin = admin_url();
    let (client, conn) = tokio_postgres::connect(&admin, NoTls)
        .await
        .expect("connect to PostgreSQL");
    tokio::spawn(conn);
    let db = format!("kefu_conf_{}_{}", name, std::process::id());
    client
        .batch_execute(&format!("DROP DATABASE IF EXISTS {db}"))
        .await
        .unwrap();
    client
        .batch_execute(&format!("CREATE DATABASE {db}"))
        .await
        .unwrap();
    // Replace the database name: the admin URL ends in /DBNAME.
    let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
    format!("{base}/{db}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_conformance() {
    for (name, check) in conformance::ALL {
        let url = fresh_database(name).await;
        let store: Arc<dyn Store> = Arc::new(PostgresStore::connect(&url).await.unwrap());
        eprintln!("postgres: {name}");
        check(&store).await;
    }
}

#[tokio::test]
async fn connecting_twice_migrates_once() {
    let url = fresh_database("twice").await;
    let a = PostgresStore::connect(&url).await.unwrap();
    let b = PostgresStore::connect(&url).await.unwrap();
    assert_eq!(a.stats().await.unwrap(), b.stats().await.unwrap());
}

#[tokio::test]
async fn a_bad_url_is_a_clear_error() {
    let err = PostgresStore::connect("postgres://nobody@127.0.0.1:1/none")
        .await
        .err()
        .expect("must fail");
    assert!(
        err.to_string().contains("cannot connect to PostgreSQL"),
        "{err}"
    );
}

/// The pool hands out whichever connection is idle: one request stuck behind a row lock does
/// not hold up the requests after it (a round robin over the connections would send every
/// eighth of them to the stuck one).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_never_waits_while_a_connection_is_idle() {
    use std::time::Duration;

    use kefu_core::{Channel, Platform};
    use kefu_store::{DEFAULT_TENANT, Inbound, NewNote, NewShop};

    let url = fresh_database("pool").await;
    let store: Arc<dyn Store> = Arc::new(PostgresStore::connect(&url).await.unwrap());
    let shop = store
        .create_shop(NewShop {
            tenant_id: DEFAULT_TENANT,
            name: "pool".into(),
            platform: Platform::Ebay,
            timezone: "UTC".into(),
            currency: "USD".into(),
            pack: "ebay".into(),
            settings: serde_json::json!({}),
        })
        .await
        .unwrap();
    let at = chrono::DateTime::parse_from_rfc3339("2026-12-07T08:00:00Z")
        .unwrap()
        .to_utc();
    let conversation = store
        .ingest(Inbound {
            shop_id: shop.id,
            channel: Channel::Marketplace,
            customer_handle: "buyer".into(),
            customer_name: None,
            customer_language: None,
            order_external_id: None,
            body: "Where is my parcel?".into(),
            language: Some("en".into()),
            received_at: at,
            external_id: None,
            first_contact_obligations: vec![],
            follow_up_obligations: vec![],
            high_value: false,
            complaint: false,
            flags: vec![],
            redactions: vec![],
            reply_to: None,
        })
        .await
        .unwrap()
        .conversation_id;

    // Another session holds the conversation's row: a note on it waits for that lock, on one
    // of the pool's connections.
    let (mut holder, conn) = tokio_postgres::connect(&url, NoTls).await.unwrap();
    tokio::spawn(conn);
    let lock = holder.transaction().await.unwrap();
    lock.execute(
        "SELECT 1 FROM conversations WHERE id = $1 FOR UPDATE",
        &[&conversation],
    )
    .await
    .unwrap();
    let stuck = {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .add_note(NewNote {
                    conversation_id: conversation,
                    agent_id: None,
                    actor: "test".into(),
                    body: "waits for the lock".into(),
                    at,
                })
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!stuck.is_finished(), "the note must wait for the row lock");

    for i in 0..32 {
        tokio::time::timeout(Duration::from_secs(5), store.stats())
            .await
            .unwrap_or_else(|_| panic!("request {i} waited although connections were idle"))
            .unwrap();
    }
    lock.commit().await.unwrap();
    let note = tokio::time::timeout(Duration::from_secs(5), stuck)
        .await
        .expect("the note goes through once the lock is released")
        .unwrap();
    assert!(note.is_ok(), "{note:?}");
}
