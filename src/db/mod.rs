//! Storage: a pool of read-only connections and one writer thread.
//!
//! Every write goes through [`Db::write`], which hands a closure to the writer
//! thread; the thread runs it inside `BEGIN IMMEDIATE` and commits when it
//! returns `Ok`. One queue for all writes keeps SQLite free of lock contention
//! and is the place where group commit can be added without touching callers.

pub mod changes;
pub mod migrations;

use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::Duration;

use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};
use tokio::sync::{oneshot, watch};

use crate::kit::error::{Error, Result};

const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
const READ_POOL_SIZE: u32 = 4;

#[derive(Clone, Copy, Debug)]
pub struct DbOptions {
    pub synchronous_full: bool,
}

impl Default for DbOptions {
    fn default() -> Self {
        Self { synchronous_full: true }
    }
}

type Job = Box<dyn FnOnce(&mut Connection) + Send>;

pub struct Db {
    pool: r2d2::Pool<SqliteConnectionManager>,
    writer: mpsc::Sender<Job>,
    /// Counts committed writes, so workers that follow the change log wake
    /// on a commit instead of polling.
    commits: Arc<watch::Sender<u64>>,
}

/// Opens a connection with the pragmas every connection needs.
pub fn open_connection(path: &Path, options: DbOptions) -> Result<Connection> {
    let conn = Connection::open(path)?;
    configure(&conn, options)?;
    Ok(conn)
}

fn configure(conn: &Connection, options: DbOptions) -> rusqlite::Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "synchronous", if options.synchronous_full { "FULL" } else { "NORMAL" })?;
    Ok(())
}

impl Db {
    /// Opens (creating if needed) the database, applies pending migrations and
    /// starts the writer. Refuses a database whose migrations differ from ours.
    pub fn open(path: &Path, options: DbOptions) -> Result<Self> {
        let mut writer_conn = open_connection(path, options)?;
        // WAL is a property of the file: set it once here, before the pool
        // opens connections, so concurrent first opens cannot race on it.
        let mode: String = writer_conn.query_row("PRAGMA journal_mode=WAL", [], |row| row.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(Error::internal(format!("could not enable WAL (journal_mode={mode})")));
        }
        migrations::apply(&mut writer_conn)?;

        let manager = SqliteConnectionManager::file(path)
            .with_flags(OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI)
            .with_init(move |conn| configure(conn, options));
        let pool = r2d2::Pool::builder().max_size(READ_POOL_SIZE).min_idle(Some(1)).build(manager)?;

        let (sender, receiver) = mpsc::channel::<Job>();
        let commits = Arc::new(watch::channel(0u64).0);
        thread::Builder::new()
            .name("clinicbox-db-writer".into())
            .spawn(move || {
                while let Ok(job) = receiver.recv() {
                    job(&mut writer_conn);
                }
            })
            .map_err(Error::internal)?;
        Ok(Self { pool, writer: sender, commits })
    }

    /// Runs `f` on a pooled read-only connection on the blocking pool.
    pub async fn read<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let conn = pool.get()?;
            f(&conn)
        })
        .await
        .map_err(|e| Error::internal(format!("read task failed: {e}")))?
    }

    /// Runs `f` in one `BEGIN IMMEDIATE` transaction on the writer thread;
    /// commits on `Ok`, rolls back on `Err` or panic.
    pub async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction) -> Result<T> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let commits = self.commits.clone();
        let job: Job = Box::new(move |conn| {
            let result = run_in_transaction(conn, f);
            if result.is_ok() {
                commits.send_modify(|count| *count += 1);
            }
            let _ = reply.send(result);
        });
        self.writer.send(job).map_err(|_| Error::internal("the database writer has stopped"))?;
        answer.await.map_err(|_| Error::internal("the database writer dropped a request"))?
    }

    /// Runs `f` on a pooled read-only connection on the current thread; for
    /// workers that already run on the blocking pool.
    pub fn read_blocking<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let conn = self.pool.get()?;
        f(&conn)
    }

    /// Changes whenever a write commits.
    pub fn watch_commits(&self) -> watch::Receiver<u64> {
        self.commits.subscribe()
    }

    /// Quick liveness check for `/health/ready`.
    pub async fn ping(&self) -> Result<()> {
        self.read(|conn| {
            conn.query_row("SELECT count(*) FROM schema_migrations", [], |_| Ok(()))?;
            Ok(())
        })
        .await
    }
}

pub fn run_in_transaction<T>(conn: &mut Connection, f: impl FnOnce(&Transaction) -> Result<T>) -> Result<T> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    match std::panic::catch_unwind(AssertUnwindSafe(|| f(&tx))) {
        Ok(Ok(value)) => {
            tx.commit()?;
            Ok(value)
        }
        Ok(Err(err)) => Err(err),
        Err(_) => Err(Error::internal("a database write panicked and was rolled back")),
    }
}

/// Results of `clinicbox check`: each line names what was checked.
pub fn check(conn: &Connection) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    let integrity: String = conn.query_row("PRAGMA integrity_check", [], |row| row.get(0))?;
    if integrity != "ok" {
        problems.push(format!("integrity_check: {integrity}"));
    }
    let mut stmt = conn.prepare("PRAGMA foreign_key_check")?;
    let violations = stmt.query_map([], |row| row.get::<_, String>(0))?.count();
    if violations > 0 {
        problems.push(format!("foreign_key_check: {violations} rows point at missing rows"));
    }
    if let Err(err) = migrations::verify(conn) {
        problems.push(err.to_string());
    }
    Ok(problems)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kit::error::ErrorCode;

    #[tokio::test]
    async fn failed_write_rolls_back_and_writer_survives_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("t.db"), DbOptions::default()).unwrap();
        let err = db
            .write(|tx| {
                tx.execute("INSERT INTO changes (at, entity, entity_id, op) VALUES (1, 'x', 1, 'create')", [])?;
                Err::<(), _>(Error::conflict(ErrorCode::SlotTaken, "rolled back"))
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::SlotTaken);
        let panicked: Result<()> = db.write(|_| panic!("boom")).await;
        assert!(panicked.is_err());
        db.write(|tx| {
            tx.execute("INSERT INTO changes (at, entity, entity_id, op) VALUES (1, 'y', 2, 'create')", [])?;
            Ok(())
        })
        .await
        .unwrap();
        let entities: Vec<String> = db
            .read(|conn| {
                let mut stmt = conn.prepare("SELECT entity FROM changes")?;
                let rows = stmt.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
                Ok(rows)
            })
            .await
            .unwrap();
        assert_eq!(entities, vec!["y".to_owned()]);
    }

    #[tokio::test]
    async fn read_connections_cannot_write() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("t.db"), DbOptions::default()).unwrap();
        let result = db
            .read(|conn| {
                conn.execute("INSERT INTO changes (at, entity, entity_id, op) VALUES (1, 'x', 1, 'c')", [])?;
                Ok(())
            })
            .await;
        assert!(result.is_err());
    }
}
