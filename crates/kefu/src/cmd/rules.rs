//! `kefu rules`: the rulebook from the command line (DESIGN.md's contract): deadlines and
//! after-sales amounts as JSON.

use std::str::FromStr;

use anyhow::{Context, anyhow};
use chrono::{DateTime, Utc};
use clap::Subcommand;
use kefu_rules::{
    Channel, CompensationKind, DeadlineInput, ItemPrice, PackSet, ShopOverrides, Trigger,
    compensation, deadlines,
};
use rust_decimal::Decimal;

#[derive(Subcommand)]
pub enum Command {
    /// The clocks a buyer's message (or another trigger) starts, with their due times.
    Deadlines {
        #[arg(long)]
        pack: String,
        /// When the message arrived (RFC 3339).
        #[arg(long)]
        received: String,
        #[arg(long, requires = "currency")]
        order_total: Option<String>,
        #[arg(long)]
        currency: Option<String>,
        /// The unit price of one item of the order, in --currency (repeat for each item);
        /// without it the order total stands for one item's price.
        #[arg(long = "unit-price", requires = "order_total")]
        unit_prices: Vec<String>,
        /// The channel of the message: web_chat, email, marketplace, phone or api (default:
        /// the pack's usual channel).
        #[arg(long)]
        channel: Option<String>,
        /// first-message, later-message, complex-issue, resolution-offered, after-sales-request.
        #[arg(long, default_value = "first-message")]
        trigger: String,
        /// The shop's overrides of the pack, as JSON (e.g. '{"first_response_target": "3h"}').
        #[arg(long)]
        overrides: Option<String>,
    },
    /// An after-sales amount (late-shipment, fake-goods, …) as the platform computes it.
    Compensation {
        #[arg(long)]
        pack: String,
        #[arg(long)]
        kind: String,
        /// The price actually paid.
        #[arg(long)]
        paid: String,
        #[arg(long)]
        currency: String,
    },
    /// Every rule ID of the catalogue with its kind, source and what enforces it: the packs
    /// and crates (`enforced_by`) and each place in the code with its test (`coverage`).
    List {
        /// Only the rules this pack cites.
        #[arg(long)]
        pack: Option<String>,
    },
    /// List the embedded policy packs.
    Packs,
    /// Check a policy pack file; prints its id or the file, line and reason it is rejected.
    Check { file: std::path::PathBuf },
}

fn trigger(name: &str) -> anyhow::Result<Trigger> {
    Ok(match name {
        "first-message" => Trigger::BuyerMessage { first: true },
        "later-message" => Trigger::BuyerMessage { first: false },
        "complex-issue" => Trigger::ComplexIssue,
        "resolution-offered" => Trigger::ResolutionOffered,
        "after-sales-request" => Trigger::AfterSalesRequest,
        "collective-complaint" => Trigger::CollectiveComplaint,
        "complaint-recorded" => Trigger::ComplaintRecorded,
        other => {
            return Err(anyhow!(
                "unknown --trigger {other:?}; expected first-message, later-message, complex-issue, resolution-offered, after-sales-request, collective-complaint or complaint-recorded"
            ));
        }
    })
}

fn packs() -> anyhow::Result<PackSet> {
    PackSet::embedded().map_err(|e| anyhow!("embedded policy pack rejected: {e}"))
}

fn find<'a>(set: &'a PackSet, id: &str) -> anyhow::Result<&'a kefu_rules::Pack> {
    set.get(id).ok_or_else(|| {
        anyhow!(
            "unknown --pack {id:?}; known packs: {}",
            set.ids().join(", ")
        )
    })
}

fn decimal(flag: &str, v: &str) -> anyhow::Result<Decimal> {
    Decimal::from_str(v.trim()).map_err(|_| anyhow!("{flag} {v:?} is not a decimal number"))
}

pub fn run(cmd: Command) -> anyhow::Result<()> {
    match cmd {
        Command::Deadlines {
            pack,
            received,
            order_total,
            currency,
            unit_prices,
            channel,
            trigger: t,
            overrides,
        } => {
            let set = packs()?;
            let mut pack = find(&set, &pack)?.clone();
            if let Some(json) = overrides {
                let o: ShopOverrides = serde_json::from_str(&json)
                    .context("--overrides is not valid shop overrides JSON")?;
                pack = pack.with_overrides(&o).map_err(|e| anyhow!("{e}"))?;
            }
            let received: DateTime<Utc> = DateTime::parse_from_rfc3339(&received)
                .map_err(|e| anyhow!("--received {received:?} is not an RFC 3339 time ({e})"))?
                .with_timezone(&Utc);
            let order_total = match (order_total, currency) {
                (Some(total), Some(cur)) => {
                    Some((decimal("--order-total", &total)?, cur.to_ascii_uppercase()))
                }
                _ => None,
            };
            let items = unit_prices
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    Ok(ItemPrice {
                        title: format!("item {}", i + 1),
                        unit_price: decimal("--unit-price", p)?,
                    })
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            let channel = channel
                .map(|c| Channel::from_str(c.trim()).map_err(|e| anyhow!("--channel: {e}")))
                .transpose()?;
            let input = DeadlineInput {
                received,
                order_total,
                items,
                channel,
                trigger: trigger(&t)?,
            };
            super::print_json(
                &serde_json::json!({"pack": pack.id, "deadlines": deadlines(&pack, &input)}),
            )
        }
        Command::Compensation {
            pack,
            kind,
            paid,
            currency,
        } => {
            let set = packs()?;
            let pack = find(&set, &pack)?;
            let kind: CompensationKind = kind.parse().map_err(|e| anyhow!("{e}"))?;
            let paid = decimal("--paid", &paid)?;
            let c = compensation(pack, kind, paid, &currency).map_err(|e| anyhow!("{e}"))?;
            super::print_json(&c)
        }
        Command::List { pack } => {
            let set = packs()?;
            // The rules the pack cites, whether or not code applies them (a citation nothing
            // applies is listed as not enforced).
            let cited = match &pack {
                Some(p) => Some(find(&set, p)?.cited_rules()),
                None => None,
            };
            // What enforces each rule comes from the registry the code builds
            // (`kefu_core::coverage`): this binary links every crate, so every place is there.
            let rules: Vec<_> = kefu_rules::rule_list(&set)
                .into_iter()
                .filter(|r| cited.as_ref().is_none_or(|c| c.contains(r.id.as_str())))
                .collect();
            let enforced = rules.iter().filter(|r| r.enforced).count();
            super::print_json(
                &serde_json::json!({"rules": rules, "total": rules.len(), "enforced": enforced}),
            )
        }
        Command::Packs => {
            let set = packs()?;
            let list: Vec<_> = set
                .ids()
                .into_iter()
                .filter_map(|id| set.get(id))
                .map(|p| serde_json::json!({"id": p.id, "name": p.name, "platform": p.platform, "timezone": p.timezone.name(), "currency": p.currency, "sources": p.sources}))
                .collect();
            super::print_json(&serde_json::json!({"packs": list}))
        }
        Command::Check { file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let name = file.display().to_string();
            let pack = PackSet::parse(&name, &text).map_err(|e| anyhow!("{e}"))?;
            super::print_json(&serde_json::json!({"ok": true, "pack": pack.id}))
        }
    }
}
