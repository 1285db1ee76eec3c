//! The command line. Every failure is one line on stderr and a non-zero exit.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use rusqlite::{Connection, OpenFlags};

use crate::auth::model::Role;
use crate::auth::{password, service, store};
use crate::clock::{Clock, SystemClock};
use crate::config::{Config, DEFAULT_DATA_DIR, Overrides};
use crate::db::{self, DbOptions, migrations};
use crate::error::Validator;
use crate::{AppState, http};

#[derive(Parser)]
#[command(name = "clinicbox", version, about = "A self-hosted clinic system in one binary")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct DataArg {
    /// The data directory: database, attachments, index and snapshots.
    #[arg(long = "data", env = "CLINICBOX_DATA", default_value = DEFAULT_DATA_DIR)]
    dir: PathBuf,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Serve {
        #[command(flatten)]
        data: DataArg,
        /// Address to listen on [default: 127.0.0.1:8080].
        #[arg(long, env = "CLINICBOX_LISTEN")]
        listen: Option<String>,
        /// The URL staff open, e.g. https://clinic.example (makes cookies Secure under https).
        #[arg(long, env = "CLINICBOX_PUBLIC_URL")]
        public_url: Option<String>,
        /// `full` (default) or `normal`.
        #[arg(long, env = "CLINICBOX_SYNCHRONOUS")]
        synchronous: Option<String>,
        /// Region for phone numbers written without a country code, e.g. GB, US.
        #[arg(long, env = "CLINICBOX_PHONE_REGION")]
        phone_region: Option<String>,
    },
    /// Manage administrator accounts.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Apply pending database migrations and exit.
    Migrate {
        #[command(flatten)]
        data: DataArg,
    },
    /// Check the database (integrity, foreign keys, migrations) and the search index.
    Check {
        #[command(flatten)]
        data: DataArg,
    },
    /// Rebuild the search index from the database (with the server stopped).
    Reindex {
        #[command(flatten)]
        data: DataArg,
    },
    /// Write a backup of a data directory (works while the server runs).
    Backup {
        /// A new or empty directory for the backup.
        dest: PathBuf,
        #[command(flatten)]
        data: DataArg,
    },
    /// Restore a backup, or a copy of a data directory, into an empty directory.
    Restore {
        /// A backup directory, or a plain copy of a data directory.
        src: PathBuf,
        #[command(flatten)]
        data: DataArg,
    },
    /// Print the OpenAPI document.
    Openapi,
    /// Print the version.
    Version,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create an administrator (works while the server runs).
    Create {
        #[command(flatten)]
        data: DataArg,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// Read the password from the first line of standard input.
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

pub fn run() -> Result<(), String> {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) if !err.use_stderr() => {
            // --help and --version are answers, not failures.
            print!("{err}");
            return Ok(());
        }
        Err(err) => return Err(err.to_string().lines().next().unwrap_or("bad arguments").replace("error: ", "")),
    };
    match cli.command {
        Command::Serve { data, listen, public_url, synchronous, phone_region } => {
            init_logging();
            let overrides = Overrides { listen, public_url, synchronous, phone_region };
            let config = Config::load(&data.dir, &overrides)?;
            serve(config)
        }
        Command::Admin { command: AdminCommand::Create { data, email, name, password_stdin: _ } } => {
            let secret = read_password_line()?;
            create_admin(&data.dir, &email, &name, &secret)?;
            println!("created administrator {}", service::normalise_email(&email));
            Ok(())
        }
        Command::Migrate { data } => {
            let mut conn = open_existing_or_new(&data.dir)?;
            let applied = migrations::apply(&mut conn).map_err(|e| e.to_string())?;
            println!("applied {applied} migration(s); schema version {}", migrations::latest_version());
            Ok(())
        }
        Command::Check { data } => check(&data.dir),
        Command::Reindex { data } => reindex(&data.dir),
        Command::Backup { dest, data } => {
            let manifest = crate::backup::create_backup(&data.dir, &dest, SystemClock.now())
                .map_err(|e| e.public_message_or_internal())?;
            println!("backed up {} file(s) to {}", manifest.files.len(), dest.display());
            Ok(())
        }
        Command::Restore { src, data } => {
            let report = crate::backup::restore(&src, &data.dir, SystemClock.now())
                .map_err(|e| e.public_message_or_internal())?;
            println!("{} into {}", report.summary, data.dir.display());
            println!("the search index is rebuilt when the server starts");
            Ok(())
        }
        Command::Openapi => {
            println!("{}", http::openapi_json());
            Ok(())
        }
        Command::Version => {
            println!("clinicbox {}", env!("CARGO_PKG_VERSION"));
            Ok(())
        }
    }
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("CLINICBOX_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}

fn read_password_line() -> Result<String, String> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).map_err(|e| format!("cannot read the password: {e}"))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

fn open_existing_or_new(dir: &Path) -> Result<Connection, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let path = Config::for_data_dir(dir).db_path();
    let conn = db::open_connection(&path, DbOptions::default()).map_err(|e| e.to_string())?;
    conn.pragma_update(None, "journal_mode", "WAL").map_err(|e| e.to_string())?;
    Ok(conn)
}

fn create_admin(dir: &Path, email: &str, name: &str, secret: &str) -> Result<(), String> {
    let mut v = Validator::new();
    service::validate_new_account(&mut v, email, name, secret);
    if let Err(crate::error::Error::Validation(fields)) = v.finish() {
        let problems: Vec<String> = fields.iter().map(|(field, problem)| format!("{field} {problem}")).collect();
        return Err(problems.join("; "));
    }
    let mut conn = open_existing_or_new(dir)?;
    migrations::apply(&mut conn).map_err(|e| e.to_string())?;
    let hash = password::hash_now(secret).map_err(|e| e.to_string())?;
    let now = SystemClock.now();
    let email = service::normalise_email(email);
    let name = name.trim().to_owned();
    db::run_in_transaction(&mut conn, |tx| {
        let admin = store::insert_staff(tx, &email, &name, Role::Admin, &hash, now)?;
        let context = http::context::RequestContext { request_id: "cli".into(), client_addr: None };
        let actor = crate::audit::Actor { id: None, email: None, context: &context };
        crate::audit::record(
            tx,
            now,
            actor,
            "staff.create",
            "staff",
            Some(admin.id),
            Some(serde_json::json!({"via": "cli"})),
        )?;
        crate::db::changes::record(tx, now, "staff", admin.id, crate::db::changes::ChangeOp::Create)?;
        Ok(())
    })
    .map_err(|e| match e {
        crate::error::Error::Conflict { message, .. } => message,
        other => other.to_string(),
    })
}

fn check(dir: &Path) -> Result<(), String> {
    let path = Config::for_data_dir(dir).db_path();
    if !path.exists() {
        return Err(format!("no database at {}", path.display()));
    }
    let conn = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    let problems = db::check(&conn).map_err(|e| e.to_string())?;
    if !problems.is_empty() {
        return Err(problems.join("; "));
    }
    println!("ok: integrity, foreign keys and migrations check out");
    // The index is derived: a problem there is repaired at the next start.
    match crate::search::index::verify(&Config::for_data_dir(dir).index_path()) {
        Ok(()) => println!("ok: the search index opens and its checksums match"),
        Err(reason) => println!("note: {reason}; the search index will be rebuilt at the next start"),
    }
    Ok(())
}

fn reindex(dir: &Path) -> Result<(), String> {
    let config = Config::for_data_dir(dir);
    if !config.db_path().exists() {
        return Err(format!("no database at {}", config.db_path().display()));
    }
    let _lock = crate::lock_data_dir(&config)
        .map_err(|e| format!("{}; stop the server first", e.public_message_or_internal()))?;
    let db = db::Db::open(&config.db_path(), DbOptions::default()).map_err(|e| e.to_string())?;
    let index_dir = config.index_path();
    if index_dir.exists() {
        std::fs::remove_dir_all(&index_dir).map_err(|e| format!("cannot remove the old index: {e}"))?;
    }
    let index = crate::search::SearchIndex::open(&index_dir).map_err(|e| e.to_string())?;
    index.acquire_writer().map_err(|e| e.to_string())?;
    index.rebuild(&db).map_err(|e| e.to_string())?;
    index.release_writer();
    println!("rebuilt the search index: {} documents", index.num_docs());
    Ok(())
}

fn serve(config: Config) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime.block_on(async move {
        let listen = config.listen;
        let app = AppState::open(config, Arc::new(SystemClock)).map_err(|e| e.to_string())?;
        let listener =
            tokio::net::TcpListener::bind(listen).await.map_err(|e| format!("cannot listen on {listen}: {e}"))?;
        let bound = listener.local_addr().map_err(|e| e.to_string())?;
        let base = match &app.config.public_url {
            Some(_) => app.config.base_url(),
            None => format!("http://{bound}"),
        };
        println!("Clinicbox {} serving {} on {base}", env!("CARGO_PKG_VERSION"), app.config.data_dir.display());
        if let Some(token) = crate::auth::setup::open_if_needed(&app).await.map_err(|e| e.to_string())? {
            println!("No administrator yet. Open this link once to create one:\n  {base}/setup?token={token}");
        }
        crate::serve(app, listener, shutdown_signal()).await.map_err(|e| format!("server stopped: {e}"))
    })
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(signal) => signal,
            Err(_) => {
                let _ = interrupt.await;
                return;
            }
        };
        tokio::select! {
            _ = interrupt => {},
            _ = terminate.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
    tracing::info!("shutting down");
}
