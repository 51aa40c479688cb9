//! After-sales amounts: what a shop owes under a pack's compensation rules.
//!
//! Money is exact decimal. A computed amount is rounded half-up to the currency's minor unit
//! FIRST and only then held within the rule's bounds (RULES.md "Notes on interpretation"):
//! 5 % of ¥20.10 = 1.005 → ¥1.01; 5 % of ¥10.00 = 0.50 → floor ¥1.00; 5 % of ¥700 → cap
//! ¥30.00 (TB-SHIP-PROMISE). TB-FAKE-3X refunds the price paid and adds 2 × that price.
//!
//! This module does NOT decide whether a claim is upheld (the platform does), does not
//! convert currencies, and does not compute logistics costs the seller also bears.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::money;
use crate::pack::{Formula, Pack, tables};

/// The kinds of compensation a pack may define (kebab-case names on the CLI and in packs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CompensationKind {
    /// TB-SHIP-PROMISE: not shipped within the promised time.
    LateShipment,
    /// TB-FAKE-3X: a fake-goods claim was upheld.
    FakeGoods,
    /// TB-QUALITY-PROMISE: material or quality differs from the description.
    QualityPromise,
    /// TB-QUALITY-SHIPPING: return for a quality problem; the merchant bears the round-trip
    /// shipping (its cost is not a function of the price, so only the refund is computed).
    QualityReturn,
    /// LOST-RESHIP-OR-REFUND: a package is lost or late.
    LostPackage,
    /// TRANSIT-DAMAGE-COMP: goods damaged in transit.
    TransitDamage,
}

impl CompensationKind {
    pub const ALL: [CompensationKind; 6] = [
        CompensationKind::LateShipment,
        CompensationKind::FakeGoods,
        CompensationKind::QualityPromise,
        CompensationKind::QualityReturn,
        CompensationKind::LostPackage,
        CompensationKind::TransitDamage,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CompensationKind::LateShipment => "late-shipment",
            CompensationKind::FakeGoods => "fake-goods",
            CompensationKind::QualityPromise => "quality-promise",
            CompensationKind::QualityReturn => "quality-return",
            CompensationKind::LostPackage => "lost-package",
            CompensationKind::TransitDamage => "transit-damage",
        }
    }
}

impl fmt::Display for CompensationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

fn valid_kinds() -> String {
    CompensationKind::ALL
        .map(CompensationKind::as_str)
        .join(", ")
}

impl FromStr for CompensationKind {
    type Err = RuleError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase();
        CompensationKind::ALL
            .into_iter()
            .find(|k| k.as_str() == wanted)
            .ok_or_else(|| RuleError::UnknownKind {
                given: s.to_string(),
                valid: valid_kinds(),
            })
    }
}

/// Why an amount could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error("unknown compensation kind `{given}`; valid kinds: {valid}")]
    UnknownKind { given: String, valid: String },
    #[error("the amount paid must not be negative (got {0})")]
    NegativeAmount(Decimal),
    #[error("unknown currency `{0}`: give an ISO 4217 code such as CNY, USD, EUR or JPY")]
    UnknownCurrency(String),
    #[error("amount {amount} has more decimal places than {currency} allows ({digits})")]
    TooPrecise {
        amount: Decimal,
        currency: String,
        digits: u32,
    },
    #[error("pack `{pack}` does not offer `{kind}` compensation (it offers: {offered})")]
    NotOffered {
        pack: String,
        kind: CompensationKind,
        offered: String,
    },
    #[error("{rule}: its bounds are in {bounds}, the amount paid is in {paid}; not converted")]
    CurrencyMismatch {
        rule: String,
        bounds: String,
        paid: String,
    },
    #[error(
        "{rule}: the agreed compensation is not set; set agreed_compensation.{kind} in the shop overrides"
    )]
    AgreedNotSet {
        rule: String,
        kind: CompensationKind,
    },
}

/// An amount owed, with the rule it comes from and how it was computed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Compensation {
    pub rule: String,
    pub kind: CompensationKind,
    /// Compensation on top of any refund, with exactly the currency's minor-unit digits.
    pub amount: Decimal,
    pub currency: String,
    /// The price refunded as well, when the rule refunds it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refund: Option<Decimal>,
    /// `amount` + `refund`.
    pub total: Decimal,
    pub basis: String,
}

/// The currency's code and minor-unit digits for a price paid in it, or why the price cannot
/// be used: an unknown currency, a negative amount, or more decimals than the currency has (a
/// data error, not something to round silently: the refund would differ from what was paid).
fn checked_price(paid: Decimal, currency: &str) -> Result<(String, u32), RuleError> {
    let code = money::normalise(currency)
        .ok_or_else(|| RuleError::UnknownCurrency(currency.to_string()))?;
    let digits = money::minor_units(&code).unwrap_or(2);
    if paid.is_sign_negative() && !paid.is_zero() {
        return Err(RuleError::NegativeAmount(paid));
    }
    if paid.normalize().scale() > digits {
        return Err(RuleError::TooPrecise {
            amount: paid,
            currency: code,
            digits,
        });
    }
    Ok((code, digits))
}

/// A percentage of the price, rounded half-up to the currency, then held within the rule's
/// bounds (TB-SHIP-PROMISE: 5 %, at least 1, at most 30); with how it was reckoned.
fn percent_of(
    paid: Decimal,
    percent: Decimal,
    (min, max): (Option<Decimal>, Option<Decimal>),
    digits: u32,
    refund: Option<Decimal>,
) -> (Decimal, String) {
    let exact = paid * percent / Decimal::ONE_HUNDRED;
    let rounded = money::round_to(exact, digits);
    let mut basis = format!("{}% of {paid} = ", percent.normalize());
    if exact.normalize() == rounded.normalize() {
        basis.push_str(&rounded.to_string());
    } else {
        basis.push_str(&format!(
            "{}, rounded half-up to {rounded}",
            exact.normalize()
        ));
    }
    let mut amount = rounded;
    if let Some(min) = min
        .map(|m| money::round_to(m, digits))
        .filter(|m| amount < *m)
    {
        amount = min;
        basis.push_str(&format!(", raised to the minimum {min}"));
    }
    if let Some(max) = max
        .map(|m| money::round_to(m, digits))
        .filter(|m| amount > *m)
    {
        amount = max;
        basis.push_str(&format!(", capped at {max}"));
    }
    if let Some(r) = refund {
        basis = format!("refund of the {r} paid plus {basis}");
    }
    (amount, basis)
}

/// What `pack` owes under the rule for `kind`, for a price `paid` in `currency`.
pub fn compensation(
    pack: &Pack,
    kind: CompensationKind,
    paid: Decimal,
    currency: &str,
) -> Result<Compensation, RuleError> {
    kefu_core::enforces!(
        pack_table = tables::COMPENSATIONS,
        test = "kefu-rules::compensation::tb_fake_3x_refund_plus_twice_paid"
    );
    let (code, digits) = checked_price(paid, currency)?;
    let rule = pack
        .compensation_rule(kind)
        .ok_or_else(|| RuleError::NotOffered {
            pack: pack.id.clone(),
            kind,
            offered: offered(pack),
        })?;
    let paid = money::round_to(paid, digits);
    let refund = rule.refund.then_some(paid);
    let refund_text = |extra: &str| match refund {
        Some(r) => format!("refund of the {r} paid{extra}"),
        None => extra.trim_start_matches(" plus ").to_string(),
    };
    let (amount, basis) = match &rule.formula {
        Formula::Percent {
            percent,
            min,
            max,
            currency: bounds,
        } => {
            if (min.is_some() || max.is_some()) && *bounds != code {
                return Err(RuleError::CurrencyMismatch {
                    rule: rule.rule.clone(),
                    bounds: bounds.clone(),
                    paid: code,
                });
            }
            percent_of(paid, *percent, (*min, *max), digits, refund)
        }
        Formula::Multiple { factor } => {
            let amount = money::round_to(paid * factor, digits);
            let extra = format!(
                " plus {} × {paid} = {amount} compensation",
                factor.normalize()
            );
            (amount, refund_text(&extra))
        }
        Formula::Agreed { amount } => {
            let amount = amount.ok_or_else(|| RuleError::AgreedNotSet {
                rule: rule.rule.clone(),
                kind,
            })?;
            let amount = money::round_to(amount, digits);
            (
                amount,
                refund_text(&format!(" plus the agreed compensation {amount}")),
            )
        }
        Formula::None => (
            money::round_to(Decimal::ZERO, digits),
            refund_text(
                " (or a reshipment or exchange of the same value); no further compensation",
            ),
        ),
    };
    let total = amount + refund.unwrap_or(Decimal::ZERO);
    // Costs owed besides the amount that are not a function of the price (not computed).
    let basis = match kind {
        CompensationKind::FakeGoods => {
            format!("{basis}; the seller also bears all logistics costs of the claim")
        }
        CompensationKind::QualityReturn => {
            format!("{basis}; the merchant bears the round-trip shipping")
        }
        _ => basis,
    };
    Ok(Compensation {
        rule: rule.rule.clone(),
        kind,
        amount,
        currency: code,
        refund,
        total,
        basis: format!("{basis}; total {total} ({})", rule.rule),
    })
}

fn offered(pack: &Pack) -> String {
    let kinds: Vec<&str> = pack.compensations.iter().map(|c| c.kind.as_str()).collect();
    if kinds.is_empty() {
        "none".into()
    } else {
        kinds.join(", ")
    }
}
