//! How a request proves who it is: a bearer token (integrations) or the
//! browser's session cookie plus a CSRF header on changing requests.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use poem::http::{Method, header};
use poem::{Request, RequestBody};
use poem_openapi::SecurityScheme;
use poem_openapi::auth::{ApiKey, Bearer};
use poem_openapi::registry::Registry;
use poem_openapi::{ApiExtractor, ApiExtractorType, ExtractParamOptions};

use crate::http::context;
use crate::kit::context::RequestContext;
use crate::kit::error::{Error, ErrorCode, Result};
use crate::kit::principal::Caller;
use crate::kit::tokens;

pub const SESSION_COOKIE: &str = "clinicbox_session";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// What a request presented.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CredentialKind {
    /// A bearer access token.
    Access,
    /// A browser session cookie.
    Session,
}

pub type CheckFuture = Pin<Box<dyn Future<Output = Result<Caller>> + Send>>;

/// Resolves a presented credential to its principal. The auth feature
/// provides it and the server hands it to the toolkit as request data, so
/// the toolkit knows how to ask without importing who answers.
pub trait CredentialCheck: Send + Sync + 'static {
    fn check(&self, kind: CredentialKind, secret: String, context: RequestContext) -> CheckFuture;
}

#[derive(Clone)]
pub struct Credentials(pub Arc<dyn CredentialCheck>);

async fn check(req: &Request, kind: CredentialKind, secret: &str) -> poem::Result<Caller> {
    let credentials = req.data::<Credentials>().ok_or_else(|| Error::internal("no credential check installed"))?;
    Ok(credentials.0.check(kind, secret.to_owned(), context::of(req)).await?)
}

/// `Authorization: Bearer <access_token>` from `/auth/login`.
#[derive(SecurityScheme)]
#[oai(ty = "bearer", checker = "check_bearer")]
pub struct BearerAuth(pub Caller);

async fn check_bearer(req: &Request, bearer: Bearer) -> poem::Result<Caller> {
    check(req, CredentialKind::Access, &bearer.token).await
}

/// The web UI's session cookie from `POST /auth/session`. Requests that
/// change data must also send `X-CSRF-Token`.
#[derive(SecurityScheme)]
#[oai(ty = "api_key", key_in = "cookie", key_name = "clinicbox_session", checker = "check_session")]
pub struct SessionAuth(pub Caller);

async fn check_session(req: &Request, key: ApiKey) -> poem::Result<Caller> {
    let caller = check(req, CredentialKind::Session, &key.key).await?;
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe {
        let expected = tokens::csrf_for_session(&key.key);
        let presented = req.header(CSRF_HEADER).unwrap_or_default();
        if !tokens::secrets_match(presented, &expected) {
            return Err(Error::Forbidden {
                code: ErrorCode::CsrfFailed,
                message: "this request needs the X-CSRF-Token header of the session".into(),
            }
            .into());
        }
    }
    Ok(caller)
}

/// Who a request that needs no sign-in is from, if it carries a valid
/// credential: a bearer token, or the session cookie (reads only need no
/// CSRF header). For answers that say more to staff than to strangers.
pub async fn optional_caller(req: &Request) -> Option<Caller> {
    if let Some(token) = req.header(header::AUTHORIZATION).and_then(|v| v.strip_prefix("Bearer ")) {
        return check(req, CredentialKind::Access, token.trim()).await.ok();
    }
    let session = req.cookie().get(SESSION_COOKIE)?;
    check(req, CredentialKind::Session, session.value_str()).await.ok()
}

/// Any signed-in staff member, by bearer token or session.
///
/// Chosen by what the request carries (an `Authorization` header means a
/// bearer token) so the error names the real problem: an expired token, or
/// a session request without its CSRF header.
pub enum StaffAuth {
    Bearer(BearerAuth),
    Session(SessionAuth),
}

impl StaffAuth {
    pub fn caller(&self) -> &Caller {
        match self {
            StaffAuth::Bearer(auth) => &auth.0,
            StaffAuth::Session(auth) => &auth.0,
        }
    }
}

impl<'a> ApiExtractor<'a> for StaffAuth {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::SecurityScheme];
    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        BearerAuth::register(registry);
        SessionAuth::register(registry);
    }

    fn security_schemes() -> Vec<&'static str> {
        let mut schemes = BearerAuth::security_schemes();
        schemes.extend(SessionAuth::security_schemes());
        schemes
    }

    async fn from_request(
        req: &'a Request,
        body: &mut RequestBody,
        param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        if req.headers().contains_key(header::AUTHORIZATION) {
            Ok(StaffAuth::Bearer(BearerAuth::from_request(req, body, param_opts).await?))
        } else {
            Ok(StaffAuth::Session(SessionAuth::from_request(req, body, param_opts).await?))
        }
    }
}

/// `?access_token=<token>`: for clients that cannot set headers, such as a
/// browser's WebSocket. Only the live-events connection takes it.
#[derive(SecurityScheme)]
#[oai(ty = "api_key", key_in = "query", key_name = "access_token", checker = "check_query_token")]
pub struct QueryTokenAuth(pub Caller);

async fn check_query_token(req: &Request, key: ApiKey) -> poem::Result<Caller> {
    check(req, CredentialKind::Access, &key.key).await
}

/// A signed-in principal for a long-lived connection, with the credential
/// it presented so the connection can check it again later (after a
/// sign-out, say): a bearer token, an `access_token` query parameter, or
/// the session cookie, looked for in that order.
pub struct HeldCredential {
    pub caller: Caller,
    pub kind: CredentialKind,
    pub secret: String,
}

impl HeldCredential {
    fn presented(req: &Request) -> Option<(CredentialKind, String)> {
        if let Some(value) = req.header(header::AUTHORIZATION) {
            let token = value.strip_prefix("Bearer ").unwrap_or_default().trim();
            return Some((CredentialKind::Access, token.to_owned()));
        }
        let query = req.uri().query().unwrap_or_default();
        let from_query = query.split('&').find_map(|pair| pair.strip_prefix("access_token="));
        if let Some(token) = from_query {
            let token = percent_encoding::percent_decode_str(token).decode_utf8_lossy();
            return Some((CredentialKind::Access, token.into_owned()));
        }
        let session = req.cookie().get(SESSION_COOKIE)?;
        Some((CredentialKind::Session, session.value_str().to_owned()))
    }
}

impl<'a> ApiExtractor<'a> for HeldCredential {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::SecurityScheme];
    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        BearerAuth::register(registry);
        QueryTokenAuth::register(registry);
        SessionAuth::register(registry);
    }

    fn security_schemes() -> Vec<&'static str> {
        let mut schemes = BearerAuth::security_schemes();
        schemes.extend(QueryTokenAuth::security_schemes());
        schemes.extend(SessionAuth::security_schemes());
        schemes
    }

    async fn from_request(
        req: &'a Request,
        _body: &mut RequestBody,
        _param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        let Some((kind, secret)) = Self::presented(req).filter(|(_, secret)| !secret.is_empty()) else {
            return Err(Error::unauthorized(ErrorCode::Unauthenticated, "sign in to continue").into());
        };
        let caller = check(req, kind, &secret).await?;
        Ok(HeldCredential { caller, kind, secret })
    }
}
