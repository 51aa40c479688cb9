//! Message-ID handling: the keys that tie a mail to its conversation.
//!
//! Clients disagree in small ways (angle brackets or not, folded whitespace,
//! several ids in In-Reply-To), so ids are normalised to the bare `local@domain`
//! form before they are compared or stored.

use crate::InboundMail;

/// A Message-ID without angle brackets or whitespace; `None` when nothing is left.
pub fn normalize_id(raw: &str) -> Option<String> {
    let id: String = raw
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '<' && *c != '>')
        .collect();
    (!id.is_empty()).then_some(id)
}

/// The keys to find the conversation a mail belongs to: its own id and every id
/// it refers to, most recent first.
///
/// Order: the mail's own Message-ID, then In-Reply-To (its direct parent), then
/// References from last to first (RFC 5322 lists them oldest first). Duplicates
/// are dropped, keeping the first place. A server looks each key up in turn and
/// takes the first conversation it knows.
pub fn thread_keys(mail: &InboundMail) -> Vec<String> {
    let candidates = mail
        .message_id
        .iter()
        .chain(mail.in_reply_to.iter())
        .chain(mail.references.iter().rev());
    let mut keys: Vec<String> = Vec::new();
    for id in candidates {
        if let Some(id) = normalize_id(id)
            && !keys.contains(&id)
        {
            keys.push(id);
        }
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_bare() {
        assert_eq!(normalize_id(" <a@b.c> ").as_deref(), Some("a@b.c"));
        assert_eq!(normalize_id("a@b\r\n .c").as_deref(), Some("a@b.c"));
        assert_eq!(normalize_id("<>"), None);
    }

    #[test]
    fn keys_run_from_own_id_to_oldest_reference() {
        let mail = InboundMail {
            message_id: Some("m3@x".into()),
            in_reply_to: vec!["m2@x".into()],
            references: vec!["m1@x".into(), "m2@x".into()],
            ..InboundMail::default()
        };
        assert_eq!(thread_keys(&mail), ["m3@x", "m2@x", "m1@x"]);
    }
}
