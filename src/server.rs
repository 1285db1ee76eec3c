//! The server: every feature's API under `/api/v1`, its spec and docs,
//! health checks and the embedded web UI, assembled with the HTTP toolkit,
//! and `serve(listener, shutdown)` with the background workers.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use poem::endpoint::make_sync;
use poem::http::{HeaderValue, StatusCode, header};
use poem::listener::{Acceptor, AcceptorExt, TcpAcceptor};
use poem::middleware::{CatchPanic, Compression, CookieJarManager};
use poem::web::{Data, Json};
use poem::{Endpoint, EndpointExt, IntoEndpoint, IntoResponse, Request, Response, Route, Server, get, handler};
use poem_openapi::{LicenseObject, OpenApi, OpenApiService};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::audit::api::AuditApi;
use crate::auth::account_api::AccountApi;
use crate::auth::api::AuthApi;
use crate::auth::api_keys::api::ApiKeysApi;
use crate::auth::sign_in::StaffCredentials;
use crate::auth::staff_api::StaffApi;
use crate::backup::api::BackupsApi;
use crate::clinic::api::ClinicApi;
use crate::events::api::EventsApi;
use crate::http::auth::{Credentials, optional_caller};
use crate::http::operations::Operation;
use crate::http::tls::Tls;
use crate::http::{MAX_BODY_BYTES, assets, body_errors, context, error, ratelimit, spec};
use crate::kit::error::Error;
use crate::kit::permissions::Action;
use crate::notify::api::NotificationsApi;
use crate::patients::api::PatientsApi;
use crate::patients::merging::api::PatientMergingApi;
use crate::portal::api::PortalApi;
use crate::records::attachments::api::AttachmentsApi;
use crate::records::notes::api::NotesApi;
use crate::records::programmes::api::ProgrammesApi;
use crate::records::questionnaires::api::QuestionnairesApi;
use crate::scheduling::appointments::api::AppointmentsApi;
use crate::scheduling::availability::api::AvailabilityApi;
use crate::scheduling::feeds::api::FeedsApi;
use crate::scheduling::setup::api::SetupApi;
use crate::scheduling::slots::api::SlotsApi;
use crate::search::IndexState;
use crate::search::api::SearchApi;
use crate::{App, auth, backup, search};

/// Every feature's API in one documented service.
pub fn api_service() -> OpenApiService<impl OpenApi, ()> {
    OpenApiService::new(
        (
            AuthApi,
            AccountApi,
            StaffApi,
            ApiKeysApi,
            // Grouped: a tuple of APIs holds at most 16.
            (PatientsApi, PatientMergingApi, NotesApi, QuestionnairesApi, AttachmentsApi, ProgrammesApi),
            AuditApi,
            SearchApi,
            BackupsApi,
            SetupApi,
            FeedsApi,
            AvailabilityApi,
            SlotsApi,
            AppointmentsApi,
            ClinicApi,
            NotificationsApi,
            // Tuples of APIs stop at 16: the newest ones share a place.
            (EventsApi, PortalApi),
        ),
        "Clinicbox API",
        env!("CARGO_PKG_VERSION"),
    )
    .description(
        "The HTTP API of Clinicbox. Sign in with `POST /auth/login` and send \
         `Authorization: Bearer <access_token>`. Every list answers `{data}`; paginated ones add \
         `pagination`. Every error answers `{error: {code, message, details, request_id}}`, with the \
         codes each operation can give listed under its responses. System instants are UTC written \
         with `Z`; appointment times carry their centre's offset. In a patch, a field left out stays \
         and `null` clears a `nullable` one. Each operation's description ends with the roles that \
         may call it.\n\n\
         Limits: every length, range and list size a body or query value may have is in its schema \
         (`maxLength`, `minimum`, `maximum`, `maxItems`, `pattern`); a value outside them is a 422 \
         `VALIDATION_FAILED` naming the field, and a field a schema does not list is refused the same \
         way (`additionalProperties: false`). Bodies are at most 1 MiB (413 `PAYLOAD_TOO_LARGE`) and \
         JSON (415 `UNSUPPORTED_MEDIA_TYPE`), except a file upload: `multipart/form-data` whose \
         file may be up to the server's `max_upload_mb` (25 MiB unless configured).\n\n\
         Besides each operation's own answers, any address can answer: 404 `NOT_FOUND` for an \
         address that does not exist; 405 `METHOD_NOT_ALLOWED`, with `Allow` naming the methods it \
         takes; 414 `URI_TOO_LONG` for an address and query longer than 8 KiB. Each is the same \
         error envelope with the same headers.",
    )
    .server("/api/v1")
    .license(LicenseObject::new("Apache-2.0").url("https://www.apache.org/licenses/LICENSE-2.0"))
}

/// Every operation's access and its own error codes, feature by feature.
pub fn operations() -> Vec<Operation> {
    [
        crate::auth::api::OPERATIONS,
        crate::auth::account_api::OPERATIONS,
        crate::auth::staff_api::OPERATIONS,
        crate::auth::api_keys::api::OPERATIONS,
        crate::patients::api::OPERATIONS,
        crate::patients::merging::api::OPERATIONS,
        crate::records::notes::api::OPERATIONS,
        crate::records::questionnaires::api::OPERATIONS,
        crate::records::attachments::api::OPERATIONS,
        crate::records::programmes::api::OPERATIONS,
        crate::notify::api::OPERATIONS,
        crate::events::api::OPERATIONS,
        crate::portal::api::OPERATIONS,
        crate::audit::api::OPERATIONS,
        crate::search::api::OPERATIONS,
        crate::backup::api::OPERATIONS,
        crate::scheduling::setup::api::OPERATIONS,
        crate::scheduling::feeds::api::OPERATIONS,
        crate::scheduling::availability::api::OPERATIONS,
        crate::scheduling::slots::api::OPERATIONS,
        crate::scheduling::appointments::api::OPERATIONS,
        crate::clinic::api::OPERATIONS,
    ]
    .concat()
}

/// The OpenAPI document, as `clinicbox openapi` prints it and the server
/// serves it.
pub fn openapi_json() -> String {
    spec::finish(&api_service().spec(), &operations())
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
    let spec = spec::finish(&api.spec(), &operations());
    error::know_enums(spec::enum_values(&spec));
    body_errors::know_schemas(spec::schemas(&spec));
    body_errors::know_operations(&spec::paths(&spec));
    // The docs page embeds the document it was built from: give it the finished one.
    let docs = api.swagger_ui_html().replace(&api.spec(), &spec);
    let trust = Arc::new(context::ProxyTrust {
        enabled: app.config.trust_proxy_headers,
        proxies: app.config.trusted_proxies.clone(),
    });
    let limiter = Arc::new(ratelimit::PublicLimiter::default());
    let hsts = app.config.sends_hsts();
    let limits = context::BodyLimits {
        json: MAX_BODY_BYTES,
        upload: app.config.max_upload_bytes(),
        upload_dir: app.files.incoming_dir(),
    };
    let credentials = Credentials(Arc::new(StaffCredentials(app.clone())));
    Route::new()
        .nest("/api/v1", api.around(move |next, req| context::limit_body(next, req, limits.clone())))
        .at("/api/openapi.json", get(cached(spec, "application/json")))
        .at("/api/docs", get(cached(docs, "text/html; charset=utf-8")))
        .at("/health", get(alive))
        .at("/health/ready", get(ready))
        .nest("/api", make_sync(|_| -> poem::Result<()> { Err(poem::error::NotFoundError.into()) }))
        .nest("/", assets::endpoint())
        .data(app)
        .data(credentials)
        .with(CookieJarManager::new())
        .with(CatchPanic::new().with_handler(|_| Error::internal("a request handler panicked").into_response()))
        .catch_all_error(error::render)
        .with(Compression::new())
        .around(move |next, req| context::around(next, req, trust.clone(), limiter.clone(), hsts))
        .into_endpoint()
}

/// Runs the server with its workers until `shutdown` resolves, lets
/// in-flight requests finish, then stops the workers and releases the data
/// directory. With `tls` it answers in HTTPS only.
pub async fn serve(
    app: App,
    listener: tokio::net::TcpListener,
    tls: Option<Tls>,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    if let Err(err) = crate::clinic::service::apply_saved_region(&app).await {
        tracing::error!(error = %err, "cannot read the clinic's phone region; using the configured one");
    }
    let background = Background::start(&app);
    let served = serve_http(app.clone(), listener, tls, shutdown).await;
    background.stop().await;
    app.release_data_dir();
    served
}

/// Serves HTTP(S) only, without the background workers.
pub async fn serve_http(
    app: App,
    listener: tokio::net::TcpListener,
    tls: Option<Tls>,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let acceptor = TcpAcceptor::from_tokio(listener)?;
    let local = acceptor.local_addr();
    let addrs: Vec<String> =
        local.iter().map(|a| a.as_socket_addr().map(|s| s.to_string()).unwrap_or_else(|| a.to_string())).collect();
    let scheme = if tls.is_some() { "https" } else { "http" };
    tracing::info!(addr = %addrs.join(", "), scheme, "listening");
    let grace = Some(Duration::from_secs(10));
    // Live-event sockets outlive their request: tell them to close as the
    // server starts to stop, or the grace period would wait on them.
    let events = app.events.clone();
    let shutdown = async move {
        shutdown.await;
        events.close_all();
    };
    match tls {
        // The handshake happens on the connection's own task, so a client
        // that stalls mid-handshake holds up no one else's.
        Some(tls) => {
            let certificates = poem::listener::IntoTlsConfigStream::into_stream(tls.config)?;
            Server::new_with_acceptor(acceptor.rustls(certificates))
                .run_with_graceful_shutdown(endpoint(app), shutdown, grace)
                .await
        }
        None => Server::new_with_acceptor(acceptor).run_with_graceful_shutdown(endpoint(app), shutdown, grace).await,
    }
}

/// Alive: the process answers.
#[handler]
pub fn alive() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// Ready: the database answers and the search index is built. 503
/// otherwise. Strangers (a load balancer) learn only the states; an
/// administrator's credential also shows the index's size and the
/// rebuild's progress.
#[handler]
pub async fn ready(app: Data<&App>, req: &Request) -> (StatusCode, Json<Value>) {
    let database = match app.db.ping().await {
        Ok(()) => json!({ "status": "ok" }),
        Err(err) => {
            tracing::error!(error = %err, "readiness check failed");
            json!({ "status": "unavailable" })
        }
    };
    let index = app.search.state();
    let ready = database["status"] == "ok" && index == IndexState::Ready;
    let mut index = serde_json::to_value(&index).unwrap_or_else(|_| json!({}));
    let operator = optional_caller(req).await.is_some_and(|caller| caller.require(Action::BackupManage).is_ok());
    if operator {
        index["documents"] = json!(app.search.num_docs());
    } else {
        index = json!({ "status": index["status"] });
    }
    let status = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let body = json!({
        "status": if ready { "ok" } else { "unavailable" },
        "checks": { "database": database, "index": index },
    });
    (status, Json(body))
}

/// The workers that run beside the HTTP server.
struct Background {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Background {
    fn start(app: &App) -> Self {
        let (stop, stopped) = watch::channel(false);
        let mut tasks =
            vec![search::indexer::spawn(app.clone(), stopped.clone()), spawn_maintenance(app.clone(), stopped.clone())];
        tasks.push(crate::jobs::worker::spawn(app.clone(), crate::notify::JOB_HANDLERS, stopped.clone()));
        tasks.push(crate::events::publish::spawn(app.clone(), stopped.clone()));
        tasks.extend(backup::snapshots::spawn(app.clone(), stopped));
        Self { stop, tasks }
    }

    /// Stops every worker and waits for them (the indexer commits first).
    async fn stop(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

/// Housekeeping that runs while the server serves: drops long-expired tokens.
fn spawn_maintenance(app: App, mut stop: watch::Receiver<bool>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut every_hour = tokio::time::interval(Duration::from_secs(3600));
        loop {
            tokio::select! {
                _ = every_hour.tick() => {},
                _ = stop.changed() => return,
            }
            let now = app.clock.now();
            match app.db.write(move |tx| auth::store::purge_expired_tokens(tx, now)).await {
                Ok(removed) if removed > 0 => tracing::info!(removed, "purged expired tokens"),
                Ok(_) => {}
                Err(err) => tracing::warn!(error = %err, "token purge failed"),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::spec::{CLEARABLE, field_facts};
    use crate::kit::error::ErrorCode;

    #[test]
    fn every_field_fact_names_a_field_of_the_spec() {
        let spec: Value = serde_json::from_str(&openapi_json()).unwrap();
        for (schema, property, facts) in field_facts() {
            let field = spec.pointer(&format!("/components/schemas/{schema}/properties/{property}"));
            let field = field.unwrap_or_else(|| panic!("{schema}.{property} is not in the spec"));
            for (key, value) in facts.as_object().unwrap() {
                assert_eq!(&field[key], value, "{schema}.{property}.{key}");
            }
        }
    }

    #[test]
    fn every_clearable_field_is_in_the_spec_and_nullable() {
        let spec: Value = serde_json::from_str(&openapi_json()).unwrap();
        for (schema, properties) in CLEARABLE {
            for property in *properties {
                let field = spec.pointer(&format!("/components/schemas/{schema}/properties/{property}"));
                assert_eq!(field.map(|f| &f["nullable"]), Some(&json!(true)), "{schema}.{property}");
            }
        }
    }

    #[test]
    fn the_spec_says_what_every_error_code_means() {
        let spec: Value = serde_json::from_str(&openapi_json()).unwrap();
        let described = spec.pointer("/components/schemas/ErrorCode/description").and_then(Value::as_str).unwrap();
        for code in ErrorCode::ALL {
            assert!(described.contains(&format!("- `{}`: {}", code.as_str(), code.meaning())), "{code}");
        }
    }

    /// The stored text form of each enum is the one the API writes.
    #[test]
    fn stored_enum_text_is_the_wire_text() {
        use poem_openapi::types::ToJSON;
        fn same<T: ToJSON>(value: T, stored: &str) -> (String, String) {
            (value.to_json().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default(), stored.to_owned())
        }
        use crate::kit::principal::Role;
        use crate::patients::model::{PatientStatus, Sex};
        use crate::scheduling::appointments::model::{AppointmentStatus, AttendeeStatus};
        use crate::scheduling::setup::model::Modality;
        for (wire, stored) in [
            same(Role::FrontDesk, Role::FrontDesk.as_str()),
            same(Sex::Unknown, Sex::Unknown.as_str()),
            same(PatientStatus::Archived, PatientStatus::Archived.as_str()),
            same(AppointmentStatus::CheckedIn, AppointmentStatus::CheckedIn.as_str()),
            same(AppointmentStatus::NoShow, AppointmentStatus::NoShow.as_str()),
            same(AttendeeStatus::Waitlisted, AttendeeStatus::Waitlisted.as_str()),
            same(Modality::InPerson, Modality::InPerson.as_str()),
        ] {
            assert_eq!(wire, stored);
        }
        assert_eq!(Role::parse("front_desk"), Some(Role::FrontDesk));
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn no_format_is_one_of_poem_openapis_own() {
        let spec = openapi_json();
        for own in ["naive-date", "uint32", "uint64", "uint16", "uint8"] {
            assert!(!spec.contains(&format!("\"format\": \"{own}\"")), "{own}");
        }
    }
}
