//! Sign-in, token rotation, sessions and staff management rules.

use chrono::{DateTime, Duration, Utc};
use email_address::EmailAddress;
use rusqlite::{Connection, Transaction};

use crate::App;
use crate::audit::{self, Actor};
use crate::auth::grace::IssuedPair;
use crate::auth::model::{NewStaff, StaffMember, StaffPatch, TokenPair};
use crate::auth::password;
use crate::auth::store::{self, StaffUpdate, TokenKind};
use crate::auth::throttle::Source;
use crate::db::changes::{self, ChangeOp};
use crate::http::auth::{CheckFuture, CredentialCheck, CredentialKind};
use crate::http::pagination::Page;
use crate::kit::context::RequestContext;
use crate::kit::error::{Error, ErrorCode, Result, Validator};
use crate::kit::principal::{Caller, Role};
use crate::kit::tokens;

pub const ACCESS_TTL_SECONDS: i64 = 15 * 60;
pub const REFRESH_TTL_DAYS: i64 = 30;
pub const SESSION_TTL_HOURS: i64 = 12;
const NAME_MAX: usize = 100;

fn invalid_credentials() -> Error {
    Error::unauthorized(ErrorCode::InvalidCredentials, "the email or password is not right")
}

pub fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Checks the fields common to creating staff by the admin and by setup.
pub fn validate_new_account(v: &mut Validator, email: &str, name: &str, password: &str) {
    let email = normalise_email(email);
    if email.is_empty() {
        v.add("email", "is required");
    } else if !EmailAddress::is_valid(&email) || email.len() > 254 {
        v.add("email", "is not a valid email address");
    }
    validate_name(v, name);
    if let Some(problem) = password::check_policy(password, &[email.as_str(), name]) {
        v.add("password", problem);
    }
}

fn validate_name(v: &mut Validator, name: &str) {
    let name = name.trim();
    if name.is_empty() {
        v.add("name", "is required");
    } else if name.chars().count() > NAME_MAX {
        v.add("name", format!("must be at most {NAME_MAX} characters"));
    } else if name.chars().any(char::is_control) {
        v.add("name", "must not contain control characters");
    }
}

/// The cookie that lets a browser that signed in to an account before pass
/// the throttle's ceilings for that account (see `throttle`). One per
/// account, so the staff sharing a reception desk's browser each keep
/// theirs; the name is keyed so it does not reveal the email.
pub fn device_cookie_name(app: &App, email: &str) -> String {
    let email = normalise_email(email);
    format!("clinicbox_device_{}", &hex::encode(app.secret.sign(&[b"device-cookie", email.as_bytes()]))[..16])
}

/// A device token for `email`: a random id and the installation's signature
/// of both. Nothing is stored; it proves only "this browser signed in as
/// this account before".
fn device_token(app: &App, email: &str) -> Result<String> {
    let id = tokens::generate("")?[..32].to_owned();
    let mac = hex::encode(app.secret.sign(&[b"device", email.as_bytes(), id.as_bytes()]));
    Ok(format!("{id}.{mac}"))
}

/// The id of `token` when it is a device token signed for `email`.
fn device_id<'a>(app: &App, email: &str, token: &'a str) -> Option<&'a str> {
    let (id, mac) = token.split_once('.')?;
    let expected = hex::encode(app.secret.sign(&[b"device", email.as_bytes(), id.as_bytes()]));
    tokens::secrets_match(mac, &expected).then_some(id)
}

/// A successful sign-in: the account, and the device token its browser keeps.
pub struct SignedIn<T> {
    pub answer: T,
    pub device_token: String,
}

/// Checks email and password; on success returns the account and a device
/// token. Applies the throttle and keeps unknown emails as slow as wrong
/// passwords.
async fn verify_credentials(
    app: &App,
    email: &str,
    secret: &str,
    context: &RequestContext,
    device_cookie: Option<&str>,
) -> Result<SignedIn<StaffMember>> {
    let email = normalise_email(email);
    let device = device_cookie.and_then(|token| device_id(app, &email, token));
    let source = Source { address: context.client_addr, device };
    if let Err(retry_after_secs) = app.throttle.check(&email, source) {
        return Err(Error::TooManyRequests { retry_after_secs });
    }
    let lookup = email.clone();
    let found = app.db.read(move |conn| store::staff_with_hash_by_email(conn, &lookup)).await?;
    let (account, hash) = match found {
        Some((account, hash)) if account.active => (Some(account), Some(hash)),
        _ => (None, None),
    };
    let ok = password::verify(secret.to_owned(), hash).await?;
    match account {
        Some(account) if ok => {
            app.throttle.record_success(&email, source);
            let device_token = match (device, device_cookie) {
                (Some(_), Some(token)) => token.to_owned(),
                _ => device_token(app, &email)?,
            };
            Ok(SignedIn { answer: account, device_token })
        }
        _ => {
            app.throttle.record_failure(&email, source);
            tracing::info!(request_id = %context.request_id, "sign-in refused");
            Err(invalid_credentials())
        }
    }
}

pub async fn login(
    app: &App,
    email: &str,
    secret: &str,
    context: RequestContext,
    device_cookie: Option<&str>,
) -> Result<SignedIn<TokenPair>> {
    let signed_in = verify_credentials(app, email, secret, &context, device_cookie).await?;
    let family = tokens::generate("")?;
    let pair = issue_pair(app, signed_in.answer, family, Some(context)).await?;
    Ok(SignedIn { answer: pair, device_token: signed_in.device_token })
}

/// Issues an access + refresh pair in `family`, writing the login audit row
/// when `login_context` is given.
async fn issue_pair(
    app: &App,
    account: StaffMember,
    family: String,
    login_context: Option<RequestContext>,
) -> Result<TokenPair> {
    let pair = IssuedPair {
        staff_id: account.id,
        access_token: tokens::generate(tokens::ACCESS_PREFIX)?,
        refresh_token: tokens::generate(tokens::REFRESH_PREFIX)?,
    };
    let now = app.clock.now();
    let (stored, email) = (pair.clone(), account.email.clone());
    app.db
        .write(move |tx| {
            insert_pair(tx, &stored, &family, now)?;
            if let Some(context) = &login_context {
                let actor = Actor { id: Some(stored.staff_id), email: Some(&email), context };
                audit::record(tx, now, actor, "auth.login", "staff", Some(stored.staff_id), None)?;
            }
            Ok(())
        })
        .await?;
    Ok(token_pair(pair, account))
}

fn token_pair(pair: IssuedPair, user: StaffMember) -> TokenPair {
    TokenPair {
        access_token: pair.access_token,
        refresh_token: pair.refresh_token,
        token_type: "Bearer".into(),
        expires_in: ACCESS_TTL_SECONDS,
        user,
    }
}

enum RefreshOutcome {
    /// A new pair (or, for a duplicate within the grace window, the same one).
    Issued(IssuedPair),
    Reused,
    Invalid,
}

/// Exchanges a refresh token for a new pair. A refresh token works once:
/// presented again within `GRACE_SECONDS` (a client's concurrent duplicate)
/// it gets the same new pair; presented later, it was stolen or replayed,
/// so the whole family (every token of that sign-in) is revoked. A token
/// revoked by signing out is simply not valid.
pub async fn refresh(app: &App, refresh_token: &str) -> Result<TokenPair> {
    let spent = tokens::hash(refresh_token);
    let now = app.clock.now();
    let fresh = IssuedPair {
        staff_id: 0,
        access_token: tokens::generate(tokens::ACCESS_PREFIX)?,
        refresh_token: tokens::generate(tokens::REFRESH_PREFIX)?,
    };
    let state = app.clone();
    let outcome = app
        .db
        .write(move |tx| {
            let Some(record) = store::find_token(tx, TokenKind::Refresh, &spent)? else {
                return Ok(RefreshOutcome::Invalid);
            };
            if record.revoked || record.expires_at <= now || !record.staff_active {
                return Ok(RefreshOutcome::Invalid);
            }
            if record.used {
                if let Some(pair) = state.refresh_grace.replay(&spent, now) {
                    return Ok(RefreshOutcome::Issued(pair));
                }
                store::revoke_family(tx, &record.family, now)?;
                return Ok(RefreshOutcome::Reused);
            }
            store::mark_token_used(tx, record.id, now)?;
            let pair = IssuedPair { staff_id: record.staff_id, ..fresh };
            insert_pair(tx, &pair, &record.family, now)?;
            // Remembered before the commit: the one writer runs a duplicate
            // only after this transaction, so it always finds the pair.
            state.refresh_grace.remember(spent, now, pair.clone());
            Ok(RefreshOutcome::Issued(pair))
        })
        .await?;
    match outcome {
        RefreshOutcome::Issued(pair) => {
            let staff_id = pair.staff_id;
            let account = app
                .db
                .read(move |conn| store::staff_by_id(conn, staff_id))
                .await?
                .ok_or_else(|| Error::unauthorized(ErrorCode::InvalidToken, "the refresh token is not valid"))?;
            Ok(token_pair(pair, account))
        }
        RefreshOutcome::Reused => Err(Error::unauthorized(
            ErrorCode::TokenReused,
            "this refresh token was already used; every token of that sign-in has been revoked",
        )),
        RefreshOutcome::Invalid => Err(Error::unauthorized(ErrorCode::InvalidToken, "the refresh token is not valid")),
    }
}

/// Stores an access and a refresh token of `family`.
fn insert_pair(tx: &Transaction, pair: &IssuedPair, family: &str, now: DateTime<Utc>) -> Result<()> {
    let access_expiry = now + Duration::seconds(ACCESS_TTL_SECONDS);
    let refresh_expiry = now + Duration::days(REFRESH_TTL_DAYS);
    let access_hash = tokens::hash(&pair.access_token);
    let refresh_hash = tokens::hash(&pair.refresh_token);
    store::insert_token(tx, pair.staff_id, TokenKind::Access, &access_hash, family, now, access_expiry)?;
    store::insert_token(tx, pair.staff_id, TokenKind::Refresh, &refresh_hash, family, now, refresh_expiry)?;
    Ok(())
}

/// Signs a browser in; returns the session secret (for the cookie) and the account.
pub async fn create_session(
    app: &App,
    email: &str,
    secret: &str,
    context: RequestContext,
    device_cookie: Option<&str>,
) -> Result<SignedIn<(String, StaffMember)>> {
    let SignedIn { answer: account, device_token } =
        verify_credentials(app, email, secret, &context, device_cookie).await?;
    let session = tokens::generate(tokens::SESSION_PREFIX)?;
    let family = tokens::generate("")?;
    let hash = tokens::hash(&session);
    let now = app.clock.now();
    let (staff_id, staff_email) = (account.id, account.email.clone());
    app.db
        .write(move |tx| {
            store::insert_token(
                tx,
                staff_id,
                TokenKind::Session,
                &hash,
                &family,
                now,
                now + Duration::hours(SESSION_TTL_HOURS),
            )?;
            let actor = Actor { id: Some(staff_id), email: Some(&staff_email), context: &context };
            audit::record(
                tx,
                now,
                actor,
                "auth.login",
                "staff",
                Some(staff_id),
                Some(serde_json::json!({"via": "session"})),
            )
        })
        .await?;
    Ok(SignedIn { answer: (session, account), device_token })
}

/// The credential check the HTTP toolkit asks on every signed-in request.
pub struct StaffCredentials(pub App);

impl CredentialCheck for StaffCredentials {
    fn check(&self, kind: CredentialKind, secret: String, context: RequestContext) -> CheckFuture {
        let app = self.0.clone();
        let kind = match kind {
            CredentialKind::Access => TokenKind::Access,
            CredentialKind::Session => TokenKind::Session,
        };
        Box::pin(async move { authenticate(&app, kind, &secret, context).await })
    }
}

/// Resolves a presented credential to the caller, or 401.
pub async fn authenticate(app: &App, kind: TokenKind, token: &str, context: RequestContext) -> Result<Caller> {
    let hash = tokens::hash(token);
    let record = app.db.read(move |conn| store::find_token(conn, kind, &hash)).await?;
    let now = app.clock.now();
    match record {
        Some(r) if !r.revoked && !r.used && r.expires_at > now && r.staff_active => Ok(Caller {
            staff_id: r.staff_id,
            email: r.staff_email,
            role: r.staff_role,
            token_family: r.family,
            context,
        }),
        Some(r) if r.expires_at <= now => {
            Err(Error::unauthorized(ErrorCode::TokenExpired, "the token has expired; sign in or refresh"))
        }
        _ => Err(Error::unauthorized(ErrorCode::Unauthenticated, "sign in to continue")),
    }
}

/// Revokes every token of the caller's sign-in.
pub async fn logout(app: &App, caller: &Caller) -> Result<()> {
    let now = app.clock.now();
    let caller = caller.clone();
    app.db
        .write(move |tx| {
            store::revoke_family(tx, &caller.token_family, now)?;
            audit::record(tx, now, Actor::from(&caller), "auth.logout", "staff", Some(caller.staff_id), None)
        })
        .await
}

/// A checked new account, ready to be written.
struct AccountToWrite {
    email: String,
    name: String,
    role: Role,
    password_hash: String,
}

impl AccountToWrite {
    /// Validates the fields and hashes the password (on the hashing pool).
    async fn prepare(email: &str, name: &str, role: Role, secret: String) -> Result<Self> {
        let mut v = Validator::new();
        validate_new_account(&mut v, email, name, &secret);
        v.finish()?;
        let password_hash = password::hash(secret).await?;
        Ok(Self { email: normalise_email(email), name: name.trim().to_owned(), role, password_hash })
    }

    /// Writes the account with its audit row (`action`) and change row.
    fn insert(
        &self,
        tx: &Transaction,
        now: DateTime<Utc>,
        by: CreatedBy,
        action: &str,
        details: Option<serde_json::Value>,
    ) -> Result<StaffMember> {
        let member = store::insert_staff(tx, &self.email, &self.name, self.role, &self.password_hash, now)?;
        let actor = match by {
            CreatedBy::Staff(caller) => Actor::from(caller),
            CreatedBy::Itself(context) => Actor { id: Some(member.id), email: Some(&member.email), context },
            CreatedBy::CommandLine(context) => Actor { id: None, email: None, context },
        };
        audit::record(tx, now, actor, action, "staff", Some(member.id), details)?;
        changes::record(tx, now, "staff", member.id, ChangeOp::Create)?;
        Ok(member)
    }
}

/// Who the audit log names as creating an account.
enum CreatedBy<'a> {
    Staff(&'a Caller),
    /// Setup: the first administrator creates themself.
    Itself(&'a RequestContext),
    CommandLine(&'a RequestContext),
}

pub async fn create_staff(app: &App, caller: &Caller, input: NewStaff) -> Result<StaffMember> {
    let account = AccountToWrite::prepare(&input.email, &input.name, input.role, input.password).await?;
    let now = app.clock.now();
    let caller = caller.clone();
    app.db
        .write(move |tx| {
            let details = serde_json::json!({ "role": account.role.as_str() });
            account.insert(tx, now, CreatedBy::Staff(&caller), "staff.create", Some(details))
        })
        .await
}

/// Creates the first administrator during setup. Checked again inside the
/// transaction: two tabs racing on the setup page must not both create one.
pub async fn create_first_admin(
    app: &App,
    email: &str,
    name: &str,
    secret: String,
    context: RequestContext,
) -> Result<StaffMember> {
    let account = AccountToWrite::prepare(email, name, Role::Admin, secret).await?;
    let now = app.clock.now();
    app.db
        .write(move |tx| {
            if store::count_active_admins(tx)? > 0 {
                return Err(Error::conflict(ErrorCode::AlreadySetUp, "this clinic already has an administrator"));
            }
            account.insert(tx, now, CreatedBy::Itself(&context), "setup.complete", None)
        })
        .await
}

/// `clinicbox admin create`: an administrator written straight to the
/// database, which may be in use by a running server (SQLite serialises the
/// two writers).
pub fn create_admin_offline(
    conn: &mut Connection,
    now: DateTime<Utc>,
    email: &str,
    name: &str,
    secret: &str,
) -> Result<StaffMember> {
    let mut v = Validator::new();
    validate_new_account(&mut v, email, name, secret);
    v.finish()?;
    let password_hash = password::hash_now(secret)?;
    let account = AccountToWrite {
        email: normalise_email(email),
        name: name.trim().to_owned(),
        role: Role::Admin,
        password_hash,
    };
    let context = RequestContext { request_id: "cli".into(), client_addr: None };
    crate::db::run_in_transaction(conn, |tx| {
        let details = serde_json::json!({"via": "cli"});
        account.insert(tx, now, CreatedBy::CommandLine(&context), "staff.create", Some(details))
    })
}

/// One page of staff accounts, and how many there are.
pub async fn list_staff(app: &App, page: Page) -> Result<(Vec<StaffMember>, i64)> {
    app.db.read(move |conn| store::list_staff(conn, page.limit(), page.offset())).await
}

pub async fn get_staff(app: &App, id: i64) -> Result<StaffMember> {
    app.db.read(move |conn| store::staff_by_id(conn, id)).await?.ok_or(Error::NotFound { entity: "staff member" })
}

pub async fn update_staff(app: &App, caller: &Caller, id: i64, patch: StaffPatch) -> Result<StaffMember> {
    let current = get_staff(app, id).await?;
    let mut v = Validator::new();
    if let Some(name) = &patch.name {
        validate_name(&mut v, name);
    }
    let new_password = match patch.password {
        poem_openapi::types::MaybeUndefined::Value(p) => {
            if let Some(problem) = password::check_policy(&p, &[&current.email, &current.name]) {
                v.add("password", problem);
            }
            Some(p)
        }
        poem_openapi::types::MaybeUndefined::Null => {
            v.add("password", "cannot be removed; give a new password instead");
            None
        }
        poem_openapi::types::MaybeUndefined::Undefined => None,
    };
    v.finish()?;
    let password_hash = match new_password {
        Some(p) => Some(password::hash(p).await?),
        None => None,
    };
    let now = app.clock.now();
    let caller = caller.clone();
    let name = patch.name.map(|n| n.trim().to_owned());
    let (role, active) = (patch.role, patch.active);
    app.db
        .write(move |tx| {
            let current = store::staff_by_id(tx, id)?.ok_or(Error::NotFound { entity: "staff member" })?;
            let stops_being_admin = current.role == Role::Admin
                && current.active
                && (role.is_some_and(|r| r != Role::Admin) || active == Some(false));
            if stops_being_admin && store::count_active_admins(tx)? <= 1 {
                return Err(Error::conflict(
                    ErrorCode::LastAdmin,
                    "the clinic must keep at least one active administrator",
                ));
            }
            let update = StaffUpdate { name: name.as_deref(), role, active, password_hash: password_hash.as_deref() };
            store::update_staff(tx, id, &update, now)?;
            // The role is read on every request, so a new role applies at once;
            // only deactivation and a new password end existing sign-ins.
            let signs_out = active == Some(false) || password_hash.is_some();
            if signs_out {
                store::revoke_all_for_staff(tx, id, now)?;
            }
            let mut changed = Vec::new();
            if name.is_some() {
                changed.push("name");
            }
            if role.is_some() {
                changed.push("role");
            }
            if active.is_some() {
                changed.push("active");
            }
            if password_hash.is_some() {
                changed.push("password");
            }
            let details = serde_json::json!({ "fields": changed });
            audit::record(tx, now, Actor::from(&caller), "staff.update", "staff", Some(id), Some(details))?;
            changes::record(tx, now, "staff", id, ChangeOp::Update)?;
            store::staff_by_id(tx, id)?.ok_or(Error::NotFound { entity: "staff member" })
        })
        .await
}
