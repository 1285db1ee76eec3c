//! SQL for staff accounts and tokens.

use crate::kit::sql::CachedSql;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};

use crate::auth::model::{SignInKind, StaffMember};
use crate::db::changes::{self, ChangeOp};
use crate::kit::error::{Error, ErrorCode, ErrorDetails, FieldDetails, Result};
use crate::kit::principal::Role;
use crate::kit::sql::named_row;
use crate::kit::time::{instant, to_millis};

/// The change-log entity of a member's sign-ins ending (its id is the
/// member's): open live-event connections check their credential again.
pub const SIGN_INS_ENTITY: &str = "sign_ins";

const STAFF_COLUMNS: &str = "id, email, name, role, active, created_at, updated_at";

fn staff_from_row(row: &Row) -> rusqlite::Result<StaffMember> {
    named_row("staff", row, read_staff)
}

fn read_staff(row: &Row) -> rusqlite::Result<StaffMember> {
    Ok(StaffMember {
        id: row.get(0)?,
        email: row.get(1)?,
        name: row.get(2)?,
        role: row.get(3)?,
        active: row.get(4)?,
        created_at: instant(row, 5)?,
        updated_at: instant(row, 6)?,
    })
}

fn is_unique_violation(err: &rusqlite::Error) -> bool {
    matches!(err, rusqlite::Error::SqliteFailure(e, _) if e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE)
}

pub fn insert_staff(
    tx: &Transaction,
    email: &str,
    name: &str,
    role: Role,
    password_hash: &str,
    now: DateTime<Utc>,
) -> Result<StaffMember> {
    let at = to_millis(now);
    tx.execute_cached(
        "INSERT INTO staff (email, name, role, password_hash, active, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, 1, ?5, ?5)",
        params![email, name, role.as_str(), password_hash, at],
    )
    .map_err(|e| if is_unique_violation(&e) { email_taken() } else { e.into() })?;
    staff_by_id(tx, tx.last_insert_rowid())?.ok_or_else(|| Error::internal("inserted staff vanished"))
}

pub fn staff_by_id(conn: &Connection, id: i64) -> Result<Option<StaffMember>> {
    Ok(conn
        .query_row_cached(&format!("SELECT {STAFF_COLUMNS} FROM staff WHERE id = ?1"), [id], staff_from_row)
        .optional()?)
}

/// The account and its password hash, for sign-in.
pub fn staff_with_hash_by_email(conn: &Connection, email: &str) -> Result<Option<(StaffMember, String)>> {
    Ok(conn
        .query_row_cached(
            &format!("SELECT {STAFF_COLUMNS}, password_hash FROM staff WHERE email = ?1"),
            [email],
            |row| Ok((staff_from_row(row)?, row.get(7)?)),
        )
        .optional()?)
}

pub fn list_staff(conn: &Connection, limit: i64, offset: i64) -> Result<(Vec<StaffMember>, i64)> {
    let total: i64 = conn.query_row_cached("SELECT count(*) FROM staff", [], |r| r.get(0))?;
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {STAFF_COLUMNS} FROM staff ORDER BY active DESC, name COLLATE NOCASE, id LIMIT ?1 OFFSET ?2"
    ))?;
    let rows = stmt.query_map(params![limit, offset], staff_from_row)?.collect::<rusqlite::Result<_>>()?;
    Ok((rows, total))
}

pub fn count_active_admins(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row_cached("SELECT count(*) FROM staff WHERE role = 'admin' AND active = 1", [], |r| r.get(0))?)
}

pub struct StaffUpdate<'a> {
    pub name: Option<&'a str>,
    pub role: Option<Role>,
    pub active: Option<bool>,
    pub password_hash: Option<&'a str>,
}

pub fn update_staff(tx: &Transaction, id: i64, update: &StaffUpdate, now: DateTime<Utc>) -> Result<()> {
    tx.execute_cached(
        "UPDATE staff SET
            name = coalesce(?2, name),
            role = coalesce(?3, role),
            active = coalesce(?4, active),
            password_hash = coalesce(?5, password_hash),
            updated_at = ?6
         WHERE id = ?1",
        params![id, update.name, update.role.map(Role::as_str), update.active, update.password_hash, to_millis(now)],
    )?;
    Ok(())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    Access,
    Refresh,
    Session,
}

impl TokenKind {
    fn as_str(self) -> &'static str {
        match self {
            TokenKind::Access => "access",
            TokenKind::Refresh => "refresh",
            TokenKind::Session => "session",
        }
    }
}

pub fn insert_token(
    tx: &Transaction,
    staff_id: i64,
    kind: TokenKind,
    token_hash: &[u8],
    family: &str,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<()> {
    tx.execute_cached(
        "INSERT INTO auth_tokens (staff_id, kind, token_hash, family, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![staff_id, kind.as_str(), token_hash, family, to_millis(now), to_millis(expires_at)],
    )?;
    Ok(())
}

/// A stored token with the state of its owner and its sign-in.
pub struct TokenRecord {
    pub id: i64,
    pub staff_id: i64,
    pub staff_email: String,
    pub staff_role: Role,
    pub staff_active: bool,
    pub family: String,
    pub expires_at: DateTime<Utc>,
    pub used: bool,
    pub revoked: bool,
    /// The sign-in's row (absent for tokens issued before sign-ins were kept).
    pub sign_in: Option<SignInState>,
    /// The staff member has a confirmed authenticator.
    pub mfa_enrolled: bool,
    /// The clinic requires MFA for the staff member's role.
    pub mfa_required: bool,
}

/// What a request needs to know of the sign-in its credential belongs to.
#[derive(Clone, Copy, Debug)]
pub struct SignInState {
    pub id: i64,
    pub last_used_at: DateTime<Utc>,
    /// The absolute end, which rotating tokens cannot extend.
    pub expires_at: DateTime<Utc>,
}

pub fn find_token(conn: &Connection, kind: TokenKind, token_hash: &[u8]) -> Result<Option<TokenRecord>> {
    Ok(conn
        .query_row_cached(
            "SELECT t.id, t.staff_id, s.email, s.role, s.active, t.family, t.expires_at,
                    t.used_at IS NOT NULL, t.revoked_at IS NOT NULL,
                    g.id, g.last_used_at, g.expires_at,
                    EXISTS (SELECT 1 FROM staff_totp m WHERE m.staff_id = s.id AND m.confirmed_at IS NOT NULL),
                    EXISTS (SELECT 1 FROM security_settings x, json_each(x.mfa_required_roles) r
                            WHERE x.id = 1 AND r.value = s.role)
             FROM auth_tokens t
             JOIN staff s ON s.id = t.staff_id
             LEFT JOIN sign_ins g ON g.family = t.family
             WHERE t.token_hash = ?1 AND t.kind = ?2",
            params![token_hash, kind.as_str()],
            |row| {
                let sign_in = match row.get::<_, Option<i64>>(9)? {
                    Some(id) => {
                        Some(SignInState { id, last_used_at: instant(row, 10)?, expires_at: instant(row, 11)? })
                    }
                    None => None,
                };
                Ok(TokenRecord {
                    id: row.get(0)?,
                    staff_id: row.get(1)?,
                    staff_email: row.get(2)?,
                    staff_role: row.get(3)?,
                    staff_active: row.get(4)?,
                    family: row.get(5)?,
                    expires_at: instant(row, 6)?,
                    used: row.get(7)?,
                    revoked: row.get(8)?,
                    sign_in,
                    mfa_enrolled: row.get(12)?,
                    mfa_required: row.get(13)?,
                })
            },
        )
        .optional()?)
}

pub fn mark_token_used(tx: &Transaction, id: i64, now: DateTime<Utc>) -> Result<()> {
    tx.execute_cached("UPDATE auth_tokens SET used_at = ?2 WHERE id = ?1", params![id, to_millis(now)])?;
    Ok(())
}

pub fn revoke_family(tx: &Transaction, family: &str, now: DateTime<Utc>) -> Result<usize> {
    let staff_id: Option<i64> = tx
        .query_row_cached("SELECT staff_id FROM auth_tokens WHERE family = ?1 LIMIT 1", [family], |r| r.get(0))
        .optional()?;
    if let Some(staff_id) = staff_id {
        changes::record(tx, now, SIGN_INS_ENTITY, staff_id, ChangeOp::Update)?;
    }
    tx.execute_cached(
        "UPDATE sign_ins SET revoked_at = ?2 WHERE family = ?1 AND revoked_at IS NULL",
        params![family, to_millis(now)],
    )?;
    Ok(tx.execute_cached(
        "UPDATE auth_tokens SET revoked_at = ?2 WHERE family = ?1 AND revoked_at IS NULL",
        params![family, to_millis(now)],
    )?)
}

/// Ends every sign-in of `staff_id` except the one of family `keep`.
pub fn revoke_all_for_staff_except(tx: &Transaction, staff_id: i64, keep: &str, now: DateTime<Utc>) -> Result<usize> {
    changes::record(tx, now, SIGN_INS_ENTITY, staff_id, ChangeOp::Update)?;
    tx.execute_cached(
        "UPDATE sign_ins SET revoked_at = ?3 WHERE staff_id = ?1 AND family <> ?2 AND revoked_at IS NULL",
        params![staff_id, keep, to_millis(now)],
    )?;
    Ok(tx.execute_cached(
        "UPDATE auth_tokens SET revoked_at = ?3 WHERE staff_id = ?1 AND family <> ?2 AND revoked_at IS NULL",
        params![staff_id, keep, to_millis(now)],
    )?)
}

pub fn revoke_all_for_staff(tx: &Transaction, staff_id: i64, now: DateTime<Utc>) -> Result<usize> {
    revoke_all_for_staff_except(tx, staff_id, "", now)
}

/// A new sign-in's row.
pub struct NewSignIn<'a> {
    pub family: &'a str,
    pub staff_id: i64,
    pub kind: SignInKind,
    pub expires_at: DateTime<Utc>,
    pub context: &'a crate::kit::context::RequestContext,
}

pub fn insert_sign_in(tx: &Transaction, new: &NewSignIn, now: DateTime<Utc>) -> Result<()> {
    tx.execute_cached(
        "INSERT INTO sign_ins (family, staff_id, kind, created_at, last_used_at, expires_at, client_addr, user_agent)
         VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?6, ?7)",
        params![
            new.family,
            new.staff_id,
            new.kind.as_str(),
            to_millis(now),
            to_millis(new.expires_at),
            new.context.client_addr.map(|ip| ip.to_string()),
            new.context.user_agent,
        ],
    )?;
    Ok(())
}

/// Records that a sign-in was used now, from where.
pub fn touch_sign_in(tx: &Transaction, id: i64, now: DateTime<Utc>, client_addr: Option<String>) -> Result<()> {
    tx.execute_cached(
        "UPDATE sign_ins SET last_used_at = max(last_used_at, ?2), client_addr = coalesce(?3, client_addr) WHERE id = ?1",
        params![id, to_millis(now), client_addr],
    )?;
    Ok(())
}

/// A sign-in as the sessions list shows it.
pub struct SignInRow {
    pub id: i64,
    pub family: String,
    pub kind: SignInKind,
    pub created_at: DateTime<Utc>,
    pub last_used_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub client_addr: Option<String>,
    pub user_agent: Option<String>,
}

/// The staff member's sign-ins still in force at `now`, newest use first:
/// not revoked, not past their end, and, for browsers, used within `idle`.
pub fn live_sign_ins(
    conn: &Connection,
    staff_id: i64,
    now: DateTime<Utc>,
    idle: chrono::Duration,
    limit: i64,
    offset: i64,
) -> Result<(Vec<SignInRow>, i64)> {
    let condition = "staff_id = ?1 AND revoked_at IS NULL AND expires_at > ?2
                     AND (kind = 'tokens' OR last_used_at > ?3)";
    let (at, idle_cutoff) = (to_millis(now), to_millis(now - idle));
    let total: i64 = conn.query_row_cached(
        &format!("SELECT count(*) FROM sign_ins WHERE {condition}"),
        params![staff_id, at, idle_cutoff],
        |r| r.get(0),
    )?;
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT id, family, kind, created_at, last_used_at, expires_at, client_addr, user_agent
         FROM sign_ins WHERE {condition} ORDER BY last_used_at DESC, id DESC LIMIT ?4 OFFSET ?5"
    ))?;
    let rows = stmt
        .query_map(params![staff_id, at, idle_cutoff, limit, offset], |row| {
            Ok(SignInRow {
                id: row.get(0)?,
                family: row.get(1)?,
                kind: row.get(2)?,
                created_at: instant(row, 3)?,
                last_used_at: instant(row, 4)?,
                expires_at: instant(row, 5)?,
                client_addr: row.get(6)?,
                user_agent: row.get(7)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok((rows, total))
}

/// The family of the staff member's sign-in `id`, if it is theirs.
pub fn sign_in_family(conn: &Connection, staff_id: i64, id: i64) -> Result<Option<String>> {
    Ok(conn
        .query_row_cached(
            "SELECT family FROM sign_ins WHERE id = ?1 AND staff_id = ?2 AND revoked_at IS NULL",
            params![id, staff_id],
            |r| r.get(0),
        )
        .optional()?)
}

/// The password hash of an account, to confirm a sensitive change.
pub fn password_hash(conn: &Connection, staff_id: i64) -> Result<Option<String>> {
    Ok(conn.query_row_cached("SELECT password_hash FROM staff WHERE id = ?1", [staff_id], |r| r.get(0)).optional()?)
}

pub fn update_email(tx: &Transaction, staff_id: i64, email: &str, now: DateTime<Utc>) -> Result<()> {
    tx.execute_cached(
        "UPDATE staff SET email = ?2, updated_at = ?3 WHERE id = ?1",
        params![staff_id, email, to_millis(now)],
    )
    .map_err(|e| if is_unique_violation(&e) { email_taken() } else { e.into() })?;
    Ok(())
}

fn email_taken() -> Error {
    Error::Conflict {
        code: ErrorCode::EmailTaken,
        message: "a staff account with this email already exists".into(),
        details: Some(ErrorDetails::Fields(FieldDetails {
            fields: [("email".to_owned(), "already in use".to_owned())].into(),
        })),
    }
}

/// Removes tokens that expired more than a day ago; they can never work again.
pub fn purge_expired_tokens(tx: &Transaction, now: DateTime<Utc>) -> Result<usize> {
    let cutoff = to_millis(now - chrono::Duration::days(1));
    tx.execute_cached("DELETE FROM mfa_challenges WHERE expires_at < ?1", [cutoff])?;
    Ok(tx.execute_cached("DELETE FROM auth_tokens WHERE expires_at < ?1", [cutoff])?)
}

/// Staff in id order after `after_id`, for rebuilding derived data.
pub fn staff_page_after(conn: &Connection, after_id: i64, limit: i64) -> Result<Vec<StaffMember>> {
    let mut stmt =
        conn.prepare_cached(&format!("SELECT {STAFF_COLUMNS} FROM staff WHERE id > ?1 ORDER BY id LIMIT ?2"))?;
    let rows = stmt.query_map(params![after_id, limit], staff_from_row)?.collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

pub fn count_staff(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row_cached("SELECT count(*) FROM staff", [], |r| r.get(0))?)
}

/// Whether the staff member has MFA on, and whether their role requires it.
pub fn mfa_status(conn: &Connection, staff_id: i64) -> Result<(bool, bool)> {
    Ok(conn.query_row_cached(
        "SELECT EXISTS (SELECT 1 FROM staff_totp m WHERE m.staff_id = s.id AND m.confirmed_at IS NOT NULL),
                EXISTS (SELECT 1 FROM security_settings x, json_each(x.mfa_required_roles) r
                        WHERE x.id = 1 AND r.value = s.role)
         FROM staff s WHERE s.id = ?1",
        [staff_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?)
}
