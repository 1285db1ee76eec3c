//! Strict reads of stored values: an enum, a zone or a list that does not
//! parse is an error naming its table, row and column, never a default.

use rusqlite::types::{FromSqlError, Type};
use rusqlite::{Connection, Error, Params, Row};

/// Statements each connection keeps compiled. Under booking load, compiling
/// SQL was a third of the writer's time (measured with `perf` on
/// `benches/load`): a statement is compiled once per connection and reused.
pub const STATEMENT_CACHE: usize = 96;

/// `execute` and `query_row` through the connection's statement cache.
pub trait CachedSql {
    fn execute_cached<P: Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize>;
    fn query_row_cached<T, P: Params, F: FnOnce(&Row<'_>) -> rusqlite::Result<T>>(
        &self,
        sql: &str,
        params: P,
        read: F,
    ) -> rusqlite::Result<T>;
}

impl CachedSql for Connection {
    fn execute_cached<P: Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize> {
        self.prepare_cached(sql)?.execute(params)
    }

    fn query_row_cached<T, P: Params, F: FnOnce(&Row<'_>) -> rusqlite::Result<T>>(
        &self,
        sql: &str,
        params: P,
        read: F,
    ) -> rusqlite::Result<T> {
        self.prepare_cached(sql)?.query_row(params, read)
    }
}

/// A conversion failure of column `idx`, with what was wrong.
pub fn bad_column(idx: usize, ty: Type, problem: String) -> Error {
    Error::FromSqlConversionFailure(idx, ty, problem.into())
}

/// Runs `read` on `row`; a value that does not convert is reported with
/// `table`, the row's id (column 0) and the column's name.
pub fn named_row<T>(table: &str, row: &Row, read: impl FnOnce(&Row) -> rusqlite::Result<T>) -> rusqlite::Result<T> {
    read(row).map_err(|err| match err {
        Error::FromSqlConversionFailure(idx, ty, problem) => {
            let id = row.get::<_, i64>(0).map(|id| id.to_string()).unwrap_or_else(|_| "?".into());
            let column = row.as_ref().column_name(idx).unwrap_or("?").to_owned();
            bad_column(idx, ty, format!("{table} row {id}, column {column}: {problem}"))
        }
        Error::InvalidColumnType(idx, name, ty) => {
            let id = row.get::<_, i64>(0).map(|id| id.to_string()).unwrap_or_else(|_| "?".into());
            bad_column(idx, ty, format!("{table} row {id}, column {name}: unexpected {ty}"))
        }
        other => other,
    })
}

/// Runs `sql`, which selects `(owner_id, linked_id)` pairs ordered by both,
/// and groups the linked ids by owner: one query for a whole list's links.
pub fn linked_ids(
    conn: &rusqlite::Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> rusqlite::Result<std::collections::HashMap<i64, Vec<i64>>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let mut links: std::collections::HashMap<i64, Vec<i64>> = std::collections::HashMap::new();
    for pair in stmt.query_map(params, |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))? {
        let (owner, linked) = pair?;
        links.entry(owner).or_default().push(linked);
    }
    Ok(links)
}

/// Column `idx` as a JSON list of strings.
pub fn json_list(row: &Row, idx: usize) -> rusqlite::Result<Vec<String>> {
    let text: String = row.get(idx)?;
    serde_json::from_str(&text).map_err(|_| bad_column(idx, Type::Text, format!("{text:?} is not a JSON list of text")))
}

/// Column `idx` as optional JSON (details of an audit or history row).
pub fn optional_json(row: &Row, idx: usize) -> rusqlite::Result<Option<serde_json::Value>> {
    let Some(text) = row.get::<_, Option<String>>(idx)? else { return Ok(None) };
    serde_json::from_str(&text).map(Some).map_err(|_| bad_column(idx, Type::Text, format!("{text:?} is not JSON")))
}

/// Gives an enum its one text form, written once: `as_str` (as stored and
/// as the API writes it), `parse`, and the strict SQL conversions.
macro_rules! text_enum {
    ($ty:ident { $($variant:ident => $name:literal),* $(,)? }) => {
        impl $ty {
            /// The value as stored and as the API writes it.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $name,)*
                }
            }
            /// The value `text` names, if any.
            pub fn parse(text: &str) -> Option<Self> {
                match text {
                    $($name => Some($ty::$variant),)*
                    _ => None,
                }
            }
        }
        $crate::kit::sql::text_enum_sql!($ty);
    };
}
pub(crate) use text_enum;

/// Implements `ToSql`/`FromSql` for an enum stored as its `as_str` text,
/// parsed back with `parse`; an unknown stored value is a conversion error.
macro_rules! text_enum_sql {
    ($ty:ty) => {
        impl rusqlite::types::ToSql for $ty {
            fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
                Ok(rusqlite::types::ToSqlOutput::from(self.as_str()))
            }
        }
        impl rusqlite::types::FromSql for $ty {
            fn column_result(value: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
                let text = value.as_str()?;
                <$ty>::parse(text).ok_or_else(|| $crate::kit::sql::unknown_value(stringify!($ty), text))
            }
        }
    };
}
pub(crate) use text_enum_sql;

pub fn unknown_value(type_name: &str, text: &str) -> FromSqlError {
    FromSqlError::Other(format!("{text:?} is not a known {type_name}").into())
}
