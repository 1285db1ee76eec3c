//! Clinicbox: a self-hosted clinic system in one binary.
//!
//! `main.rs` only parses the command line; everything else lives here so the
//! integration tests drive exactly what the binary runs.

pub mod audit;
pub mod auth;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod error;
pub mod http;
pub mod patients;

use std::sync::Arc;
use std::time::Duration;

use crate::auth::setup::SetupGate;
use crate::auth::throttle::LoginThrottle;
use crate::clock::SharedClock;
use crate::config::Config;
use crate::db::{Db, DbOptions};
use crate::error::{Error, Result};

/// Everything a request handler needs, shared by all of them.
pub struct AppState {
    pub config: Config,
    pub db: Db,
    pub clock: SharedClock,
    pub throttle: LoginThrottle,
    pub setup: SetupGate,
}

pub type App = Arc<AppState>;

impl AppState {
    /// Opens the data directory (creating it when new) and migrates the database.
    pub fn open(config: Config, clock: SharedClock) -> Result<App> {
        std::fs::create_dir_all(&config.data_dir)
            .map_err(|e| Error::internal(format!("cannot create data directory {}: {e}", config.data_dir.display())))?;
        let db = Db::open(&config.db_path(), DbOptions { synchronous_full: config.synchronous_full })?;
        Ok(Arc::new(AppState {
            throttle: LoginThrottle::new(clock.clone()),
            setup: SetupGate::default(),
            config,
            db,
            clock,
        }))
    }
}

/// Housekeeping that runs while the server serves: drops long-expired tokens.
pub fn spawn_maintenance(app: App) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every_hour = tokio::time::interval(Duration::from_secs(3600));
        loop {
            every_hour.tick().await;
            let now = app.clock.now();
            match app.db.write(move |tx| auth::store::purge_expired_tokens(tx, now)).await {
                Ok(removed) if removed > 0 => tracing::info!(removed, "purged expired tokens"),
                Ok(_) => {}
                Err(err) => tracing::warn!(error = %err, "token purge failed"),
            }
        }
    })
}
