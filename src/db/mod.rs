//! Storage: a pool of read-only connections and one writer thread.
//!
//! Every write goes through [`Db::write`], which hands a closure to the writer
//! thread. One queue for all writes keeps SQLite free of lock contention, and
//! lets the writer commit in groups: the closures queued when it wakes (up to
//! [`MAX_GROUP`]) run in one `BEGIN IMMEDIATE` transaction, each in its own
//! savepoint, and one commit (one fsync) makes them all durable. A closure
//! that fails or panics rolls back only its own savepoint and gets its own
//! error; the others commit. Every caller is answered after the commit, so
//! an acknowledged write is a committed one. A lone write waits for nothing.

pub mod changes;
pub mod counts;
pub mod migrations;

use crate::kit::sql::CachedSql;
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
/// The most writes one commit carries: enough to share an fsync among a
/// burst, few enough that no caller waits long behind the others.
pub const MAX_GROUP: usize = 64;
const READ_POOL_SIZE: u32 = 4;
const WAL_SIZE_LIMIT: i64 = 64 * 1024 * 1024;
const WRITER_CHECKPOINT_PAGES: i64 = 1_000;
/// How often, at most, the WAL is copied back into the database.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

#[derive(Clone, Copy, Debug)]
pub struct DbOptions {
    pub synchronous_full: bool,
}

impl Default for DbOptions {
    fn default() -> Self {
        Self { synchronous_full: true }
    }
}

/// Answers a caller once the group's commit is known: `Ok` when it committed.
type Answer = Box<dyn FnOnce(std::result::Result<(), String>) + Send>;
/// Runs a caller's closure inside its savepoint; says whether it succeeded
/// (its savepoint is kept) and how to answer the caller.
type Job = Box<dyn FnOnce(&Transaction) -> (bool, Answer) + Send>;

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
    conn.set_prepared_statement_cache_capacity(crate::kit::sql::STATEMENT_CACHE);
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "synchronous", if options.synchronous_full { "FULL" } else { "NORMAL" })?;
    Ok(())
}

impl Db {
    /// Opens (creating if needed) the database, applies pending migrations and
    /// starts the writer. Refuses a database whose migrations differ from ours.
    pub fn open(path: &Path, options: DbOptions) -> Result<Self> {
        crate::kit::private::private_database(path)
            .map_err(|e| Error::internal(format!("cannot create {}: {e}", path.display())))?;
        let mut writer_conn = open_connection(path, options)?;
        // WAL is a property of the file: set it once here, before the pool
        // opens connections, so concurrent first opens cannot race on it.
        let mode: String = writer_conn.query_row_cached("PRAGMA journal_mode=WAL", [], |row| row.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(Error::internal(format!("could not enable WAL (journal_mode={mode})")));
        }
        migrations::apply(&mut writer_conn)?;
        // Another thread copies the WAL back into the database as commits
        // come, so that the writer's own checkpoint (after a commit, once the
        // WAL passes `WRITER_CHECKPOINT_PAGES`) finds little left to copy and
        // lets the WAL start over; without it, under constant writes the
        // background never catches up with the last frame and the WAL grows.
        writer_conn.pragma_update(None, "wal_autocheckpoint", WRITER_CHECKPOINT_PAGES)?;
        // Once checkpointed, a WAL grown by a burst (an import, a restore)
        // shrinks back to this when it restarts, rather than keep its size.
        writer_conn.pragma_update(None, "journal_size_limit", WAL_SIZE_LIMIT)?;
        let checkpoint_conn = open_connection(path, options)?;
        let (tick, ticks) = mpsc::sync_channel::<()>(1);
        thread::Builder::new()
            .name("clinicbox-db-checkpoint".into())
            .spawn(move || checkpoint_in_background(&checkpoint_conn, &ticks))
            .map_err(Error::internal)?;

        let manager = SqliteConnectionManager::file(path)
            .with_flags(OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI)
            .with_init(move |conn| configure(conn, options));
        let pool = r2d2::Pool::builder().max_size(READ_POOL_SIZE).min_idle(Some(1)).build(manager)?;

        let (sender, receiver) = mpsc::channel::<Job>();
        let commits = Arc::new(watch::channel(0u64).0);
        let writer_commits = commits.clone();
        thread::Builder::new()
            .name("clinicbox-db-writer".into())
            .spawn(move || {
                while let Ok(first) = receiver.recv() {
                    let mut group = vec![first];
                    while group.len() < MAX_GROUP {
                        match receiver.try_recv() {
                            Ok(job) => group.push(job),
                            Err(_) => break,
                        }
                    }
                    commit_group(&mut writer_conn, group, &writer_commits);
                    let _ = tick.try_send(());
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

    /// Runs `f` on the writer thread inside a transaction (its own
    /// savepoint of a group commit); answers once its work is committed on
    /// `Ok`, and rolls back only its own work on `Err` or panic.
    pub async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction) -> Result<T> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move |tx| {
            let result = std::panic::catch_unwind(AssertUnwindSafe(|| f(tx)))
                .unwrap_or_else(|_| Err(Error::internal("a database write panicked and was rolled back")));
            let succeeded = result.is_ok();
            let answer: Answer = Box::new(move |committed| {
                let result = match committed {
                    Err(failure) if succeeded => Err(Error::internal(format!("the commit failed: {failure}"))),
                    _ => result,
                };
                let _ = reply.send(result);
            });
            (succeeded, answer)
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
            conn.query_row_cached("SELECT count(*) FROM schema_migrations", [], |_| Ok(()))?;
            Ok(())
        })
        .await
    }
}

/// Checkpoints the WAL at most every `CHECKPOINT_EVERY` while commits
/// come in (`ticks`), passively: readers and the writer go on meanwhile.
/// Ends when the writer does.
fn checkpoint_in_background(conn: &Connection, ticks: &mpsc::Receiver<()>) {
    let mut dirty = false;
    let mut last = std::time::Instant::now();
    loop {
        match ticks.recv_timeout(CHECKPOINT_EVERY) {
            Ok(()) => dirty = true,
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => return,
        }
        if dirty && last.elapsed() >= CHECKPOINT_EVERY {
            if let Err(err) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                tracing::warn!(error = %err, "could not checkpoint the write-ahead log");
            }
            (dirty, last) = (false, std::time::Instant::now());
        }
    }
}

/// Runs a group of writes in one transaction, each in a savepoint, commits
/// once, counts the commit in `commits` when it kept anything, and then
/// answers each caller. A caller whose write could not even start is
/// answered by dropping it (an error).
fn commit_group(conn: &mut Connection, group: Vec<Job>, commits: &watch::Sender<u64>) {
    let tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(err) => {
            tracing::error!(error = %err, writes = group.len(), "could not begin a write transaction");
            return;
        }
    };
    let mut answers: Vec<Answer> = Vec::with_capacity(group.len());
    let mut any_kept = false;
    for job in group {
        if let Err(err) = tx.execute_batch("SAVEPOINT write") {
            tracing::error!(error = %err, "could not start a write");
            continue;
        }
        let (succeeded, answer) = job(&tx);
        answers.push(answer);
        // A failed or panicked write leaves nothing behind; the group goes on.
        let ended = if succeeded {
            tx.execute_batch("RELEASE write")
        } else {
            tx.execute_batch("ROLLBACK TO write; RELEASE write")
        };
        if let Err(err) = ended {
            // SQLite gave up the whole transaction (a full disk, say): none of it commits.
            let failure = err.to_string();
            drop(tx);
            answers.into_iter().for_each(|answer| answer(Err(failure.clone())));
            return;
        }
        any_kept |= succeeded;
    }
    let committed = tx.commit().map_err(|err| err.to_string());
    if committed.is_ok() && any_kept {
        commits.send_modify(|count| *count += 1);
    }
    answers.into_iter().for_each(|answer| answer(committed.clone()));
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
    let integrity: String = conn.query_row_cached("PRAGMA integrity_check", [], |row| row.get(0))?;
    if integrity != "ok" {
        problems.push(format!("integrity_check: {integrity}"));
    }
    let mut stmt = conn.prepare_cached("PRAGMA foreign_key_check")?;
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
                tx.execute_cached("INSERT INTO changes (at, entity, entity_id, op) VALUES (1, 'x', 1, 'create')", [])?;
                Err::<(), _>(Error::conflict(ErrorCode::SlotTaken, "rolled back"))
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::SlotTaken);
        let panicked: Result<()> = db.write(|_| panic!("boom")).await;
        assert!(panicked.is_err());
        db.write(|tx| {
            tx.execute_cached("INSERT INTO changes (at, entity, entity_id, op) VALUES (1, 'y', 2, 'create')", [])?;
            Ok(())
        })
        .await
        .unwrap();
        let entities: Vec<String> = db
            .read(|conn| {
                let mut stmt = conn.prepare_cached("SELECT entity FROM changes")?;
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
                conn.execute_cached("INSERT INTO changes (at, entity, entity_id, op) VALUES (1, 'x', 1, 'c')", [])?;
                Ok(())
            })
            .await;
        assert!(result.is_err());
    }

    fn insert_change(tx: &Transaction, entity: &str) -> Result<()> {
        tx.execute_cached("INSERT INTO changes (at, entity, entity_id, op) VALUES (1, ?1, 1, 'create')", [entity])?;
        Ok(())
    }

    async fn entities(db: &Db) -> Vec<String> {
        db.read(|conn| {
            let mut stmt = conn.prepare_cached("SELECT entity FROM changes ORDER BY seq")?;
            let rows = stmt.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
            Ok(rows)
        })
        .await
        .unwrap()
    }

    #[tokio::test]
    async fn queued_writes_commit_together_in_order_and_a_failing_one_takes_only_itself() {
        let dir = tempfile::tempdir().unwrap();
        let db = Arc::new(Db::open(&dir.path().join("t.db"), DbOptions::default()).unwrap());
        let commits = db.watch_commits();
        // Hold the writer so the next writes queue up behind it.
        let (started, held) = std::sync::mpsc::channel();
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let holder = {
            let db = db.clone();
            tokio::spawn(async move {
                db.write(move |tx| {
                    started.send(()).unwrap();
                    hold.recv().unwrap();
                    insert_change(tx, "first")
                })
                .await
            })
        };
        tokio::task::spawn_blocking(move || held.recv()).await.unwrap().unwrap();
        let mut queued = Vec::new();
        for n in 0..10 {
            let db = db.clone();
            queued.push(tokio::spawn(async move {
                db.write(move |tx| {
                    insert_change(tx, &format!("w{n}"))?;
                    match n {
                        3 => Err(Error::conflict(ErrorCode::SlotTaken, "refused")),
                        6 => panic!("a bug in one write"),
                        _ => Ok(n),
                    }
                })
                .await
            }));
        }
        // Each spawned write is on the queue once its task has run (in spawn order).
        tokio::time::sleep(Duration::from_millis(200)).await;
        release.send(()).unwrap();
        holder.await.unwrap().unwrap();
        let mut answers = Vec::new();
        for write in queued {
            answers.push(write.await.unwrap());
        }
        assert_eq!(answers[3].as_ref().unwrap_err().code(), ErrorCode::SlotTaken, "its own error");
        assert_eq!(answers[6].as_ref().unwrap_err().code(), ErrorCode::Internal);
        for (n, answer) in answers.iter().enumerate().filter(|(n, _)| ![3, 6].contains(n)) {
            assert_eq!(answer.as_ref().unwrap(), &(n as i32), "write {n} is answered with its own value");
        }
        let expected = ["first", "w0", "w1", "w2", "w4", "w5", "w7", "w8", "w9"];
        // The ten queued writes ran in one group, in the order they arrived;
        // the failed ones left nothing.
        assert_eq!(entities(&db).await, expected);
        assert_eq!(*commits.borrow(), 2, "one commit for the held write, one for the ten queued behind it");
        // The writer goes on after a group with a panic in it.
        db.write(|tx| insert_change(tx, "after")).await.unwrap();
        assert_eq!(entities(&db).await.last().map(String::as_str), Some("after"));
    }

    #[tokio::test]
    async fn a_lone_write_is_committed_and_answered_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("t.db"), DbOptions::default()).unwrap();
        let commits = db.watch_commits();
        db.write(|tx| insert_change(tx, "alone")).await.unwrap();
        assert_eq!(*commits.borrow(), 1);
        assert_eq!(entities(&db).await, vec!["alone".to_owned()]);
    }

    #[tokio::test]
    async fn commits_are_copied_into_the_database_file_by_the_checkpoint_thread() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let db = Db::open(&path, DbOptions::default()).unwrap();
        let before = std::fs::metadata(&path).unwrap().len();
        db.write(|tx| {
            for n in 0..2_000 {
                tx.execute_cached(
                    "INSERT INTO changes (at, entity, entity_id, op) VALUES (?1, 'a rather long entity name to fill pages', 1, 'create')",
                    [n],
                )?;
            }
            Ok(())
        })
        .await
        .unwrap();
        // The writer leaves its pages in the WAL; the checkpoint thread, not a
        // closing connection, brings them into the database file.
        let wal = std::fs::metadata(dir.path().join("t.db-wal")).unwrap().len();
        assert!(wal > 64 * 1024, "the commit went to the WAL: {wal} bytes");
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::fs::metadata(&path).unwrap().len() < before + 64 * 1024 {
            assert!(std::time::Instant::now() < deadline, "no checkpoint copied the WAL into the database");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(entities(&db).await.len(), 2_000);
    }
}
