//! The conformance suite on a real PostgreSQL server. `KEFU_TEST_PG_URL` must name a server
//! where the user may create databases (the test script starts one); without it this test
//! fails rather than skips, so CI can never pass without PostgreSQL.

use std::sync::Arc;

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
