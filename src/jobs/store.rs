//! SQL for the outbox.

use chrono::{DateTime, Duration, Utc};
use rusqlite::{Connection, Row, Transaction, params};

use crate::kit::error::{Error, Result};
use crate::kit::sql::CachedSql;
use crate::kit::time::{instant, to_millis};

/// A job as the worker hands it to its handler.
#[derive(Clone, Debug)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub payload: serde_json::Value,
    pub due_at: DateTime<Utc>,
    /// This run's number, from 1.
    pub attempt: i64,
    pub max_attempts: i64,
    pub appointment_id: Option<i64>,
}

impl Job {
    pub fn is_last_attempt(&self) -> bool {
        self.attempt >= self.max_attempts
    }
}

pub struct NewJob<'a> {
    pub kind: &'a str,
    pub payload: serde_json::Value,
    pub due_at: DateTime<Utc>,
    /// At most one job per key; the same key again does nothing unless that job was cancelled.
    pub dedupe_key: Option<String>,
    pub appointment_id: Option<i64>,
}

/// Adds a job, or revives the cancelled one with its key; a live job with
/// the key stays as it is.
pub fn enqueue(tx: &Transaction, job: &NewJob, now: DateTime<Utc>) -> Result<()> {
    let payload = serde_json::to_string(&job.payload).map_err(|e| Error::internal_from("a job's payload", e))?;
    tx.execute_cached(
        "INSERT INTO jobs (kind, payload, due_at, status, dedupe_key, appointment_id, created_at, updated_at)
         VALUES (?1, ?2, ?3, 'queued', ?4, ?5, ?6, ?6)
         ON CONFLICT (dedupe_key) DO UPDATE SET status = 'queued', due_at = excluded.due_at, attempts = 0,
             payload = excluded.payload, last_error = NULL, updated_at = excluded.updated_at
         WHERE jobs.status = 'cancelled'",
        params![job.kind, payload, to_millis(job.due_at), job.dedupe_key, job.appointment_id, to_millis(now)],
    )?;
    Ok(())
}

/// Cancels an appointment's queued jobs of one kind (its reminders, when it moves or is cancelled).
pub fn cancel_for_appointment(tx: &Transaction, appointment_id: i64, kind: &str, now: DateTime<Utc>) -> Result<usize> {
    Ok(tx.execute_cached(
        "UPDATE jobs SET status = 'cancelled', updated_at = ?3
         WHERE appointment_id = ?1 AND kind = ?2 AND status = 'queued'",
        params![appointment_id, kind, to_millis(now)],
    )?)
}

/// When the next queued job is due, if any.
pub fn next_due(conn: &Connection) -> Result<Option<DateTime<Utc>>> {
    let at: Option<i64> =
        conn.query_row_cached("SELECT min(due_at) FROM jobs WHERE status = 'queued'", [], |r| r.get(0))?;
    Ok(at.and_then(DateTime::from_timestamp_millis))
}

fn job_from_row(row: &Row) -> rusqlite::Result<Job> {
    let payload: String = row.get(2)?;
    Ok(Job {
        id: row.get(0)?,
        kind: row.get(1)?,
        payload: serde_json::from_str(&payload).unwrap_or_default(),
        due_at: instant(row, 3)?,
        attempt: row.get(4)?,
        max_attempts: row.get(5)?,
        appointment_id: row.get(6)?,
    })
}

/// Takes up to `limit` due jobs, soonest first, marking each running and
/// counting the attempt.
pub fn claim_due(tx: &Transaction, now: DateTime<Utc>, limit: i64) -> Result<Vec<Job>> {
    let mut stmt = tx.prepare_cached(
        "UPDATE jobs SET status = 'running', attempts = attempts + 1, updated_at = ?1
         WHERE id IN (SELECT id FROM jobs WHERE status = 'queued' AND due_at <= ?1 ORDER BY due_at, id LIMIT ?2)
         RETURNING id, kind, payload, due_at, attempts, max_attempts, appointment_id",
    )?;
    let mut jobs: Vec<Job> =
        stmt.query_map(params![to_millis(now), limit], job_from_row)?.collect::<rusqlite::Result<_>>()?;
    jobs.sort_by_key(|j| (j.due_at, j.id));
    Ok(jobs)
}

pub fn mark_done(tx: &Transaction, id: i64, now: DateTime<Utc>) -> Result<()> {
    tx.execute_cached(
        "UPDATE jobs SET status = 'done', last_error = NULL, updated_at = ?2 WHERE id = ?1 AND status = 'running'",
        params![id, to_millis(now)],
    )?;
    Ok(())
}

/// How long after a failed attempt the next one goes: 30 s, 1, 2, 4, 8 min… up to an hour.
pub fn backoff(attempt: i64) -> Duration {
    let exponent = u32::try_from((attempt - 1).clamp(0, 7)).unwrap_or(7);
    Duration::seconds(30 * 2i64.pow(exponent)).min(Duration::hours(1))
}

/// Records a failed attempt: queued again after the backoff, or dead after the last.
pub fn mark_failed(tx: &Transaction, job: &Job, error: &str, now: DateTime<Utc>) -> Result<()> {
    let (status, due) = match job.is_last_attempt() {
        true => ("dead", now),
        false => ("queued", now + backoff(job.attempt)),
    };
    tx.execute_cached(
        "UPDATE jobs SET status = ?2, due_at = ?3, last_error = ?4, updated_at = ?5 WHERE id = ?1 AND status = 'running'",
        params![job.id, status, to_millis(due), error, to_millis(now)],
    )?;
    Ok(())
}

/// Jobs a stopped process was running go again: a send interrupted midway
/// is retried (its message keeps its id, so a duplicate is recognisable).
pub fn requeue_interrupted(tx: &Transaction, now: DateTime<Utc>) -> Result<usize> {
    Ok(tx.execute_cached(
        "UPDATE jobs SET status = 'queued', updated_at = ?1 WHERE status = 'running'",
        params![to_millis(now)],
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_and_level_at_an_hour() {
        assert_eq!(backoff(1), Duration::seconds(30));
        assert_eq!(backoff(2), Duration::minutes(1));
        assert_eq!(backoff(4), Duration::minutes(4));
        assert_eq!(backoff(8), Duration::hours(1));
        assert_eq!(backoff(30), Duration::hours(1));
    }
}
