//! The command line. Every failure is one line on stderr and a non-zero exit.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use rusqlite::{Connection, OpenFlags};

use crate::AppState;
use crate::auth::service;
use crate::config::{Config, DEFAULT_DATA_DIR, Overrides};
use crate::db::{self, DbOptions, migrations};
use crate::kit::clock::{Clock, SystemClock};
use crate::kit::error::{Error, ErrorCode, Result};

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

/// Where the clinic's email and text messages go.
#[derive(clap::Args)]
struct MessageArgs {
    /// SMTP server for email, e.g. smtp://user:pass@mail.example:587?tls=required.
    #[arg(long, env = "CLINICBOX_SMTP_URL", hide_env_values = true)]
    smtp_url: Option<String>,
    /// The sender of the clinic's email, e.g. "Riverside Physio <desk@riverside.example>".
    #[arg(long, env = "CLINICBOX_SMTP_FROM")]
    smtp_from: Option<String>,
    /// A gateway that takes SMS and WhatsApp messages as signed JSON.
    #[arg(long, env = "CLINICBOX_SMS_WEBHOOK_URL")]
    sms_webhook_url: Option<String>,
    /// The secret the gateway checks each message's signature with.
    #[arg(long, env = "CLINICBOX_SMS_WEBHOOK_SECRET", hide_env_values = true)]
    sms_webhook_secret: Option<String>,
}

// Parsed once at start: the size of `serve`'s many settings costs nothing.
#[allow(clippy::large_enum_variant)]
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
        /// HTTPS: `auto` (default: on when listening beyond this machine), `on` or `off`.
        #[arg(long, env = "CLINICBOX_TLS")]
        tls: Option<String>,
        /// The clinic's certificate chain (PEM) for HTTPS; a generated one otherwise.
        #[arg(long, env = "CLINICBOX_TLS_CERT")]
        tls_cert: Option<PathBuf>,
        /// The private key (PEM) of --tls-cert.
        #[arg(long, env = "CLINICBOX_TLS_KEY")]
        tls_key: Option<PathBuf>,
        /// The largest attachment accepted, in MiB [default: 25].
        #[arg(long, env = "CLINICBOX_MAX_UPLOAD_MB")]
        max_upload_mb: Option<u64>,
        #[command(flatten)]
        messages: MessageArgs,
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
    /// Check the database (integrity, foreign keys, migrations, the audit hash chain) and the search index.
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
        /// A backup directory, a downloaded backup (`.tar`), or a plain copy of a data directory.
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

fn usage(message: impl Into<String>) -> Error {
    Error::bad_request(ErrorCode::InvalidConfig, message)
}

fn no_database(path: &Path) -> Error {
    Error::bad_request(ErrorCode::NoDatabase, format!("no database at {}", path.display()))
}

pub fn run() -> Result<()> {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) if !err.use_stderr() => {
            // --help and --version are answers, not failures.
            print!("{err}");
            return Ok(());
        }
        Err(err) => {
            return Err(usage(err.to_string().lines().next().unwrap_or("bad arguments").replace("error: ", "")));
        }
    };
    match cli.command {
        Command::Serve {
            data,
            listen,
            public_url,
            synchronous,
            phone_region,
            tls,
            tls_cert,
            tls_key,
            max_upload_mb,
            messages,
        } => {
            init_logging();
            let overrides = Overrides {
                listen,
                public_url,
                synchronous,
                phone_region,
                tls,
                tls_cert,
                tls_key,
                max_upload_mb,
                smtp_url: messages.smtp_url,
                smtp_from: messages.smtp_from,
                sms_webhook_url: messages.sms_webhook_url,
                sms_webhook_secret: messages.sms_webhook_secret,
            };
            let config = Config::load(&data.dir, &overrides)?;
            serve(config)
        }
        Command::Admin { command: AdminCommand::Create { data, email, name, password_stdin: _ } } => {
            let secret = read_password_line()?;
            let mut conn = open_existing_or_new(&data.dir)?;
            migrations::apply(&mut conn)?;
            let admin = service::create_admin_offline(&mut conn, SystemClock.now(), &email, &name, &secret)?;
            println!("created administrator {}", admin.email);
            Ok(())
        }
        Command::Migrate { data } => {
            let mut conn = open_existing_or_new(&data.dir)?;
            let applied = migrations::apply(&mut conn)?;
            println!("applied {applied} migration(s); schema version {}", migrations::latest_version());
            Ok(())
        }
        Command::Check { data } => check(&data.dir),
        Command::Reindex { data } => reindex(&data.dir),
        Command::Backup { dest, data } => {
            let manifest = crate::backup::create_backup(&data.dir, &dest, SystemClock.now())?;
            println!("backed up {} file(s) to {}", manifest.files.len(), dest.display());
            Ok(())
        }
        Command::Restore { src, data } => {
            let report = if src.is_file() {
                crate::backup::download::restore_archive(&src, &data.dir, SystemClock.now())?
            } else {
                crate::backup::restore(&src, &data.dir, SystemClock.now())?
            };
            println!("{} into {}", report.summary, data.dir.display());
            println!("the search index is rebuilt when the server starts");
            Ok(())
        }
        Command::Openapi => {
            println!("{}", crate::server::openapi_json());
            Ok(())
        }
        Command::Version => {
            println!("clinicbox {}", env!("CARGO_PKG_VERSION"));
            Ok(())
        }
    }
}

fn init_logging() {
    // The web server's own start and stop lines repeat ours: warnings only.
    let filter = tracing_subscriber::EnvFilter::try_from_env("CLINICBOX_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,poem::server=warn,poem::listener=warn"));
    let colours = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ =
        tracing_subscriber::fmt().with_env_filter(filter).with_ansi(colours).with_writer(std::io::stderr).try_init();
}

fn read_password_line() -> Result<String> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).map_err(|e| Error::internal_from("cannot read the password", e))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

fn open_existing_or_new(dir: &Path) -> Result<Connection> {
    crate::kit::private::private_dir(dir)
        .map_err(|e| Error::internal_from(format!("cannot create {}", dir.display()), e))?;
    let path = Config::for_data_dir(dir).db_path();
    crate::kit::private::private_database(&path)
        .map_err(|e| Error::internal_from(format!("cannot create {}", path.display()), e))?;
    let conn = db::open_connection(&path, DbOptions::default())?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    Ok(conn)
}

fn check(dir: &Path) -> Result<()> {
    let path = Config::for_data_dir(dir).db_path();
    if !path.exists() {
        return Err(no_database(&path));
    }
    let conn = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| Error::internal_from(format!("cannot open {}", path.display()), e))?;
    let problems = db::check(&conn)?;
    if !problems.is_empty() {
        return Err(Error::internal(problems.join("; ")));
    }
    println!("ok: integrity, foreign keys and migrations check out");
    let chain = crate::audit::chain::verify(&conn)?;
    if let Some((id, reason)) = chain.first_broken {
        return Err(Error::internal(format!(
            "the audit log's hash chain is broken: row {id} {reason}; it was altered outside Clinicbox"
        )));
    }
    println!("ok: the audit log's hash chain holds ({} rows)", chain.chained_rows);
    check_attachments(&conn, &Config::for_data_dir(dir))?;
    // The index is derived: a problem there is repaired at the next start.
    match crate::search::index::verify(&Config::for_data_dir(dir).index_path()) {
        Ok(()) => println!("ok: the search index opens and its checksums match"),
        Err(reason) => println!("note: {reason}; the search index will be rebuilt at the next start"),
    }
    Ok(())
}

/// Every attachment's file is there and still hashes to what its row says.
fn check_attachments(conn: &Connection, config: &Config) -> Result<()> {
    use crate::records::attachments::files::{FileState, FileStore};
    let files = FileStore::new(config.files_path());
    let mut problems = Vec::new();
    let hashes = crate::records::attachments::store::hashes(conn)?;
    for (sha256, rows) in &hashes {
        let state = files.state_of(sha256)?;
        if state != FileState::Whole {
            let what = if state == FileState::Missing { "is missing" } else { "does not match its hash" };
            problems.push(format!("the file {sha256} of {rows} attachment(s) {what}"));
        }
    }
    if !problems.is_empty() {
        return Err(Error::internal(format!(
            "{}; restore files/ from a backup (the rows are kept)",
            problems.join("; ")
        )));
    }
    println!("ok: the files of every attachment are there and match their hashes ({} files)", hashes.len());
    Ok(())
}

fn reindex(dir: &Path) -> Result<()> {
    let config = Config::for_data_dir(dir);
    if !config.db_path().exists() {
        return Err(no_database(&config.db_path()));
    }
    let _lock = crate::lock_data_dir(&config)
        .map_err(|e| Error::Unavailable { code: e.code(), message: format!("{e}; stop the server first") })?;
    let db = db::Db::open(&config.db_path(), DbOptions::default())?;
    let index_dir = config.index_path();
    if index_dir.exists() {
        std::fs::remove_dir_all(&index_dir).map_err(|e| Error::internal_from("cannot remove the old index", e))?;
    }
    let index = crate::search::SearchIndex::open(&index_dir)?;
    index.acquire_writer()?;
    index.rebuild(&db)?;
    index.release_writer();
    println!("rebuilt the search index: {} documents", index.num_docs());
    Ok(())
}

fn serve(config: Config) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::internal_from("cannot start the runtime", e))?;
    runtime.block_on(async move {
        let listen = config.listen;
        let tls = crate::http::tls::prepare(&config)?;
        let app = AppState::open(config, Arc::new(SystemClock))?;
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|e| Error::internal_from(format!("cannot listen on {listen}"), e))?;
        let bound = listener.local_addr()?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        let base = match &app.config.public_url {
            Some(_) => app.config.base_url(),
            // An address for every interface is not one to type: name this
            // machine's address on the clinic's network instead.
            None if bound.ip().is_unspecified() => match crate::http::tls::network_address() {
                Some(ip) => format!("{scheme}://{}", std::net::SocketAddr::new(ip, bound.port())),
                None => format!("{scheme}://{bound}"),
            },
            None => format!("{scheme}://{bound}"),
        };
        // A supervisor may close standard output: the server goes on regardless.
        let mut out = std::io::stdout();
        let _ = writeln!(
            out,
            "Clinicbox {} serving {} on {base}",
            env!("CARGO_PKG_VERSION"),
            app.config.data_dir.display()
        );
        if let Some(tls) = &tls {
            let source = if tls.generated { "generated on this server, " } else { "" };
            let _ = writeln!(
                out,
                "HTTPS certificate ({source}{}), SHA-256 fingerprint:\n  {}",
                tls.cert_path.display(),
                tls.fingerprint
            );
            if tls.generated {
                let _ = writeln!(
                    out,
                    "Browsers warn about a generated certificate: check that the fingerprint they show is this one."
                );
            }
        }
        if let Some(token) = crate::auth::setup::open_if_needed(&app).await? {
            let _ =
                writeln!(out, "No administrator yet. Open this link once to create one:\n  {base}/setup?token={token}");
        }
        crate::server::serve(app, listener, tls, shutdown_signal())
            .await
            .map_err(|e| Error::internal_from("server stopped", e))
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
