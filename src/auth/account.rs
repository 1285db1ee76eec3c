//! One's own account: name, email, password, and the list of one's
//! sign-ins. Each change is the person's own and is audited.

use chrono::Duration;

use crate::App;
use crate::audit::{self, Actor};
use crate::auth::model::{AccountPatch, Me, MfaState, PasswordChange, SignInSummary};
use crate::auth::password;
use crate::auth::service::{normalise_email, validate_email, validate_name};
use crate::auth::store;
use crate::auth::throttle::Source;
use crate::db::changes::{self, ChangeOp};
use crate::http::pagination::Page;
use crate::kit::error::{Error, Result, Validator};
use crate::kit::principal::Caller;

/// The account with what it may do and its MFA state.
pub async fn me(app: &App, staff_id: i64) -> Result<Me> {
    app.db
        .read(move |conn| {
            let user = store::staff_by_id(conn, staff_id)?.ok_or(Error::NotFound { entity: "staff member" })?;
            let (enabled, required) = store::mfa_status(conn, staff_id)?;
            Ok(Me::of(user, MfaState { enabled, required }))
        })
        .await
}

/// Checks the account's password before a sensitive change. Wrong answers
/// count in the sign-in throttle like wrong passwords at sign-in, so a
/// borrowed session cannot be used to guess the password quickly.
pub async fn confirm_password(app: &App, caller: &Caller, secret: String) -> Result<()> {
    let staff_id = caller.person()?;
    let found = app
        .db
        .read(move |conn| Ok((store::staff_by_id(conn, staff_id)?, store::password_hash(conn, staff_id)?)))
        .await?;
    let (Some(account), hash) = found else { return Err(Error::NotFound { entity: "staff member" }) };
    let source = Source { address: caller.context.client_addr, device: None };
    if let Err(retry_after_secs) = app.throttle.check(&account.email, source) {
        return Err(Error::TooManyRequests { retry_after_secs });
    }
    if password::verify(secret, hash).await? {
        return Ok(());
    }
    app.throttle.record_failure(&account.email, source);
    let mut v = Validator::new();
    v.add("current_password", "is not your current password");
    v.finish()
}

pub async fn update_me(app: &App, caller: &Caller, patch: AccountPatch) -> Result<Me> {
    let staff_id = caller.person()?;
    let mut v = Validator::new();
    if let Some(name) = &patch.name {
        validate_name(&mut v, name);
    }
    let email = patch.email.as_deref().map(normalise_email);
    if let Some(email) = &email {
        validate_email(&mut v, email);
        if patch.current_password.is_none() {
            v.add("current_password", "is required to change the email");
        }
    }
    v.finish()?;
    if let (Some(_), Some(secret)) = (&email, patch.current_password) {
        confirm_password(app, caller, secret).await?;
    }
    let now = app.clock.now();
    let caller = caller.clone();
    let name = patch.name.map(|n| n.trim().to_owned());
    app.db
        .write(move |tx| {
            let update = store::StaffUpdate { name: name.as_deref(), role: None, active: None, password_hash: None };
            store::update_staff(tx, staff_id, &update, now)?;
            if let Some(email) = &email {
                store::update_email(tx, staff_id, email, now)?;
            }
            let mut fields = Vec::new();
            if name.is_some() {
                fields.push("name");
            }
            if email.is_some() {
                fields.push("email");
            }
            let details = serde_json::json!({ "fields": fields });
            audit::record(
                tx,
                now,
                Actor::from(&caller),
                "auth.account_update",
                "staff",
                Some(staff_id),
                Some(details),
            )?;
            changes::record(tx, now, "staff", staff_id, ChangeOp::Update)
        })
        .await?;
    me(app, staff_id).await
}

/// Sets a new password after checking the current one, and ends every
/// other sign-in of the account: whoever else had it is out.
pub async fn change_password(app: &App, caller: &Caller, change: PasswordChange) -> Result<()> {
    let staff_id = caller.person()?;
    let account = me(app, staff_id).await?.user;
    let mut v = Validator::new();
    if let Some(problem) = password::check_policy(&change.new_password, &[&account.email, &account.name]) {
        v.add("new_password", problem);
    }
    v.finish()?;
    confirm_password(app, caller, change.current_password).await?;
    let hash = password::hash(change.new_password).await?;
    let now = app.clock.now();
    let caller = caller.clone();
    app.db
        .write(move |tx| {
            let update = store::StaffUpdate { name: None, role: None, active: None, password_hash: Some(&hash) };
            store::update_staff(tx, staff_id, &update, now)?;
            let ended = store::revoke_all_for_staff_except(tx, staff_id, &caller.token_family, now)?;
            let details = serde_json::json!({ "other_tokens_revoked": ended });
            audit::record(tx, now, Actor::from(&caller), "auth.password_change", "staff", Some(staff_id), Some(details))
        })
        .await
}

/// The caller's sign-ins still in force, most recently used first.
pub async fn list_sessions(app: &App, caller: &Caller, page: Page) -> Result<(Vec<SignInSummary>, i64)> {
    let staff_id = caller.person()?;
    let now = app.clock.now();
    let idle = Duration::minutes(app.config.session_idle_minutes);
    let current = caller.token_family.clone();
    let (rows, total) =
        app.db.read(move |conn| store::live_sign_ins(conn, staff_id, now, idle, page.limit(), page.offset())).await?;
    let summaries = rows
        .into_iter()
        .map(|row| SignInSummary {
            id: row.id,
            kind: row.kind,
            current: row.family == current,
            created_at: row.created_at,
            last_used_at: row.last_used_at,
            expires_at: row.expires_at,
            client_addr: row.client_addr,
            user_agent: row.user_agent,
        })
        .collect();
    Ok((summaries, total))
}

/// Ends one of the caller's sign-ins (all its tokens); another person's
/// sign-in is not found.
pub async fn end_session(app: &App, caller: &Caller, id: i64) -> Result<()> {
    let staff_id = caller.person()?;
    let now = app.clock.now();
    let caller = caller.clone();
    app.db
        .write(move |tx| {
            let family = store::sign_in_family(tx, staff_id, id)?.ok_or(Error::NotFound { entity: "session" })?;
            store::revoke_family(tx, &family, now)?;
            let details = serde_json::json!({ "session_id": id });
            audit::record(tx, now, Actor::from(&caller), "auth.session_end", "staff", Some(staff_id), Some(details))
        })
        .await
}
