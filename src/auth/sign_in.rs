//! Signing in and staying signed in: the password (throttled), the MFA
//! step, bearer token pairs and their rotation, browser sessions with an
//! idle timeout, and resolving a presented credential to the caller.

use chrono::{DateTime, Duration, Utc};
use rusqlite::Transaction;

use crate::App;
use crate::audit::{self, Actor};
use crate::auth::api_keys;
use crate::auth::grace::IssuedPair;
use crate::auth::mfa::service::{self as mfa, SecondFactor};
use crate::auth::mfa::store as mfa_store;
use crate::auth::model::{MfaChallenge, MfaState, SignInKind, StaffMember, TokenPair};
use crate::auth::password;
use crate::auth::service::normalise_email;
use crate::auth::store::{self, NewSignIn, TokenKind};
use crate::auth::throttle::Source;
use crate::http::auth::{CheckFuture, CredentialCheck, CredentialKind};
use crate::kit::context::RequestContext;
use crate::kit::error::{Error, ErrorCode, Result};
use crate::kit::principal::Caller;
use crate::kit::tokens;

pub const ACCESS_TTL_SECONDS: i64 = 15 * 60;
pub const SESSION_TTL_HOURS: i64 = 12;
/// How long the MFA step of a sign-in waits for its code.
pub const MFA_STEP_SECONDS: i64 = 5 * 60;
/// Wrong codes one MFA step takes before the password is needed again.
pub const MFA_STEP_ATTEMPTS: i64 = 5;
pub const DEVICE_COOKIE_PREFIX: &str = "clinicbox_device_";
/// A sign-in's last use is written at most this often.
const TOUCH_EVERY_SECONDS: i64 = 60;

fn invalid_credentials() -> Error {
    Error::unauthorized(ErrorCode::InvalidCredentials, "the email or password is not right")
}

/// The cookie that lets a browser that signed in to an account before pass
/// the throttle's ceilings for that account (see `throttle`). One per
/// account, so the staff sharing a reception desk's browser each keep
/// theirs; the name is keyed so it does not reveal the email.
pub fn device_cookie_name(app: &App, email: &str) -> String {
    let email = normalise_email(email);
    format!("{DEVICE_COOKIE_PREFIX}{}", &hex::encode(app.secret.sign(&[b"device-cookie", email.as_bytes()]))[..16])
}

/// A device token for `email`: a random id and the installation's signature
/// of both. Nothing is stored; it proves only "this browser signed in as
/// this account before".
fn new_device_token(app: &App, email: &str) -> Result<String> {
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

/// The device token a completed sign-in hands the browser: the one it
/// showed, when valid, or a new one.
fn device_token_after(app: &App, email: &str, device_cookie: Option<&str>) -> Result<String> {
    match device_cookie.filter(|token| device_id(app, email, token).is_some()) {
        Some(token) => Ok(token.to_owned()),
        None => new_device_token(app, email),
    }
}

/// How a sign-in attempt is made.
pub struct Attempt {
    pub context: RequestContext,
    /// The device cookies the browser showed; the one signed for the
    /// account tried counts.
    pub device_cookies: Vec<String>,
}

impl Attempt {
    fn device_cookie(&self, app: &App, email: &str) -> Option<&str> {
        self.device_cookies.iter().map(String::as_str).find(|token| device_id(app, email, token).is_some())
    }

    fn source<'s>(&'s self, app: &App, email: &str) -> Source<'s> {
        let device = self.device_cookie(app, email).and_then(|token| device_id(app, email, token));
        Source { address: self.context.client_addr, device }
    }
}

/// Where a sign-in ended: signed in (with the account's email, for its
/// device cookie), or waiting for the MFA step.
pub enum Outcome<T> {
    SignedIn { answer: T, email: String, device_token: String },
    MfaRequired(MfaChallenge),
}

/// Checks email and password, applying the throttle and keeping unknown
/// emails as slow as wrong passwords. Failures are audited.
async fn verify_password(app: &App, email: &str, secret: &str, attempt: &Attempt) -> Result<StaffMember> {
    let email = normalise_email(email);
    let source = attempt.source(app, &email);
    if let Err(retry_after_secs) = app.throttle.check(&email, source) {
        return Err(Error::TooManyRequests { retry_after_secs });
    }
    let lookup = email.clone();
    let found = app.db.read(move |conn| store::staff_with_hash_by_email(conn, &lookup)).await?;
    let known_id = found.as_ref().map(|(account, _)| account.id);
    let (account, hash) = match found {
        Some((account, hash)) if account.active => (Some(account), Some(hash)),
        _ => (None, None),
    };
    let ok = password::verify(secret.to_owned(), hash).await?;
    match account {
        Some(account) if ok => {
            app.throttle.record_success(&email, source);
            Ok(account)
        }
        _ => {
            app.throttle.record_failure(&email, source);
            tracing::info!(request_id = %attempt.context.request_id, "sign-in refused");
            audit_failure(app, known_id, &email, &attempt.context, "password").await?;
            Err(invalid_credentials())
        }
    }
}

/// An audit row for a refused sign-in. The throttle bounds how many a
/// stranger can cause.
async fn audit_failure(
    app: &App,
    staff_id: Option<i64>,
    email: &str,
    context: &RequestContext,
    step: &str,
) -> Result<()> {
    let now = app.clock.now();
    let (email, context) = (email.chars().take(254).collect::<String>(), context.clone());
    let details = serde_json::json!({ "step": step, "email": email });
    app.db
        .write(move |tx| {
            let actor = Actor { id: None, email: None, api_key_id: None, context: &context };
            audit::record(tx, now, actor, "auth.login_failed", "staff", staff_id, Some(details))
        })
        .await
}

/// After a right password: the MFA step when the account has MFA on.
async fn mfa_step(app: &App, account: &StaffMember, kind: SignInKind) -> Result<Option<MfaChallenge>> {
    let staff_id = account.id;
    let (enabled, _) = app.db.read(move |conn| store::mfa_status(conn, staff_id)).await?;
    if !enabled {
        return Ok(None);
    }
    let token = tokens::generate(tokens::MFA_PREFIX)?;
    let hash = tokens::hash(&token);
    let now = app.clock.now();
    let expires = now + Duration::seconds(MFA_STEP_SECONDS);
    app.db.write(move |tx| mfa_store::insert_challenge(tx, &hash, staff_id, kind, now, expires)).await?;
    Ok(Some(MfaChallenge { mfa_required: true, mfa_token: token, expires_in: MFA_STEP_SECONDS }))
}

/// Bearer sign-in: tokens, or the MFA step first.
pub async fn login(app: &App, email: &str, secret: &str, attempt: Attempt) -> Result<Outcome<TokenPair>> {
    let account = verify_password(app, email, secret, &attempt).await?;
    if let Some(challenge) = mfa_step(app, &account, SignInKind::Tokens).await? {
        return Ok(Outcome::MfaRequired(challenge));
    }
    let device_token = device_token_after(app, &account.email, attempt.device_cookie(app, &account.email))?;
    let email = account.email.clone();
    let answer = issue_pair(app, account, &attempt.context).await?;
    Ok(Outcome::SignedIn { answer, email, device_token })
}

/// Browser sign-in: the session secret (for the cookie) and the account, or
/// the MFA step first.
pub async fn create_session(
    app: &App,
    email: &str,
    secret: &str,
    attempt: Attempt,
) -> Result<Outcome<(String, StaffMember)>> {
    let account = verify_password(app, email, secret, &attempt).await?;
    if let Some(challenge) = mfa_step(app, &account, SignInKind::Browser).await? {
        return Ok(Outcome::MfaRequired(challenge));
    }
    let device_token = device_token_after(app, &account.email, attempt.device_cookie(app, &account.email))?;
    let email = account.email.clone();
    let answer = open_session(app, account, &attempt.context, None).await?;
    Ok(Outcome::SignedIn { answer, email, device_token })
}

/// Checks the MFA step of a sign-in of `kind` and returns its account. A
/// wrong code counts against the step and in the throttle; the step dies
/// after a few.
async fn pass_mfa_step(
    app: &App,
    mfa_token: &str,
    proof: SecondFactor,
    kind: SignInKind,
    attempt: &Attempt,
) -> Result<(StaffMember, &'static str)> {
    let expired = || Error::unauthorized(ErrorCode::InvalidMfaCode, "this sign-in step has expired; sign in again");
    let hash = tokens::hash(mfa_token);
    let now = app.clock.now();
    let found = app.db.read(move |conn| mfa_store::challenge(conn, &hash)).await?;
    let challenge = match found {
        Some(c) if !c.used && c.expires_at > now && c.failures < MFA_STEP_ATTEMPTS && c.kind == kind => c,
        _ => return Err(expired()),
    };
    let staff_id = challenge.staff_id;
    let account = app.db.read(move |conn| store::staff_by_id(conn, staff_id)).await?.filter(|a| a.active);
    let Some(account) = account else { return Err(expired()) };
    let source = attempt.source(app, &account.email);
    if let Err(retry_after_secs) = app.throttle.check(&account.email, source) {
        return Err(Error::TooManyRequests { retry_after_secs });
    }
    let via = match proof {
        SecondFactor::Code(_) => "totp",
        SecondFactor::RecoveryCode(_) => "recovery_code",
    };
    let passed = app
        .db
        .write(move |tx| {
            let passed = mfa::check_in(tx, staff_id, &proof, now)?;
            if passed {
                mfa_store::spend_challenge(tx, challenge.id, now)?;
            } else {
                mfa_store::count_challenge_failure(tx, challenge.id)?;
            }
            Ok(passed)
        })
        .await?;
    if !passed {
        app.throttle.record_failure(&account.email, source);
        audit_failure(app, Some(staff_id), &account.email, &attempt.context, via).await?;
        return Err(Error::unauthorized(ErrorCode::InvalidMfaCode, "the code is not right; try the current one"));
    }
    app.throttle.record_success(&account.email, source);
    Ok((account, via))
}

/// The second step of a bearer sign-in.
pub async fn login_mfa(
    app: &App,
    mfa_token: &str,
    proof: SecondFactor,
    attempt: Attempt,
) -> Result<Outcome<TokenPair>> {
    let (account, _via) = pass_mfa_step(app, mfa_token, proof, SignInKind::Tokens, &attempt).await?;
    let device_token = device_token_after(app, &account.email, attempt.device_cookie(app, &account.email))?;
    let email = account.email.clone();
    let answer = issue_pair(app, account, &attempt.context).await?;
    Ok(Outcome::SignedIn { answer, email, device_token })
}

/// The second step of a browser sign-in.
pub async fn session_mfa(
    app: &App,
    mfa_token: &str,
    proof: SecondFactor,
    attempt: Attempt,
) -> Result<Outcome<(String, StaffMember)>> {
    let (account, via) = pass_mfa_step(app, mfa_token, proof, SignInKind::Browser, &attempt).await?;
    let device_token = device_token_after(app, &account.email, attempt.device_cookie(app, &account.email))?;
    let email = account.email.clone();
    let answer = open_session(app, account, &attempt.context, Some(via)).await?;
    Ok(Outcome::SignedIn { answer, email, device_token })
}

/// Starts a bearer sign-in: its row, a token pair, the login audit row.
async fn issue_pair(app: &App, account: StaffMember, context: &RequestContext) -> Result<TokenPair> {
    let pair = IssuedPair {
        staff_id: account.id,
        access_token: tokens::generate(tokens::ACCESS_PREFIX)?,
        refresh_token: tokens::generate(tokens::REFRESH_PREFIX)?,
    };
    let family = tokens::generate("")?;
    let now = app.clock.now();
    let ends = now + Duration::days(app.config.refresh_lifetime_days);
    let (stored, email, context) = (pair.clone(), account.email.clone(), context.clone());
    app.db
        .write(move |tx| {
            let sign_in = NewSignIn {
                family: &family,
                staff_id: stored.staff_id,
                kind: SignInKind::Tokens,
                expires_at: ends,
                context: &context,
            };
            store::insert_sign_in(tx, &sign_in, now)?;
            insert_pair(tx, &stored, &family, now, ends)?;
            let actor = Actor { id: Some(stored.staff_id), email: Some(&email), api_key_id: None, context: &context };
            audit::record(tx, now, actor, "auth.login", "staff", Some(stored.staff_id), None)
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
        mfa_required: false,
    }
}

/// Stores an access and a refresh token of `family`; neither outlives the
/// sign-in's end.
fn insert_pair(
    tx: &Transaction,
    pair: &IssuedPair,
    family: &str,
    now: DateTime<Utc>,
    ends: DateTime<Utc>,
) -> Result<()> {
    let access_expiry = (now + Duration::seconds(ACCESS_TTL_SECONDS)).min(ends);
    let access_hash = tokens::hash(&pair.access_token);
    let refresh_hash = tokens::hash(&pair.refresh_token);
    store::insert_token(tx, pair.staff_id, TokenKind::Access, &access_hash, family, now, access_expiry)?;
    store::insert_token(tx, pair.staff_id, TokenKind::Refresh, &refresh_hash, family, now, ends)?;
    Ok(())
}

/// Starts a browser sign-in: its row, the session token, the audit row.
async fn open_session(
    app: &App,
    account: StaffMember,
    context: &RequestContext,
    mfa_via: Option<&'static str>,
) -> Result<(String, StaffMember)> {
    let session = tokens::generate(tokens::SESSION_PREFIX)?;
    let family = tokens::generate("")?;
    let hash = tokens::hash(&session);
    let now = app.clock.now();
    let ends = now + Duration::hours(SESSION_TTL_HOURS);
    let (staff_id, staff_email, context) = (account.id, account.email.clone(), context.clone());
    app.db
        .write(move |tx| {
            let sign_in =
                NewSignIn { family: &family, staff_id, kind: SignInKind::Browser, expires_at: ends, context: &context };
            store::insert_sign_in(tx, &sign_in, now)?;
            store::insert_token(tx, staff_id, TokenKind::Session, &hash, &family, now, ends)?;
            let actor = Actor { id: Some(staff_id), email: Some(&staff_email), api_key_id: None, context: &context };
            let details = serde_json::json!({"via": "session", "mfa": mfa_via});
            audit::record(tx, now, actor, "auth.login", "staff", Some(staff_id), Some(details))
        })
        .await?;
    Ok((session, account))
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
/// revoked by signing out is simply not valid. The new pair ends when the
/// sign-in does: refreshing never extends it.
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
            let ends = record.sign_in.map(|s| s.expires_at).unwrap_or(record.expires_at);
            insert_pair(tx, &pair, &record.family, now, ends)?;
            if let Some(sign_in) = record.sign_in {
                store::touch_sign_in(tx, sign_in.id, now, None)?;
            }
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

/// The credential check the HTTP toolkit asks on every signed-in request.
pub struct StaffCredentials(pub App);

impl CredentialCheck for StaffCredentials {
    fn check(&self, kind: CredentialKind, secret: String, context: RequestContext) -> CheckFuture {
        let app = self.0.clone();
        Box::pin(async move {
            match kind {
                CredentialKind::Access if secret.starts_with(tokens::API_KEY_PREFIX) => {
                    api_keys::service::authenticate(&app, &secret, context).await
                }
                CredentialKind::Access => authenticate(&app, TokenKind::Access, &secret, context).await,
                CredentialKind::Session => authenticate(&app, TokenKind::Session, &secret, context).await,
            }
        })
    }
}

/// Resolves a presented token or session to the caller, or 401. A browser
/// session unused for `session_idle_minutes` has ended.
pub async fn authenticate(app: &App, kind: TokenKind, token: &str, context: RequestContext) -> Result<Caller> {
    resolve(app, kind, token, context, Use::Counts).await
}

/// The caller a credential presented earlier still stands for, without
/// counting as its use: an open live-events connection asks this, and an
/// open tab alone must not keep an idle session alive.
pub async fn still_valid(app: &App, kind: CredentialKind, secret: &str, context: RequestContext) -> Result<Caller> {
    match kind {
        CredentialKind::Access if secret.starts_with(tokens::API_KEY_PREFIX) => {
            api_keys::service::authenticate(app, secret, context).await
        }
        CredentialKind::Access => resolve(app, TokenKind::Access, secret, context, Use::Quiet).await,
        CredentialKind::Session => resolve(app, TokenKind::Session, secret, context, Use::Quiet).await,
    }
}

/// Whether resolving a credential is a use of it (which keeps a sign-in from idling out).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Use {
    Counts,
    Quiet,
}

async fn resolve(app: &App, kind: TokenKind, token: &str, context: RequestContext, use_: Use) -> Result<Caller> {
    let hash = tokens::hash(token);
    let record = app.db.read(move |conn| store::find_token(conn, kind, &hash)).await?;
    let now = app.clock.now();
    let expired = || Error::unauthorized(ErrorCode::TokenExpired, "the token has expired; sign in or refresh");
    let record = match record {
        Some(r) if !r.revoked && !r.used && r.staff_active => r,
        _ => return Err(Error::unauthorized(ErrorCode::Unauthenticated, "sign in to continue")),
    };
    if record.expires_at <= now {
        return Err(expired());
    }
    if let Some(sign_in) = record.sign_in {
        let idle_limit = Duration::minutes(app.config.session_idle_minutes);
        if kind == TokenKind::Session && now - sign_in.last_used_at >= idle_limit {
            return Err(Error::unauthorized(
                ErrorCode::TokenExpired,
                "the session ended after being left unused; sign in again",
            ));
        }
        if use_ == Use::Counts && now - sign_in.last_used_at >= Duration::seconds(TOUCH_EVERY_SECONDS) {
            let address = context.client_addr.map(|ip| ip.to_string());
            app.db.write(move |tx| store::touch_sign_in(tx, sign_in.id, now, address)).await?;
        }
    }
    let mfa = MfaState { enabled: record.mfa_enrolled, required: record.mfa_required };
    Ok(Caller {
        staff_id: Some(record.staff_id),
        api_key_id: None,
        email: record.staff_email,
        role: record.staff_role,
        token_family: record.family,
        must_enrol_mfa: mfa.required && !mfa.enabled,
        context,
    })
}

/// Revokes every token of the caller's sign-in.
pub async fn logout(app: &App, caller: &Caller) -> Result<()> {
    let staff_id = caller.person()?;
    let now = app.clock.now();
    let caller = caller.clone();
    app.db
        .write(move |tx| {
            store::revoke_family(tx, &caller.token_family, now)?;
            audit::record(tx, now, Actor::from(&caller), "auth.logout", "staff", Some(staff_id), None)
        })
        .await
}
