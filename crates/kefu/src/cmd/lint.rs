//! `kefu lint` and `kefu redact`: the reply guard and secret redaction from the command line.
//!
//! `kefu lint` checks a reply as the desk does: with `--pack`, the checks the pack asks of a
//! reply (OPTIONS-3's minimum of solutions for a complaint) come from the rulebook's
//! `reply_checks`, the function the desk uses; with `--shop-phrases`, the shop's own
//! forbidden and required phrases, read from its settings as the server reads them.

use std::io::Read;

use anyhow::{Context, anyhow};
use kefu_guard::{Category, Guard, LintContext, redact as redact_text};
use kefu_rules::{PackSet, ReplyFacts, ShopOverrides, reply_checks};

#[derive(clap::Args)]
pub struct LintArgs {
    /// The buyer's language (zh, en, de, fr, es); detected from the text when absent.
    #[arg(long)]
    lang: Option<String>,
    /// The shop's policy pack: the checks it asks of a reply (OPTIONS-3: how many solutions
    /// a reply to a complaint offers).
    #[arg(long)]
    pack: Option<String>,
    /// A message of the buyer's that the reply answers (repeat for several); one that reports
    /// a problem makes the conversation a complaint.
    #[arg(long = "buyer", requires = "pack")]
    buyer: Vec<String>,
    /// The conversation is a complaint, whatever the buyer wrote.
    #[arg(long, requires = "pack")]
    complaint: bool,
    /// What the conversation is about: lost_package, late_package, complaint, quality or
    /// other (LOST-NO-STALL looks at lost and late packages; complaint is --complaint).
    #[arg(long, value_parser = parse_category)]
    category: Option<Category>,
    /// The shop's settings as JSON (a file), of which the reply guard takes the shop's own
    /// phrases: {"forbidden_phrases": {"zh": ["包邮"]}, "required_phrases": {"*": ["…"]}}.
    #[arg(long, value_name = "FILE")]
    shop_phrases: Option<std::path::PathBuf>,
    /// Check as the first response of a conversation (EBAY-SUBSTANTIVE).
    #[arg(long)]
    first_response: bool,
    /// The reply, or - (or nothing) to read it from standard input.
    text: Option<String>,
}

#[derive(clap::Args)]
pub struct RedactArgs {
    /// The text, or - (or nothing) to read it from standard input.
    text: Option<String>,
}

fn input(text: Option<String>) -> anyhow::Result<String> {
    match text.as_deref() {
        Some("-") | None => {
            let mut s = String::new();
            std::io::stdin().read_to_string(&mut s)?;
            Ok(s.trim_end_matches(['\n', '\r']).to_string())
        }
        Some(t) => Ok(t.to_string()),
    }
}

fn parse_category(s: &str) -> Result<Category, String> {
    Category::parse(s).ok_or_else(|| {
        format!("unknown category {s:?}; expected lost_package, late_package, complaint, quality or other")
    })
}

/// The guard with the shop's phrases from its settings file, as the server builds it.
fn guard(shop_phrases: Option<&std::path::Path>) -> anyhow::Result<Guard> {
    let Some(file) = shop_phrases else {
        return Ok(Guard::new());
    };
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("cannot read --shop-phrases {}", file.display()))?;
    let settings: ShopOverrides = serde_json::from_str(&text).map_err(|e| {
        anyhow!(
            "--shop-phrases {} is not a shop's settings JSON ({e})",
            file.display()
        )
    })?;
    let (forbidden, required) = settings.shop_phrases();
    Ok(Guard::with_shop_phrases(&forbidden, &required))
}

pub fn lint(args: LintArgs) -> anyhow::Result<()> {
    let text = input(args.text)?;
    let mut ctx = LintContext {
        lang: args.lang,
        first_response: args.first_response,
        category: args.category,
        ..LintContext::default()
    };
    if let Some(pack) = &args.pack {
        let set = PackSet::embedded().map_err(|e| anyhow!("{e}"))?;
        let pack = set.get(pack).ok_or_else(|| {
            anyhow!(
                "unknown --pack {pack:?}; known packs: {}",
                set.ids().join(", ")
            )
        })?;
        let facts = ReplyFacts {
            buyer_messages: args.buyer.iter().map(String::as_str).collect(),
            complaint: args.complaint || args.category == Some(Category::Complaint),
        };
        ctx = ctx.with_min_options(reply_checks(pack, &facts).min_options);
    }
    let guard = guard(args.shop_phrases.as_deref())?;
    super::print_json(&guard.lint(&text, &ctx))
}

pub fn redact(args: RedactArgs) -> anyhow::Result<()> {
    let text = input(args.text)?;
    super::print_json(&redact_text(&text))
}
