//! Per-request context (request id, client address), the request log line,
//! and the headers every response carries.

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use poem::http::{HeaderValue, header};
use poem::{Endpoint, Request, Response};
use tracing::Instrument;

use crate::http::ratelimit::{self, PublicLimiter};
use crate::http::{body_errors, uploads};
use crate::kit::context::RequestContext;
use poem_openapi::error::ParseRequestPayloadError;

use crate::kit::error::{Error, ErrorCode};

pub const REQUEST_ID_HEADER: &str = "x-request-id";
/// The longest address (path and query) answered; a longer one is a 414 in
/// the envelope. Far below the HTTP library's own limit (64 KiB, answered
/// bare), and what reverse proxies commonly allow.
pub const MAX_URI_BYTES: usize = 8 * 1024;
/// How much of a `User-Agent` the sessions list keeps.
const USER_AGENT_MAX: usize = 200;

tokio::task_local! {
    /// The id of the request being answered, so an error envelope can carry
    /// it wherever in the stack the error is rendered.
    static CURRENT_REQUEST_ID: String;
}

/// The id of the request this task is answering, if any.
pub fn current_request_id() -> Option<String> {
    CURRENT_REQUEST_ID.try_with(Clone::clone).ok()
}

/// The context the middleware attached; a blank one outside a request.
pub fn of(req: &Request) -> RequestContext {
    req.extensions().get::<RequestContext>().cloned().unwrap_or_default()
}

/// A caller's own request id is kept when it is short and plain, so an
/// integrator can follow one request through both systems' logs.
fn incoming_request_id(req: &Request) -> Option<String> {
    let value = req.header(REQUEST_ID_HEADER)?;
    let plain = !value.is_empty()
        && value.len() <= 64
        && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    plain.then(|| value.to_owned())
}

/// Which proxies' `X-Forwarded-For` to believe.
#[derive(Clone, Debug, Default)]
pub struct ProxyTrust {
    pub enabled: bool,
    pub proxies: Vec<IpAddr>,
}

/// `Strict-Transport-Security` for a year: sent only when staff reach the
/// server over https (`public_url`), so a plain-http install on the back
/// office network is never told to refuse http.
const HSTS: &str = "max-age=31536000";

/// The client's address. Behind trusted proxies it is the right-most
/// address of `X-Forwarded-For` that is not itself a trusted proxy: each
/// proxy appends the address it saw, so everything to the left of that is
/// whatever the client chose to write.
fn client_addr(req: &Request, trust: &ProxyTrust) -> Option<IpAddr> {
    let peer = req.remote_addr().as_socket_addr().map(|addr| addr.ip())?;
    if !trust.enabled || !trust.proxies.contains(&peer) {
        return Some(peer);
    }
    let forwarded = req.headers().get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok());
    let hops: Vec<&str> = forwarded.flat_map(|value| value.split(',')).map(str::trim).collect();
    for hop in hops.iter().rev() {
        match hop.parse::<IpAddr>() {
            Ok(ip) if trust.proxies.contains(&ip) => continue,
            Ok(ip) => return Some(ip),
            // A hop that is not an address: nothing left of it can be trusted.
            Err(_) => return Some(peer),
        }
    }
    Some(peer)
}

/// Paths whose segments are secrets are logged without them.
/// Paths whose rest is a credential (a calendar feed's token, a patient's
/// link to their appointment): the log keeps only the part before it.
const PATHS_WITH_SECRETS: &[(&str, &str)] = &[
    ("/api/v1/calendar/", "/api/v1/calendar/…"),
    ("/api/v1/public/appointments/", "/api/v1/public/appointments/…"),
    ("/manage/", "/manage/…"),
];

fn loggable_path(path: &str) -> &str {
    if let Some((_, redacted)) = PATHS_WITH_SECRETS.iter().find(|(prefix, _)| path.starts_with(prefix)) {
        return redacted;
    }
    // A refused over-long address is not copied whole into the log.
    let end = (0..=path.len().min(LOGGED_PATH_MAX)).rev().find(|i| path.is_char_boundary(*i)).unwrap_or(0);
    &path[..end]
}

/// How much of a path the request log line keeps.
const LOGGED_PATH_MAX: usize = 300;

const APP_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
    frame-ancestors 'none'";
/// The bundled Swagger UI page boots from an inline script.
const DOCS_CSP: &str = "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

pub async fn around<E: Endpoint>(
    next: E,
    mut req: Request,
    trust: std::sync::Arc<ProxyTrust>,
    limiter: std::sync::Arc<PublicLimiter>,
    hsts: bool,
) -> poem::Result<Response> {
    let started = Instant::now();
    let request_id = incoming_request_id(&req).unwrap_or_else(|| {
        crate::kit::tokens::generate("").map(|t| t[..32].to_owned()).unwrap_or_else(|_| "unknown".into())
    });
    let user_agent = req.header(header::USER_AGENT).map(|agent| agent.chars().take(USER_AGENT_MAX).collect());
    let context = RequestContext { request_id: request_id.clone(), client_addr: client_addr(&req, &trust), user_agent };
    let limited = match context.client_addr {
        Some(ip) if ratelimit::is_public(req.uri().path()) => limiter.check(ip).err(),
        _ => None,
    };
    req.extensions_mut().insert(context);
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let span = tracing::info_span!("request", %method, path = loggable_path(&path), request_id = %request_id);

    let uri_length = req.uri().path_and_query().map_or(0, |p| p.as_str().len());
    let answer = async {
        if uri_length > MAX_URI_BYTES {
            let too_long = Error::bad_request(ErrorCode::UriTooLong, "the address is too long");
            return poem::IntoResponse::into_response(too_long);
        }
        match limited {
            Some(retry_after_secs) => poem::IntoResponse::into_response(Error::TooManyRequests { retry_after_secs }),
            None => next.get_response(req).instrument(span.clone()).await,
        }
    };
    let mut response = CURRENT_REQUEST_ID.scope(request_id.clone(), answer).await;

    // One line a request: API calls at info, the UI's files and health
    // checks (a monitor asks every few seconds) at debug.
    let status = response.status().as_u16();
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    let logged = loggable_path(&path);
    if path.starts_with("/api/v1/") {
        tracing::info!(request_id = %request_id, "{method} {logged} {status} {latency_ms:.1} ms");
    } else {
        tracing::debug!(request_id = %request_id, "{method} {logged} {status} {latency_ms:.1} ms");
    }
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        headers.insert(REQUEST_ID_HEADER, value);
    }
    let is_docs = path == "/api/docs" || path.starts_with("/api/docs/");
    let csp = if is_docs { DOCS_CSP } else { APP_CSP };
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(csp));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    if hsts {
        headers.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static(HSTS));
    }
    if status == poem::http::StatusCode::METHOD_NOT_ALLOWED
        && let Some(allowed) = path.strip_prefix("/api/v1").and_then(body_errors::allowed_methods)
        && let Ok(value) = HeaderValue::from_str(&allowed)
    {
        headers.insert(header::ALLOW, value);
    }
    if path.starts_with("/api/v1") || path.starts_with("/health") {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    Ok(response)
}

/// How large a request body may be.
#[derive(Clone, Debug)]
pub struct BodyLimits {
    /// Any body but a file upload.
    pub json: usize,
    /// The file of a `multipart/form-data` upload.
    pub upload: usize,
    /// Where uploads are written as they arrive.
    pub upload_dir: std::path::PathBuf,
}

/// Refuses request bodies over their limit with 413, whether the size is
/// declared up front or the body arrives chunked. Keeps the body it read,
/// so a JSON body the framework refuses can be answered field by field.
pub async fn limit_body<E: Endpoint>(next: E, mut req: Request, limits: BodyLimits) -> poem::Result<E::Output> {
    let too_large = || poem::Error::from_status(poem::http::StatusCode::PAYLOAD_TOO_LARGE);
    let declared = req.header(header::CONTENT_LENGTH).and_then(|v| v.parse::<usize>().ok());
    let chunked = req.header(header::TRANSFER_ENCODING).is_some();
    if req.header(header::CONTENT_TYPE).is_some_and(|t| t.starts_with("multipart/form-data")) {
        // A file upload streams to disk, cut off at the upload limit.
        let limit = limits.upload + uploads::FORM_OVERHEAD;
        if declared.is_some_and(|length| length > limit) {
            return Err(too_large());
        }
        let exceeded = Arc::new(AtomicBool::new(false));
        let body = uploads::limited(req.take_body(), limit, exceeded.clone());
        req.set_body(body);
        let answer = uploads::writing_to(limits.upload_dir, next.call(req)).await;
        return match exceeded.load(Ordering::Relaxed) {
            true => Err(too_large()),
            false => answer,
        };
    }
    let max = limits.json;
    if declared.is_some_and(|length| length > max) {
        return Err(too_large());
    }
    // A request that sends no body sends no type either: read it as an
    // empty JSON body, so an operation whose body is optional (every field
    // optional, e.g. cancelling) accepts it, and one that needs a body says
    // which is missing instead of asking for another media type.
    let no_body = declared.unwrap_or(0) == 0 && !chunked;
    if no_body && req.header(header::CONTENT_TYPE).is_none() {
        req.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    }
    let is_json = req.header(header::CONTENT_TYPE).is_some_and(|t| t.starts_with("application/json"));
    let body = if chunked || (is_json && !no_body) {
        let bytes = req.take_body().into_bytes_limit(max).await.map_err(|_| too_large())?;
        req.set_body(poem::Body::from_bytes(bytes.clone()));
        Some(bytes)
    } else {
        None
    };
    // A JSON body is held to its schema first: the framework is lenient
    // where the contract is not (it reads 123 as the text "123").
    let (method, path) = (req.method().as_str().to_owned(), req.uri().path().to_owned());
    let json = body.as_deref().filter(|_| is_json).and_then(|b| serde_json::from_slice::<serde_json::Value>(b).ok());
    if let Some(value) = &json {
        let problems = body_errors::problems_before_parsing(&method, &path, value);
        if !problems.is_empty() {
            return Err(Error::Validation(problems).into());
        }
    }
    match next.call(req).await {
        Err(err) if err.is::<ParseRequestPayloadError>() => {
            // The framework stops at the first rule broken; name them all.
            let problems = json.map(|value| body_errors::problems_against_schema(&method, &path, &value));
            match problems.filter(|p| !p.is_empty()) {
                Some(problems) => Err(Error::Validation(problems).into()),
                None => Err(body_errors::name_bad_fields(err, body.as_deref())),
            }
        }
        answer => answer,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_keeps_no_credential_that_stands_in_a_path() {
        assert_eq!(loggable_path("/api/v1/calendar/3-0a1b2c.ics"), "/api/v1/calendar/…");
        assert_eq!(loggable_path("/api/v1/public/appointments/12-7-0a1b2c/cancel"), "/api/v1/public/appointments/…");
        assert_eq!(loggable_path("/manage/12-7-0a1b2c"), "/manage/…");
        assert_eq!(loggable_path("/api/v1/patients/12"), "/api/v1/patients/12");
        let long = format!("/api/v1/x{}", "é".repeat(400));
        assert_eq!(loggable_path(&long).len(), LOGGED_PATH_MAX - 1, "cut at a character's edge");
    }
}
