//! Sign-in for the web UI: argon2 password hashes, sessions in the store (only the hash of the
//! cookie is kept), a CSRF token per session that every form carries, and a lockout after
//! repeated failures.

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
/// Failures in a row that lock an account, and for how long.
pub const LOCK_AFTER: i64 = 5;
pub const LOCK_MINUTES: i64 = 15;

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

/// When a locked account opens again, if it is locked at `now`.
pub fn locked(locked_until: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    locked_until.filter(|t| *t > now)
}

pub fn lock_until(now: DateTime<Utc>) -> DateTime<Utc> {
    now + Duration::minutes(LOCK_MINUTES)
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
