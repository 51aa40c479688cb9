//! The language of a buyer's message: what the desk answers in, which templates it offers and
//! which agent it routes to (LANG-LOCAL), not a linguistic study.
//!
//! A detector alone misreads short messages: trigram statistics take "Danke, das passt." for
//! English, and "ok" or "👍" is no language at all. So [`decide_language`] weighs, in order:
//!
//! 1. what the text shows by itself when that is clear — words that only one language uses
//!    ("danke", "merci", "¿dónde"), a longer text the detector reads reliably, a text of mostly
//!    Han characters long enough to be a buyer writing Chinese;
//! 2. otherwise what the desk already knows: the conversation's history, then the customer's
//!    known language, then the shop's market;
//! 3. and only then weak evidence: a word several languages share ("no", "thanks"), the
//!    detector's unsure guess.
//!
//! A few Han characters inside a Latin sentence (a product name: "Is the 小米手环 waterproof?")
//! do not make it Chinese, and one short Chinese line ("好的，谢谢") in an English conversation
//! does not turn it Chinese: the conversation keeps its language until the buyer writes at
//! length in another.
//!
//! Pure and fast: no I/O, a few microseconds for a short message (whatlang runs only on texts
//! long enough for it to matter).

use std::collections::HashMap;
use std::sync::OnceLock;

/// What the desk knows of the buyer's language before reading this message.
#[derive(Debug, Clone, Copy, Default)]
pub struct LanguageContext<'a> {
    /// Languages of the conversation so far, newest first (ISO 639-1 codes; region subtags
    /// such as `de-AT` are accepted). Unknown codes are ignored.
    pub history: &'a [&'a str],
    /// The customer's known language (from the marketplace or the API).
    pub customer: Option<&'a str>,
    /// The language of the shop's market, e.g. from [`market_language`].
    pub market: Option<&'a str>,
}

/// The language of `text` given what the desk knows: an ISO 639-1 code ("zh", "en", "de", "fr",
/// "es", or another whatlang reads confidently), or `None` when neither the text nor the context
/// tells.
pub fn decide_language(text: &str, context: &LanguageContext<'_>) -> Option<&'static str> {
    read_text(text).decide(context)
}

/// The language of `text` with no context: what a first message says by itself. `None` when
/// the text is too short or mixed to tell.
pub fn detect_language(text: &str) -> Option<&'static str> {
    decide_language(text, &LanguageContext::default())
}

/// What a text shows by itself, before any context is weighed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reading {
    /// Clear enough to stand against any context.
    confident: Option<&'static str>,
    /// Mostly Han but short: Chinese unless the conversation already speaks another language.
    short_han: bool,
    /// The best guess when nothing else tells.
    weak: Option<&'static str>,
}

impl Reading {
    /// The language when the text alone decides it; `None` when the context is needed.
    pub fn confident(&self) -> Option<&'static str> {
        self.confident
    }

    /// True when the decision depends on the context (the caller may skip looking it up
    /// otherwise).
    pub fn needs_context(&self) -> bool {
        self.confident.is_none()
    }

    /// The decision with the context: see the module documentation for the order.
    pub fn decide(&self, context: &LanguageContext<'_>) -> Option<&'static str> {
        if let Some(code) = self.confident {
            return Some(code);
        }
        let history = context.history.iter().find_map(|c| known_code(c));
        if self.short_han {
            // A short Chinese line keeps an established conversation's language; without one it
            // is the buyer writing Chinese (the script is not in doubt).
            return history.or(Some("zh"));
        }
        history
            .or_else(|| context.customer.and_then(known_code))
            .or_else(|| context.market.and_then(known_code))
            .or(self.weak)
    }
}

/// The desk's languages with a cue lexicon, in score-array order.
const CUED: [&str; 7] = ["en", "de", "fr", "es", "it", "pt", "nl"];
const EN: usize = 0;
const DE: usize = 1;
const FR: usize = 2;
const ES: usize = 3;
const OTHER: usize = CUED.len();

/// A lead this large, over a score at least this large, decides a text by itself.
const CONFIDENT_SCORE: f32 = 2.5;
const CONFIDENT_MARGIN: f32 = 2.0;

/// Han characters at which a mostly-Han text is the buyer writing Chinese whatever the
/// conversation spoke before (with a Chinese function character; twice that without one, since
/// a pasted product name or address has none).
const HAN_CONFIDENT: usize = 10;

/// Reads `text` once: scripts, cue words, and whatlang for texts long enough for it.
pub fn read_text(text: &str) -> Reading {
    let mut han = 0usize;
    let mut han_function = false;
    let mut kana = 0usize;
    let mut hangul = 0usize;
    let mut latin = 0usize;
    let mut other_script = 0usize;
    for c in text.chars() {
        match c {
            '\u{3040}'..='\u{30ff}' => kana += 1,
            '\u{4e00}'..='\u{9fff}' | '\u{3400}'..='\u{4dbf}' | '\u{f900}'..='\u{faff}' => {
                han += 1;
                han_function |= CHINESE_FUNCTION_CHARS.contains(c);
            }
            '\u{ac00}'..='\u{d7af}' | '\u{1100}'..='\u{11ff}' => hangul += 1,
            c if c.is_alphabetic() && is_latin(c) => latin += 1,
            c if c.is_alphabetic() => other_script += 1,
            _ => {}
        }
    }

    let mut scores = [0f32; OTHER + 1];
    let mut other_code: Option<&'static str> = None;
    let words = score_words(text, &mut scores);

    // CJK scripts count by character against the Latin words beside them: "我买的 XL 码太小了" is
    // Chinese, "Do you have the 华为 charger in black?" is English.
    let cjk = han + kana;
    if kana > 0 && cjk >= 2 * words.max(1) {
        return Reading::sure("ja");
    }
    if hangul > 0 && hangul >= 2 * words.max(1) && hangul >= han {
        return Reading::sure("ko");
    }
    if han > 0 && han >= 2 * words {
        let long = han >= 2 * HAN_CONFIDENT || (han >= HAN_CONFIDENT && han_function);
        return Reading {
            confident: long.then_some("zh"),
            short_han: !long,
            weak: Some("zh"),
        };
    }
    if other_script > latin {
        // Cyrillic, Arabic, Thai, Greek …: the script narrows it to one or two languages, which
        // whatlang tells apart well enough.
        let code = detector()
            .detect(sample(text))
            .and_then(|i| whatlang_code(i.lang()));
        return Reading {
            confident: code,
            short_han: false,
            weak: code,
        };
    }
    if latin < 2 {
        // Digits, punctuation, emoji, an order number: the context decides.
        return Reading {
            confident: None,
            short_han: false,
            weak: None,
        };
    }
    // whatlang on a few letters is noise; on a sentence it adds what the lexicon lacks, in
    // proportion to the text's length and its own confidence (at most `most`). It is skipped
    // when the words already lead by more than it could move, the common case, and the costly
    // part of a decision.
    let most = latin.min(80) as f32 / 10.0;
    let (_, first, second) = top_two(&scores);
    let settled = first >= CONFIDENT_SCORE && first - second - most >= CONFIDENT_MARGIN;
    if latin >= 12
        && !settled
        && let Some(info) = detector().detect(sample(text))
        && let Some(code) = whatlang_code(info.lang())
    {
        let weight = info.confidence() as f32 * most;
        match CUED.iter().position(|c| *c == code) {
            Some(i) => scores[i] += weight,
            None => {
                scores[OTHER] += weight;
                other_code = Some(code);
            }
        }
    }
    let (best, best_score, second_score) = top_two(&scores);
    let code = if best == OTHER {
        other_code
    } else {
        Some(CUED[best])
    };
    let lead = best_score - second_score;
    Reading {
        confident: code.filter(|_| best_score >= CONFIDENT_SCORE && lead >= CONFIDENT_MARGIN),
        short_han: false,
        weak: code.filter(|_| best_score > 0.0 && lead > 0.0),
    }
}

impl Reading {
    fn sure(code: &'static str) -> Reading {
        Reading {
            confident: Some(code),
            short_han: false,
            weak: Some(code),
        }
    }
}

fn top_two(scores: &[f32]) -> (usize, f32, f32) {
    let (mut best, mut first, mut second) = (0, f32::MIN, f32::MIN);
    for (i, &s) in scores.iter().enumerate() {
        if s > first {
            second = first;
            first = s;
            best = i;
        } else if s > second {
            second = s;
        }
    }
    (best, first, second)
}

/// The opening of a long message tells its language as well as the whole of it, at a fraction
/// of the cost for long emails.
fn sample(text: &str) -> &str {
    match text.char_indices().nth(400) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

fn is_latin(c: char) -> bool {
    c.is_ascii_alphabetic() || matches!(c, '\u{c0}'..='\u{24f}' | '\u{1e00}'..='\u{1eff}')
}

/// Han characters that Chinese sentences are built with and product names and addresses mostly
/// lack: pronouns, particles, negation, the commonest verbs.
const CHINESE_FUNCTION_CHARS: &str =
    "我你您他她们的了吗呢吧啊呀是在有不没要能会可请还就都也和这那么什怎为";

/// Adds each Latin word's cues to `scores`; returns how many Latin words there were.
fn score_words(text: &str, scores: &mut [f32; OTHER + 1]) -> usize {
    let lexicon = lexicon();
    let mut words = 0usize;
    let mut word = String::with_capacity(24);
    let mut chars = text.chars().peekable();
    loop {
        word.clear();
        while let Some(&c) = chars.peek() {
            if (c.is_alphabetic() && is_latin(c)) || (is_apostrophe(c) && !word.is_empty()) {
                word.extend(c.to_lowercase());
                chars.next();
            } else {
                break;
            }
        }
        if word.is_empty() {
            match chars.next() {
                // Spanish opens questions and exclamations with inverted marks, and nothing
                // else does.
                Some('¿' | '¡') => scores[ES] += 3.0,
                Some(_) => {}
                None => break,
            }
            continue;
        }
        words += 1;
        let w = word.trim_end_matches(is_apostrophe);
        score_word(w, lexicon, scores);
    }
    words
}

fn is_apostrophe(c: char) -> bool {
    c == '\'' || c == '’'
}

fn score_word(w: &str, lexicon: &HashMap<&'static str, Cues>, scores: &mut [f32; OTHER + 1]) {
    if let Some(cues) = lexicon.get(w) {
        cues.add_to(scores);
        return;
    }
    if let Some((head, tail)) = w.split_once(is_apostrophe) {
        // French elides before a vowel (j'ai, c'est, n'est, l'article, qu'il); English
        // contracts (don't, it's, I'm, we've). Each part counts as a word of its own.
        let elided = matches!(
            head,
            "j" | "c" | "n" | "l" | "d" | "qu" | "s" | "m" | "t" | "jusqu" | "lorsqu" | "puisqu"
        );
        let contracted = matches!(tail, "t" | "s" | "m" | "re" | "ve" | "ll" | "d");
        if elided {
            scores[FR] += 2.0;
        } else {
            score_word(head, lexicon, scores);
        }
        if contracted && !elided {
            // "gibt's", "geht's" are German: the English reading counts only when the head is
            // not another language's word.
            if lexicon
                .get(head)
                .is_none_or(|c| c.0.iter().all(|&(l, _)| l == EN as u8))
            {
                scores[EN] += 2.0;
            }
        } else if !tail.is_empty() {
            score_word(tail, lexicon, scores);
        }
        return;
    }
    // An unknown word still tells by its letters and endings.
    for c in w.chars() {
        match c {
            'ß' | 'ä' | 'ö' | 'ü' => {
                scores[DE] += 2.0;
                return;
            }
            'ñ' => {
                scores[ES] += 2.5;
                return;
            }
            'ç' | 'œ' | 'è' | 'ê' | 'ë' | 'î' | 'ï' | 'ô' | 'û' | 'ù' | 'â' => {
                scores[FR] += 2.0;
                return;
            }
            'ã' | 'õ' => {
                scores[5] += 2.0;
                return;
            }
            _ => {}
        }
    }
    if w.contains(['á', 'í', 'ó', 'ú']) {
        scores[ES] += 1.0;
    } else if w.contains('é') {
        scores[FR] += 1.0;
        scores[ES] += 0.5;
    }
    if w.chars().count() < 5 {
        return;
    }
    let endings: &[(&str, usize, f32)] = &[
        ("ungen", DE, 1.5),
        ("ung", DE, 1.5),
        ("keit", DE, 1.5),
        ("heit", DE, 1.5),
        ("lich", DE, 1.0),
        ("chen", DE, 1.0),
        ("ción", ES, 2.0),
        ("cion", ES, 1.0),
        ("ado", ES, 0.5),
        ("ido", ES, 0.5),
        ("mente", ES, 0.5),
        ("ment", FR, 0.5),
        ("eux", FR, 1.0),
        ("eau", FR, 1.0),
        ("ing", EN, 1.5),
        ("ed", EN, 0.5),
        ("ly", EN, 0.5),
    ];
    if let Some((_, lang, weight)) = endings.iter().find(|(e, _, _)| w.ends_with(e)) {
        scores[*lang] += weight;
    }
    if w.contains("sch") {
        scores[DE] += 0.5;
    }
}

/// A word's weight for each language that uses it.
#[derive(Debug, Default)]
struct Cues(Vec<(u8, f32)>);

impl Cues {
    fn add_to(&self, scores: &mut [f32; OTHER + 1]) {
        for &(lang, weight) in &self.0 {
            scores[lang as usize] += weight;
        }
    }
}

/// Words buyers write, by language and weight: 3 for words only that language uses and
/// buyers write alone ("danke", "merci"), 2 for its everyday function words, 1 or less for a
/// word another language shares (listed under both). Lower-case; unaccented spellings are
/// listed too, as buyers often drop accents.
const LEXICON: &[(usize, f32, &str)] = &[
    (
        EN,
        3.0,
        "the where what when why please thank you your my is are i'm it's don't doesn't didn't \
         hasn't haven't isn't can't won't wasn't aren't couldn't wouldn't shouldn't ive im dont \
         doesnt didnt hasnt havent isnt cant",
    ),
    (
        EN,
        2.0,
        "order package parcel arrived received refund tracking shipped shipping yet still any \
         update updates news waiting help need want would could should will there here this \
         that it of and with from not just got get did does do been how who anyone someone \
         nothing something cancel wrong broken damaged missing delivered delivery return item \
         size colour fit send sent ship arrive paid pay card password charged twice discount \
         coupon address late already week today tomorrow yesterday box empty invoice declined \
         working works stopped stuff restock check new one black blue white red cheers mate \
         worries sounds good great fine sure nice cool long much many also again they them \
         we us our have has was were be can i me an at on by if or but all so anything to for \
         quick question right left back received ordered bought buy describes described \
         fits arrives yours thx thanx",
    ),
    (EN, 1.5, "yes yep yeah thanks perfect"),
    (
        EN,
        1.0,
        "sorry hello as in a color no original stock possible date",
    ),
    (
        DE,
        3.0,
        "danke bitte ich nicht ist sind mein meine meinen meiner meinem gibt wann warum noch \
         schon kein keine keinen nichts habe haben hat hatte bin wird wurde kann können koennen \
         möchte moechte würde wuerde guten paket bestellung lieferung sendung sendungsnummer \
         ware geld zurück zurueck rückerstattung erstattung storno stornieren stornierung \
         kaputt beschädigt leider angekommen erhalten bekommen geliefert versand versendet \
         verschickt passt gepasst nein vielen dank schön schoen grüße gruesse mfg geehrte \
         zoll frage hilfe größe groesse farbe falsch falsche falschen falscher klar alles \
         stimmt genau perfekt toll prima und oder aber für fuer wo neuigkeiten gutschein \
         rechnung umtausch umtauschen tauschen rücksendung zurückschicken zurueckschicken \
         schicken dauert woche wochen tage tagen heute gestern bezahlt bezahlen zahlen \
         passwort verfügbar lager antwort schnell weihnachten hängt warte warten immer kommt \
         kommen geht funktioniert abgelehnt klein groß zusammen ordnung doch mal dankeschön \
         bitteschön sehr auch bereits jetzt euch",
    ),
    (
        DE,
        2.0,
        "das der dem wie mit von auf zu nach vor sie wir uns gut ja morgen abend tag karte \
         artikel defekt neu lange einen eine ein einem einer diese dieser dieses hier dass \
         welche",
    ),
    (DE, 1.5, "die den im ihr was"),
    (DE, 1.0, "es in er jo"),
    (DE, 0.5, "des"),
    (
        FR,
        3.0,
        "merci bonjour bonsoir salut je vous votre vos suis où quand pourquoi comment avec \
         dans colis commande livraison livré livre reçu recu reçue recue remboursement \
         rembourser retour toujours encore déjà deja rien oui accord ça parfait très tres \
         problème probleme numéro suivi aide plaît plait svp nouvelles arrivé arrivee arrivée \
         envoyé envoye expédié expedie expédition quoi elle nous avez avons ont fait taille \
         couleur cassé casse abîmé abime endommagé endommage annuler annulez argent payé paye \
         payer mot passe semaine jours aujourd demain hier madame monsieur cordialement \
         vérifier verifier pouvez peux peut veux voudrais échanger echanger marche manque \
         pièce piece facture refusée refusee refusé déçu decu vais recevoir attends attendre \
         produit correspond bouge combien petit trop entendu bonne journée journee \
         différent mauvais mauvaise partie parti ils beaucoup quel quelle quels quelles",
    ),
    (
        FR,
        2.0,
        "mon ma mes est pas ne le les du une et pour sur carte là ai ce cette",
    ),
    (FR, 1.5, "des l d à il qui bon bien non"),
    (
        FR,
        1.0,
        "la un ou que si tu de en ca va plus différente disponible",
    ),
    (FR, 0.5, "a possible"),
    (
        ES,
        3.0,
        "gracias hola buenos buenas días dias tardes noches está estoy están estan dónde \
         cuándo qué cómo porque pedido paquete envío envio enviaron enviado envían envian \
         llegado llegó llego llega llegar recibido recibí recibi recibo reembolso devolución \
         devolucion devolver devolverlo todavía todavia aún nada vale perfecto muy \
         seguimiento ayuda favor noticias novedad novedades quiero tengo puedo pueden puede hay \
         talla roto dañado danado cancelar cancelen dinero pagado pagué pague semana hoy mañana \
         manana ayer señor senor saludos cuánto cuanto tarda tanto falta pieza bueno claro \
         listo genial equivocada equivocado sigo esperando pedí pedi alguna alguno alguien \
         fecha tarjeta contraseña contrasena funciona actualiza cambiar cambiarlo usted \
         ustedes acuerdo otro pequeño pequeno factura rechazada decepcionado revisar sí mucho \
         muchas",
    ),
    (
        ES,
        2.0,
        "el los las lo una y por del mis ya diferente producto donde cuando",
    ),
    (ES, 1.5, "es esta su al bien como con problema"),
    (
        ES,
        1.0,
        "la un o que si tu de en me he color numero mi no disponible",
    ),
    (ES, 0.5, "le"),
    (
        4,
        3.0,
        "grazie buongiorno buonasera sono mio mia pacco ancora arrivato ordine spedito dove \
         perché perche rimborso vorrei questo questa della anche",
    ),
    (4, 2.0, "ciao che per di"),
    (4, 1.5, "non il quando con problema una"),
    (4, 1.0, "è sì si un mi del"),
    (
        5,
        3.0,
        "obrigado obrigada olá não nao meu minha encomenda chegou ainda onde você voce vocês \
         muito tudo recebi",
    ),
    (5, 2.0, "bom boa é"),
    (5, 1.5, "dia quando"),
    (5, 1.0, "tarde pedido reembolso está favor como de"),
    (
        6,
        3.0,
        "bedankt dankjewel goedemorgen goedemiddag mijn pakket bestelling niet wanneer waar \
         ik het geen graag alstublieft ontvangen verzonden",
    ),
    (6, 2.0, "een nog"),
    (6, 1.5, "van"),
    (6, 1.0, "hallo de"),
    (6, 0.5, "is"),
    (DE, 2.5, "hallo"),
];

fn lexicon() -> &'static HashMap<&'static str, Cues> {
    static LEX: OnceLock<HashMap<&'static str, Cues>> = OnceLock::new();
    LEX.get_or_init(|| {
        let mut map: HashMap<&'static str, Cues> = HashMap::new();
        for &(lang, weight, words) in LEXICON {
            for word in words.split_whitespace() {
                let cues = map.entry(word).or_default();
                match cues.0.iter_mut().find(|(l, _)| *l as usize == lang) {
                    // A word listed twice for one language keeps its larger weight.
                    Some(entry) => entry.1 = entry.1.max(weight),
                    None => cues.0.push((lang as u8, weight)),
                }
            }
        }
        map
    })
}

/// An ISO 639-1 code this module knows, from a tag such as `de`, `de-AT`, `zh_CN` or `EN`.
fn known_code(tag: &str) -> Option<&'static str> {
    let primary = tag.trim().split(['-', '_']).next()?;
    KNOWN_CODES
        .iter()
        .copied()
        .find(|c| c.eq_ignore_ascii_case(primary))
}

const KNOWN_CODES: &[&str] = &[
    "zh", "en", "de", "fr", "es", "it", "pt", "nl", "pl", "sv", "tr", "id", "vi", "ru", "uk", "ar",
    "th", "ja", "ko", "he", "el", "cs", "da", "fi", "no", "hu", "ro", "ms",
];

fn whatlang_code(lang: whatlang::Lang) -> Option<&'static str> {
    use whatlang::Lang::*;
    Some(match lang {
        Eng => "en",
        Deu => "de",
        Spa => "es",
        Fra => "fr",
        Ita => "it",
        Por => "pt",
        Nld => "nl",
        Rus => "ru",
        Pol => "pl",
        Swe => "sv",
        Tur => "tr",
        Ind => "id",
        Vie => "vi",
        Ara => "ar",
        Jpn => "ja",
        Kor => "ko",
        Cmn => "zh",
        Ukr => "uk",
        Tha => "th",
        _ => return None,
    })
}

/// whatlang limited to the languages marketplace buyers write in: scoring every language it
/// knows made detection the most expensive step of ingesting a message.
fn detector() -> &'static whatlang::Detector {
    static DETECTOR: OnceLock<whatlang::Detector> = OnceLock::new();
    DETECTOR.get_or_init(|| {
        use whatlang::Lang::*;
        whatlang::Detector::with_allowlist(vec![
            Eng, Deu, Spa, Fra, Ita, Por, Nld, Pol, Swe, Tur, Ind, Vie, Rus, Ukr, Ara, Tha, Jpn,
            Kor, Cmn,
        ])
    })
}

/// The language most of a shop's buyers write in, from what the shop says of itself: the
/// Chinese marketplaces are Chinese; otherwise the shop's time zone when it lies in a market
/// with one main language, then its currency. `None` when none tells — an AliExpress shop
/// keeps Beijing time and prices in dollars but sells to the whole world.
pub fn market_language(
    platform: crate::Platform,
    timezone: &str,
    currency: &str,
) -> Option<&'static str> {
    use crate::Platform;
    if matches!(
        platform,
        Platform::Taobao | Platform::Tmall | Platform::Pinduoduo
    ) {
        return Some("zh");
    }
    let by_zone = match timezone.trim() {
        "Europe/Berlin" | "Europe/Vienna" | "Europe/Zurich" | "Europe/Busingen" => Some("de"),
        "Europe/Paris" | "Europe/Monaco" | "Europe/Luxembourg" => Some("fr"),
        "Europe/Madrid"
        | "Atlantic/Canary"
        | "America/Mexico_City"
        | "America/Bogota"
        | "America/Lima"
        | "America/Santiago"
        | "America/Argentina/Buenos_Aires"
        | "America/Buenos_Aires"
        | "America/Caracas"
        | "America/Montevideo" => Some("es"),
        "Europe/Rome" => Some("it"),
        "Europe/Amsterdam" => Some("nl"),
        "Europe/Lisbon" | "America/Sao_Paulo" => Some("pt"),
        "Europe/London"
        | "Europe/Dublin"
        | "America/New_York"
        | "America/Chicago"
        | "America/Denver"
        | "America/Los_Angeles"
        | "America/Phoenix"
        | "America/Anchorage"
        | "Pacific/Honolulu"
        | "America/Toronto"
        | "America/Vancouver"
        | "Australia/Sydney"
        | "Australia/Melbourne"
        | "Australia/Brisbane"
        | "Australia/Perth"
        | "Australia/Adelaide"
        | "Pacific/Auckland" => Some("en"),
        _ => None,
    };
    // The seller's own zone says nothing of an AliExpress shop's buyers unless it moved it to
    // the market it serves.
    if by_zone.is_some() {
        return by_zone;
    }
    let by_currency = match currency.trim().to_ascii_uppercase().as_str() {
        "CNY" | "RMB" => Some("zh"),
        "GBP" | "AUD" | "NZD" => Some("en"),
        "USD" | "CAD" if platform != Platform::Aliexpress => Some("en"),
        "MXN" | "ARS" | "CLP" | "COP" | "PEN" => Some("es"),
        "CHF" => Some("de"),
        _ => None,
    };
    by_currency.or(match platform {
        Platform::Ebay => Some("en"),
        _ => None,
    })
}

/// Scoring [`decide_language`] on labelled messages (`kefu bench lang`, and the accuracy test
/// that keeps it from getting worse).
pub mod labelled {
    use std::collections::BTreeMap;

    use super::{LanguageContext, decide_language};

    /// One labelled message: `language<TAB>context<TAB>text`, the context `-` or
    /// space-separated `h=<codes newest first, comma-separated>`, `c=<code>`, `m=<code>`.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Case<'a> {
        pub line: usize,
        pub expected: &'a str,
        pub history: Vec<&'a str>,
        pub customer: Option<&'a str>,
        pub market: Option<&'a str>,
        pub text: &'a str,
    }

    impl Case<'_> {
        pub fn decide(&self) -> Option<&'static str> {
            decide_language(
                self.text,
                &LanguageContext {
                    history: &self.history,
                    customer: self.customer,
                    market: self.market,
                },
            )
        }
    }

    /// Parses a labelled file; blank lines and `#` comments are skipped. The error names the
    /// line that is not in the format.
    pub fn parse(tsv: &str) -> Result<Vec<Case<'_>>, String> {
        let mut cases = Vec::new();
        for (i, raw) in tsv.lines().enumerate() {
            let line = i + 1;
            if raw.trim().is_empty() || raw.starts_with('#') {
                continue;
            }
            let mut cols = raw.splitn(3, '\t');
            let (Some(expected), Some(context), Some(text)) =
                (cols.next(), cols.next(), cols.next())
            else {
                return Err(format!("line {line}: want language<TAB>context<TAB>text"));
            };
            let mut case = Case {
                line,
                expected: expected.trim(),
                history: Vec::new(),
                customer: None,
                market: None,
                text: text.trim(),
            };
            if case.expected.is_empty() || case.text.is_empty() {
                return Err(format!("line {line}: empty language or text"));
            }
            for part in context.split_whitespace().filter(|p| *p != "-") {
                match part.split_once('=') {
                    Some(("h", codes)) => case.history = codes.split(',').collect(),
                    Some(("c", code)) => case.customer = Some(code),
                    Some(("m", code)) => case.market = Some(code),
                    _ => return Err(format!("line {line}: unknown context {part:?}")),
                }
            }
            cases.push(case);
        }
        Ok(cases)
    }

    /// Right and total, overall and per expected language, with the rows decided wrong.
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct Score {
        pub cases: usize,
        pub right: usize,
        /// Expected language → (cases, right).
        pub per_language: BTreeMap<String, (usize, usize)>,
        /// (line, expected, decided, text) of each wrong row.
        pub misses: Vec<(usize, String, Option<&'static str>, String)>,
    }

    impl Score {
        pub fn accuracy(&self) -> f64 {
            self.right as f64 / self.cases.max(1) as f64
        }

        pub fn language_accuracy(&self, code: &str) -> Option<f64> {
            self.per_language
                .get(code)
                .map(|&(n, right)| right as f64 / n.max(1) as f64)
        }
    }

    pub fn score(cases: &[Case<'_>]) -> Score {
        let mut s = Score::default();
        for case in cases {
            let got = case.decide();
            let ok = got == Some(case.expected);
            s.cases += 1;
            s.right += usize::from(ok);
            let entry = s
                .per_language
                .entry(case.expected.to_string())
                .or_insert((0, 0));
            entry.0 += 1;
            entry.1 += usize::from(ok);
            if !ok {
                s.misses.push((
                    case.line,
                    case.expected.to_string(),
                    got,
                    case.text.to_string(),
                ));
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::{LanguageContext, decide_language, detect_language, market_language, read_text};
    use crate::Platform;

    fn in_context(text: &str, history: &[&str], customer: Option<&str>) -> Option<&'static str> {
        decide_language(
            text,
            &LanguageContext {
                history,
                customer,
                market: None,
            },
        )
    }

    #[test]
    fn detects_the_buyers_languages() {
        assert_eq!(detect_language("亲，我的快递怎么还没到？"), Some("zh"));
        assert_eq!(detect_language("退款"), Some("zh"));
        assert_eq!(
            detect_language("Hello, my package has not arrived yet, can you check the tracking?"),
            Some("en")
        );
        assert_eq!(
            detect_language(
                "Hallo, mein Paket ist noch nicht angekommen. Können Sie bitte nachsehen?"
            ),
            Some("de")
        );
        assert_eq!(
            detect_language(
                "Hola, mi paquete todavía no ha llegado. ¿Pueden revisar el envío por favor?"
            ),
            Some("es")
        );
        assert_eq!(detect_language("??"), None);
        assert_eq!(
            detect_language(
                "Bonjour, mon colis n'est toujours pas arrivé. Pouvez-vous vérifier le suivi ?"
            ),
            Some("fr")
        );
        assert_eq!(
            detect_language("Здравствуйте, моя посылка ещё не пришла. Проверьте, пожалуйста."),
            Some("ru")
        );
        assert_eq!(
            detect_language("Buongiorno, il mio pacco non è ancora arrivato, potete controllare?"),
            Some("it")
        );
        assert_eq!(
            detect_language("Olá, a minha encomenda ainda não chegou, podem verificar por favor?"),
            Some("pt")
        );
    }

    /// Issue 10 item 6: the short messages a detector alone got wrong.
    #[test]
    fn short_messages_of_the_issue() {
        assert_eq!(detect_language("Gibt es Neuigkeiten?"), Some("de"));
        assert_eq!(detect_language("Danke, das passt."), Some("de"));
        assert_eq!(detect_language("I forgot my card password"), Some("en"));
        assert_eq!(
            detect_language("My card password is ********, is that a problem?"),
            Some("en")
        );
        // One Chinese line does not flip an English conversation …
        assert_eq!(in_context("好的，谢谢", &["en"], Some("en")), Some("en"));
        // … a Chinese product name does not make an English sentence Chinese …
        assert_eq!(detect_language("Is the 小米手环 waterproof?"), Some("en"));
        // … but a buyer who writes at length in Chinese is answered in Chinese.
        assert_eq!(
            in_context(
                "你好，我想申请退款，因为收到的商品和描述完全不一样",
                &["en"],
                Some("en")
            ),
            Some("zh")
        );
    }

    #[test]
    fn context_decides_what_the_text_does_not() {
        assert_eq!(in_context("ok", &["de"], Some("en")), Some("de"));
        assert_eq!(in_context("ok", &[], Some("fr")), Some("fr"));
        assert_eq!(in_context("👍", &["es"], None), Some("es"));
        assert_eq!(in_context("ok", &[], None), None);
        // Region subtags and case are accepted, unknown codes skipped.
        assert_eq!(in_context("ok", &["xx", "de-AT"], None), Some("de"));
        assert_eq!(in_context("ok", &[], Some("EN_gb")), Some("en"));
        let market = LanguageContext {
            history: &[],
            customer: None,
            market: Some("zh"),
        };
        assert_eq!(decide_language("hello", &market), Some("zh"));
        // The text's own clear words win over every context.
        assert_eq!(in_context("Danke", &["en"], Some("en")), Some("de"));
        assert_eq!(in_context("merci", &["de"], None), Some("fr"));
        assert!(read_text("Where is my order?").confident().is_some());
        assert!(read_text("ok").needs_context());
    }

    #[test]
    fn a_shops_market_comes_from_its_platform_zone_and_currency() {
        assert_eq!(
            market_language(Platform::Taobao, "Asia/Shanghai", "CNY"),
            Some("zh")
        );
        assert_eq!(
            market_language(Platform::Ebay, "America/Los_Angeles", "USD"),
            Some("en")
        );
        assert_eq!(
            market_language(Platform::Ebay, "Europe/Berlin", "EUR"),
            Some("de")
        );
        assert_eq!(
            market_language(Platform::Aliexpress, "Asia/Shanghai", "USD"),
            None
        );
        assert_eq!(
            market_language(Platform::Aliexpress, "Europe/Madrid", "EUR"),
            Some("es")
        );
        assert_eq!(market_language(Platform::Own, "UTC", "EUR"), None);
    }
}
