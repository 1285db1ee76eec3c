use crate::kit::sql::CachedSql;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use crate::audit::chain::{self, ChainRow};

use crate::audit::model::AuditEntry;
use crate::kit::context::RequestContext;
use crate::kit::error::Result;
use crate::kit::principal::Caller;
use crate::kit::sql::optional_json;
use crate::kit::time::{instant, to_millis};

/// Who acted, and from where.
#[derive(Clone, Copy)]
pub struct Actor<'a> {
    /// The staff member; `None` for an API key or someone not signed in.
    pub id: Option<i64>,
    /// The staff member's email, or the API key's `api-key:<name>`.
    pub email: Option<&'a str>,
    pub api_key_id: Option<i64>,
    pub context: &'a RequestContext,
}

impl<'a> From<&'a Caller> for Actor<'a> {
    fn from(caller: &'a Caller) -> Self {
        Actor {
            id: caller.staff_id,
            email: Some(&caller.email),
            api_key_id: caller.api_key_id,
            context: &caller.context,
        }
    }
}

/// Appends an audit row, chained to the row before it (see `chain`).
pub fn record(
    tx: &Transaction,
    at: DateTime<Utc>,
    actor: Actor,
    action: &str,
    entity: &str,
    entity_id: Option<i64>,
    details: Option<serde_json::Value>,
) -> Result<()> {
    let (last_id, previous): (i64, Option<Vec<u8>>) = tx
        .query_row_cached("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .unwrap_or((0, None));
    let row = ChainRow {
        id: last_id + 1,
        at: to_millis(at),
        actor_id: actor.id,
        actor_email: actor.email.map(str::to_owned),
        api_key_id: actor.api_key_id,
        action: action.to_owned(),
        entity: entity.to_owned(),
        entity_id,
        request_id: Some(actor.context.request_id.clone()),
        client_addr: actor.context.client_addr.map(|ip| ip.to_string()),
        details: details.map(|d| d.to_string()),
    };
    let hash = chain::row_hash(previous.as_deref().unwrap_or_default(), &row);
    tx.execute_cached(
        "INSERT INTO audit_log (id, at, actor_id, actor_email, action, entity, entity_id, request_id, client_addr,
                                details, api_key_id, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        params![
            row.id,
            row.at,
            row.actor_id,
            row.actor_email,
            row.action,
            row.entity,
            row.entity_id,
            row.request_id,
            row.client_addr,
            row.details,
            row.api_key_id,
            hash,
        ],
    )?;
    Ok(())
}

/// The audit rows in id order after `after_id`, as the chain hashes them,
/// with their stored hash.
pub fn chain_page(conn: &Connection, after_id: i64, limit: i64) -> Result<Vec<(ChainRow, Option<Vec<u8>>)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, at, actor_id, actor_email, api_key_id, action, entity, entity_id, request_id, client_addr,
                details, hash
         FROM audit_log WHERE id > ?1 ORDER BY id LIMIT ?2",
    )?;
    let rows = stmt
        .query_map(params![after_id, limit], |r| {
            Ok((
                ChainRow {
                    id: r.get(0)?,
                    at: r.get(1)?,
                    actor_id: r.get(2)?,
                    actor_email: r.get(3)?,
                    api_key_id: r.get(4)?,
                    action: r.get(5)?,
                    entity: r.get(6)?,
                    entity_id: r.get(7)?,
                    request_id: r.get(8)?,
                    client_addr: r.get(9)?,
                    details: r.get(10)?,
                },
                r.get(11)?,
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

#[derive(Default)]
pub struct AuditFilter {
    pub entity: Option<String>,
    pub entity_id: Option<i64>,
    pub actor_id: Option<i64>,
}

/// Newest first.
pub fn list(conn: &Connection, filter: &AuditFilter, limit: i64, offset: i64) -> Result<(Vec<AuditEntry>, i64)> {
    let condition = "(?1 IS NULL OR entity = ?1) AND (?2 IS NULL OR entity_id = ?2) AND (?3 IS NULL OR actor_id = ?3)";
    let filter_params = params![filter.entity, filter.entity_id, filter.actor_id];
    let total: i64 =
        conn.query_row_cached(&format!("SELECT count(*) FROM audit_log WHERE {condition}"), filter_params, |r| {
            r.get(0)
        })?;
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT id, at, actor_id, actor_email, action, entity, entity_id, request_id, client_addr, details, api_key_id
         FROM audit_log WHERE {condition} ORDER BY id DESC LIMIT ?4 OFFSET ?5"
    ))?;
    let rows = stmt
        .query_map(params![filter.entity, filter.entity_id, filter.actor_id, limit, offset], |row| {
            Ok(AuditEntry {
                id: row.get(0)?,
                at: instant(row, 1)?,
                actor_id: row.get(2)?,
                actor_email: row.get(3)?,
                action: row.get(4)?,
                entity: row.get(5)?,
                entity_id: row.get(6)?,
                request_id: row.get(7)?,
                client_addr: row.get(8)?,
                details: optional_json(row, 9)?,
                api_key_id: row.get(10)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok((rows, total))
}
