//! `201` means durable: messages acknowledged before the server is killed with SIGKILL are all
//! there after a restart.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{KEY, Server, shop, try_request};
use serde_json::json;

#[test]
fn sigkill_right_after_201_loses_nothing() {
    let mut server = Server::sqlite();
    let ebay = shop(&server, "ebay");
    let acked: Arc<Mutex<Vec<(i64, i64, String)>>> = Arc::default();
    // Eight clients write as fast as they can; the server is killed while they do.
    let mut clients = Vec::new();
    for c in 0..8 {
        let addr = server.addr.clone();
        let acked = acked.clone();
        clients.push(std::thread::spawn(move || {
            for i in 0.. {
                let body = format!("message {i} from client {c}");
                let req = json!({"shop_id": ebay, "channel": "api", "customer": {"handle": format!("buyer-{c}-{}", i % 5)}, "body": body});
                match try_request(&addr, "POST", "/api/v1/inbound", Some(KEY), Some(&req.to_string())) {
                    Ok((201, ids)) => acked.lock().unwrap().push((ids["conversation_id"].as_i64().unwrap(), ids["message_id"].as_i64().unwrap(), body)),
                    _ => break, // the server is gone
                }
            }
        }));
    }
    // Let some messages through, then kill without warning the moment one more is acked.
    while acked.lock().unwrap().len() < 200 {
        std::thread::sleep(Duration::from_millis(5));
    }
    server.kill();
    for c in clients {
        c.join().unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= 200);

    let restarted = Server::start(&server.db, &[]);
    for (conversation_id, message_id, body) in &acked {
        let (status, conv) = restarted.call(
            "GET",
            &format!("/api/v1/conversations/{conversation_id}"),
            None,
        );
        assert_eq!(status, 200, "conversation {conversation_id} lost");
        let found = conv["messages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["id"] == *message_id && m["body"] == *body.as_str());
        assert!(
            found,
            "acknowledged message {message_id} ({body}) lost after SIGKILL"
        );
    }
}
