//! SQL for API keys.

use crate::kit::sql::CachedSql;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};

use crate::auth::api_keys::model::ApiKey;
use crate::db::changes::{self, ChangeOp};
use crate::kit::error::Result;
use crate::kit::principal::Role;
use crate::kit::time::{instant, optional_instant, to_millis};

/// The change-log entity of a key being revoked: open live-event
/// connections with it end.
pub const ENTITY: &str = "api_key";

const COLUMNS: &str =
    "id, name, role, key_prefix, created_by, created_at, expires_at, last_used_at, last_used_addr, revoked_at";

fn read(row: &Row, now: DateTime<Utc>) -> rusqlite::Result<ApiKey> {
    let expires_at = optional_instant(row, 6)?;
    let revoked_at = optional_instant(row, 9)?;
    Ok(ApiKey {
        id: row.get(0)?,
        name: row.get(1)?,
        role: row.get(2)?,
        key_prefix: row.get(3)?,
        created_by: row.get(4)?,
        created_at: instant(row, 5)?,
        expires_at,
        last_used_at: optional_instant(row, 7)?,
        last_used_addr: row.get(8)?,
        revoked_at,
        active: revoked_at.is_none() && expires_at.is_none_or(|at| at > now),
    })
}

pub struct NewKey<'a> {
    pub name: &'a str,
    pub role: Role,
    pub key_hash: &'a [u8],
    pub key_prefix: &'a str,
    pub created_by: i64,
    pub expires_at: Option<DateTime<Utc>>,
}

pub fn insert(tx: &Transaction, key: &NewKey, now: DateTime<Utc>) -> Result<ApiKey> {
    tx.execute_cached(
        "INSERT INTO api_keys (name, role, key_hash, key_prefix, created_by, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            key.name,
            key.role.as_str(),
            key.key_hash,
            key.key_prefix,
            key.created_by,
            to_millis(now),
            key.expires_at.map(to_millis)
        ],
    )?;
    by_id(tx, tx.last_insert_rowid(), now)?.ok_or_else(|| crate::kit::error::Error::internal("inserted key vanished"))
}

pub fn by_id(conn: &Connection, id: i64, now: DateTime<Utc>) -> Result<Option<ApiKey>> {
    Ok(conn
        .query_row_cached(&format!("SELECT {COLUMNS} FROM api_keys WHERE id = ?1"), [id], |r| read(r, now))
        .optional()?)
}

/// Active keys first, newest first.
pub fn list(conn: &Connection, now: DateTime<Utc>, limit: i64, offset: i64) -> Result<(Vec<ApiKey>, i64)> {
    let total: i64 = conn.query_row_cached("SELECT count(*) FROM api_keys", [], |r| r.get(0))?;
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM api_keys ORDER BY revoked_at IS NOT NULL, id DESC LIMIT ?1 OFFSET ?2"
    ))?;
    let rows = stmt.query_map(params![limit, offset], |r| read(r, now))?.collect::<rusqlite::Result<_>>()?;
    Ok((rows, total))
}

/// A key by its hash, with whether its issuer is still an active account.
pub fn by_hash(conn: &Connection, key_hash: &[u8], now: DateTime<Utc>) -> Result<Option<ApiKey>> {
    Ok(conn
        .query_row_cached(&format!("SELECT {COLUMNS} FROM api_keys WHERE key_hash = ?1"), [key_hash], |r| read(r, now))
        .optional()?)
}

pub fn revoke(tx: &Transaction, id: i64, now: DateTime<Utc>) -> Result<bool> {
    let changed = tx.execute_cached(
        "UPDATE api_keys SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
        params![id, to_millis(now)],
    )?;
    if changed == 1 {
        changes::record(tx, now, ENTITY, id, ChangeOp::Update)?;
    }
    Ok(changed == 1)
}

pub fn touch(tx: &Transaction, id: i64, now: DateTime<Utc>, addr: Option<String>) -> Result<()> {
    tx.execute_cached(
        "UPDATE api_keys SET last_used_at = ?2, last_used_addr = coalesce(?3, last_used_addr) WHERE id = ?1",
        params![id, to_millis(now), addr],
    )?;
    Ok(())
}
