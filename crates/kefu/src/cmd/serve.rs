//! `kefu serve`: the desk's HTTP server.

use std::sync::Arc;

use anyhow::Context;
use kefu_core::SystemClock;
use kefu_server::AppState;

#[derive(clap::Args)]
pub struct Args {
    /// Database URL: sqlite://PATH (embedded, the default) or postgres://USER@HOST:PORT/DB.
    #[arg(long, env = "KEFU_DB", default_value = super::DEFAULT_DB)]
    pub db: String,
    /// Address to listen on.
    #[arg(long, env = "KEFU_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Admin bearer token for the API. Without one, a random key is made and printed.
    #[arg(long, env = "KEFU_MASTER_KEY", hide_env_values = true)]
    pub master_key: Option<String>,
    /// A directory of the site's own policy packs (`*.toml`), added to the embedded ones; the
    /// server refuses to start if one does not parse.
    #[arg(long, env = "KEFU_PACKS")]
    pub packs: Option<std::path::PathBuf>,
    /// The email channel's options (boxed: they would make every subcommand's value large).
    #[command(flatten)]
    pub mail: Box<MailArgs>,
    /// The full-text index directory (default: `PATH.index` beside a SQLite file, `kefu-index`
    /// for PostgreSQL). It is kept in step with the database and rebuilt by `kefu reindex`.
    #[arg(long, env = "KEFU_INDEX")]
    pub index: Option<std::path::PathBuf>,
    /// How often the scheduler looks for clocks that have run out (seconds).
    #[arg(long, default_value_t = 1.0)]
    pub sweep_every: f64,
    /// Seconds between checks of agents' shift schedules.
    #[arg(long, default_value_t = 30.0)]
    pub shift_check_every: f64,
    /// Seconds between looks for marketplace connectors that are due (each connector has its
    /// own poll interval and backoff; this is how often they are checked).
    #[arg(long, default_value_t = 5.0)]
    pub poll_every: f64,
    /// Load the demo data set (three shops, a few hundred conversations) into an empty database.
    #[arg(long)]
    pub demo: bool,
}

/// `kefu serve`'s email options: the SMTP listener, the relay replies leave through, and
/// the IMAP mailboxes buyers' mail is fetched from.
#[derive(clap::Args)]
pub struct MailArgs {
    /// The address buyers reach this desk at (e.g. https://desk.example.com): email replies
    /// then carry one-click rating links to it (FEEDBACK-RATING).
    #[arg(long, env = "KEFU_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Also listen for buyers' mail over SMTP here (e.g. 127.0.0.1:2525); a mail to
    /// shop<ID>@… becomes a message of that shop.
    #[arg(long, env = "KEFU_SMTP_LISTEN")]
    pub smtp_listen: Option<String>,
    /// Send email replies through this SMTP relay; without it they wait in the outbox.
    /// `host:port` (plain, a local relay), `smtp+starttls://[user:password@]host[:587]` or
    /// `smtps://[user:password@]host[:465]` (a provider's submission port, with AUTH).
    #[arg(long, env = "KEFU_SMTP_RELAY", hide_env_values = true)]
    pub smtp_relay: Option<String>,
    /// The relay's login (instead of writing it into --smtp-relay).
    #[arg(long, env = "KEFU_SMTP_RELAY_USER")]
    pub smtp_relay_user: Option<String>,
    /// The relay's password (an app password at most providers).
    #[arg(long, env = "KEFU_SMTP_RELAY_PASSWORD", hide_env_values = true)]
    pub smtp_relay_password: Option<String>,
    /// A PEM file of CA certificates trusted for the relay besides the system's.
    #[arg(long, env = "KEFU_SMTP_RELAY_CA")]
    pub smtp_relay_ca: Option<std::path::PathBuf>,
    /// Fetch buyers' mail from a mailbox over IMAP with TLS:
    /// `imaps://user:password@host[:993]/MAILBOX[?shop=ID]` (percent-encode an `@` in the
    /// user as `%40`). Without `shop=`, each mail's recipient names the shop
    /// (`name+<ID>@…`). May be given more than once (space-separated in the variable).
    #[arg(
        long,
        env = "KEFU_IMAP_URL",
        hide_env_values = true,
        value_delimiter = ' '
    )]
    pub imap_url: Vec<String>,
    /// Seconds between looks into the IMAP mailboxes.
    #[arg(long, default_value_t = 60.0)]
    pub imap_every: f64,
    /// A PEM file of CA certificates trusted for the IMAP servers besides the system's.
    #[arg(long, env = "KEFU_IMAP_CA")]
    pub imap_ca: Option<std::path::PathBuf>,
    /// Seconds before a failed email is first retried (doubling each time, up to an hour).
    #[arg(long, default_value_t = 30)]
    pub smtp_retry_after: u64,
    /// The address email replies come from.
    #[arg(long, env = "KEFU_SMTP_FROM", default_value = "service@kefu.localhost")]
    pub smtp_from: String,
    /// The name the SMTP listener greets with (and the Message-ID domain of replies).
    #[arg(long, default_value = "kefu.localhost")]
    pub smtp_domain: String,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    // Bind first: a taken port is the most common start-up mistake; say so before any work.
    let listener = kefu_server::bind(&args.listen).await?;
    let store = kefu_store::open(&args.db)
        .await
        .with_context(|| format!("cannot open --db {}", args.db))?;
    let (master_key, generated) = match args.master_key {
        Some(k) => (k, false),
        None => (super::random_token()?, true),
    };
    let packs = kefu_server::load_packs(args.packs.as_deref())?;
    let mut state = AppState::with_packs(store.clone(), Arc::new(SystemClock), &master_key, packs)?;
    let index_dir = args
        .index
        .clone()
        .unwrap_or_else(|| super::reindex::default_index_dir(&args.db));
    let search = kefu_server::search::Search::open(&index_dir)?;
    state.search = Some(search.clone());
    if args.demo {
        load_demo(&state).await?;
    }
    if !(args.sweep_every > 0.0 && args.sweep_every <= 3600.0) {
        anyhow::bail!("--sweep-every must be between 0 and 3600 seconds");
    }
    // Catches up on messages stored while the server was down, then follows new ones.
    kefu_server::search::spawn(search, store.clone());
    // The first sweep runs at once: it catches up on everything that fell due while down.
    kefu_server::scheduler::spawn(
        state.clone(),
        std::time::Duration::from_secs_f64(args.sweep_every),
    );
    if let Some(smtp) = &args.mail.smtp_listen {
        listen_smtp(&state, smtp, &args.mail.smtp_domain).await?;
    }
    let relay = relay(&args.mail)?;
    if !args.mail.imap_url.is_empty() {
        spawn_imap(&state, &args.mail)?;
    }
    // Replies leave through the outbox: mail through the relay, marketplace replies through
    // the shop's connector.
    kefu_server::outbox::spawn(state.clone(), relay, std::time::Duration::from_secs(1));
    kefu_server::shifts::spawn(
        state.clone(),
        std::time::Duration::from_secs_f64(args.shift_check_every.max(0.05)),
    );
    kefu_server::connectors::spawn(
        state.clone(),
        std::time::Duration::from_secs_f64(args.poll_every.max(0.05)),
    );
    let addr = listener.local_addr()?;
    eprintln!(
        "kefu is serving http://{addr} ({} backend)",
        store.backend()
    );
    if generated {
        eprintln!(
            "admin token (no KEFU_MASTER_KEY was set, so one was made for this run): {master_key}"
        );
    } else if args.demo {
        eprintln!("admin token: the KEFU_MASTER_KEY you set");
    }
    tracing::info!(%addr, backend = store.backend(), startup_ms = started.elapsed().as_millis() as u64, "ready");
    kefu_server::serve(listener, state, shutdown_signal()).await
}

/// Loads the demo data set into an empty database (and the demo's people into any).
async fn load_demo(state: &AppState) -> anyhow::Result<()> {
    let stats = state.store.stats().await?;
    // The demo's people first, so routing hands the demo's conversations to them (the
    // overview's load per agent is then the desk's, not empty).
    let logins = super::demo_people::ensure_demo_agents(state.store.as_ref()).await?;
    if stats.shops == 0 {
        let summary = super::demo::generate(state, super::demo::DEMO_CONVERSATIONS, false).await?;
        eprintln!(
            "loaded the demo data: {} shops, {} conversations, {} messages",
            summary.shops, summary.conversations, summary.messages
        );
    } else {
        eprintln!(
            "the database already has {} shops; not loading the demo data again",
            stats.shops
        );
    }
    for line in super::demo_people::ensure_demo_roster(state.store.as_ref()).await? {
        eprintln!("demo roster: {line}");
    }
    for login in logins {
        eprintln!("demo login: {login}");
    }
    Ok(())
}

/// Listens for buyers' mail over SMTP at `addr`.
async fn listen_smtp(state: &AppState, addr: &str, domain: &str) -> anyhow::Result<()> {
    let smtp_listener = kefu_server::bind(addr).await?;
    eprintln!(
        "kefu receives mail on smtp://{}",
        smtp_listener.local_addr()?
    );
    tokio::spawn(kefu_server::smtp::serve(
        smtp_listener,
        state.clone(),
        domain.to_string(),
    ));
    Ok(())
}

/// The relay email replies leave through, when one is given.
fn relay(mail: &MailArgs) -> anyhow::Result<Option<kefu_server::outbox::Relay>> {
    Ok(match &mail.smtp_relay {
        Some(spec) => {
            let mut target =
                kefu_server::smtp_client::RelayTarget::parse(spec).map_err(anyhow::Error::msg)?;
            if let Some(user) = &mail.smtp_relay_user {
                target.user = Some(user.clone());
            }
            if let Some(password) = &mail.smtp_relay_password {
                target.password = Some(password.clone());
            }
            if let Some(ca) = &mail.smtp_relay_ca {
                target.ca_pem =
                    Some(std::fs::read(ca).with_context(|| {
                        format!("cannot read --smtp-relay-ca {}", ca.display())
                    })?);
            }
            let mut relay = kefu_server::outbox::Relay::new(
                target,
                mail.smtp_from.clone(),
                mail.smtp_domain.clone(),
                std::time::Duration::from_secs(mail.smtp_retry_after),
            )
            .map_err(anyhow::Error::msg)?;
            if let Some(url) = &mail.public_url {
                anyhow::ensure!(
                    url.starts_with("http://") || url.starts_with("https://"),
                    "--public-url must start with http:// or https://, not {url:?}"
                );
                relay.public_url = Some(url.clone());
            }
            Some(relay)
        }
        None => None,
    })
}

/// Fetches buyers' mail from the IMAP mailboxes of `--imap-url`.
fn spawn_imap(state: &AppState, mail: &MailArgs) -> anyhow::Result<()> {
    if !(mail.imap_every > 0.0 && mail.imap_every <= 86400.0) {
        anyhow::bail!("--imap-every must be between 0 and 86400 seconds");
    }
    let ca = match &mail.imap_ca {
        Some(path) => Some(
            std::fs::read(path)
                .with_context(|| format!("cannot read --imap-ca {}", path.display()))?,
        ),
        None => None,
    };
    let sources = mail
        .imap_url
        .iter()
        .filter(|u| !u.trim().is_empty())
        .map(|u| kefu_server::imap::ImapSource::parse(u, ca.as_deref()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(anyhow::Error::msg)?;
    for source in &sources {
        eprintln!("kefu fetches mail from {source:?}");
    }
    kefu_server::imap::spawn(
        state.clone(),
        sources,
        std::time::Duration::from_secs_f64(mail.imap_every),
    );
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}
