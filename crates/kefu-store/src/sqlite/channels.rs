//! FAQ entries and marketplace connectors on SQLite.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::rows::{micros, time};
use crate::{
    ConnectorRow, FIRST_RESPONSE, FaqEntry, NewConnector, Result, StoreError, status_sets,
};

pub fn put_faq(c: &Connection, f: &FaqEntry) -> Result<()> {
    let shop: Option<i64> = c
        .prepare_cached("SELECT id FROM shops WHERE id = ?1")?
        .query_row([f.shop_id], |r| r.get(0))
        .optional()?;
    if shop.is_none() {
        return Err(StoreError::NotFound(format!(
            "shop {} does not exist",
            f.shop_id
        )));
    }
    let questions = serde_json::to_string(&f.questions).unwrap_or_else(|_| "[]".into());
    c.prepare_cached(
        "INSERT INTO faqs (shop_id, faq_key, language, questions, answer, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (shop_id, faq_key, language)
         DO UPDATE SET questions = excluded.questions, answer = excluded.answer, updated_at = excluded.updated_at",
    )?
    .execute(params![
        f.shop_id,
        f.key,
        f.language,
        questions,
        f.answer,
        micros(f.updated_at)
    ])?;
    Ok(())
}

pub fn faqs(c: &Connection, shop_id: i64) -> Result<Vec<FaqEntry>> {
    let out = c
        .prepare_cached(
            "SELECT shop_id, faq_key, language, questions, answer, updated_at FROM faqs
             WHERE shop_id = ?1 ORDER BY faq_key, language",
        )?
        .query_map([shop_id], |r| {
            let questions: String = r.get(3)?;
            Ok(FaqEntry {
                shop_id: r.get(0)?,
                key: r.get(1)?,
                language: r.get(2)?,
                questions: serde_json::from_str(&questions).unwrap_or_default(),
                answer: r.get(4)?,
                updated_at: time(r.get(5)?),
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(out)
}

pub fn delete_faq(c: &Connection, shop_id: i64, key: &str, language: &str) -> Result<bool> {
    let n = c
        .prepare_cached("DELETE FROM faqs WHERE shop_id = ?1 AND faq_key = ?2 AND language = ?3")?
        .execute(params![shop_id, key, language])?;
    Ok(n > 0)
}

const CONNECTOR_COLS: &str =
    "id, shop_id, kind, base_url, credentials, cursor, health, next_attempt_at, created_at";

fn connector(r: &Row) -> rusqlite::Result<ConnectorRow> {
    let health: String = r.get(6)?;
    Ok(ConnectorRow {
        id: r.get(0)?,
        shop_id: r.get(1)?,
        kind: r.get(2)?,
        base_url: r.get(3)?,
        credentials: r.get(4)?,
        cursor: r.get(5)?,
        health: serde_json::from_str(&health).unwrap_or(serde_json::Value::Null),
        next_attempt_at: time(r.get(7)?),
        created_at: time(r.get(8)?),
    })
}

pub fn create_connector(c: &Connection, n: &NewConnector) -> Result<ConnectorRow> {
    let shop: Option<i64> = c
        .prepare_cached("SELECT id FROM shops WHERE id = ?1")?
        .query_row([n.shop_id], |r| r.get(0))
        .optional()?;
    if shop.is_none() {
        return Err(StoreError::NotFound(format!(
            "shop {} does not exist",
            n.shop_id
        )));
    }
    let exists: Option<i64> = c
        .prepare_cached("SELECT id FROM connectors WHERE shop_id = ?1 AND kind = ?2")?
        .query_row(params![n.shop_id, n.kind], |r| r.get(0))
        .optional()?;
    if let Some(id) = exists {
        return Err(StoreError::Conflict(format!(
            "shop {} already has a {} connector (id {id})",
            n.shop_id, n.kind
        )));
    }
    let at = micros(n.at);
    let row = c
        .prepare_cached(&format!(
            "INSERT INTO connectors (shop_id, kind, base_url, credentials, health, next_attempt_at, created_at)
             VALUES (?1, ?2, ?3, ?4, '{{}}', ?5, ?5) RETURNING {CONNECTOR_COLS}"
        ))?
        .query_row(
            params![n.shop_id, n.kind, n.base_url, n.credentials, at],
            connector,
        )?;
    Ok(row)
}

pub fn connectors(c: &Connection, shop_ids: Option<&[i64]>) -> Result<Vec<ConnectorRow>> {
    let all: Vec<ConnectorRow> = c
        .prepare_cached(&format!(
            "SELECT {CONNECTOR_COLS} FROM connectors ORDER BY id"
        ))?
        .query_map([], connector)?
        .collect::<rusqlite::Result<_>>()?;
    Ok(match shop_ids {
        Some(ids) => all
            .into_iter()
            .filter(|r| ids.contains(&r.shop_id))
            .collect(),
        None => all,
    })
}

pub fn due_connectors(c: &Connection, now: DateTime<Utc>, limit: i64) -> Result<Vec<ConnectorRow>> {
    let out = c
        .prepare_cached(&format!(
            "SELECT {CONNECTOR_COLS} FROM connectors WHERE next_attempt_at <= ?1
             ORDER BY next_attempt_at LIMIT ?2"
        ))?
        .query_map(params![micros(now), limit], connector)?
        .collect::<rusqlite::Result<_>>()?;
    Ok(out)
}

pub fn save_connector(
    c: &Connection,
    id: i64,
    cursor: Option<&str>,
    health: &serde_json::Value,
    next_attempt_at: DateTime<Utc>,
) -> Result<()> {
    let n = c
        .prepare_cached(
            "UPDATE connectors SET cursor = COALESCE(?2, cursor), health = ?3, next_attempt_at = ?4
             WHERE id = ?1",
        )?
        .execute(params![
            id,
            cursor,
            health.to_string(),
            micros(next_attempt_at)
        ])?;
    if n == 0 {
        return Err(StoreError::NotFound(format!(
            "connector {id} does not exist"
        )));
    }
    Ok(())
}

// ---- sign-in and sessions (the web UI) --------------------------------------------------------

pub fn login_record(c: &Connection, email: &str) -> Result<Option<crate::LoginRecord>> {
    let sql = format!(
        "SELECT {}, password_hash, failed_logins, locked_until FROM agents WHERE email = ?1",
        super::rows::AGENT_COLS
    );
    Ok(c.prepare_cached(&sql)?
        .query_row([email], |r| {
            Ok(crate::LoginRecord {
                agent: super::rows::agent(r)?,
                password_hash: r.get(6)?,
                failed_logins: r.get(7)?,
                locked_until: r.get::<_, Option<i64>>(8)?.map(time),
            })
        })
        .optional()?)
}

pub fn set_password(c: &Connection, agent_id: i64, hash: &str) -> Result<()> {
    let n = c
        .prepare_cached(
            "UPDATE agents SET password_hash = ?2, failed_logins = 0, locked_until = NULL WHERE id = ?1",
        )?
        .execute(params![agent_id, hash])?;
    if n == 0 {
        return Err(StoreError::NotFound(format!(
            "agent {agent_id} does not exist"
        )));
    }
    // A new password ends every session signed in with the old one.
    c.prepare_cached("DELETE FROM sessions WHERE agent_id = ?1")?
        .execute([agent_id])?;
    Ok(())
}

pub fn record_login(
    c: &Connection,
    agent_id: i64,
    success: bool,
    lock_after: i64,
    locked_until: DateTime<Utc>,
) -> Result<()> {
    if success {
        c.prepare_cached("UPDATE agents SET failed_logins = 0, locked_until = NULL WHERE id = ?1")?
            .execute([agent_id])?;
    } else {
        c.prepare_cached(
            "UPDATE agents SET failed_logins = failed_logins + 1,
                 locked_until = CASE WHEN failed_logins + 1 >= ?2 THEN ?3 ELSE locked_until END
             WHERE id = ?1",
        )?
        .execute(params![agent_id, lock_after, micros(locked_until)])?;
    }
    Ok(())
}

pub fn create_session(c: &Connection, s: &crate::NewSession) -> Result<()> {
    c.prepare_cached(
        "INSERT INTO sessions (token_hash, agent_id, csrf, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        s.token_hash,
        s.agent_id,
        s.csrf,
        micros(s.created_at),
        micros(s.expires_at)
    ])?;
    Ok(())
}

pub fn session(
    c: &Connection,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<(kefu_core::Agent, String, Vec<i64>)>> {
    let sql = format!(
        "SELECT {}, s.csrf, (SELECT group_concat(g.shop_id) FROM agent_shops g WHERE g.agent_id = a.id)
         FROM sessions s JOIN agents a ON a.id = s.agent_id
         WHERE s.token_hash = ?1 AND s.expires_at > ?2",
        super::rows::AGENT_COLS
            .split(", ")
            .map(|c| format!("a.{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(c.prepare_cached(&sql)?
        .query_row(params![token_hash, micros(now)], |r| {
            let shops: Option<String> = r.get(7)?;
            Ok((
                super::rows::agent(r)?,
                r.get(6)?,
                shop_list(shops.as_deref()),
            ))
        })
        .optional()?)
}

pub fn delete_session(c: &Connection, token_hash: &str) -> Result<()> {
    c.prepare_cached("DELETE FROM sessions WHERE token_hash = ?1")?
        .execute([token_hash])?;
    Ok(())
}

// ---- the supervisor's overview ---------------------------------------------------------------

pub fn overview(
    c: &Connection,
    tenant_id: i64,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<crate::Overview> {
    let pairs = |sql: &str, p: &[&dyn rusqlite::ToSql]| -> Result<Vec<(i64, i64)>> {
        Ok(c.prepare_cached(sql)?
            .query_map(p, |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?)
    };
    let one = |sql: &str, p: &[&dyn rusqlite::ToSql]| -> Result<i64> {
        Ok(c.prepare_cached(sql)?.query_row(p, |r| r.get(0))?)
    };
    let (since_us, now_us, hour_us) = (
        micros(since),
        micros(now),
        micros(now + chrono::Duration::hours(1)),
    );
    let shops = "SELECT id FROM shops WHERE tenant_id = ?1";
    let (open, finished) = (&*status_sets::OPEN, &*status_sets::FINISHED);
    let open_by_shop = pairs(
        &format!(
            "SELECT shop_id, COUNT(*) FROM conversations WHERE status IN {open} AND shop_id IN ({shops}) GROUP BY shop_id ORDER BY shop_id"
        ),
        &[&tenant_id],
    )?;
    let load = pairs(
        &format!(
            "SELECT COALESCE(assignee_id, 0), COUNT(*) FROM conversations WHERE status IN {open} AND shop_id IN ({shops}) GROUP BY assignee_id ORDER BY 1"
        ),
        &[&tenant_id],
    )?;
    let unassigned = load.iter().find(|(a, _)| *a == 0).map_or(0, |(_, n)| *n);
    let escalated = one(
        &format!(
            "SELECT COUNT(*) FROM conversations WHERE status = 'escalated' AND shop_id IN ({shops})"
        ),
        &[&tenant_id],
    )?;
    let of_tenant =
        format!("conversation_id IN (SELECT id FROM conversations WHERE shop_id IN ({shops}))");
    let breaches = one(
        &format!(
            "SELECT COUNT(*) FROM obligations WHERE state = 'breached' AND closed_at >= ?2 AND {of_tenant}"
        ),
        &[&tenant_id, &since_us],
    )?;
    let due_next_hour = one(
        &format!(
            "SELECT COUNT(*) FROM obligations WHERE state = 'open' AND due_at < ?2 AND due_at >= ?3 AND {of_tenant}"
        ),
        &[&tenant_id, &hour_us, &now_us],
    )?;
    let (met, breached, mean): (i64, i64, Option<f64>) = c
        .prepare_cached(&format!(
            "SELECT COALESCE(SUM(state = 'met'), 0), COALESCE(SUM(state = 'breached'), 0),
                    AVG(CASE WHEN state = 'met' THEN (closed_at - opened_at) / 1e6 END)
             FROM obligations WHERE clock = ?3 AND closed_at >= ?2 AND {of_tenant}"
        ))?
        .query_row(params![tenant_id, since_us, FIRST_RESPONSE.as_str()], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?;
    let (opened, resolved): (i64, i64) = c
        .prepare_cached(&format!(
            "SELECT COUNT(*), COALESCE(SUM(status IN {finished}), 0) FROM conversations
             WHERE created_at >= ?2 AND shop_id IN ({shops})"
        ))?
        .query_row(params![tenant_id, since_us], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(crate::Overview {
        open_by_shop,
        escalated,
        breaches,
        due_next_hour,
        load_by_agent: load.into_iter().filter(|(a, _)| *a != 0).collect(),
        unassigned,
        first_response_met: met,
        first_response_breached: breached,
        first_response_mean_secs: mean,
        opened,
        resolved,
    })
}

// ---- the inbox -------------------------------------------------------------------------------

/// The inbox's parts one after another (`crate::inbox`), until the page is full.
pub fn inbox(c: &Connection, q: &crate::InboxQuery) -> Result<Vec<crate::InboxRow>> {
    let mut out: Vec<crate::InboxRow> = Vec::new();
    for part in crate::inbox::parts(q) {
        let left = q.limit - out.len() as i64;
        if left <= 0 {
            break;
        }
        let after = q.after.filter(|a| a.part == part);
        let sql = crate::inbox::part_sql(q, part, after.is_some(), crate::inbox::Dialect::Sqlite);
        let mut stmt = c.prepare_cached(&sql)?;
        let (due_before, after_at, after_id, pending_before) = (
            q.due_before.map(micros),
            after.map(|a| micros(a.at)),
            after.map(|a| a.id),
            q.pending_before.map(micros),
        );
        let all: [&dyn rusqlite::ToSql; 7] = [
            &q.tenant_id,
            &q.language,
            &due_before,
            &after_at,
            &after_id,
            &left,
            &pending_before,
        ];
        // A part's statement uses the parameters up to its highest number only.
        let used = stmt.parameter_count();
        let rows = stmt
            .query_map(&all[..used], |r| {
                let status: String = r.get(6)?;
                Ok(crate::InboxRow {
                    part,
                    obligation_id: r.get(0)?,
                    conversation_id: r.get(1)?,
                    shop_id: r.get(2)?,
                    rule: r.get(3)?,
                    due: r.get::<_, Option<i64>>(4)?.map(time),
                    opened_at: time(r.get(5)?),
                    status: status
                        .parse()
                        .unwrap_or(kefu_core::ConversationStatus::Open),
                    language: r.get(7)?,
                    assignee_id: r.get(8)?,
                    customer_handle: r.get(9)?,
                    customer_name: r.get(10)?,
                    last_message: r.get(11)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        out.extend(rows);
    }
    Ok(out)
}

// ---- after-sales cases -----------------------------------------------------------------------

const CASE_COLS: &str = "id, conversation_id, order_id, kind, rule, action, amount, currency, state, due_at, created_at, updated_at";

fn case_row(r: &Row) -> rusqlite::Result<crate::AftersalesCase> {
    Ok(crate::AftersalesCase {
        id: r.get(0)?,
        conversation_id: r.get(1)?,
        order_id: r.get(2)?,
        kind: r.get(3)?,
        rule: r.get(4)?,
        action: r.get(5)?,
        amount: r.get(6)?,
        currency: r.get(7)?,
        state: r.get(8)?,
        due: time(r.get(9)?),
        created_at: time(r.get(10)?),
        updated_at: time(r.get(11)?),
    })
}

pub fn open_case(c: &Connection, n: &crate::NewCase) -> Result<crate::AftersalesCase> {
    let exists: Option<i64> = c
        .prepare_cached("SELECT id FROM conversations WHERE id = ?1")?
        .query_row([n.conversation_id], |r| r.get(0))
        .optional()?;
    if exists.is_none() {
        return Err(StoreError::NotFound(format!(
            "conversation {} does not exist",
            n.conversation_id
        )));
    }
    let at = micros(n.at);
    let case = c
        .prepare_cached(&format!(
            "INSERT INTO aftersales_cases (conversation_id, order_id, kind, rule, action, amount, currency, state, due_at, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'offered', ?8, ?9, ?9) RETURNING {CASE_COLS}"
        ))?
        .query_row(
            params![n.conversation_id, n.order_id, n.kind, n.rule, n.action, n.amount, n.currency, micros(n.due), at],
            case_row,
        )?;
    super::ops::add_event(
        c,
        n.conversation_id,
        at,
        "case_opened",
        &n.actor,
        &serde_json::json!({"case_id": case.id, "kind": case.kind, "rule": case.rule, "action": case.action,
                             "amount": case.amount, "currency": case.currency, "due": n.due.to_rfc3339()}),
    )?;
    Ok(case)
}

pub fn cases(c: &Connection, conversation_id: i64) -> Result<Vec<crate::AftersalesCase>> {
    Ok(c.prepare_cached(&format!(
        "SELECT {CASE_COLS} FROM aftersales_cases WHERE conversation_id = ?1 ORDER BY id"
    ))?
    .query_map([conversation_id], case_row)?
    .collect::<rusqlite::Result<_>>()?)
}

pub fn set_case_state(
    c: &Connection,
    case_id: i64,
    state: &str,
    actor: &str,
    at: DateTime<Utc>,
) -> Result<crate::AftersalesCase> {
    let before: Option<(i64, String)> = c
        .prepare_cached("SELECT conversation_id, state FROM aftersales_cases WHERE id = ?1")?
        .query_row([case_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((conversation_id, from)) = before else {
        return Err(StoreError::NotFound(format!(
            "case {case_id} does not exist"
        )));
    };
    let case = c
        .prepare_cached(&format!(
            "UPDATE aftersales_cases SET state = ?2, updated_at = ?3 WHERE id = ?1 RETURNING {CASE_COLS}"
        ))?
        .query_row(params![case_id, state, micros(at)], case_row)?;
    super::ops::add_event(
        c,
        conversation_id,
        micros(at),
        "case_updated",
        actor,
        &serde_json::json!({"case_id": case_id, "from": from, "to": state, "action": case.action, "rule": case.rule}),
    )?;
    Ok(case)
}

/// `"3,7"` → `[3, 7]`.
fn shop_list(text: Option<&str>) -> Vec<i64> {
    let mut out: Vec<i64> = text
        .unwrap_or("")
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    out.sort_unstable();
    out
}
