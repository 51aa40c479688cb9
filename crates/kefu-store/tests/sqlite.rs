//! The conformance suite on a real SQLite file.

use std::sync::Arc;

use kefu_store::prelude::*;
use kefu_store::{SqliteStore, Store, conformance};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_conformance() {
    for (name, check) in conformance::ALL {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kefu.db");
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(path.to_str().unwrap()).unwrap());
        eprintln!("sqlite: {name}");
        check(&store).await;
    }
}

#[tokio::test]
async fn reopening_a_file_keeps_everything_and_skips_applied_migrations() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kefu.db");
    let path = path.to_str().unwrap();
    {
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(path).unwrap());
        conformance::ingest_continues_the_buyers_conversation(&store).await;
    }
    let store = SqliteStore::open(path).unwrap();
    assert_eq!(store.stats().await.unwrap().messages, 3);
}

#[test]
fn a_missing_directory_is_a_clear_error() {
    let err = SqliteStore::open("/nonexistent-dir/kefu.db")
        .err()
        .expect("must fail");
    assert!(err.to_string().contains("does not exist"), "{err}");
}
