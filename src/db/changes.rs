//! The change log: every write appends here in its own transaction, so the
//! workers that act on changes (search, notifications, live events) can
//! catch up after a crash without losing or repeating anything.

use chrono::{DateTime, Utc};
use rusqlite::{Transaction, params};

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
    tx.execute(
        "INSERT INTO changes (at, entity, entity_id, op) VALUES (?1, ?2, ?3, ?4)",
        params![to_millis(at), entity, entity_id, op.as_str()],
    )?;
    Ok(tx.last_insert_rowid())
}
