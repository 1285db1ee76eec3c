use poem::Request;
use poem::web::Data;
use poem::web::cookie::{Cookie, CookieJar, SameSite};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};

use crate::App;
use crate::auth::model::{
    LoginRequest, Me, RefreshRequest, SessionInfo, SetupRequest, SetupStatus, StaffMember, TokenPair,
};
use crate::auth::{service, setup};
use crate::http::ApiTags;
use crate::http::auth::{SESSION_COOKIE, SessionAuth, StaffAuth};
use crate::http::context;
use crate::http::operations::Operation;
use crate::kit::error::ErrorCode as C;
use crate::kit::error::Result;
use crate::kit::permissions::Access;
use crate::kit::permissions::allowed_actions;
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

fn session_info(user: StaffMember, secret: &str) -> SessionInfo {
    let allowed_actions = allowed_actions(user.role);
    SessionInfo { user, csrf_token: tokens::csrf_for_session(secret), allowed_actions }
}

#[OpenApi(tag = "ApiTags::Auth")]
impl AuthApi {
    /// Sign in and get bearer tokens
    ///
    /// For integrations. The access token lasts 15 minutes; the refresh token
    /// lasts 30 days and works once. Repeated failures for one account or one
    /// client address are refused with 429 for a while.
    #[oai(path = "/auth/login", method = "post", operation_id = "login")]
    async fn login(
        &self,
        app: Data<&App>,
        req: &Request,
        cookies: &CookieJar,
        body: Json<LoginRequest>,
    ) -> Result<Json<TokenPair>> {
        let context = context::of(req);
        let name = service::device_cookie_name(&app, &body.email);
        let device = cookies.get(&name).map(|c| c.value_str().to_owned());
        let signed_in = service::login(&app, &body.email, &body.password, context, device.as_deref()).await?;
        cookies.add(device_cookie(&app, name, &signed_in.device_token));
        Ok(Json(signed_in.answer))
    }

    /// Exchange a refresh token for a new token pair
    ///
    /// The presented refresh token stops working. Presenting an already-used
    /// refresh token revokes every token of that sign-in.
    #[oai(path = "/auth/refresh", method = "post", operation_id = "refresh_tokens")]
    async fn refresh(&self, app: Data<&App>, body: Json<RefreshRequest>) -> Result<Json<TokenPair>> {
        Ok(Json(service::refresh(&app, &body.refresh_token).await?))
    }

    /// Sign out: revoke the presented token and every token of its sign-in
    ///
    /// Revokes the access token it is called with and every token of the same sign-in, including
    /// its refresh token. Other sign-ins of the same person stay.
    #[oai(path = "/auth/logout", method = "post", operation_id = "logout")]
    async fn logout(&self, app: Data<&App>, auth: StaffAuth) -> Result<NoContent> {
        service::logout(&app, auth.caller()).await?;
        Ok(NoContent::Done)
    }

    /// The signed-in staff member and what they may do
    ///
    /// Who the credential belongs to, their role, and `allowed_actions` from the permission table:
    /// show only what the person may do.
    #[oai(path = "/auth/me", method = "get", operation_id = "get_me")]
    async fn me(&self, app: Data<&App>, auth: StaffAuth) -> Result<Json<Me>> {
        Ok(Json(Me::of(service::get_staff(&app, auth.caller().staff_id).await?)))
    }

    /// Sign in a browser
    ///
    /// Sets an HttpOnly, SameSite=Strict session cookie and returns the CSRF
    /// token that must accompany every changing request as `X-CSRF-Token`.
    #[oai(path = "/auth/session", method = "post", operation_id = "create_session")]
    async fn create_session(
        &self,
        app: Data<&App>,
        req: &Request,
        cookies: &CookieJar,
        body: Json<LoginRequest>,
    ) -> Result<Json<SessionInfo>> {
        let context = context::of(req);
        let name = service::device_cookie_name(&app, &body.email);
        let device = cookies.get(&name).map(|c| c.value_str().to_owned());
        let signed_in = service::create_session(&app, &body.email, &body.password, context, device.as_deref()).await?;
        cookies.add(device_cookie(&app, name, &signed_in.device_token));
        let (secret, user) = signed_in.answer;
        let max_age = std::time::Duration::from_secs(service::SESSION_TTL_HOURS as u64 * 3600);
        cookies.add(session_cookie(&app, &secret, max_age));
        Ok(Json(session_info(user, &secret)))
    }

    /// The browser's current session and its CSRF token
    ///
    /// The signed-in person and the CSRF token the browser sends as `X-CSRF-Token` on every change.
    #[oai(path = "/auth/session", method = "get", operation_id = "get_session")]
    async fn get_session(&self, app: Data<&App>, auth: SessionAuth, cookies: &CookieJar) -> Result<Json<SessionInfo>> {
        let secret = cookies.get(SESSION_COOKIE).map(|c| c.value_str().to_owned()).unwrap_or_default();
        let user = service::get_staff(&app, auth.0.staff_id).await?;
        Ok(Json(session_info(user, &secret)))
    }

    /// Sign the browser out
    ///
    /// Ends the browser session and clears its cookie. Send the session's `X-CSRF-Token`.
    #[oai(path = "/auth/session", method = "delete", operation_id = "delete_session")]
    async fn delete_session(&self, app: Data<&App>, auth: SessionAuth, cookies: &CookieJar) -> Result<NoContent> {
        service::logout(&app, &auth.0).await?;
        cookies.add(session_cookie(&app, "", std::time::Duration::ZERO));
        Ok(NoContent::Done)
    }

    /// Whether the first administrator still has to be created
    ///
    /// `needs_setup` is true until the first administrator is created with the link the server
    /// prints at its first start.
    #[oai(path = "/setup", method = "get", operation_id = "get_setup_status", tag = "ApiTags::Setup")]
    async fn setup_status(&self, app: Data<&App>) -> Result<Json<SetupStatus>> {
        Ok(Json(SetupStatus { needs_setup: setup::needs_setup(&app).await? }))
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

/// Who may call each operation and the error codes that are its own.
pub const OPERATIONS: &[Operation] = &[
    Operation::new("login", Access::Public).errors(&[C::InvalidCredentials, C::TooManyRequests]),
    Operation::new("refresh_tokens", Access::Public).errors(&[C::InvalidToken, C::TokenReused]),
    Operation::new("logout", Access::SignedIn),
    Operation::new("get_me", Access::SignedIn),
    Operation::new("create_session", Access::Public).errors(&[C::InvalidCredentials, C::TooManyRequests]),
    Operation::new("get_session", Access::SignedIn),
    Operation::new("delete_session", Access::SignedIn),
    Operation::new("get_setup_status", Access::Public),
    Operation::new("complete_setup", Access::Public).errors(&[C::InvalidSetupToken, C::AlreadySetUp]),
];
