//! The language decision on the buyers' messages of the issues.

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
        detect_language("Hallo, mein Paket ist noch nicht angekommen. Können Sie bitte nachsehen?"),
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
