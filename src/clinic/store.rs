use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use crate::kit::error::Result;
use crate::kit::sql::CachedSql;
use crate::kit::time::{optional_instant, to_millis};

/// The stored profile; `phone_region` is `None` until one is chosen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredProfile {
    pub name: String,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub tax_number: Option<String>,
    pub currency: String,
    pub phone_region: Option<String>,
    pub logo_sha256: Option<String>,
    pub updated_at: Option<DateTime<Utc>>,
}

pub fn profile(conn: &Connection) -> Result<StoredProfile> {
    Ok(conn.query_row_cached(
        "SELECT name, address, phone, email, tax_number, currency, phone_region, logo_sha256, updated_at
         FROM clinic_profile WHERE id = 1",
        [],
        |row| {
            Ok(StoredProfile {
                name: row.get(0)?,
                address: row.get(1)?,
                phone: row.get(2)?,
                email: row.get(3)?,
                tax_number: row.get(4)?,
                currency: row.get(5)?,
                phone_region: row.get(6)?,
                logo_sha256: row.get(7)?,
                updated_at: optional_instant(row, 8)?,
            })
        },
    )?)
}

pub fn save_profile(conn: &Connection, p: &StoredProfile, now: DateTime<Utc>) -> Result<()> {
    conn.execute_cached(
        "UPDATE clinic_profile SET name = ?1, address = ?2, phone = ?3, email = ?4, tax_number = ?5,
         currency = ?6, phone_region = ?7, updated_at = ?8 WHERE id = 1",
        params![p.name, p.address, p.phone, p.email, p.tax_number, p.currency, p.phone_region, to_millis(now)],
    )?;
    Ok(())
}

/// The logo's bytes and type, if there is one.
pub fn logo(conn: &Connection) -> Result<Option<(Vec<u8>, String, String)>> {
    Ok(conn
        .query_row_cached(
            "SELECT logo, logo_type, logo_sha256 FROM clinic_profile WHERE id = 1 AND logo IS NOT NULL",
            [],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .optional()?)
}

pub fn set_logo(conn: &Connection, logo: Option<(&[u8], &str, &str)>, now: DateTime<Utc>) -> Result<()> {
    let (bytes, kind, sha) = match logo {
        Some((bytes, kind, sha)) => (Some(bytes), Some(kind), Some(sha)),
        None => (None, None, None),
    };
    conn.execute_cached(
        "UPDATE clinic_profile SET logo = ?1, logo_type = ?2, logo_sha256 = ?3, updated_at = ?4 WHERE id = 1",
        params![bytes, kind, sha, to_millis(now)],
    )?;
    Ok(())
}
