//! First-run setup. While no active administrator exists, the server holds
//! a one-time token (printed at start as a setup URL) that lets one person
//! create the first admin in the browser. There is never a default account.
//!
//! The token lasts until it is used: a restart prints the same link, so a
//! form half filled in before it still works. It is kept in the private
//! data directory (`setup-token`, 0600) in the clear, because the server
//! prints it again at each start; it is deleted once the admin exists.

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

const TOKEN_FILE: &str = "setup-token";

/// The setup token while no admin exists (the one kept from an earlier
/// start, or a new one); returns it for printing.
pub async fn open_if_needed(app: &App) -> Result<Option<String>> {
    let path = app.config.data_dir.join(TOKEN_FILE);
    if !needs_setup(app).await? {
        app.setup.set(None);
        forget(&path);
        return Ok(None);
    }
    let kept = std::fs::read_to_string(&path).ok().map(|t| t.trim().to_owned()).filter(|t| t.len() >= 32);
    let token = match kept {
        Some(token) => token,
        None => {
            let token = tokens::generate("")?;
            crate::kit::private::write_private_file(&path, token.as_bytes())
                .map_err(|e| Error::internal_from(format!("cannot write {}", path.display()), e))?;
            token
        }
    };
    app.setup.set(Some(tokens::hash(&token)));
    Ok(Some(token))
}

/// Whether `token` is the current setup link's (false once an admin exists).
pub fn is_current(app: &App, token: &str) -> bool {
    app.setup.matches(token)
}

fn forget(path: &std::path::Path) {
    if let Err(err) = std::fs::remove_file(path)
        && err.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!(error = %err, "could not remove the used setup link");
    }
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
    forget(&app.config.data_dir.join(TOKEN_FILE));
    Ok(admin)
}
