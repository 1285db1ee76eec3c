//! Remembered totals of list filters. A paginated list answers an exact
//! `total`; counting a large table on every page is most of a page's cost,
//! so a filter's count is kept until the change log moves on (every write
//! to a listed record appends to it in the same transaction, so a newer
//! change log means the count may be stale, and an unchanged one that it
//! is not).

use std::collections::HashMap;
use std::sync::Mutex;

use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, params_from_iter};

use crate::kit::error::Result;

/// Past this many remembered filters, all are forgotten and counted anew.
const MAX_REMEMBERED: usize = 1_024;

#[derive(Default)]
pub struct CountCache {
    /// Filter (SQL and values) → (change log position, total).
    remembered: Mutex<HashMap<String, (i64, i64)>>,
}

impl CountCache {
    /// `SELECT count(*) …` `sql` with `values`, from memory when nothing
    /// changed since it was last counted.
    pub fn count(&self, conn: &Connection, sql: &str, values: &[Value]) -> Result<i64> {
        let key = format!("{sql}\u{0}{values:?}");
        self.remember(conn, key, || Ok(conn.query_row(sql, params_from_iter(values.iter()), |r| r.get(0))?))
    }

    /// The total `count` gives for the filter named by `key`, from memory
    /// when nothing changed since it last ran.
    pub fn remember(&self, conn: &Connection, key: String, count: impl FnOnce() -> Result<i64>) -> Result<i64> {
        let position = change_log_position(conn)?;
        if let Some((at, total)) = self.lock().get(&key)
            && *at == position
        {
            return Ok(*total);
        }
        let total = count()?;
        let mut remembered = self.lock();
        if remembered.len() >= MAX_REMEMBERED {
            remembered.clear();
        }
        remembered.insert(key, (position, total));
        Ok(total)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (i64, i64)>> {
        self.remembered.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The change log's last sequence number: it only grows (AUTOINCREMENT),
/// even when old entries are pruned. One row read.
fn change_log_position(conn: &Connection) -> Result<i64> {
    let position =
        conn.query_row("SELECT seq FROM sqlite_sequence WHERE name = 'changes'", [], |r| r.get(0)).optional()?;
    Ok(position.unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_count_is_remembered_until_the_change_log_moves() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = crate::db::open_connection(&dir.path().join("t.db"), Default::default()).unwrap();
        crate::db::migrations::apply(&mut conn).unwrap();
        let cache = CountCache::default();
        let sql = "SELECT count(*) FROM changes WHERE entity = ?1";
        let entity = [Value::Text("x".into())];
        assert_eq!(cache.count(&conn, sql, &entity).unwrap(), 0);
        // A row written behind the change log's back is not seen: the count is remembered …
        conn.execute("INSERT INTO changes (at, entity, entity_id, op) VALUES (1, 'x', 1, 'create')", []).unwrap();
        conn.execute("UPDATE sqlite_sequence SET seq = 0 WHERE name = 'changes'", []).unwrap();
        assert_eq!(cache.count(&conn, sql, &entity).unwrap(), 0, "remembered");
        // … and counted again once the change log moves on.
        conn.execute("INSERT INTO changes (at, entity, entity_id, op) VALUES (1, 'x', 2, 'create')", []).unwrap();
        assert_eq!(cache.count(&conn, sql, &entity).unwrap(), 2);
        assert_eq!(cache.count(&conn, sql, &[Value::Text("y".into())]).unwrap(), 0, "each filter apart");
    }
}
