use poem::Request;
use poem::web::Data;
use poem::web::cookie::{Cookie, CookieJar, SameSite};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};

use crate::App;
use crate::auth::mfa::service::SecondFactor;
use crate::auth::model::{
    LoginAnswer, LoginRequest, Me, MfaLogin, RefreshRequest, SessionAnswer, SessionInfo, SetupRequest, SetupStatus,
    StaffMember, TokenPair,
};
use crate::auth::sign_in::{self, Attempt, DEVICE_COOKIE_PREFIX, Outcome};
use crate::auth::{account, setup};
use crate::http::ApiTags;
use crate::http::auth::{SESSION_COOKIE, SessionAuth, StaffAuth};
use crate::http::context;
use crate::http::operations::Operation;
use crate::kit::error::ErrorCode as C;
use crate::kit::error::{Error, Result, Validator};
use crate::kit::permissions::Access;
use crate::kit::tokens;

pub struct AuthApi;

#[derive(ApiResponse)]
enum NoContent {
    /// Done.
    #[oai(status = 204)]
    Done,
}

#[derive(ApiResponse)]
enum SetupCreated {
    /// The first administrator was created; sign in with their email and password.
    #[oai(status = 201)]
    Created(Json<StaffMember>),
}

fn session_cookie(app: &App, value: &str, max_age: std::time::Duration) -> Cookie {
    let mut cookie = Cookie::new_with_str(SESSION_COOKIE, value);
    cookie.set_http_only(true);
    cookie.set_same_site(SameSite::Strict);
    cookie.set_path("/");
    cookie.set_secure(app.config.cookies_secure());
    cookie.set_max_age(max_age);
    cookie
}

/// The browser's proof that it signed in to an account before; only the
/// sign-in endpoints read it.
fn device_cookie(app: &App, name: String, value: &str) -> Cookie {
    let mut cookie = Cookie::new_with_str(name, value);
    cookie.set_http_only(true);
    cookie.set_same_site(SameSite::Strict);
    cookie.set_path("/api/v1/auth");
    cookie.set_secure(app.config.cookies_secure());
    cookie.set_max_age(std::time::Duration::from_secs(400 * 24 * 3600));
    cookie
}

fn session_info(me: Me, secret: &str) -> SessionInfo {
    SessionInfo {
        user: me.user,
        csrf_token: tokens::csrf_for_session(secret),
        allowed_actions: me.allowed_actions,
        mfa_enabled: me.mfa_enabled,
        mfa_required: me.mfa_required,
        mfa_enrolment_required: me.mfa_enrolment_required,
    }
}

/// The device cookies a browser showed (see `throttle`).
fn shown_devices(cookies: &CookieJar) -> Vec<String> {
    cookies.with_cookies(|all| {
        all.filter(|c| c.name().starts_with(DEVICE_COOKIE_PREFIX)).map(|c| c.value().to_owned()).collect()
    })
}

/// The second factor of an MFA step: exactly one of `code` and `recovery_code`.
fn second_factor(body: MfaLogin) -> Result<(String, SecondFactor)> {
    match (body.code, body.recovery_code) {
        (Some(code), None) => Ok((body.mfa_token, SecondFactor::Code(code))),
        (None, Some(code)) => Ok((body.mfa_token, SecondFactor::RecoveryCode(code))),
        _ => {
            let mut v = Validator::new();
            v.add("code", "give either code or recovery_code");
            Err(v.finish().err().unwrap_or_else(|| Error::internal("validator lost its field")))
        }
    }
}

/// The browser's answer once a sign-in is complete: the cookies and the session.
async fn signed_in_browser(
    app: &App,
    cookies: &CookieJar,
    outcome: Outcome<(String, StaffMember)>,
) -> Result<SessionAnswer> {
    match outcome {
        Outcome::MfaRequired(challenge) => Ok(SessionAnswer::MfaRequired(challenge)),
        Outcome::SignedIn { answer: (secret, user), email, device_token } => {
            cookies.add(device_cookie(app, sign_in::device_cookie_name(app, &email), &device_token));
            let max_age = std::time::Duration::from_secs(sign_in::SESSION_TTL_HOURS as u64 * 3600);
            cookies.add(session_cookie(app, &secret, max_age));
            let me = account::me(app, user.id).await?;
            Ok(SessionAnswer::Session(session_info(me, &secret)))
        }
    }
}

fn signed_in_bearer(app: &App, cookies: &CookieJar, outcome: Outcome<TokenPair>) -> LoginAnswer {
    match outcome {
        Outcome::MfaRequired(challenge) => LoginAnswer::MfaRequired(challenge),
        Outcome::SignedIn { answer, email, device_token } => {
            cookies.add(device_cookie(app, sign_in::device_cookie_name(app, &email), &device_token));
            LoginAnswer::Tokens(answer)
        }
    }
}

#[OpenApi(tag = "ApiTags::Auth")]
impl AuthApi {
    /// Sign in and get bearer tokens
    ///
    /// For integrations. The access token lasts 15 minutes; the refresh token works once and the
    /// sign-in lasts `refresh_lifetime_days` (30 by default) however often it is refreshed. When
    /// the account has two-factor sign-in on, the answer is `{"mfa_required": true, "mfa_token"}`
    /// instead: send that token with a code to `/auth/login/mfa`. Repeated failures slow down
    /// with 429 for their own source; they never lock the account.
    #[oai(path = "/auth/login", method = "post", operation_id = "login")]
    async fn login(
        &self,
        app: Data<&App>,
        req: &Request,
        cookies: &CookieJar,
        body: Json<LoginRequest>,
    ) -> Result<Json<LoginAnswer>> {
        let attempt = Attempt { context: context::of(req), device_cookies: shown_devices(cookies) };
        let outcome = sign_in::login(&app, &body.email, &body.password, attempt).await?;
        Ok(Json(signed_in_bearer(&app, cookies, outcome)))
    }

    /// Complete a bearer sign-in with a two-factor code
    ///
    /// `mfa_token` from `/auth/login` and either `code` (six digits from the authenticator app;
    /// each is accepted once) or `recovery_code` (each works once). The step lasts 5 minutes and
    /// takes 5 wrong codes; then sign in again.
    #[oai(path = "/auth/login/mfa", method = "post", operation_id = "login_mfa")]
    async fn login_mfa(
        &self,
        app: Data<&App>,
        req: &Request,
        cookies: &CookieJar,
        body: Json<MfaLogin>,
    ) -> Result<Json<LoginAnswer>> {
        let (token, proof) = second_factor(body.0)?;
        let attempt = Attempt { context: context::of(req), device_cookies: shown_devices(cookies) };
        let outcome = sign_in::login_mfa(&app, &token, proof, attempt).await?;
        Ok(Json(signed_in_bearer(&app, cookies, outcome)))
    }

    /// Exchange a refresh token for a new token pair
    ///
    /// The presented refresh token stops working. Presenting an already-used
    /// refresh token revokes every token of that sign-in.
    #[oai(path = "/auth/refresh", method = "post", operation_id = "refresh_tokens")]
    async fn refresh(&self, app: Data<&App>, body: Json<RefreshRequest>) -> Result<Json<TokenPair>> {
        Ok(Json(sign_in::refresh(&app, &body.refresh_token).await?))
    }

    /// Sign out: revoke the presented token and every token of its sign-in
    ///
    /// Revokes the access token it is called with and every token of the same sign-in, including
    /// its refresh token. Other sign-ins of the same person stay.
    #[oai(path = "/auth/logout", method = "post", operation_id = "logout")]
    async fn logout(&self, app: Data<&App>, auth: StaffAuth) -> Result<NoContent> {
        sign_in::logout(&app, auth.caller()).await?;
        Ok(NoContent::Done)
    }

    /// Sign in a browser
    ///
    /// Sets an HttpOnly, SameSite=Strict session cookie and returns the CSRF token that must
    /// accompany every changing request as `X-CSRF-Token`. The session ends after
    /// `session_idle_minutes` unused (30 by default) or 12 hours. With two-factor sign-in on,
    /// the answer is `{"mfa_required": true, "mfa_token"}` and no cookie: complete it at
    /// `/auth/session/mfa`.
    #[oai(path = "/auth/session", method = "post", operation_id = "create_session")]
    async fn create_session(
        &self,
        app: Data<&App>,
        req: &Request,
        cookies: &CookieJar,
        body: Json<LoginRequest>,
    ) -> Result<Json<SessionAnswer>> {
        let attempt = Attempt { context: context::of(req), device_cookies: shown_devices(cookies) };
        let outcome = sign_in::create_session(&app, &body.email, &body.password, attempt).await?;
        Ok(Json(signed_in_browser(&app, cookies, outcome).await?))
    }

    /// Complete a browser sign-in with a two-factor code
    ///
    /// Like `/auth/login/mfa`, for the `mfa_token` of `POST /auth/session`; sets the session
    /// cookie.
    #[oai(path = "/auth/session/mfa", method = "post", operation_id = "create_session_mfa")]
    async fn session_mfa(
        &self,
        app: Data<&App>,
        req: &Request,
        cookies: &CookieJar,
        body: Json<MfaLogin>,
    ) -> Result<Json<SessionAnswer>> {
        let (token, proof) = second_factor(body.0)?;
        let attempt = Attempt { context: context::of(req), device_cookies: shown_devices(cookies) };
        let outcome = sign_in::session_mfa(&app, &token, proof, attempt).await?;
        Ok(Json(signed_in_browser(&app, cookies, outcome).await?))
    }

    /// The browser's current session and its CSRF token
    ///
    /// The signed-in person and the CSRF token the browser sends as `X-CSRF-Token` on every change.
    #[oai(path = "/auth/session", method = "get", operation_id = "get_session")]
    async fn get_session(&self, app: Data<&App>, auth: SessionAuth, cookies: &CookieJar) -> Result<Json<SessionInfo>> {
        let secret = cookies.get(SESSION_COOKIE).map(|c| c.value_str().to_owned()).unwrap_or_default();
        let me = account::me(&app, auth.0.person()?).await?;
        Ok(Json(session_info(me, &secret)))
    }

    /// Sign the browser out
    ///
    /// Ends the browser session and clears its cookie. Send the session's `X-CSRF-Token`.
    #[oai(path = "/auth/session", method = "delete", operation_id = "delete_session")]
    async fn delete_session(&self, app: Data<&App>, auth: SessionAuth, cookies: &CookieJar) -> Result<NoContent> {
        sign_in::logout(&app, &auth.0).await?;
        cookies.add(session_cookie(&app, "", std::time::Duration::ZERO));
        Ok(NoContent::Done)
    }

    /// Whether the first administrator still has to be created
    ///
    /// `needs_setup` is true until the first administrator is created with the link the server
    /// prints at start (the same link at every start until it is used). With `token`,
    /// `token_valid` says whether that link is still the current one.
    #[oai(path = "/setup", method = "get", operation_id = "get_setup_status", tag = "ApiTags::Setup")]
    async fn setup_status(
        &self,
        app: Data<&App>,
        #[oai(validator(max_length = 128))] token: poem_openapi::param::Query<Option<String>>,
    ) -> Result<Json<SetupStatus>> {
        let needs_setup = setup::needs_setup(&app).await?;
        let token_valid = token.0.map(|t| needs_setup && setup::is_current(&app, &t));
        Ok(Json(SetupStatus { needs_setup, token_valid }))
    }

    /// Create the first administrator
    ///
    /// Needs the one-time token the server printed at start. Refused with 409
    /// once an administrator exists.
    #[oai(path = "/setup", method = "post", operation_id = "complete_setup", tag = "ApiTags::Setup")]
    async fn setup(&self, app: Data<&App>, req: &Request, body: Json<SetupRequest>) -> Result<SetupCreated> {
        let admin = setup::complete(&app, body.0, context::of(req)).await?;
        Ok(SetupCreated::Created(Json(admin)))
    }
}

const SIGN_IN_ERRORS: &[C] = &[C::InvalidCredentials, C::TooManyRequests];
const MFA_STEP_ERRORS: &[C] = &[C::InvalidMfaCode, C::TooManyRequests];
/// Who may call each operation and the error codes that are its own.
pub const OPERATIONS: &[Operation] = &[
    Operation::new("login", Access::Public).errors(SIGN_IN_ERRORS),
    Operation::new("login_mfa", Access::Public).errors(MFA_STEP_ERRORS),
    Operation::new("refresh_tokens", Access::Public).errors(&[C::InvalidToken, C::TokenReused]),
    Operation::new("logout", Access::Person),
    Operation::new("create_session", Access::Public).errors(SIGN_IN_ERRORS),
    Operation::new("create_session_mfa", Access::Public).errors(MFA_STEP_ERRORS),
    Operation::new("get_session", Access::Person),
    Operation::new("delete_session", Access::Person),
    Operation::new("get_setup_status", Access::Public),
    Operation::new("complete_setup", Access::Public).errors(&[C::InvalidSetupToken, C::AlreadySetUp]),
];
