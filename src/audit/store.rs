use chrono::{DateTime, Utc};
use rusqlite::{Connection, Transaction, params};

use crate::audit::model::AuditEntry;
use crate::kit::context::RequestContext;
use crate::kit::error::Result;
use crate::kit::principal::Caller;
use crate::kit::sql::optional_json;
use crate::kit::time::{instant, to_millis};

/// Who acted, and from where.
pub struct Actor<'a> {
    pub id: Option<i64>,
    pub email: Option<&'a str>,
    pub context: &'a RequestContext,
}

impl<'a> From<&'a Caller> for Actor<'a> {
    fn from(caller: &'a Caller) -> Self {
        Actor { id: Some(caller.staff_id), email: Some(&caller.email), context: &caller.context }
    }
}

pub fn record(
    tx: &Transaction,
    at: DateTime<Utc>,
    actor: Actor,
    action: &str,
    entity: &str,
    entity_id: Option<i64>,
    details: Option<serde_json::Value>,
) -> Result<()> {
    tx.execute(
        "INSERT INTO audit_log (at, actor_id, actor_email, action, entity, entity_id, request_id, client_addr, details)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            to_millis(at),
            actor.id,
            actor.email,
            action,
            entity,
            entity_id,
            actor.context.request_id,
            actor.context.client_addr.map(|ip| ip.to_string()),
            details.map(|d| d.to_string()),
        ],
    )?;
    Ok(())
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
        conn.query_row(&format!("SELECT count(*) FROM audit_log WHERE {condition}"), filter_params, |r| r.get(0))?;
    let mut stmt = conn.prepare(&format!(
        "SELECT id, at, actor_id, actor_email, action, entity, entity_id, request_id, client_addr, details
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
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok((rows, total))
}
