//! Embedded, numbered migrations, each applied in its own transaction and
//! recorded with a SHA-256 checksum. A database that a newer build migrated,
//! or whose recorded migrations differ from this build's, is refused.

use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};

use crate::kit::error::{Error, Result};

pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

macro_rules! migration {
    ($version:expr, $name:literal) => {
        Migration { version: $version, name: $name, sql: include_str!(concat!("../../migrations/", $name)) }
    };
}

/// Every file in `migrations/` must be listed here; a unit test checks it.
pub const MIGRATIONS: &[Migration] = &[
    migration!(1, "0001_initial.sql"),
    migration!(2, "0002_scheduling.sql"),
    migration!(3, "0003_calendar_feeds.sql"),
    migration!(4, "0004_feed_revocation.sql"),
    migration!(5, "0005_account_security.sql"),
    migration!(6, "0006_change_log_by_entity.sql"),
    migration!(7, "0007_front_desk_rules.sql"),
    migration!(8, "0008_slot_interval.sql"),
    migration!(9, "0009_clinic_profile.sql"),
    migration!(10, "0010_patient_merges.sql"),
    migration!(11, "0011_clinical_notes.sql"),
    migration!(12, "0012_questionnaire_responses.sql"),
    migration!(13, "0013_attachments.sql"),
    migration!(14, "0014_questionnaire_assignments.sql"),
    migration!(15, "0015_programmes.sql"),
    migration!(16, "0016_notifications.sql"),
    migration!(17, "0017_message_templates.sql"),
    migration!(18, "0018_change_kinds.sql"),
    migration!(19, "0019_languages.sql"),
];

pub fn checksum(sql: &str) -> String {
    hex::encode(Sha256::digest(sql.as_bytes()))
}

fn ensure_table(conn: &Connection) -> Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            checksum TEXT NOT NULL,
            applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
        )",
    )?;
    Ok(())
}

fn applied(conn: &Connection) -> Result<Vec<(i64, String, String)>> {
    let exists: Option<String> = conn
        .query_row("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'", [], |row| {
            row.get(0)
        })
        .optional()?;
    if exists.is_none() {
        return Ok(Vec::new());
    }
    let mut stmt = conn.prepare("SELECT version, name, checksum FROM schema_migrations ORDER BY version")?;
    let rows =
        stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?.collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Checks that everything recorded as applied matches this build.
pub fn verify(conn: &Connection) -> Result<usize> {
    let recorded = applied(conn)?;
    for (version, name, sum) in &recorded {
        let Some(ours) = MIGRATIONS.iter().find(|m| m.version == *version) else {
            return Err(Error::internal(format!(
                "this database was migrated by a newer Clinicbox (migration {version} {name}); \
                 run that version or a newer one"
            )));
        };
        if checksum(ours.sql) != *sum {
            return Err(Error::internal(format!(
                "migration {version} ({name}) recorded in this database differs from this build's; \
                 refusing to open it"
            )));
        }
    }
    Ok(recorded.len())
}

/// Applies every pending migration; returns how many were applied.
pub fn apply(conn: &mut Connection) -> Result<usize> {
    verify(conn)?;
    ensure_table(conn)?;
    let done: Vec<i64> = applied(conn)?.into_iter().map(|(v, _, _)| v).collect();
    let mut count = 0;
    for migration in MIGRATIONS.iter().filter(|m| !done.contains(&m.version)) {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute_batch(migration.sql).map_err(|e| {
            Error::internal(format!("migration {} ({}) failed: {e}", migration.version, migration.name))
        })?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name, checksum) VALUES (?1, ?2, ?3)",
            params![migration.version, migration.name, checksum(migration.sql)],
        )?;
        tx.commit()?;
        count += 1;
    }
    Ok(count)
}

pub fn latest_version() -> i64 {
    MIGRATIONS.iter().map(|m| m.version).max().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_migration_file_is_registered_in_order() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.ends_with(".sql"))
            .collect();
        files.sort();
        let registered: Vec<&str> = MIGRATIONS.iter().map(|m| m.name).collect();
        assert_eq!(files, registered);
        for (index, migration) in MIGRATIONS.iter().enumerate() {
            assert_eq!(migration.version, index as i64 + 1);
            assert!(migration.name.starts_with(&format!("{:04}_", migration.version)));
        }
    }

    #[test]
    fn applies_once_and_refuses_altered_or_newer_history() {
        let mut conn = Connection::open_in_memory().unwrap();
        assert_eq!(apply(&mut conn).unwrap(), MIGRATIONS.len());
        assert_eq!(apply(&mut conn).unwrap(), 0);

        conn.execute("UPDATE schema_migrations SET checksum = 'x' WHERE version = 1", []).unwrap();
        let err = apply(&mut conn).unwrap_err().to_string();
        assert!(err.contains("differs"), "{err}");

        conn.execute("UPDATE schema_migrations SET checksum = ?1 WHERE version = 1", [checksum(MIGRATIONS[0].sql)])
            .unwrap();
        conn.execute(
            "INSERT INTO schema_migrations (version, name, checksum) VALUES (999, '0999_future.sql', 'f')",
            [],
        )
        .unwrap();
        let err = apply(&mut conn).unwrap_err().to_string();
        assert!(err.contains("newer"), "{err}");
    }
}
