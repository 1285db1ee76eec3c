use poem::Request;
use poem::web::Data;
use poem::web::websocket::{BoxWebSocketUpgraded, WebSocket};
use poem_openapi::OpenApi;

use crate::App;
use crate::events::socket::Connection;
use crate::http::ApiTags;
use crate::http::auth::{CredentialKind, HeldCredential};
use crate::http::operations::Operation;
use crate::kit::error::ErrorCode as C;
use crate::kit::error::{Error, Result};
use crate::kit::permissions::{Access, Action};

/// Frames a client may send are not read; anything large is a misuse.
const MAX_CLIENT_FRAME: usize = 4 * 1024;

pub struct EventsApi;

#[OpenApi(tag = "ApiTags::Events")]
impl EventsApi {
    /// Receive live events (WebSocket)
    ///
    /// Upgrades to a WebSocket (`101`) that sends one JSON text frame per
    /// event: `{"type": "appointment.created", "id": 812, "at": "…Z",
    /// "data": {…}}`; `id` grows with each event. Types:
    /// `appointment.created`, `appointment.updated` (moved, attendees),
    /// `appointment.cancelled` and `appointment.status_changed` (data: the
    /// appointment); `patient.created`, `patient.updated`, `patient.deleted`
    /// (data: `{id}`); `notification.created` (the notification) and
    /// `notification.read` (`{unread}`), to their recipient only. Only what
    /// the caller may see is sent (the clinician scope applies). A client
    /// that falls behind receives `{"type": "resync"}`: refetch. The server
    /// pings every `events_ping_seconds`; the socket closes with code 4401
    /// when the sign-in ends. Sign in by session cookie, bearer token or an
    /// `access_token` query parameter (for browsers' WebSocket). At most 10
    /// connections per person or key (429 `TOO_MANY_CONNECTIONS`).
    #[oai(path = "/events", method = "get", operation_id = "live_events")]
    async fn events(
        &self,
        app: Data<&App>,
        auth: HeldCredential,
        req: &Request,
        socket: poem::Result<WebSocket>,
    ) -> Result<BoxWebSocketUpgraded> {
        auth.caller.require(Action::SchedulingRead)?;
        let socket = socket.map_err(|_| Error::BadRequest {
            code: C::UpgradeRequired,
            message: "this address speaks WebSocket: open it with an Upgrade: websocket request".into(),
        })?;
        if auth.kind == CredentialKind::Session && !same_origin(req) {
            // A session cookie rides along with any page's request: only the
            // clinic's own pages may open a socket with it.
            return Err(Error::forbidden("a live-events connection with the session cookie must come from this site"));
        }
        let held = app.events.admit(&auth.caller)?;
        // Subscribed before the upgrade answers, so nothing after it is missed.
        let events = app.events.subscribe();
        let connection = Connection {
            app: app.0.clone(),
            caller: auth.caller,
            kind: auth.kind,
            secret: auth.secret,
            ping_every: std::time::Duration::from_secs(app.config.events_ping_seconds),
        };
        let config = poem::web::websocket::WebSocketConfig::default()
            .max_message_size(Some(MAX_CLIENT_FRAME))
            .max_frame_size(Some(MAX_CLIENT_FRAME));
        Ok(socket.config(config).on_upgrade(move |stream| connection.run(stream, events, held)).boxed())
    }
}

/// Whether a browser's `Origin`, if it sent one, is this server.
fn same_origin(req: &Request) -> bool {
    let Some(origin) = req.header("origin") else { return true };
    let host = req.header("host").unwrap_or_default();
    let origin_host = origin.split_once("://").map_or(origin, |(_, rest)| rest);
    !host.is_empty() && origin_host.eq_ignore_ascii_case(host)
}

pub const OPERATIONS: &[Operation] = &[Operation::new("live_events", Access::Requires(&[Action::SchedulingRead]))
    .errors(&[C::UpgradeRequired, C::TooManyConnections, C::TokenExpired])];
