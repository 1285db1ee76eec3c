//! The clinic's security settings: which roles must use MFA, and whether
//! clinicians see every patient or only their own.

use crate::kit::sql::CachedSql;
use poem_openapi::{Enum, Object};
use rusqlite::{Connection, Transaction, params};

use crate::App;
use crate::audit::{self, Actor};
use crate::kit::error::{Error, Result};
use crate::kit::principal::{Caller, Role};
use crate::kit::time::to_millis;

/// Which patients a clinician sees.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[oai(rename_all = "snake_case")]
pub enum ClinicianScope {
    /// Every patient (shared care). The default.
    #[default]
    All,
    /// Only patients they have an appointment with, or that were shared with them.
    Own,
}

crate::kit::sql::text_enum!(ClinicianScope {
    All => "all",
    Own => "own",
});

#[derive(Object, Clone, Debug)]
#[oai(deny_unknown_fields)]
pub struct SecuritySettings {
    /// Roles whose members must use two-factor sign-in; they set it up at
    /// their next sign-in and can do nothing else until then.
    #[oai(validator(max_items = 5))]
    pub mfa_required_roles: Vec<Role>,
    pub clinician_scope: ClinicianScope,
}

pub fn read(conn: &Connection) -> Result<SecuritySettings> {
    let (roles, clinician_scope): (String, ClinicianScope) = conn.query_row_cached(
        "SELECT mfa_required_roles, clinician_scope FROM security_settings WHERE id = 1",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let names: Vec<String> =
        serde_json::from_str(&roles).map_err(|e| Error::internal(format!("stored MFA roles are damaged: {e}")))?;
    let mfa_required_roles = names
        .iter()
        .map(|name| Role::parse(name).ok_or_else(|| Error::internal(format!("stored MFA role {name:?} is unknown"))))
        .collect::<Result<_>>()?;
    Ok(SecuritySettings { mfa_required_roles, clinician_scope })
}

fn write(tx: &Transaction, settings: &SecuritySettings, now: chrono::DateTime<chrono::Utc>) -> Result<()> {
    let mut names: Vec<&str> = settings.mfa_required_roles.iter().map(|r| r.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    tx.execute_cached(
        "UPDATE security_settings SET mfa_required_roles = ?1, clinician_scope = ?2, updated_at = ?3 WHERE id = 1",
        params![serde_json::json!(names).to_string(), settings.clinician_scope.as_str(), to_millis(now)],
    )?;
    Ok(())
}

pub async fn get(app: &App) -> Result<SecuritySettings> {
    app.db.read(read).await
}

pub async fn put(app: &App, caller: &Caller, settings: SecuritySettings) -> Result<SecuritySettings> {
    let now = app.clock.now();
    let caller = caller.clone();
    app.db
        .write(move |tx| {
            let before = read(tx)?;
            write(tx, &settings, now)?;
            let after = read(tx)?;
            let details = serde_json::json!({
                "mfa_required_roles": after.mfa_required_roles.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
                "clinician_scope": after.clinician_scope.as_str(),
                "clinician_scope_before": before.clinician_scope.as_str(),
            });
            audit::record(tx, now, Actor::from(&caller), "settings.security_update", "settings", None, Some(details))?;
            Ok(after)
        })
        .await
}
