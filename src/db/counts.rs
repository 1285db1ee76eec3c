//! Remembered totals and orders of list filters. A paginated list answers
//! an exact `total`, and a deep page must skip every row before it; doing
//! either over a large table on each request is most of a page's cost. So
//! a filter's total, and its ids in order, are kept until the change log
//! shows a change to the kind of record listed: every write to a listed
//! record appends to the log in the same transaction, so an unchanged
//! position means an unchanged list.

use crate::kit::sql::CachedSql;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rusqlite::types::Value;
use rusqlite::{Connection, params_from_iter};
use sha2::{Digest, Sha256};

use crate::kit::error::Result;

/// Past this many remembered totals, all are forgotten and counted anew.
const MAX_TOTALS: usize = 1_024;
/// Orders remembered at once, and the longest one kept (ids, 8 bytes each).
const MAX_ORDERS: usize = 16;
const MAX_ORDER_LENGTH: usize = 250_000;

/// A list's ids in order, as of a change log position.
type Order = (i64, Arc<Vec<i64>>);
/// A filter, by the SHA-256 of its text: a scoped or ranked filter names
/// thousands of ids, which need not be held in memory once per entry.
type Filter = [u8; 32];

fn filter_of(text: &str) -> Filter {
    Sha256::digest(text.as_bytes()).into()
}

#[derive(Default)]
pub struct CountCache {
    /// Filter → (change log position, total).
    totals: Mutex<HashMap<Filter, (i64, i64)>>,
    /// Filter and sort → (change log position, ids in order).
    orders: Mutex<HashMap<Filter, Order>>,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl CountCache {
    /// `SELECT count(*) …` `sql` with `values`, over records of `entities`,
    /// from memory when none of them changed since it was last counted.
    pub fn count(&self, conn: &Connection, entities: &[&str], sql: &str, values: &[Value]) -> Result<i64> {
        let key = format!("{sql}\u{0}{values:?}");
        self.remember(conn, entities, key, || {
            Ok(conn.query_row_cached(sql, params_from_iter(values.iter()), |r| r.get(0))?)
        })
    }

    /// The total `count` gives for the filter named by `key`, from memory
    /// when no record of `entities` changed since it last ran.
    pub fn remember(
        &self,
        conn: &Connection,
        entities: &[&str],
        key: String,
        count: impl FnOnce() -> Result<i64>,
    ) -> Result<i64> {
        let key = filter_of(&key);
        let position = change_log_position(conn, entities)?;
        if let Some((at, total)) = lock(&self.totals).get(&key)
            && *at == position
        {
            return Ok(*total);
        }
        let total = count()?;
        let mut totals = lock(&self.totals);
        if totals.len() >= MAX_TOTALS {
            totals.clear();
        }
        totals.insert(key, (position, total));
        Ok(total)
    }

    /// The ids `SELECT id …` `sql` answers with `values`, in its order, from
    /// memory when no record of `entities` changed since it last ran.
    pub fn ordered_ids(
        &self,
        conn: &Connection,
        entities: &[&str],
        sql: &str,
        values: &[Value],
    ) -> Result<Arc<Vec<i64>>> {
        let position = change_log_position(conn, entities)?;
        let key = filter_of(&format!("{sql}\u{0}{values:?}"));
        if let Some((at, ids)) = lock(&self.orders).get(&key)
            && *at == position
        {
            return Ok(ids.clone());
        }
        let mut stmt = conn.prepare_cached(sql)?;
        let ids: Vec<i64> =
            stmt.query_map(params_from_iter(values.iter()), |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
        let ids = Arc::new(ids);
        if ids.len() <= MAX_ORDER_LENGTH {
            let mut orders = lock(&self.orders);
            if orders.len() >= MAX_ORDERS {
                orders.clear();
            }
            orders.insert(key, (position, ids.clone()));
        }
        Ok(ids)
    }
}

/// The change log's last entry about records of `entities`; 0 when none.
fn change_log_position(conn: &Connection, entities: &[&str]) -> Result<i64> {
    let mut position = 0;
    for entity in entities {
        let last: Option<i64> =
            conn.query_row_cached("SELECT max(seq) FROM changes WHERE entity = ?1", [entity], |r| r.get(0))?;
        position = position.max(last.unwrap_or(0));
    }
    Ok(position)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(conn: &Connection, entity: &str) {
        conn.execute_cached("INSERT INTO changes (at, entity, entity_id, op) VALUES (1, ?1, 1, 'create')", [entity])
            .unwrap();
    }

    #[test]
    fn a_total_and_an_order_are_remembered_until_the_listed_records_change() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = crate::db::open_connection(&dir.path().join("t.db"), Default::default()).unwrap();
        crate::db::migrations::apply(&mut conn).unwrap();
        let cache = CountCache::default();
        let count = "SELECT count(*) FROM changes WHERE entity = ?1";
        let order = "SELECT seq FROM changes WHERE entity = ?1 ORDER BY seq DESC";
        let x = [Value::Text("x".into())];
        change(&conn, "x");
        assert_eq!(cache.count(&conn, &["x"], count, &x).unwrap(), 1);
        assert_eq!(*cache.ordered_ids(&conn, &["x"], order, &x).unwrap(), vec![1]);
        // A row slipped in below the log's last x entry is not seen: both are remembered …
        conn.execute_cached("INSERT INTO changes (seq, at, entity, entity_id, op) VALUES (0, 1, 'x', 0, 'create')", [])
            .unwrap();
        // … and so they stay when another kind of record changes …
        change(&conn, "y");
        assert_eq!(cache.count(&conn, &["x"], count, &x).unwrap(), 1, "remembered");
        assert_eq!(*cache.ordered_ids(&conn, &["x"], order, &x).unwrap(), vec![1], "remembered");
        // … but a change to the listed kind is seen at once.
        change(&conn, "x");
        assert_eq!(cache.count(&conn, &["x"], count, &x).unwrap(), 3);
        assert_eq!(*cache.ordered_ids(&conn, &["x"], order, &x).unwrap(), vec![3, 1, 0]);
        assert_eq!(cache.count(&conn, &["x", "y"], count, &[Value::Text("y".into())]).unwrap(), 1, "each filter apart");
    }
}
