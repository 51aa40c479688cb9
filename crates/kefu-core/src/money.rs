//! Exact money: a decimal amount with an ISO 4217 currency. Never floating point.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The ISO 4217 currencies kefu accepts, with their minor units. The list covers the
/// marketplaces' selling and settlement currencies; unknown codes are rejected rather than
/// guessed at, because an amount in the wrong currency is worse than an error.
const CURRENCIES: &[(&str, u32)] = &[
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

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("unknown currency {0:?}: use an ISO 4217 code such as CNY, USD or EUR")]
    UnknownCurrency(String),
    #[error("amount {0:?} is not a decimal number")]
    NotANumber(String),
    #[error("amount {0} must not be negative")]
    Negative(String),
    #[error("amount {amount} has more decimal places than {currency} allows ({digits})")]
    TooPrecise {
        amount: String,
        currency: String,
        digits: u32,
    },
}

/// An ISO 4217 currency code known to kefu.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency(&'static str, u32);

impl Currency {
    pub fn code(&self) -> &'static str {
        self.0
    }

    /// Digits after the decimal point (2 for CNY, 0 for JPY).
    pub fn minor_units(&self) -> u32 {
        self.1
    }
}

impl FromStr for Currency {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let upper = s.trim().to_ascii_uppercase();
        CURRENCIES
            .iter()
            .find(|(code, _)| *code == upper)
            .map(|(code, digits)| Currency(code, *digits))
            .ok_or_else(|| MoneyError::UnknownCurrency(s.to_string()))
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0)
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A non-negative amount in a currency, scaled to the currency's minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Money {
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    pub currency: Currency,
}

impl Money {
    /// Parses an amount given as text (API bodies carry amounts as strings or numbers; both
    /// reach here as text so no float ever touches the value).
    pub fn parse(amount: &str, currency: &str) -> Result<Money, MoneyError> {
        let currency: Currency = currency.parse()?;
        let mut value = Decimal::from_str(amount.trim())
            .map_err(|_| MoneyError::NotANumber(amount.to_string()))?;
        if value.is_sign_negative() && !value.is_zero() {
            return Err(MoneyError::Negative(amount.to_string()));
        }
        value = value.normalize();
        if value.scale() > currency.minor_units() {
            return Err(MoneyError::TooPrecise {
                amount: amount.to_string(),
                currency: currency.code().to_string(),
                digits: currency.minor_units(),
            });
        }
        value.rescale(currency.minor_units());
        Ok(Money {
            amount: value,
            currency,
        })
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_scales_to_minor_units() {
        assert_eq!(
            Money::parse("700", "cny").unwrap().amount.to_string(),
            "700.00"
        );
        assert_eq!(
            Money::parse("20.1", "CNY").unwrap().amount.to_string(),
            "20.10"
        );
        assert_eq!(
            Money::parse("1500", "JPY").unwrap().amount.to_string(),
            "1500"
        );
    }

    #[test]
    fn rejects_bad_amounts_and_currencies() {
        assert!(matches!(
            Money::parse("-1", "USD"),
            Err(MoneyError::Negative(_))
        ));
        assert!(matches!(
            Money::parse("abc", "USD"),
            Err(MoneyError::NotANumber(_))
        ));
        assert!(matches!(
            Money::parse("1", "XXY"),
            Err(MoneyError::UnknownCurrency(_))
        ));
        assert!(matches!(
            Money::parse("1.001", "USD"),
            Err(MoneyError::TooPrecise { .. })
        ));
        assert!(matches!(
            Money::parse("1.5", "JPY"),
            Err(MoneyError::TooPrecise { .. })
        ));
    }
}
