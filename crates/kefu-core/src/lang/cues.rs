//! The cue words of the languages the desk serves: a small lexicon of what buyers write
//! ("danke", "merci", "¿dónde", "please"), weighted by how surely each word tells its
//! language, and the scoring of a text's Latin words against it.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::{DE, EN, ES, FR, OTHER, is_latin};

/// Adds each Latin word's cues to `scores`; returns how many Latin words there were.
pub(super) fn score_words(text: &str, scores: &mut [f32; OTHER + 1]) -> usize {
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
