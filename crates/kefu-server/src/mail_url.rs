//! The server addresses the email channel is configured with, written as URLs:
//! `imaps://user:pass@imap.qq.com:993/INBOX?shop=3`, `smtp+starttls://user:pass@smtp.163.com:587`.
//! A small parser of our own: the forms are few, and the userinfo must be percent-decoded
//! (a provider login is often an email address, `seller%40qq.com`).

/// One parsed server URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerUrl {
    /// Lower-cased, e.g. `imaps`.
    pub scheme: String,
    pub user: Option<String>,
    pub password: Option<String>,
    pub host: String,
    pub port: Option<u16>,
    /// The path without its leading `/`, percent-decoded (an IMAP mailbox name).
    pub path: String,
    /// `key=value` pairs of the query, values percent-decoded.
    pub query: Vec<(String, String)>,
}

impl ServerUrl {
    /// Parses `scheme://[user[:password]@]host[:port][/path][?query]`. The error says what
    /// was wrong, without echoing a password.
    pub fn parse(text: &str) -> Result<ServerUrl, String> {
        let (scheme, rest) = text.trim().split_once("://").ok_or_else(|| {
            "expected scheme://host[:port], e.g. imaps://user:pass@imap.example.com:993/INBOX"
                .to_string()
        })?;
        let (authority, tail) = match rest.find(['/', '?']) {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        let (path, query) = match tail.split_once('?') {
            Some((p, q)) => (p, q),
            None => (tail, ""),
        };
        // The last '@' ends the userinfo: a password may contain '@' unescaped.
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, authority),
        };
        let (user, password) = match userinfo {
            Some(info) => {
                let (u, p) = match info.split_once(':') {
                    Some((u, p)) => (u, Some(p)),
                    None => (info, None),
                };
                (Some(decode(u)?), p.map(decode).transpose()?)
            }
            None => (None, None),
        };
        let (host, port) = split_host_port(hostport)?;
        let query = query
            .split('&')
            .filter(|kv| !kv.is_empty())
            .map(|kv| {
                let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                Ok((decode(k)?, decode(v)?))
            })
            .collect::<Result<_, String>>()?;
        Ok(ServerUrl {
            scheme: scheme.to_ascii_lowercase(),
            user: user.filter(|u| !u.is_empty()),
            password,
            host,
            port,
            path: decode(path.trim_start_matches('/'))?,
            query,
        })
    }

    /// The value of query key `key`, if given.
    pub fn param(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// `host`, `host:port` or `[v6]:port`.
pub fn split_host_port(text: &str) -> Result<(String, Option<u16>), String> {
    let (host, port) = if let Some(v6) = text.strip_prefix('[') {
        let (h, rest) = v6
            .split_once(']')
            .ok_or_else(|| format!("{text:?}: an IPv6 address needs its closing ]"))?;
        (h, rest.strip_prefix(':'))
    } else {
        match text.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (text, None),
        }
    };
    if host.is_empty() {
        return Err(format!("{text:?} names no host"));
    }
    let port = port
        .map(|p| {
            p.parse::<u16>()
                .ok()
                .filter(|&p| p > 0)
                .ok_or_else(|| format!("{p:?} is not a port number (1-65535)"))
        })
        .transpose()?;
    Ok((host.to_string(), port))
}

fn decode(text: &str) -> Result<String, String> {
    let raw = text.as_bytes();
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'%' {
            let byte = raw
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or("a '%' in the URL is not followed by two hex digits")?;
            out.push(byte);
            i += 3;
        } else {
            out.push(raw[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "the URL decodes to bytes that are not UTF-8".to_string())
}

#[cfg(test)]
mod tests {
    use super::ServerUrl;

    #[test]
    fn provider_urls_parse() {
        let u =
            ServerUrl::parse("imaps://seller%40qq.com:p%40ss:w@rd@imap.qq.com:993/INBOX?shop=3")
                .unwrap();
        assert_eq!(u.scheme, "imaps");
        assert_eq!(u.user.as_deref(), Some("seller@qq.com"));
        assert_eq!(u.password.as_deref(), Some("p@ss:w@rd"));
        assert_eq!((u.host.as_str(), u.port), ("imap.qq.com", Some(993)));
        assert_eq!(u.path, "INBOX");
        assert_eq!(u.param("shop"), Some("3"));
        let u = ServerUrl::parse("smtp+starttls://[::1]:587").unwrap();
        assert_eq!((u.host.as_str(), u.port, u.user), ("::1", Some(587), None));
        let u = ServerUrl::parse("imaps://mail.example/%E6%94%B6%E4%BB%B6").unwrap();
        assert_eq!((u.port, u.path.as_str()), (None, "收件"));
    }

    #[test]
    fn bad_urls_say_why() {
        assert!(
            ServerUrl::parse("imap.qq.com:993")
                .unwrap_err()
                .contains("scheme://")
        );
        assert!(
            ServerUrl::parse("imaps://h:99999")
                .unwrap_err()
                .contains("port")
        );
        assert!(
            ServerUrl::parse("imaps://u:p@:993")
                .unwrap_err()
                .contains("no host")
        );
        assert!(
            ServerUrl::parse("imaps://u:%zz@h")
                .unwrap_err()
                .contains("hex")
        );
    }
}
