//! Currency minor units and the rounding rule for computed amounts.
//!
//! Amounts are exact decimals ([`rust_decimal::Decimal`]), never floats. A computed amount is
//! rounded half-up (away from zero) to the currency's minor unit and then given exactly that
//! many decimal places, so that `30` prints as `"30.00"` and JPY prints with none.
//! This module does NOT convert between currencies and knows no exchange rates.

use rust_decimal::{Decimal, RoundingStrategy};

/// ISO 4217 minor-unit digits for the currencies a marketplace seller meets.
/// Kept as a short explicit table: an unknown code is an error, not a guess of 2 digits,
/// because a wrong guess would misstate money (e.g. KWD has 3 digits, JPY none).
const MINOR_UNITS: &[(&str, u32)] = &[
    ("AED", 2),
    ("ARS", 2),
    ("AUD", 2),
    ("BHD", 3),
    ("BRL", 2),
    ("CAD", 2),
    ("CHF", 2),
    ("CLP", 0),
    ("CNY", 2),
    ("COP", 2),
    ("CZK", 2),
    ("DKK", 2),
    ("EUR", 2),
    ("GBP", 2),
    ("HKD", 2),
    ("HUF", 2),
    ("IDR", 2),
    ("ILS", 2),
    ("INR", 2),
    ("ISK", 0),
    ("JOD", 3),
    ("JPY", 0),
    ("KRW", 0),
    ("KWD", 3),
    ("MOP", 2),
    ("MXN", 2),
    ("MYR", 2),
    ("NOK", 2),
    ("NZD", 2),
    ("OMR", 3),
    ("PHP", 2),
    ("PKR", 2),
    ("PLN", 2),
    ("RON", 2),
    ("RUB", 2),
    ("SAR", 2),
    ("SEK", 2),
    ("SGD", 2),
    ("THB", 2),
    ("TRY", 2),
    ("TWD", 2),
    ("UAH", 2),
    ("USD", 2),
    ("VND", 0),
    ("ZAR", 2),
];

/// Minor-unit digits of an ISO 4217 code (upper-case expected; lower case is accepted).
pub fn minor_units(currency: &str) -> Option<u32> {
    let code = currency.trim().to_ascii_uppercase();
    MINOR_UNITS
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, digits)| *digits)
}

/// Normalised (upper-case, trimmed) currency code if it is known.
pub fn normalise(currency: &str) -> Option<String> {
    let code = currency.trim().to_ascii_uppercase();
    minor_units(&code).map(|_| code)
}

/// Round half-up to `digits` places and fix the scale to exactly `digits`.
pub fn round_to(amount: Decimal, digits: u32) -> Decimal {
    let mut rounded = amount.round_dp_with_strategy(digits, RoundingStrategy::MidpointAwayFromZero);
    // round_dp never adds places; rescale pads `30` to `30.00` so it serialises that way.
    rounded.rescale(digits);
    rounded
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn half_up_and_scale() {
        assert_eq!(round_to(d("1.005"), 2).to_string(), "1.01");
        assert_eq!(round_to(d("1.004"), 2).to_string(), "1.00");
        assert_eq!(round_to(d("30"), 2).to_string(), "30.00");
        assert_eq!(round_to(d("150.5"), 0).to_string(), "151");
    }

    #[test]
    fn table() {
        assert_eq!(minor_units("cny"), Some(2));
        assert_eq!(minor_units("JPY"), Some(0));
        assert_eq!(minor_units("KWD"), Some(3));
        assert_eq!(minor_units("XXX"), None);
        let mut sorted: Vec<_> = MINOR_UNITS.iter().map(|(c, _)| *c).collect();
        sorted.sort_unstable();
        assert_eq!(
            sorted,
            MINOR_UNITS.iter().map(|(c, _)| *c).collect::<Vec<_>>()
        );
    }
}
