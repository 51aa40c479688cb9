//! Sign-in for the web UI: argon2 password hashes, sessions in the store (only the hash of the
//! cookie is kept), a CSRF token per session that every form carries, and a lockout after
//! repeated failures.
//!
//! The lockout is kept per (account, IP address) with exponential backoff, not per account:
//! an attacker failing from one address locks only themselves out, and the agent still signs
//! in from their own. Unknown emails are counted and locked exactly like known ones and take
//! an argon2 verification too, so neither the answer nor its timing says which emails exist
//! (issue 10, item 4b). The counts live in this process's memory: several kefu processes
//! behind one balancer each keep their own (an attacker gets a few more tries), and a
//! restart forgets them.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Duration, Utc};
use kefu_core::{Agent, Role};

use crate::AppState;
use crate::extract::hash_token;

/// The session cookie's name.
pub const COOKIE: &str = "kefu_session";
/// A session lasts a working day and a bit; then the agent signs in again.
pub const SESSION_HOURS: i64 = 12;
/// Failures in a row (for one account from one address) before the first lock.
pub const LOCK_AFTER: u32 = 5;
/// The first lock; each further failure doubles it, up to [`MAX_LOCK_MINUTES`].
pub const FIRST_LOCK_SECONDS: i64 = 60;
pub const MAX_LOCK_MINUTES: i64 = 60;
/// Failures older than this are forgotten.
const FORGET_AFTER_HOURS: i64 = 24;
/// Pairs kept before old ones are swept, so a flood of addresses cannot grow it forever.
const SWEEP_AT: usize = 100_000;

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: DateTime<Utc>,
    locked_until: Option<DateTime<Utc>>,
}

/// Failed sign-ins by (email, IP address).
#[derive(Default)]
pub struct SignInGuard {
    pairs: std::sync::Mutex<std::collections::HashMap<(String, String), Failures>>,
}

impl SignInGuard {
    fn pairs(
        &self,
    ) -> std::sync::MutexGuard<'_, std::collections::HashMap<(String, String), Failures>> {
        self.pairs.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Until when `email` is locked from `ip` at `now`, if it is.
    pub fn locked(&self, email: &str, ip: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.pairs()
            .get(&(email.to_string(), ip.to_string()))
            .and_then(|f| f.locked_until)
            .filter(|t| *t > now)
    }

    /// Counts a failure; from the [`LOCK_AFTER`]th in a row on, the pair is locked, for
    /// twice as long at each failure. Returns the lock's end when this failure set one.
    pub fn fail(&self, email: &str, ip: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let mut pairs = self.pairs();
        let forget = now - Duration::hours(FORGET_AFTER_HOURS);
        if pairs.len() >= SWEEP_AT {
            pairs.retain(|_, f| f.last > forget || f.locked_until.is_some_and(|t| t > now));
        }
        let f = pairs
            .entry((email.to_string(), ip.to_string()))
            .or_insert(Failures {
                count: 0,
                last: now,
                locked_until: None,
            });
        if f.last <= forget {
            f.count = 0;
        }
        f.count += 1;
        f.last = now;
        if f.count < LOCK_AFTER {
            return None;
        }
        let doublings = (f.count - LOCK_AFTER).min(16);
        let secs = (FIRST_LOCK_SECONDS << doublings).min(MAX_LOCK_MINUTES * 60);
        let until = now + Duration::seconds(secs);
        f.locked_until = Some(until);
        Some(until)
    }

    /// A right password from this address: its count starts again.
    pub fn succeed(&self, email: &str, ip: &str) {
        self.pairs().remove(&(email.to_string(), ip.to_string()));
    }

    /// An admin unlocks the account from every address. Returns how many locks were lifted.
    pub fn unlock(&self, email: &str, now: DateTime<Utc>) -> usize {
        let mut pairs = self.pairs();
        let locked = pairs
            .iter()
            .filter(|((e, _), f)| e == email && f.locked_until.is_some_and(|t| t > now))
            .count();
        pairs.retain(|(e, _), _| e != email);
        locked
    }
}

/// Hashes a password with argon2id and a random salt (PHC string format).
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    use argon2::PasswordHasher;
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| anyhow::anyhow!("no randomness for a salt: {e}"))?;
    let salt = argon2::password_hash::SaltString::encode_b64(&salt)
        .map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    Ok(argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("hashing the password: {e}"))?
        .to_string())
}

/// Whether `password` matches the stored hash (false for a hash that does not parse).
pub fn verify_password(password: &str, hash: &str) -> bool {
    use argon2::PasswordVerifier;
    argon2::password_hash::PasswordHash::new(hash).is_ok_and(|parsed| {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// A hash of nothing in particular, verified against when the email is unknown, so that an
/// unknown email takes as long to refuse as a wrong password.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("decoy password that matches nothing").unwrap_or_default())
}

/// A random token, hex.
pub fn random_hex(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    if getrandom::fill(&mut b).is_err() {
        // Without the system's randomness no session can be safe: refuse by producing a
        // token no one will ever match (the caller's lookup fails).
        return String::new();
    }
    b.iter().map(|x| format!("{x:02x}")).collect()
}

pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// `Set-Cookie` for the session: HttpOnly, SameSite=Lax, `Secure` when the desk is reached
/// over HTTPS (directly or through a proxy that says so).
pub fn session_cookie(token: &str, secure: bool, expires: DateTime<Utc>) -> String {
    let mut c = format!(
        "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Expires={}",
        expires.format("%a, %d %b %Y %H:%M:%S GMT")
    );
    if secure {
        c.push_str("; Secure");
    }
    c
}

pub fn clear_cookie(name: &str) -> String {
    format!("{name}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")
}

/// Whether the browser reached us over HTTPS.
pub fn is_https(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

/// The signed-in person looking at a page, with their session's CSRF token and UI language.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub agent: Agent,
    pub csrf: String,
    pub lang: super::i18n::Lang,
    /// The shops the agent is limited to; `None`: every shop of the tenant.
    pub shops: Option<Vec<i64>>,
}

impl Viewer {
    pub fn may_see_shop(&self, shop_id: i64) -> bool {
        self.shops.as_ref().is_none_or(|s| s.contains(&shop_id))
    }

    pub fn at_least(&self, role: Role) -> bool {
        let rank = |r: Role| match r {
            Role::Agent => 0,
            Role::Supervisor => 1,
            Role::Admin => 2,
        };
        rank(self.agent.role) >= rank(role)
    }
}

/// Not signed in (or the session ended): go to the sign-in page, then come back.
pub struct SignIn(pub String);

impl IntoResponse for SignIn {
    fn into_response(self) -> Response {
        let next = urlencode(&self.0);
        Redirect::to(&format!("/login?next={next}")).into_response()
    }
}

pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = SignIn;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, SignIn> {
        let here = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/".into());
        let Some(token) = cookie(&parts.headers, COOKIE) else {
            return Err(SignIn(here));
        };
        let found = state
            .store
            .session(&hash_token(&token), state.clock.now())
            .await
            .ok()
            .flatten();
        let Some((agent, csrf, shops)) = found else {
            return Err(SignIn(here));
        };
        let lang = super::i18n::Lang::pick(&parts.headers, &agent.languages);
        let shops = (!shops.is_empty()).then_some(shops);
        Ok(Viewer {
            agent,
            csrf,
            lang,
            shops,
        })
    }
}

/// Lifts every sign-in lock on an agent of `tenant_id` and resets their stored failure
/// count (`POST /api/v1/agents/{id}/unlock`, the agents page's button). `None`: no such agent
/// in that tenant.
pub async fn unlock_agent(
    state: &AppState,
    tenant_id: i64,
    agent_id: i64,
) -> Result<Option<(Agent, usize)>, kefu_store::StoreError> {
    let Some(agent) = state
        .store
        .agents(tenant_id)
        .await?
        .into_iter()
        .find(|a| a.id == agent_id)
    else {
        return Ok(None);
    };
    let now = state.clock.now();
    let lifted = state
        .limits
        .sign_in
        .unlock(&agent.email.trim().to_lowercase(), now);
    // The stored count is a record of failures only; a success resets it.
    state
        .store
        .record_login(agent.id, true, i64::MAX, now)
        .await?;
    Ok(Some((agent, lifted)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password("correct horse battery staple").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery staple", &h));
        assert!(!verify_password("Correct horse battery staple", &h));
        assert!(!verify_password("x", "not a hash"));
        assert_ne!(
            h,
            hash_password("correct horse battery staple").unwrap(),
            "salted"
        );
    }

    #[test]
    fn lockout_is_per_address_and_backs_off() {
        let g = SignInGuard::default();
        let t0 = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        for _ in 1..LOCK_AFTER {
            assert_eq!(g.fail("tom@x", "10.0.0.9", t0), None);
        }
        let first = g
            .fail("tom@x", "10.0.0.9", t0)
            .expect("locked at the fifth");
        assert_eq!(first - t0, Duration::seconds(FIRST_LOCK_SECONDS));
        assert!(g.locked("tom@x", "10.0.0.9", t0).is_some());
        assert_eq!(g.locked("tom@x", "10.0.0.1", t0), None, "another address");
        assert_eq!(g.locked("amy@x", "10.0.0.9", t0), None, "another account");
        // Once it opens, the next failure locks twice as long, and so on up to the cap.
        let t1 = first + Duration::seconds(1);
        assert_eq!(g.locked("tom@x", "10.0.0.9", t1), None);
        let second = g.fail("tom@x", "10.0.0.9", t1).unwrap();
        assert_eq!(second - t1, Duration::seconds(2 * FIRST_LOCK_SECONDS));
        for _ in 0..20 {
            g.fail("tom@x", "10.0.0.9", t1);
        }
        assert_eq!(
            g.locked("tom@x", "10.0.0.9", t1).unwrap() - t1,
            Duration::minutes(MAX_LOCK_MINUTES)
        );
        assert_eq!(g.unlock("tom@x", t1), 1);
        assert_eq!(g.locked("tom@x", "10.0.0.9", t1), None);
        assert_eq!(
            g.fail("tom@x", "10.0.0.9", t1),
            None,
            "counting starts again"
        );
    }

    #[test]
    fn cookies_are_read_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            "a=1; kefu_session=abc; b=2".parse().unwrap(),
        );
        assert_eq!(cookie(&h, COOKIE).as_deref(), Some("abc"));
        assert_eq!(cookie(&h, "c"), None);
    }
}
