//! SQL for authenticators, recovery codes and the MFA step of sign-ins.

use crate::kit::sql::CachedSql;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use crate::auth::model::SignInKind;
use crate::kit::error::Result;
use crate::kit::time::{instant, to_millis};

/// A staff member's authenticator.
pub struct StoredTotp {
    pub secret: String,
    pub confirmed: bool,
    pub last_step: i64,
}

pub fn totp(conn: &Connection, staff_id: i64) -> Result<Option<StoredTotp>> {
    Ok(conn
        .query_row_cached(
            "SELECT secret, confirmed_at IS NOT NULL, last_step FROM staff_totp WHERE staff_id = ?1",
            [staff_id],
            |r| Ok(StoredTotp { secret: r.get(0)?, confirmed: r.get(1)?, last_step: r.get(2)? }),
        )
        .optional()?)
}

/// Starts (or restarts) an enrolment with a new secret, not yet confirmed.
pub fn put_pending_totp(tx: &Transaction, staff_id: i64, secret: &str, now: DateTime<Utc>) -> Result<()> {
    tx.execute_cached(
        "INSERT INTO staff_totp (staff_id, secret, created_at, confirmed_at, last_step) VALUES (?1, ?2, ?3, NULL, 0)
         ON CONFLICT (staff_id) DO UPDATE SET secret = ?2, created_at = ?3, confirmed_at = NULL, last_step = 0",
        params![staff_id, secret, to_millis(now)],
    )?;
    Ok(())
}

pub fn confirm_totp(tx: &Transaction, staff_id: i64, step: i64, now: DateTime<Utc>) -> Result<()> {
    tx.execute_cached(
        "UPDATE staff_totp SET confirmed_at = ?2, last_step = ?3 WHERE staff_id = ?1",
        params![staff_id, to_millis(now), step],
    )?;
    Ok(())
}

/// Records the time step of an accepted code; `false` when that step (or a
/// later one) was accepted before, so the code must not count.
pub fn advance_step(tx: &Transaction, staff_id: i64, step: i64) -> Result<bool> {
    let changed = tx.execute_cached(
        "UPDATE staff_totp SET last_step = ?2 WHERE staff_id = ?1 AND last_step < ?2 AND confirmed_at IS NOT NULL",
        params![staff_id, step],
    )?;
    Ok(changed == 1)
}

/// Removes the authenticator and the recovery codes.
pub fn remove_mfa(tx: &Transaction, staff_id: i64) -> Result<bool> {
    let removed = tx.execute_cached("DELETE FROM staff_totp WHERE staff_id = ?1", [staff_id])?;
    tx.execute_cached("DELETE FROM recovery_codes WHERE staff_id = ?1", [staff_id])?;
    Ok(removed == 1)
}

/// Replaces the staff member's recovery codes with these hashes.
pub fn replace_recovery_codes(tx: &Transaction, staff_id: i64, hashes: &[Vec<u8>], now: DateTime<Utc>) -> Result<()> {
    tx.execute_cached("DELETE FROM recovery_codes WHERE staff_id = ?1", [staff_id])?;
    let mut insert =
        tx.prepare_cached("INSERT INTO recovery_codes (staff_id, code_hash, created_at) VALUES (?1, ?2, ?3)")?;
    for hash in hashes {
        insert.execute(params![staff_id, hash, to_millis(now)])?;
    }
    Ok(())
}

/// Spends an unused recovery code; `false` when there is none by that hash.
pub fn use_recovery_code(tx: &Transaction, staff_id: i64, hash: &[u8], now: DateTime<Utc>) -> Result<bool> {
    let changed = tx.execute_cached(
        "UPDATE recovery_codes SET used_at = ?3 WHERE staff_id = ?1 AND code_hash = ?2 AND used_at IS NULL",
        params![staff_id, hash, to_millis(now)],
    )?;
    Ok(changed == 1)
}

pub fn unused_recovery_codes(conn: &Connection, staff_id: i64) -> Result<i64> {
    Ok(conn.query_row_cached(
        "SELECT count(*) FROM recovery_codes WHERE staff_id = ?1 AND used_at IS NULL",
        [staff_id],
        |r| r.get(0),
    )?)
}

/// The MFA step of one sign-in.
pub struct Challenge {
    pub id: i64,
    pub staff_id: i64,
    pub kind: SignInKind,
    pub expires_at: DateTime<Utc>,
    pub failures: i64,
    pub used: bool,
}

pub fn insert_challenge(
    tx: &Transaction,
    token_hash: &[u8],
    staff_id: i64,
    kind: SignInKind,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<()> {
    tx.execute_cached(
        "INSERT INTO mfa_challenges (token_hash, staff_id, kind, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![token_hash, staff_id, kind.as_str(), to_millis(now), to_millis(expires_at)],
    )?;
    Ok(())
}

pub fn challenge(conn: &Connection, token_hash: &[u8]) -> Result<Option<Challenge>> {
    Ok(conn
        .query_row_cached(
            "SELECT id, staff_id, kind, expires_at, failures, used_at IS NOT NULL
             FROM mfa_challenges WHERE token_hash = ?1",
            [token_hash],
            |r| {
                Ok(Challenge {
                    id: r.get(0)?,
                    staff_id: r.get(1)?,
                    kind: r.get(2)?,
                    expires_at: instant(r, 3)?,
                    failures: r.get(4)?,
                    used: r.get(5)?,
                })
            },
        )
        .optional()?)
}

pub fn count_challenge_failure(tx: &Transaction, id: i64) -> Result<()> {
    tx.execute_cached("UPDATE mfa_challenges SET failures = failures + 1 WHERE id = ?1", [id])?;
    Ok(())
}

pub fn spend_challenge(tx: &Transaction, id: i64, now: DateTime<Utc>) -> Result<()> {
    tx.execute_cached("UPDATE mfa_challenges SET used_at = ?2 WHERE id = ?1", params![id, to_millis(now)])?;
    Ok(())
}

/// The roles the clinic requires MFA for.
pub fn required_roles(conn: &Connection) -> Result<String> {
    Ok(conn.query_row_cached("SELECT mfa_required_roles FROM security_settings WHERE id = 1", [], |r| r.get(0))?)
}
