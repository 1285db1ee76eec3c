//! First-run setup. While no active administrator exists, the server holds
//! a one-time token (printed at start as a setup URL) that lets one person
//! create the first admin in the browser. There is never a default account.

use std::sync::Mutex;

use crate::App;
use crate::auth::model::{SetupRequest, StaffMember};
use crate::auth::{service, store};
use crate::kit::context::RequestContext;
use crate::kit::error::{Error, ErrorCode, Result};
use crate::kit::tokens;

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
        return Err(Error::conflict(
            ErrorCode::AlreadySetUp,
            "this clinic already has an administrator; sign in instead",
        ));
    }
    if !app.setup.matches(&input.token) {
        return Err(Error::Forbidden {
            code: ErrorCode::InvalidSetupToken,
            message: "the setup link is not valid; use the one the server printed at start".into(),
        });
    }
    let admin = service::create_first_admin(app, &input.email, &input.name, input.password, context).await?;
    app.setup.set(None);
    Ok(admin)
}
