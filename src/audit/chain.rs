//! The audit log's hash chain. Each row stores SHA-256 over the previous
//! row's hash and its own content, so changing or removing a row outside
//! Clinicbox (the triggers stop Clinicbox itself) breaks every hash after
//! it. `clinicbox check` walks the chain and names the first row that does
//! not follow. Rows from before the chain existed have no hash; the chain
//! starts at the first row that has one.

use rusqlite::Connection;
use sha2::{Digest, Sha256};

use crate::audit::store;
use crate::kit::error::Result;

/// A row's content as the chain hashes it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ChainRow {
    pub id: i64,
    pub at: i64,
    pub actor_id: Option<i64>,
    pub actor_email: Option<String>,
    pub api_key_id: Option<i64>,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<i64>,
    pub request_id: Option<String>,
    pub client_addr: Option<String>,
    pub details: Option<String>,
}

/// SHA-256 over the previous hash and the row's fields as a JSON array
/// (fixed order; serde_json writes it the same way every time).
pub fn row_hash(previous: &[u8], row: &ChainRow) -> Vec<u8> {
    let fields = serde_json::json!([
        row.id,
        row.at,
        row.actor_id,
        row.actor_email,
        row.api_key_id,
        row.action,
        row.entity,
        row.entity_id,
        row.request_id,
        row.client_addr,
        row.details,
    ]);
    let mut hasher = Sha256::new();
    hasher.update(previous);
    hasher.update(fields.to_string().as_bytes());
    hasher.finalize().to_vec()
}

/// What walking the chain found.
#[derive(Debug, PartialEq, Eq)]
pub struct ChainReport {
    /// Rows whose hash was checked.
    pub chained_rows: i64,
    /// Rows written before the chain began.
    pub unchained_rows: i64,
    /// The first row that does not follow, and why.
    pub first_broken: Option<(i64, String)>,
}

/// Walks the whole log in id order.
pub fn verify(conn: &Connection) -> Result<ChainReport> {
    let mut report = ChainReport { chained_rows: 0, unchained_rows: 0, first_broken: None };
    let mut previous: Option<(i64, Vec<u8>)> = None;
    let mut after = 0;
    loop {
        let page = store::chain_page(conn, after, 1000)?;
        let Some(last) = page.last() else { break };
        after = last.0.id;
        for (row, stored) in page {
            let broken = |reason: String| Some((row.id, reason));
            match (&previous, stored) {
                (None, None) => report.unchained_rows += 1,
                (Some(_), None) => {
                    report.first_broken = broken("has no hash although rows before it are chained".into());
                }
                (prev, Some(stored)) => {
                    if let Some((prev_id, _)) = prev
                        && row.id != prev_id + 1
                    {
                        report.first_broken = broken(format!(
                            "follows row {prev_id}: {} row(s) before it were removed",
                            row.id - prev_id - 1
                        ));
                        return Ok(report);
                    }
                    let prev_hash = prev.as_ref().map(|(_, h)| h.as_slice()).unwrap_or_default();
                    if row_hash(prev_hash, &row) != stored {
                        report.first_broken = broken(if prev.is_none() && report.unchained_rows > 0 {
                            "was changed (its hash does not match its content)".into()
                        } else {
                            "was changed, or the row before it was (its hash does not match)".into()
                        });
                    } else {
                        report.chained_rows += 1;
                        previous = Some((row.id, stored));
                    }
                }
            }
            if report.first_broken.is_some() {
                return Ok(report);
            }
        }
    }
    Ok(report)
}
