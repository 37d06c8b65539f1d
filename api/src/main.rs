//! `uam-registry`: serve the API, apply migrations, or mint a development token.

use std::path::PathBuf;
use std::process::ExitCode;

use api::config::Settings;
use api::startup::{self, Application, Options};
use clap::{Parser, Subcommand};
use domain::role::Role;
use infra::auth::{DevClaims, DevKey};

#[derive(Parser)]
#[command(
    name = "uam-registry",
    version,
    about = "Registry and alerting API for unaccompanied minors"
)]
struct Cli {
    /// A TOML file of settings, applied over the defaults and under UAM_* variables.
    #[arg(long, global = true, env = "UAM_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Apply pending migrations, then serve the HTTP API until SIGTERM or SIGINT.
    Serve {
        /// Address to listen on (overrides the `bind` setting).
        #[arg(long, value_name = "ADDR")]
        bind: Option<std::net::SocketAddr>,
        /// Seed one demo agency of each kind.
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending migrations to the configured database, then exit.
    Migrate,
    /// Inspect the audit trail.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Print a token signed with the development key (only when no auth_jwks is configured).
    Token {
        /// Subject: who the token speaks for.
        #[arg(long, value_name = "S")]
        sub: String,
        /// Agency id (slug).
        #[arg(long, value_name = "A")]
        agency: String,
        /// Role, e.g. reception_staff or registry_admin.
        #[arg(long, value_name = "R")]
        role: Role,
        /// Lifetime, e.g. 15m, 1h, 8h (at most auth_max_token_lifetime_seconds, 12h by default).
        #[arg(long, default_value = "1h", value_parser = humantime::parse_duration)]
        ttl: std::time::Duration,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the whole hash chain; exit 0 if intact, 1 with the first broken link otherwise.
    Verify,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load(cli.config.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("uam-registry: {e}");
            return ExitCode::from(2);
        }
    };
    api::telemetry::init(settings.log_format, &settings.log_level);
    match run(cli.command, settings) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("uam-registry: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs a command; `Ok(false)` is a check that found a problem.
fn run(command: Command, mut settings: Settings) -> anyhow::Result<bool> {
    match command {
        Command::Serve { bind, demo } => {
            if let Some(bind) = bind {
                settings.bind = bind;
            }
            serve(settings, Options { demo, clock: None }).map(|()| true)
        }
        Command::Migrate => {
            let db = startup::open_database(&settings)?;
            println!("migrations applied ({:?})", db.backend());
            Ok(true)
        }
        Command::Audit {
            command: AuditCommand::Verify,
        } => {
            let report = startup::verify_audit(&settings)?;
            match &report.first_broken {
                None => match report.cut_through {
                    Some(cut) => println!(
                        "audit trail intact: {} entries after the cut of entries 1 to {cut}",
                        report.entries
                    ),
                    None => println!("audit trail intact: {} entries", report.entries),
                },
                Some(b) => println!(
                    "audit trail BROKEN at entry {}: {} ({} entries read)",
                    b.seq, b.reason, report.entries
                ),
            }
            Ok(report.first_broken.is_none())
        }
        Command::Token {
            sub,
            agency,
            role,
            ttl,
        } => {
            if !settings.uses_dev_key() {
                anyhow::bail!(
                    "auth_jwks is configured, so tokens must come from that identity provider; \
                     `token` signs only with the development key"
                );
            }
            let longest = settings.auth_max_token_lifetime_seconds;
            let admitted = chrono::Duration::from_std(ttl)
                .is_ok_and(|lifetime| settings.token_limits().admits_lifetime(lifetime));
            if ttl.is_zero() || !admitted {
                anyhow::bail!(
                    "--ttl {} is refused: a token may live from 1s up to {} \
                     (auth_max_token_lifetime_seconds = {longest}); the service would refuse a \
                     longer-lived one",
                    humantime::format_duration(ttl),
                    humantime::format_duration(std::time::Duration::from_secs(longest)),
                );
            }
            let key = DevKey::load(&settings.data_dir)?;
            eprintln!(
                "signed with the development key of data_dir {}",
                std::path::absolute(&settings.data_dir)
                    .unwrap_or_else(|_| settings.data_dir.clone())
                    .display()
            );
            let token = key.mint(&DevClaims {
                subject: sub,
                agency,
                role: role.to_string(),
                issuer: settings.auth_issuer.clone(),
                audience: settings.auth_audience.clone(),
                ttl,
            })?;
            println!("{token}");
            Ok(true)
        }
    }
}

fn serve(settings: Settings, options: Options) -> anyhow::Result<()> {
    let workers = settings.workers;
    actix_web::rt::System::new().block_on(async move {
        let app = Application::build(settings.clone(), options).await?;
        tracing::info!(port = app.port(), bind = %settings.bind, workers, "serving");
        app.run_until_stopped().await?;
        tracing::info!("stopped");
        Ok(())
    })
}
