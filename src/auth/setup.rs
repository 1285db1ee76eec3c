//! First-run setup. While no active administrator exists, the server holds
//! a one-time token (printed at start as a setup URL) that lets one person
//! create the first admin in the browser. There is never a default account.

use std::sync::Mutex;

use crate::App;
use crate::audit::{self, Actor};
use crate::auth::model::{Role, SetupRequest, StaffMember};
use crate::auth::service::{normalise_email, validate_new_account};
use crate::auth::{password, store, tokens};
use crate::error::{Error, Result, Validator};
use crate::http::context::RequestContext;

#[derive(Default)]
pub struct SetupGate {
    token_hash: Mutex<Option<Vec<u8>>>,
}

impl SetupGate {
    fn set(&self, hash: Option<Vec<u8>>) {
        *self.token_hash.lock().unwrap_or_else(|e| e.into_inner()) = hash;
    }
    fn matches(&self, token: &str) -> bool {
        let stored = self.token_hash.lock().unwrap_or_else(|e| e.into_inner());
        stored.as_deref().is_some_and(|hash| hash == tokens::hash(token).as_slice())
    }
}

pub async fn needs_setup(app: &App) -> Result<bool> {
    Ok(app.db.read(store::count_active_admins).await? == 0)
}

/// Creates a fresh setup token when no admin exists; returns it for printing.
pub async fn open_if_needed(app: &App) -> Result<Option<String>> {
    if !needs_setup(app).await? {
        app.setup.set(None);
        return Ok(None);
    }
    let token = tokens::generate("")?;
    app.setup.set(Some(tokens::hash(&token)));
    Ok(Some(token))
}

pub async fn complete(app: &App, input: SetupRequest, context: RequestContext) -> Result<StaffMember> {
    if !needs_setup(app).await? {
        return Err(Error::conflict("ALREADY_SET_UP", "this clinic already has an administrator; sign in instead"));
    }
    if !app.setup.matches(&input.token) {
        return Err(Error::Forbidden {
            code: "INVALID_SETUP_TOKEN",
            message: "the setup link is not valid; use the one the server printed at start".into(),
        });
    }
    let mut v = Validator::new();
    validate_new_account(&mut v, &input.email, &input.name, &input.password);
    v.finish()?;
    let hash = password::hash(input.password).await?;
    let now = app.clock.now();
    let (email, name) = (normalise_email(&input.email), input.name.trim().to_owned());
    let admin = app
        .db
        .write(move |tx| {
            // Checked again inside the transaction: two tabs racing on the
            // setup page must not both create an admin.
            if store::count_active_admins(tx)? > 0 {
                return Err(Error::conflict("ALREADY_SET_UP", "this clinic already has an administrator"));
            }
            let admin = store::insert_staff(tx, &email, &name, Role::Admin, &hash, now)?;
            let actor = Actor { id: Some(admin.id), email: Some(&admin.email), context: &context };
            audit::record(tx, now, actor, "setup.complete", "staff", Some(admin.id), None)?;
            crate::db::changes::record(tx, now, "staff", admin.id, crate::db::changes::ChangeOp::Create)?;
            Ok(admin)
        })
        .await?;
    app.setup.set(None);
    Ok(admin)
}
