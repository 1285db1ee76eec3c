//! Issuing, listing, revoking and authenticating API keys. A key acts with
//! its role's permissions and no person's identity: the audit log names
//! the key (`api_key_id`, `api-key:<name>`), and what only a person has
//! (an account, MFA, sign-ins) is refused to it.

use chrono::Duration;

use crate::App;
use crate::audit::{self, Actor};
use crate::auth::api_keys::model::{ApiKey, CreatedApiKey, NewApiKey};
use crate::auth::api_keys::store::{self, NewKey};
use crate::auth::service::validate_name;
use crate::http::pagination::Page;
use crate::kit::context::RequestContext;
use crate::kit::error::{Error, ErrorCode, Result, Validator};
use crate::kit::principal::Caller;
use crate::kit::time::check_range;
use crate::kit::tokens;

/// How many characters of a key the list shows.
const SHOWN_PREFIX: usize = 12;
/// A key's last use is written at most this often.
const TOUCH_EVERY_SECONDS: i64 = 60;

pub async fn create(app: &App, caller: &Caller, input: NewApiKey) -> Result<CreatedApiKey> {
    let now = app.clock.now();
    let mut v = Validator::new();
    validate_name(&mut v, &input.name);
    check_range(&mut v, "expires_at", &input.expires_at);
    if input.expires_at.is_some_and(|at| at <= now) {
        v.add("expires_at", "must be in the future");
    }
    v.finish()?;
    let key = tokens::generate(tokens::API_KEY_PREFIX)?;
    let hash = tokens::hash(&key);
    let prefix: String = key.chars().take(SHOWN_PREFIX).collect();
    let created_by = caller.person()?;
    let (name, role, expires_at, caller) = (input.name.trim().to_owned(), input.role, input.expires_at, caller.clone());
    let api_key = app
        .db
        .write(move |tx| {
            let new = NewKey { name: &name, role, key_hash: &hash, key_prefix: &prefix, created_by, expires_at };
            let api_key = store::insert(tx, &new, now)?;
            let details = serde_json::json!({ "role": role.as_str(), "name": name });
            audit::record(tx, now, Actor::from(&caller), "api_key.create", "api_key", Some(api_key.id), Some(details))?;
            Ok(api_key)
        })
        .await?;
    Ok(CreatedApiKey { key, api_key })
}

pub async fn list(app: &App, page: Page) -> Result<(Vec<ApiKey>, i64)> {
    let now = app.clock.now();
    app.db.read(move |conn| store::list(conn, now, page.limit(), page.offset())).await
}

pub async fn revoke(app: &App, caller: &Caller, id: i64) -> Result<ApiKey> {
    let now = app.clock.now();
    let caller = caller.clone();
    app.db
        .write(move |tx| {
            store::by_id(tx, id, now)?.ok_or(Error::NotFound { entity: "API key" })?;
            if store::revoke(tx, id, now)? {
                audit::record(tx, now, Actor::from(&caller), "api_key.revoke", "api_key", Some(id), None)?;
            }
            store::by_id(tx, id, now)?.ok_or(Error::NotFound { entity: "API key" })
        })
        .await
}

/// The caller a presented key stands for, or 401.
pub async fn authenticate(app: &App, secret: &str, context: RequestContext) -> Result<Caller> {
    let hash = tokens::hash(secret);
    let now = app.clock.now();
    let found = app.db.read(move |conn| store::by_hash(conn, &hash, now)).await?;
    let key = match found {
        Some(key) if key.revoked_at.is_none() => key,
        _ => return Err(Error::unauthorized(ErrorCode::Unauthenticated, "the API key is not valid")),
    };
    if !key.active {
        return Err(Error::unauthorized(ErrorCode::TokenExpired, "the API key has expired; issue a new one"));
    }
    let stale = key.last_used_at.is_none_or(|at| now - at >= Duration::seconds(TOUCH_EVERY_SECONDS));
    if stale {
        let (id, addr) = (key.id, context.client_addr.map(|ip| ip.to_string()));
        app.db.write(move |tx| store::touch(tx, id, now, addr)).await?;
    }
    Ok(Caller {
        staff_id: None,
        api_key_id: Some(key.id),
        email: format!("api-key:{}", key.name),
        role: key.role,
        token_family: String::new(),
        must_enrol_mfa: false,
        context,
    })
}
