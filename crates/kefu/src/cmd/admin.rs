//! `kefu admin`: agents and API tokens, straight in the database (no server needed).

use clap::Subcommand;
use kefu_core::Role;
use kefu_store::{DEFAULT_TENANT, NewAgent};

#[derive(Subcommand)]
pub enum Command {
    /// Create an agent; prints it as JSON.
    CreateAgent {
        #[arg(long, env = "KEFU_DB", default_value = super::DEFAULT_DB)]
        db: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// agent, supervisor or admin.
        #[arg(long, default_value = "agent")]
        role: String,
        /// Languages the agent answers in, comma-separated ISO 639-1 codes (zh,en,de).
        #[arg(long, value_delimiter = ',', default_value = "en")]
        languages: Vec<String>,
        /// The shops the agent works for, comma-separated ids (default: every shop).
        #[arg(long, value_delimiter = ',')]
        shops: Vec<i64>,
    },
    /// Set an agent's password for the web UI (argon2id); reads it from standard input when
    /// `--password` is not given. Signs the agent's browser sessions out.
    SetPassword {
        #[arg(long, env = "KEFU_DB", default_value = super::DEFAULT_DB)]
        db: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        password: Option<String>,
    },
    /// Create an API token for an agent; prints the token once (only its hash is stored).
    CreateToken {
        #[arg(long, env = "KEFU_DB", default_value = super::DEFAULT_DB)]
        db: String,
        #[arg(long)]
        agent_id: i64,
        #[arg(long, default_value = "cli")]
        name: String,
    },
}

pub async fn run(cmd: Command) -> anyhow::Result<()> {
    match cmd {
        Command::CreateAgent {
            db,
            email,
            name,
            role,
            languages,
            shops,
        } => {
            let role: Role = role.parse()?;
            if !email.contains('@') {
                anyhow::bail!("--email {email:?} is not an email address");
            }
            let store = kefu_store::open(&db).await?;
            let agent = store
                .create_agent(NewAgent {
                    tenant_id: DEFAULT_TENANT,
                    email,
                    name,
                    role,
                    languages,
                    password_hash: None,
                })
                .await?;
            if !shops.is_empty() {
                store.set_agent_shops(agent.id, shops).await?;
            }
            super::print_json(&agent)
        }
        Command::SetPassword {
            db,
            email,
            password,
        } => {
            let password = match password {
                Some(p) => p,
                None => {
                    let mut line = String::new();
                    std::io::stdin().read_line(&mut line)?;
                    line.trim_end_matches(['\r', '\n']).to_string()
                }
            };
            if password.chars().count() < 10 {
                anyhow::bail!("the password must be at least 10 characters long");
            }
            let store = kefu_store::open(&db).await?;
            let email = email.trim().to_lowercase();
            let Some(record) = store.login_record(&email).await? else {
                anyhow::bail!("no agent has the email {email:?}");
            };
            let hash = kefu_server::ui::auth::hash_password(&password)?;
            store.set_password(record.agent.id, &hash).await?;
            super::print_json(
                &serde_json::json!({"agent_id": record.agent.id, "email": email, "password_set": true}),
            )
        }
        Command::CreateToken { db, agent_id, name } => {
            let store = kefu_store::open(&db).await?;
            let token = super::random_token()?;
            store
                .create_token(agent_id, &name, &kefu_server::extract::hash_token(&token))
                .await?;
            super::print_json(
                &serde_json::json!({"agent_id": agent_id, "name": name, "token": token}),
            )
        }
    }
}
