//! Enrolment, checking a second factor, recovery codes and an admin's reset.
//! A code is accepted once: the time step of the last accepted code is kept
//! and only a later step counts (RFC 6238 §5.2).

use chrono::{DateTime, Utc};
use rusqlite::Transaction;
use totp_rs::{Builder, Secret, Totp};

use crate::App;
use crate::audit::{self, Actor};
use crate::auth::mfa::model::{MfaStatus, RecoveryCodes, TotpEnrolment};
use crate::auth::mfa::store;
use crate::auth::store as accounts;
use crate::kit::error::{Error, ErrorCode, Result, Validator};
use crate::kit::principal::Caller;
use crate::kit::tokens;

const ISSUER: &str = "Clinicbox";
pub const RECOVERY_CODE_COUNT: usize = 10;

/// What proves the second factor at sign-in.
pub enum SecondFactor {
    Code(String),
    RecoveryCode(String),
}

fn totp(secret_base32: &str, account: &str) -> Result<Totp> {
    let secret =
        Secret::try_from_base32(secret_base32).map_err(|_| Error::internal("a stored TOTP secret is damaged"))?;
    Builder::new()
        .with_secret(secret)
        .with_account_name(account.replace(':', "_"))
        .with_issuer(Some(ISSUER))
        .build()
        .map_err(|e| Error::internal(format!("TOTP: {e}")))
}

fn unix_seconds(now: DateTime<Utc>) -> u64 {
    u64::try_from(now.timestamp()).unwrap_or(0)
}

/// The time step `code` is valid for at `now` (one step of clock skew
/// either way), if any.
fn matching_step(secret_base32: &str, code: &str, now: DateTime<Utc>) -> Result<Option<i64>> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    let step = totp(secret_base32, "")?.check(&code, unix_seconds(now));
    Ok(step.and_then(|s| i64::try_from(s).ok()))
}

/// A recovery code as typed: case, spaces and dashes do not matter.
fn recovery_hash(code: &str) -> Vec<u8> {
    let plain: String = code.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_uppercase();
    tokens::hash(&format!("recovery:{plain}"))
}

/// Ten new codes of 80 random bits each, as `XXXX-XXXX-XXXX-XXXX`.
fn new_recovery_codes() -> Result<Vec<String>> {
    (0..RECOVERY_CODE_COUNT)
        .map(|_| {
            let mut bytes = [0u8; 10];
            getrandom::fill(&mut bytes).map_err(|e| Error::internal(format!("random source: {e}")))?;
            let text = Secret::from(bytes.to_vec()).to_base32();
            let groups: Vec<&str> = [&text[0..4], &text[4..8], &text[8..12], &text[12..16]].to_vec();
            Ok(groups.join("-"))
        })
        .collect()
}

fn qr_svg(uri: &str) -> Result<String> {
    let code = qrcode::QrCode::new(uri.as_bytes()).map_err(|e| Error::internal(format!("QR code: {e}")))?;
    Ok(code.render::<qrcode::render::svg::Color>().min_dimensions(200, 200).quiet_zone(true).build())
}

pub async fn status(app: &App, caller: &Caller) -> Result<MfaStatus> {
    let staff_id = caller.person()?;
    app.db
        .read(move |conn| {
            let (enabled, required) = accounts::mfa_status(conn, staff_id)?;
            Ok(MfaStatus { enabled, required, recovery_codes_left: store::unused_recovery_codes(conn, staff_id)? })
        })
        .await
}

/// Starts an enrolment with a new secret. Starting again replaces the
/// pending secret; with MFA already on it is refused.
pub async fn start_enrolment(app: &App, caller: &Caller) -> Result<TotpEnrolment> {
    let staff_id = caller.person()?;
    let mut bytes = [0u8; 20];
    getrandom::fill(&mut bytes).map_err(|e| Error::internal(format!("random source: {e}")))?;
    let secret = Secret::from(bytes.to_vec()).to_base32();
    let uri = totp(&secret, &caller.email)?.to_url().map_err(|e| Error::internal(format!("TOTP: {e}")))?;
    let now = app.clock.now();
    let (stored, caller) = (secret.clone(), caller.clone());
    app.db
        .write(move |tx| {
            if store::totp(tx, staff_id)?.is_some_and(|t| t.confirmed) {
                return Err(Error::conflict(ErrorCode::MfaAlreadyEnabled, "two-factor sign-in is already on"));
            }
            store::put_pending_totp(tx, staff_id, &stored, now)?;
            audit::record(tx, now, Actor::from(&caller), "auth.mfa_enrolment_start", "staff", Some(staff_id), None)
        })
        .await?;
    Ok(TotpEnrolment { qr_svg: qr_svg(&uri)?, secret, otpauth_uri: uri })
}

fn wrong_code() -> Error {
    let mut v = Validator::new();
    v.add("code", "is not the code the authenticator shows now");
    v.finish().err().unwrap_or_else(|| Error::internal("validator lost its field"))
}

/// Turns MFA on with the first code from the app; answers the recovery codes.
pub async fn confirm_enrolment(app: &App, caller: &Caller, code: &str) -> Result<RecoveryCodes> {
    let staff_id = caller.person()?;
    let codes = new_recovery_codes()?;
    let hashes: Vec<Vec<u8>> = codes.iter().map(|c| recovery_hash(c)).collect();
    let now = app.clock.now();
    let (code, caller) = (code.to_owned(), caller.clone());
    app.db
        .write(move |tx| {
            let pending = match store::totp(tx, staff_id)? {
                Some(t) if t.confirmed => {
                    return Err(Error::conflict(ErrorCode::MfaAlreadyEnabled, "two-factor sign-in is already on"));
                }
                Some(t) => t,
                None => {
                    return Err(Error::conflict(ErrorCode::MfaNotEnabled, "start the enrolment first"));
                }
            };
            let Some(step) = matching_step(&pending.secret, &code, now)? else { return Err(wrong_code()) };
            store::confirm_totp(tx, staff_id, step, now)?;
            store::replace_recovery_codes(tx, staff_id, &hashes, now)?;
            audit::record(tx, now, Actor::from(&caller), "auth.mfa_enable", "staff", Some(staff_id), None)
        })
        .await?;
    Ok(RecoveryCodes { recovery_codes: codes, created_at: now })
}

/// New recovery codes (the old ones stop working), proven with a current code.
pub async fn renew_recovery_codes(app: &App, caller: &Caller, code: &str) -> Result<RecoveryCodes> {
    let staff_id = caller.person()?;
    let codes = new_recovery_codes()?;
    let hashes: Vec<Vec<u8>> = codes.iter().map(|c| recovery_hash(c)).collect();
    let now = app.clock.now();
    let (code, caller) = (code.to_owned(), caller.clone());
    app.db
        .write(move |tx| {
            if !store::totp(tx, staff_id)?.is_some_and(|t| t.confirmed) {
                return Err(Error::conflict(ErrorCode::MfaNotEnabled, "two-factor sign-in is not on"));
            }
            if !check_in(tx, staff_id, &SecondFactor::Code(code), now)? {
                return Err(wrong_code());
            }
            store::replace_recovery_codes(tx, staff_id, &hashes, now)?;
            audit::record(tx, now, Actor::from(&caller), "auth.mfa_recovery_renew", "staff", Some(staff_id), None)
        })
        .await?;
    Ok(RecoveryCodes { recovery_codes: codes, created_at: now })
}

/// Turns one's own MFA off, confirmed with the password; refused when the
/// role requires it.
pub async fn disable(app: &App, caller: &Caller, current_password: String) -> Result<()> {
    let staff_id = caller.person()?;
    crate::auth::account::confirm_password(app, caller, current_password).await?;
    let now = app.clock.now();
    let caller = caller.clone();
    app.db
        .write(move |tx| {
            let (enabled, required) = accounts::mfa_status(tx, staff_id)?;
            if required {
                return Err(Error::conflict(
                    ErrorCode::MfaRequired,
                    "the clinic requires two-factor sign-in for your role",
                ));
            }
            if !enabled && store::totp(tx, staff_id)?.is_none() {
                return Err(Error::conflict(ErrorCode::MfaNotEnabled, "two-factor sign-in is not on"));
            }
            store::remove_mfa(tx, staff_id)?;
            audit::record(tx, now, Actor::from(&caller), "auth.mfa_disable", "staff", Some(staff_id), None)
        })
        .await
}

/// An administrator removes someone's authenticator and recovery codes
/// (a lost phone); they enrol again at will, or at their next sign-in
/// when their role requires it.
pub async fn reset(app: &App, caller: &Caller, staff_id: i64) -> Result<()> {
    let now = app.clock.now();
    let caller = caller.clone();
    app.db
        .write(move |tx| {
            accounts::staff_by_id(tx, staff_id)?.ok_or(Error::NotFound { entity: "staff member" })?;
            if !store::remove_mfa(tx, staff_id)? {
                return Err(Error::conflict(
                    ErrorCode::MfaNotEnabled,
                    "this person has no two-factor sign-in to reset",
                ));
            }
            audit::record(tx, now, Actor::from(&caller), "staff.mfa_reset", "staff", Some(staff_id), None)
        })
        .await
}

/// Checks a second factor inside the writer's transaction, spending it: a
/// TOTP step or a recovery code counts once.
pub fn check_in(tx: &Transaction, staff_id: i64, proof: &SecondFactor, now: DateTime<Utc>) -> Result<bool> {
    match proof {
        SecondFactor::Code(code) => {
            let Some(stored) = store::totp(tx, staff_id)?.filter(|t| t.confirmed) else { return Ok(false) };
            match matching_step(&stored.secret, code, now)? {
                Some(step) if step > stored.last_step => store::advance_step(tx, staff_id, step),
                _ => Ok(false),
            }
        }
        SecondFactor::RecoveryCode(code) => store::use_recovery_code(tx, staff_id, &recovery_hash(code), now),
    }
}

/// The current code of a base32 secret, for tests and the command line.
pub fn current_code(secret_base32: &str, now: DateTime<Utc>) -> Result<String> {
    Ok(totp(secret_base32, "")?.generate(unix_seconds(now)).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_matches_its_own_step_and_its_neighbours_only() {
        let secret = Secret::from([7u8; 20].to_vec()).to_base32();
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let code = current_code(&secret, now).unwrap();
        let step = 1_800_000_000 / 30;
        assert_eq!(matching_step(&secret, &code, now).unwrap(), Some(step));
        assert_eq!(matching_step(&secret, &code, now + chrono::Duration::seconds(30)).unwrap(), Some(step));
        assert_eq!(matching_step(&secret, &code, now + chrono::Duration::seconds(90)).unwrap(), None);
        assert_eq!(matching_step(&secret, "12345", now).unwrap(), None);
        assert_eq!(matching_step(&secret, "abcdef", now).unwrap(), None);
    }

    #[test]
    fn recovery_codes_are_long_distinct_and_read_loosely() {
        let codes = new_recovery_codes().unwrap();
        assert_eq!(codes.len(), RECOVERY_CODE_COUNT);
        assert_eq!(codes[0].len(), 19);
        assert_ne!(codes[0], codes[1]);
        assert_eq!(recovery_hash(&codes[0]), recovery_hash(&codes[0].to_lowercase().replace('-', " ")));
    }
}
