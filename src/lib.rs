//! Clinicbox: a self-hosted clinic system in one binary.
//!
//! `main.rs` only parses the command line; everything else lives here so the
//! integration tests drive exactly what the binary runs. `AppState` is what
//! every handler and service shares; `server` assembles the HTTP side.

pub mod audit;
pub mod auth;
pub mod backup;
pub mod cli;
pub mod clinic;
pub mod config;
pub mod db;
pub mod events;
pub mod http;
pub mod jobs;
pub mod kit;
pub mod notify;
pub mod patients;
pub mod portal;
pub mod records;
pub mod scheduling;
pub mod search;
pub mod secret;
pub mod server;

use std::fs::File;
use std::sync::{Arc, Mutex};

use crate::auth::setup::SetupGate;
use crate::auth::throttle::LoginThrottle;
use crate::config::Config;
use crate::db::{Db, DbOptions};
use crate::kit::clock::SharedClock;
use crate::kit::error::{Error, ErrorCode, Result};
use crate::patients::service::PatientRanking;
use crate::search::SearchIndex;
use crate::search::service::IndexRanking;

/// Everything a request handler needs, shared by all of them.
pub struct AppState {
    pub config: Config,
    pub db: Db,
    pub search: Arc<SearchIndex>,
    /// The bytes of attachments, by hash.
    pub files: crate::records::attachments::files::FileStore,
    /// How the patient list ranks a search-box query (the index).
    pub patient_ranking: Arc<dyn PatientRanking>,
    /// Totals of list filters, kept until the change log moves on.
    pub counts: Arc<crate::db::counts::CountCache>,
    /// Live events: the publisher writes, WebSocket connections read.
    pub events: Arc<crate::events::Hub>,
    /// Whom a clinician is booked with, for the clinician scope.
    pub patients_booked_with: crate::patients::scope::PatientsBookedWith,
    /// What follows an appointment's change in its transaction: messages, reminders, notifications.
    pub appointment_follow_up: crate::scheduling::appointments::follow_up::FollowUp,
    /// What other features keep about a patient, moved by a merge.
    pub patient_records_elsewhere: &'static [crate::patients::merging::HeldRecords],
    pub secret: secret::SecretKey,
    pub clock: SharedClock,
    pub throttle: LoginThrottle,
    /// Refresh exchanges of the last few seconds, for concurrent duplicates.
    pub refresh_grace: crate::auth::grace::RefreshGrace,
    pub setup: SetupGate,
    /// Where phone numbers without a country code are read (the clinic profile's, else configured).
    pub phone_region: crate::clinic::region::PhoneRegion,
    /// Held while this process owns the data directory.
    data_lock: Mutex<Option<File>>,
}

pub type App = Arc<AppState>;

/// Takes the data directory for this process, so a second server (or an
/// offline `reindex`) cannot work on it at the same time.
pub fn lock_data_dir(config: &Config) -> Result<File> {
    let path = config.data_dir.join(".lock");
    let file = File::options().create(true).truncate(false).write(true).open(&path)?;
    file.try_lock().map_err(|_| Error::Unavailable {
        code: ErrorCode::DataDirInUse,
        message: format!("{} is in use by another Clinicbox process", config.data_dir.display()),
    })?;
    Ok(file)
}

impl AppState {
    /// Opens the data directory (creating it when new), migrates the
    /// database and opens the search index.
    pub fn open(config: Config, clock: SharedClock) -> Result<App> {
        crate::kit::private::private_dir(&config.data_dir)
            .map_err(|e| Error::internal(format!("cannot create data directory {}: {e}", config.data_dir.display())))?;
        let data_lock = lock_data_dir(&config)?;
        let db = Db::open(&config.db_path(), DbOptions { synchronous_full: config.synchronous_full })?;
        let search = Arc::new(SearchIndex::open(&config.index_path())?);
        let secret = secret::SecretKey::load_or_create(&config.data_dir)?;
        let files = crate::records::attachments::files::FileStore::new(config.files_path());
        files.prepare()?;
        let phone_region = crate::clinic::region::PhoneRegion::new(&config.phone_region);
        let patient_ranking = Arc::new(IndexRanking { index: search.clone(), phone_region: phone_region.clone() });
        Ok(Arc::new(AppState {
            patient_ranking,
            patients_booked_with: crate::scheduling::appointments::store::patients_booked_with,
            appointment_follow_up: crate::notify::plan::follow_up,
            patient_records_elsewhere: &[
                crate::scheduling::appointments::merging::ATTENDANCE,
                crate::records::notes::NOTES,
                crate::records::questionnaires::RESPONSES,
                crate::records::questionnaires::ASSIGNMENTS,
                crate::records::attachments::ATTACHMENTS,
                crate::records::programmes::ENROLMENTS,
            ],
            counts: Default::default(),
            events: Default::default(),
            throttle: LoginThrottle::new(clock.clone()),
            refresh_grace: Default::default(),
            setup: SetupGate::default(),
            phone_region,
            data_lock: Mutex::new(Some(data_lock)),
            config,
            db,
            search,
            files,
            secret,
            clock,
        }))
    }

    /// Gives the data directory back (at shutdown).
    pub fn release_data_dir(&self) {
        self.data_lock.lock().unwrap_or_else(|e| e.into_inner()).take();
    }
}
