//! The change log: every write appends here in its own transaction, so the
//! workers that act on changes (search, notifications, live events) can
//! catch up after a crash without losing or repeating anything.

use crate::kit::sql::CachedSql;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, Transaction, params};

use crate::kit::error::Result;
use crate::kit::time::to_millis;

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
    tx.execute_cached(
        "INSERT INTO changes (at, entity, entity_id, op) VALUES (?1, ?2, ?3, ?4)",
        params![to_millis(at), entity, entity_id, op.as_str()],
    )?;
    Ok(tx.last_insert_rowid())
}

/// One entry of the change log as its readers see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub seq: i64,
    pub entity: String,
    pub entity_id: i64,
}

/// Up to `limit` changes after `after`, oldest first.
pub fn after(conn: &Connection, after: i64, limit: i64) -> Result<Vec<Change>> {
    let mut stmt =
        conn.prepare_cached("SELECT seq, entity, entity_id FROM changes WHERE seq > ?1 ORDER BY seq LIMIT ?2")?;
    let rows = stmt
        .query_map(params![after, limit], |r| Ok(Change { seq: r.get(0)?, entity: r.get(1)?, entity_id: r.get(2)? }))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// The sequence number of the newest change, 0 when there is none.
pub fn latest_seq(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row_cached("SELECT coalesce(max(seq), 0) FROM changes", [], |r| r.get(0))?)
}
