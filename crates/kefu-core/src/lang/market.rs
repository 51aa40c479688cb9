//! A shop's market language, the last thing the desk knows before a detector's guess.

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
