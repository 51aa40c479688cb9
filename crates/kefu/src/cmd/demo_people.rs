//! The demo's people: who signs in to `kefu serve --demo`, and the eBay shop's roster.

use kefu_core::{Platform, Role};
use kefu_store::{DEFAULT_TENANT, NewAgent, Store, StoreError};

/// The demo's people: a bilingual supervisor and two agents, each with an API token.
pub async fn ensure_demo_agents(store: &dyn Store) -> anyhow::Result<Vec<String>> {
    let people = [
        (
            "li.na@demo.kefu",
            "Li Na 李娜",
            Role::Supervisor,
            vec!["zh", "en"],
        ),
        ("sam@demo.kefu", "Sam Carter", Role::Agent, vec!["en"]),
        (
            "lucia@demo.kefu",
            "Lucía Romero",
            Role::Agent,
            vec!["es", "de", "en"],
        ),
    ];
    let mut logins = Vec::new();
    for (email, name, role, languages) in people {
        // A password of its own for each demo person, printed once: sign in at /login.
        let password = super::random_token()?[..16].to_string();
        let password_hash = Some(kefu_server::ui::auth::hash_password(&password)?);
        let created = store
            .create_agent(NewAgent {
                tenant_id: DEFAULT_TENANT,
                email: email.into(),
                name: name.into(),
                role,
                languages: languages.iter().map(|s| s.to_string()).collect(),
                password_hash,
            })
            .await;
        match created {
            Ok(agent) => {
                let token = super::random_token()?;
                store
                    .create_token(agent.id, "demo", &kefu_server::extract::hash_token(&token))
                    .await?;
                logins.push(format!(
                    "{email} ({role}, {}) password: {password} API token: {token}",
                    languages.join("/")
                ));
            }
            Err(StoreError::Conflict(_)) => logins.push(format!(
                "{email} ({role}) exists already; make a new token with `kefu admin create-token`"
            )),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(logins)
}

/// The eBay shop's roster for the coverage page and `kefu simulate --day`: an early and a
/// late shift in the shop's zone, 06:00–14:00 and 14:00–20:00 every day. Fourteen hours with
/// no overlap, so the demo shows what the staffing checks catch (STAFF-16H asks sixteen hours
/// of a shop serving the Americas, STAFF-SHIFTS-OVERLAP-2H a two-hour hand-over). Rostered
/// people work only that shop and sign in with no password; the shift checker makes them
/// available and away as their shifts begin and end.
pub async fn ensure_demo_roster(store: &dyn Store) -> anyhow::Result<Vec<String>> {
    let shops = store.shops(DEFAULT_TENANT).await?;
    let Some(shop) = shops.iter().find(|s| s.platform == Platform::Ebay) else {
        return Ok(Vec::new());
    };
    let roster = [
        ("jo.early@demo.kefu", "Jo Early", "06:00", "14:00"),
        ("max.late@demo.kefu", "Max Late", "14:00", "20:00"),
    ];
    let mut lines = Vec::new();
    for (email, name, from, to) in roster {
        let created = store
            .create_agent(NewAgent {
                tenant_id: DEFAULT_TENANT,
                email: email.into(),
                name: name.into(),
                role: Role::Agent,
                languages: vec!["en".into()],
                password_hash: None,
            })
            .await;
        let agent = match created {
            Ok(agent) => agent,
            Err(StoreError::Conflict(_)) => continue,
            Err(e) => return Err(e.into()),
        };
        store.set_agent_shops(agent.id, vec![shop.id]).await?;
        let shifts = serde_json::json!({"timezone": shop.timezone, "windows": [{"days": "daily", "from": from, "to": to}]});
        store.set_shifts(agent.id, Some(shifts.to_string())).await?;
        lines.push(format!(
            "{name} on shift {from}–{to} {} for {}",
            shop.timezone, shop.name
        ));
    }
    Ok(lines)
}
