//! Currency minor units and the rounding rule for computed amounts.
//!
//! Amounts are exact decimals ([`rust_decimal::Decimal`]), never floats. A computed amount is
//! rounded half-up (away from zero) to the currency's minor unit and then given exactly that
//! many decimal places, so that `30` prints as `"30.00"` and JPY prints with none.
//! This module does NOT convert between currencies and knows no exchange rates.

use rust_decimal::{Decimal, RoundingStrategy};

/// Minor-unit digits of an ISO 4217 code (lower case is accepted). The table is kefu-core's:
/// an unknown code is an error, not a guess of 2 digits, because a wrong guess would misstate
/// money (KWD has 3 digits, JPY none).
pub fn minor_units(currency: &str) -> Option<u32> {
    currency
        .parse::<kefu_core::Currency>()
        .ok()
        .map(|c| c.minor_units())
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
    }
}
