//! What the bot says and hears: asking for a person, its notices, filling an FAQ answer with
//! the order's facts, the handover summary, and "where is my parcel" answered from tracking.

use super::*;

/// Words with which buyers ask for a person.
pub(super) const ASK_FOR_PERSON: &[&str] = &[
    "人工",
    "真人",
    "转客服",
    "找客服",
    "客服在吗",
    "human",
    "real person",
    "an agent",
    "a person",
    "speak to someone",
    "talk to someone",
    "mitarbeiter",
    "echten menschen",
    "persona real",
    "un agente",
    "hablar con alguien",
    "un humain",
    "conseiller",
];

pub(super) fn asks_for_person(question: &str) -> bool {
    let lower = question.to_lowercase();
    ASK_FOR_PERSON.iter().any(|w| lower.contains(w))
}

pub(super) fn person_text(lang: &str) -> &'static str {
    match lang {
        "zh" => "好的，已为您转接人工客服，客服会在{due}前回复您。",
        "de" => {
            "Gerne, ich leite Sie an einen Mitarbeiter weiter; Sie erhalten bis {due} eine Antwort."
        }
        "es" => "Con gusto le paso con una persona del equipo; le responderá antes de las {due}.",
        "fr" => "Je vous mets en relation avec un conseiller, qui vous répondra avant {due}.",
        _ => "I am passing you to a member of our team, who will answer you by {due}.",
    }
}

pub(super) fn default_notice(lang: &str, closed: bool) -> &'static str {
    match (lang, closed) {
        ("zh", true) => "您好，现在是非工作时间，您的问题已记录，客服会在{due}前回复您。",
        ("zh", false) => "您好，客服正在忙，您的问题已记录，客服会在{due}前回复您。",
        ("de", true) => {
            "Hallo! Wir sind gerade außerhalb unserer Arbeitszeit; Ihre Frage ist notiert und wir antworten bis {due}."
        }
        ("de", false) => {
            "Hallo! Gerade sind alle Mitarbeiter im Gespräch; Ihre Frage ist notiert und wir antworten bis {due}."
        }
        ("es", true) => {
            "¡Hola! Ahora estamos fuera de horario; hemos anotado su pregunta y le responderemos antes de las {due}."
        }
        ("es", false) => {
            "¡Hola! Ahora todo el equipo está ocupado; hemos anotado su pregunta y le responderemos antes de las {due}."
        }
        ("fr", true) => {
            "Bonjour ! Nous sommes fermés pour le moment ; nous avons noté votre question et vous répondrons avant {due}."
        }
        ("fr", false) => {
            "Bonjour ! Toute l'équipe est occupée ; nous avons noté votre question et vous répondrons avant {due}."
        }
        (_, true) => {
            "Hello! We are outside our working hours; your question is noted and an agent will answer by {due}."
        }
        (_, false) => {
            "Hello! All our agents are busy; your question is noted and an agent will answer by {due}."
        }
    }
}

/// Fills an FAQ answer's placeholders from the conversation's order. Without an order the
/// order number is left out; an answer that needs tracking facts the desk does not have is
/// not used at all (`None`): the bot hands over rather than send a hole.
pub(super) fn fill(answer: &str, detail: &ConversationDetail, due: &str) -> Option<String> {
    let order = detail.order.as_ref();
    let tracking = order.and_then(|o| o.tracking_number.as_deref());
    let carrier = order.and_then(|o| o.carrier.as_deref());
    if (answer.contains("{tracking}") && tracking.is_none())
        || (answer.contains("{carrier}") && carrier.is_none())
    {
        return None;
    }
    let text = answer
        .replace("{due}", due)
        .replace("{tracking}", tracking.unwrap_or_default())
        .replace("{carrier}", carrier.unwrap_or_default());
    Some(match order {
        Some(o) => text.replace("{order}", &o.external_id),
        None => tidy_gap(&text.replace("{order}", "")),
    })
}

/// Closes the gap a left-out placeholder leaves: no double spaces, no spaces next to Chinese
/// characters, none before punctuation.
pub(super) fn tidy_gap(text: &str) -> String {
    let is_han = |c: char| ('\u{4e00}'..='\u{9fff}').contains(&c);
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    for (i, &c) in chars.iter().enumerate() {
        if c == ' ' {
            let prev = out.chars().last();
            let next = chars.get(i + 1).copied();
            let drop = prev.is_none_or(|p| p == ' ' || is_han(p))
                || next.is_none_or(|n| n == ' ' || is_han(n) || ",.;:!?，。；：！？".contains(n));
            if drop {
                continue;
            }
        }
        out.push(c);
    }
    out
}

/// The internal note a person reads before taking over.
pub(super) fn handover_summary(
    detail: &ConversationDetail,
    question: &str,
    lang: &str,
    why: Handover,
    bot_said: Option<&str>,
    due: &str,
    tz: chrono_tz::Tz,
) -> String {
    let mut s = format!(
        "Bot hand-over: {}.\nBuyer ({lang}): {}",
        why.reason(),
        clip(question, 300)
    );
    let earlier: Vec<&str> = detail
        .messages
        .iter()
        .filter(|m| m.direction == Direction::Inbound && m.body != question)
        .rev()
        .take(2)
        .map(|m| m.body.as_str())
        .collect();
    for m in earlier.iter().rev() {
        s.push_str(&format!("\nEarlier: {}", clip(m, 200)));
    }
    if let Some(o) = &detail.order {
        s.push_str(&format!("\nOrder {}: {}", o.external_id, o.total));
        match (&o.shipped_at, &o.tracking_number) {
            (Some(at), Some(n)) => s.push_str(&format!(
                ", shipped {} ({} {n})",
                at.with_timezone(&tz).format("%Y-%m-%d"),
                o.carrier.as_deref().unwrap_or("")
            )),
            _ => s.push_str(", not shipped"),
        }
    }
    match bot_said {
        Some(text) => s.push_str(&format!("\nBot replied: {}", clip(text, 300))),
        None => s.push_str("\nBot sent nothing."),
    }
    s.push_str(&format!("\nA person's answer is due by {due}."));
    s
}

pub(super) fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut out: String = text.chars().take(max).collect();
        out.push('…');
        out
    }
}

/// Words that ask where a parcel is, by language.
pub(super) const WHERE_IS_MY_PARCEL: &[&str] = &[
    "快递",
    "物流",
    "包裹",
    "到哪",
    "发货了吗",
    "单号",
    "where is",
    "tracking",
    "parcel",
    "package",
    "shipped",
    "paket",
    "sendung",
    "lieferung",
    "paquete",
    "envío",
    "envio",
    "seguimiento",
    "colis",
    "livraison",
];

/// A sentence from the order's shipping facts for a buyer who asks where their parcel is.
pub fn tracking_answer(
    lang: &str,
    question: &str,
    order: &kefu_core::Order,
    tz: chrono_tz::Tz,
) -> Option<String> {
    let lower = question.to_lowercase();
    if !WHERE_IS_MY_PARCEL.iter().any(|w| lower.contains(w)) {
        return None;
    }
    let shipped = order
        .shipped_at?
        .with_timezone(&tz)
        .format("%Y-%m-%d")
        .to_string();
    let carrier = order.carrier.clone().unwrap_or_default();
    let number = order.tracking_number.clone()?;
    let id = &order.external_id;
    Some(match lang {
        "zh" => format!(
            "您的订单{id}已于{shipped}由{carrier}发出，运单号{number}，您可以随时查询物流进度。"
        ),
        "de" => format!(
            "Ihre Bestellung {id} wurde am {shipped} mit {carrier} verschickt, Sendungsnummer {number}."
        ),
        "es" => format!(
            "Su pedido {id} se envió el {shipped} con {carrier}, número de seguimiento {number}."
        ),
        "fr" => format!(
            "Votre commande {id} a été expédiée le {shipped} par {carrier}, numéro de suivi {number}."
        ),
        _ => format!(
            "Your order {id} shipped on {shipped} with {carrier}, tracking number {number}."
        ),
    })
}
