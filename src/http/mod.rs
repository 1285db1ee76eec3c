//! The HTTP server: the documented API under `/api/v1`, its spec and docs,
//! health checks and the embedded web UI.

pub mod assets;
pub mod auth;
pub mod context;
pub mod error;
pub mod health;
pub mod pagination;
pub mod ratelimit;

use std::future::Future;
use std::time::Duration;

use poem::endpoint::make_sync;
use poem::http::{HeaderValue, StatusCode, header};
use poem::listener::{Acceptor, TcpAcceptor};
use poem::middleware::{CatchPanic, Compression};
use poem::{Endpoint, EndpointExt, IntoEndpoint, IntoResponse, Request, Response, Route, Server, get};
use poem_openapi::{OpenApiService, Tags};
use sha2::{Digest, Sha256};

use crate::App;
use crate::audit::api::AuditApi;
use crate::auth::api::AuthApi;
use crate::auth::staff_api::StaffApi;
use crate::backup::api::BackupsApi;
use crate::patients::api::PatientsApi;
use crate::scheduling::api::{AppointmentsApi, SchedulingApi};
use crate::search::api::SearchApi;

/// Request bodies above this are refused with 413. Attachments get their own limit.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

#[derive(Tags)]
pub enum ApiTags {
    /// Sign-in, tokens and browser sessions.
    Auth,
    /// Creating the first administrator on a new installation.
    Setup,
    /// Staff accounts and roles (administrators).
    Staff,
    /// Patient records.
    Patients,
    /// The audit log of changes and record reads (administrators).
    Audit,
    /// Finding people across the clinic's records.
    Search,
    /// Snapshots of the data directory (administrators).
    Backups,
    /// Centres, clinicians, services, availability and slots.
    Scheduling,
    /// Booking appointments and following them to completion.
    Appointments,
    /// Endpoints that need no sign-in, for a public booking page.
    Public,
}

pub type Apis = (AuthApi, StaffApi, PatientsApi, AuditApi, SearchApi, BackupsApi, SchedulingApi, AppointmentsApi);

pub fn api_service() -> OpenApiService<Apis, ()> {
    OpenApiService::new(
        (AuthApi, StaffApi, PatientsApi, AuditApi, SearchApi, BackupsApi, SchedulingApi, AppointmentsApi),
        "Clinicbox API",
        env!("CARGO_PKG_VERSION"),
    )
    .description(
        "The HTTP API of Clinicbox. Every list answers `{data, pagination}`; every error answers \
             `{error: {code, message, details}}`. Sign in with `POST /auth/login` and send \
             `Authorization: Bearer <access_token>`.",
    )
    .server("/api/v1")
}

/// The OpenAPI document, as `clinicbox openapi` prints it.
pub fn openapi_json() -> String {
    api_service().spec()
}

/// Serves a fixed body with a content-hash ETag, answering 304 when the
/// browser already has it.
fn cached(body: String, content_type: &'static str) -> impl Endpoint<Output = Response> {
    let etag = format!("\"{}\"", &hex::encode(Sha256::digest(body.as_bytes()))[..32]);
    make_sync(move |req: Request| {
        if req.header(header::IF_NONE_MATCH) == Some(etag.as_str()) {
            return Response::builder().status(StatusCode::NOT_MODIFIED).header(header::ETAG, etag.clone()).finish();
        }
        let mut response =
            Response::builder().content_type(content_type).header(header::ETAG, etag.clone()).body(body.clone());
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300"));
        response
    })
}

pub fn endpoint(app: App) -> impl Endpoint {
    let api = api_service();
    let spec = api.spec();
    let docs = api.swagger_ui_html();
    let trust_proxy_headers = app.config.trust_proxy_headers;
    let limiter = std::sync::Arc::new(ratelimit::PublicLimiter::default());
    Route::new()
        .nest("/api/v1", api.around(|next, req| context::limit_body(next, req, MAX_BODY_BYTES)))
        .at("/api/openapi.json", get(cached(spec, "application/json")))
        .at("/api/docs", get(cached(docs, "text/html; charset=utf-8")))
        .at("/health", get(health::alive))
        .at("/health/ready", get(health::ready))
        .nest("/api", make_sync(|_| -> poem::Result<()> { Err(poem::error::NotFoundError.into()) }))
        .nest("/", assets::endpoint())
        .data(app)
        .with(
            CatchPanic::new()
                .with_handler(|_| crate::error::Error::internal("a request handler panicked").into_response()),
        )
        .catch_all_error(error::render)
        .with(Compression::new())
        .around(move |next, req| context::around(next, req, trust_proxy_headers, limiter.clone()))
        .into_endpoint()
}

/// Serves until `shutdown` resolves, then lets in-flight requests finish.
pub async fn serve(
    app: App,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let acceptor = TcpAcceptor::from_tokio(listener)?;
    let local = acceptor.local_addr();
    tracing::info!(addr = ?local, "listening");
    Server::new_with_acceptor(acceptor)
        .run_with_graceful_shutdown(endpoint(app), shutdown, Some(Duration::from_secs(10)))
        .await
}
