//! `kefu lint` and `kefu redact`: the reply guard and secret redaction from the command line.

use std::io::Read;

use kefu_guard::{Guard, LintContext, redact as redact_text};

#[derive(clap::Args)]
pub struct LintArgs {
    /// The buyer's language (zh, en, de, fr, es); detected from the text when absent.
    #[arg(long)]
    lang: Option<String>,
    /// The shop's policy pack (for pack-specific checks such as OPTIONS-3).
    #[arg(long)]
    pack: Option<String>,
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

pub fn lint(args: LintArgs) -> anyhow::Result<()> {
    let text = input(args.text)?;
    if let Some(pack) = &args.pack {
        let set = kefu_rules::PackSet::embedded().map_err(|e| anyhow::anyhow!("{e}"))?;
        if set.get(pack).is_none() {
            anyhow::bail!(
                "unknown --pack {pack:?}; known packs: {}",
                set.ids().join(", ")
            );
        }
    }
    let ctx = LintContext {
        lang: args.lang,
        first_response: args.first_response,
        ..LintContext::default()
    };
    super::print_json(&Guard::new().lint(&text, &ctx))
}

pub fn redact(args: RedactArgs) -> anyhow::Result<()> {
    let text = input(args.text)?;
    super::print_json(&redact_text(&text))
}
