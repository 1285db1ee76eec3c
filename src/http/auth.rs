//! How a request proves who it is: a bearer token (integrations) or the
//! browser's session cookie plus a CSRF header on changing requests.

use poem::http::{Method, header};
use poem::{Request, RequestBody};
use poem_openapi::SecurityScheme;
use poem_openapi::auth::{ApiKey, Bearer};
use poem_openapi::registry::Registry;
use poem_openapi::{ApiExtractor, ApiExtractorType, ExtractParamOptions};

use crate::App;
use crate::auth::model::Caller;
use crate::auth::service;
use crate::auth::store::TokenKind;
use crate::auth::tokens;
use crate::error::Error;
use crate::http::context::RequestContext;

pub const SESSION_COOKIE: &str = "clinicbox_session";
pub const CSRF_HEADER: &str = "x-csrf-token";

fn app_of(req: &Request) -> poem::Result<&App> {
    req.data::<App>().ok_or_else(|| Error::internal("application state missing").into())
}

/// `Authorization: Bearer <access_token>` from `/auth/login`.
#[derive(SecurityScheme)]
#[oai(ty = "bearer", checker = "check_bearer")]
pub struct BearerAuth(pub Caller);

async fn check_bearer(req: &Request, bearer: Bearer) -> poem::Result<Caller> {
    let app = app_of(req)?;
    Ok(service::authenticate(app, TokenKind::Access, &bearer.token, RequestContext::of(req)).await?)
}

/// The web UI's session cookie from `POST /auth/session`. Requests that
/// change data must also send `X-CSRF-Token`.
#[derive(SecurityScheme)]
#[oai(ty = "api_key", key_in = "cookie", key_name = "clinicbox_session", checker = "check_session")]
pub struct SessionAuth(pub Caller);

async fn check_session(req: &Request, key: ApiKey) -> poem::Result<Caller> {
    let app = app_of(req)?;
    let caller = service::authenticate(app, TokenKind::Session, &key.key, RequestContext::of(req)).await?;
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe {
        let expected = tokens::csrf_for_session(&key.key);
        let presented = req.header(CSRF_HEADER).unwrap_or_default();
        if !tokens::secrets_match(presented, &expected) {
            return Err(Error::Forbidden {
                code: "CSRF_FAILED",
                message: "this request needs the X-CSRF-Token header of the session".into(),
            }
            .into());
        }
    }
    Ok(caller)
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
