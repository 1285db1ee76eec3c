//! The change log: every write appends here in its own transaction, so the
//! workers that act on changes (search, notifications, live events) can
//! catch up after a crash without losing or repeating anything.

use crate::kit::sql::CachedSql;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, Transaction, params};

use crate::kit::error::Result;
use crate::kit::time::{instant, to_millis};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeOp {
    Create,
    Update,
    Archive,
    Restore,
    Delete,
}

impl ChangeOp {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeOp::Create => "create",
            ChangeOp::Update => "update",
            ChangeOp::Archive => "archive",
            ChangeOp::Restore => "restore",
            ChangeOp::Delete => "delete",
        }
    }
}

/// Appends one change; returns its sequence number.
pub fn record(tx: &Transaction, at: DateTime<Utc>, entity: &str, entity_id: i64, op: ChangeOp) -> Result<i64> {
    insert(tx, at, entity, entity_id, op, None)
}

/// Appends one change that says what sort it is (`cancelled`,
/// `status_changed`), where its operation alone does not.
pub fn record_kind(
    tx: &Transaction,
    at: DateTime<Utc>,
    entity: &str,
    entity_id: i64,
    op: ChangeOp,
    kind: &str,
) -> Result<i64> {
    insert(tx, at, entity, entity_id, op, Some(kind))
}

fn insert(
    tx: &Transaction,
    at: DateTime<Utc>,
    entity: &str,
    entity_id: i64,
    op: ChangeOp,
    kind: Option<&str>,
) -> Result<i64> {
    tx.execute_cached(
        "INSERT INTO changes (at, entity, entity_id, op, kind) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![to_millis(at), entity, entity_id, op.as_str(), kind],
    )?;
    Ok(tx.last_insert_rowid())
}

/// One entry of the change log as its readers see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub entity: String,
    pub entity_id: i64,
    /// `create`, `update`, `archive`, `restore` or `delete`.
    pub op: String,
    pub kind: Option<String>,
}

/// Up to `limit` changes after `after`, oldest first.
pub fn after(conn: &Connection, after: i64, limit: i64) -> Result<Vec<Change>> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, at, entity, entity_id, op, kind FROM changes WHERE seq > ?1 ORDER BY seq LIMIT ?2",
    )?;
    let rows = stmt
        .query_map(params![after, limit], |r| {
            Ok(Change {
                seq: r.get(0)?,
                at: instant(r, 1)?,
                entity: r.get(2)?,
                entity_id: r.get(3)?,
                op: r.get(4)?,
                kind: r.get(5)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// The sequence number of the newest change, 0 when there is none.
pub fn latest_seq(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row_cached("SELECT coalesce(max(seq), 0) FROM changes", [], |r| r.get(0))?)
}
