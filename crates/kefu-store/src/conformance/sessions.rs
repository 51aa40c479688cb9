//! Conformance: signing in, lockouts and sessions.

use super::*;

pub async fn sign_in_lockout_and_sessions(store: &Arc<dyn Store>) {
    let agent = store
        .create_agent(crate::NewAgent {
            tenant_id: DEFAULT_TENANT,
            email: "mei@example.com".into(),
            name: "Mei".into(),
            role: kefu_core::Role::Agent,
            languages: vec!["zh".into()],
            password_hash: None,
        })
        .await
        .unwrap();
    let rec = store
        .login_record("mei@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rec.agent.id, agent.id);
    assert!(
        store
            .agents(DEFAULT_TENANT)
            .await
            .unwrap()
            .iter()
            .any(|a| a.id == agent.id)
    );
    assert!(store.agents(77).await.unwrap().is_empty());
    assert_eq!(rec.password_hash, None);
    assert!(
        store
            .login_record("nobody@example.com")
            .await
            .unwrap()
            .is_none()
    );
    store
        .set_password(agent.id, "$argon2id$hash")
        .await
        .unwrap();
    let locked_until = t("2026-11-20T10:15:00Z");
    for _ in 0..4 {
        store
            .record_login(agent.id, false, 5, locked_until)
            .await
            .unwrap();
    }
    let rec = store
        .login_record("mei@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rec.password_hash.as_deref(), Some("$argon2id$hash"));
    assert_eq!(rec.failed_logins, 4);
    assert_eq!(
        rec.locked_until, None,
        "not locked before the fifth failure"
    );
    store
        .record_login(agent.id, false, 5, locked_until)
        .await
        .unwrap();
    let rec = store
        .login_record("mei@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rec.locked_until, Some(locked_until));
    store
        .record_login(agent.id, true, 5, locked_until)
        .await
        .unwrap();
    let rec = store
        .login_record("mei@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((rec.failed_logins, rec.locked_until), (0, None));

    let now = t("2026-11-20T10:00:00Z");
    store
        .create_session(crate::NewSession {
            token_hash: "h1".into(),
            agent_id: agent.id,
            csrf: "c1".into(),
            created_at: now,
            expires_at: t("2026-11-20T22:00:00Z"),
        })
        .await
        .unwrap();
    let (who, csrf, shops) = store.session("h1", now).await.unwrap().unwrap();
    assert!(shops.is_empty(), "mei works for every shop");
    assert_eq!((who.id, csrf.as_str()), (agent.id, "c1"));
    assert!(
        store
            .session("h1", t("2026-11-20T22:00:01Z"))
            .await
            .unwrap()
            .is_none(),
        "expired"
    );
    assert!(store.session("other", now).await.unwrap().is_none());
    store.delete_session("h1").await.unwrap();
    assert!(store.session("h1", now).await.unwrap().is_none());
    // A new password signs every session out.
    store
        .create_session(crate::NewSession {
            token_hash: "h2".into(),
            agent_id: agent.id,
            csrf: "c2".into(),
            created_at: now,
            expires_at: t("2026-11-20T22:00:00Z"),
        })
        .await
        .unwrap();
    store
        .set_password(agent.id, "$argon2id$other")
        .await
        .unwrap();
    assert!(store.session("h2", now).await.unwrap().is_none());
}
