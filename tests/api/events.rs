//! Live events over a real WebSocket: who hears of what (roles, the
//! clinician scope, notifications to their recipient only), the three ways
//! to sign in, the refusals, pings, and closing on sign-out, revocation and
//! shutdown.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::harness::{ADMIN_EMAIL, PASSWORD, TestServer};
use crate::scheduling::{book_body, clinic, london};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How a test signs its socket in.
enum Credential<'a> {
    Bearer(&'a str),
    Query(&'a str),
    /// A `Cookie` header value, and the `Origin` the browser would send.
    Cookie(&'a str, Option<&'a str>),
    None,
}

async fn open(server: &TestServer, credential: Credential<'_>) -> Result<Socket, (u16, Value)> {
    let ws_base = server.base.replacen("http://", "ws://", 1);
    let url = match credential {
        Credential::Query(token) => format!("{ws_base}/api/v1/events?access_token={token}"),
        _ => format!("{ws_base}/api/v1/events"),
    };
    let mut request = url.into_client_request().unwrap();
    let headers = request.headers_mut();
    match credential {
        Credential::Bearer(token) => {
            headers.insert("authorization", HeaderValue::from_str(&format!("Bearer {token}")).unwrap());
        }
        Credential::Cookie(cookie, origin) => {
            headers.insert("cookie", HeaderValue::from_str(cookie).unwrap());
            if let Some(origin) = origin {
                headers.insert("origin", HeaderValue::from_str(origin).unwrap());
            }
        }
        Credential::Query(_) | Credential::None => {}
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((socket, response)) => {
            assert_eq!(response.status().as_u16(), 101);
            Ok(socket)
        }
        Err(WsError::Http(response)) => {
            let body = response.body().as_deref().map(|b| serde_json::from_slice(b).unwrap()).unwrap_or(Value::Null);
            Err((response.status().as_u16(), body))
        }
        Err(other) => panic!("could not open the socket: {other}"),
    }
}

async fn connect(server: &TestServer, token: &str) -> Socket {
    open(server, Credential::Bearer(token)).await.unwrap()
}

/// The next event the socket receives within a few seconds (pings skipped).
async fn next_event(socket: &mut Socket) -> Value {
    let wait = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match socket.next().await.expect("the socket closed").unwrap() {
                Message::Text(text) => return serde_json::from_str::<Value>(&text).unwrap(),
                Message::Ping(_) | Message::Pong(_) => continue,
                other => panic!("expected an event, got {other:?}"),
            }
        }
    });
    wait.await.expect("no event arrived")
}

/// The events that arrive until `quiet` passes without one.
async fn events_until_quiet(socket: &mut Socket, quiet: Duration) -> Vec<Value> {
    let mut events = Vec::new();
    while let Ok(Some(Ok(message))) = tokio::time::timeout(quiet, socket.next()).await {
        if let Message::Text(text) = message {
            events.push(serde_json::from_str(&text).unwrap());
        }
    }
    events
}

/// The next event of `kind`, skipping others (a booking also raises a notification).
async fn next_of(socket: &mut Socket, kind: &str) -> Value {
    for _ in 0..10 {
        let event = next_event(socket).await;
        if event["type"] == kind {
            return event;
        }
    }
    panic!("no {kind} event");
}

/// How the socket was closed, waiting a few seconds for it.
async fn close_of(socket: &mut Socket) -> (CloseCode, String) {
    let wait = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match socket.next().await {
                Some(Ok(Message::Close(Some(frame)))) => return (frame.code, frame.reason.to_string()),
                Some(Ok(Message::Close(None))) | None | Some(Err(_)) => panic!("closed without a reason"),
                Some(Ok(_)) => continue,
            }
        }
    });
    wait.await.expect("the socket stayed open")
}

fn types(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["type"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn staff_hear_of_bookings_as_they_happen_and_only_their_own_notifications() {
    let (server, admin) = TestServer::with_admin().await;
    let c = clinic(&server, &admin).await;
    let (clinician_staff, clinician) = server.staff_token(&admin, "clinician").await;
    let (_, front_desk) = server.staff_member(&admin, "desk@events.test", "front_desk").await;
    let (_, billing) = server.staff_token(&admin, "billing").await;
    let linked = server
        .patch(&format!("/api/v1/clinicians/{}", c.clinician), &admin, json!({"staff_id": clinician_staff}))
        .await;
    assert_eq!(linked.status, StatusCode::OK);

    let mut desk_socket = connect(&server, &front_desk).await;
    let mut clinician_socket = open(&server, Credential::Query(&clinician)).await.unwrap();
    let mut billing_socket = connect(&server, &billing).await;

    let start = london(c.monday, "10:00");
    let booked =
        server.post("/api/v1/appointments", &front_desk, book_body(&c, c.patients[0], c.consult, &start)).await;
    assert_eq!(booked.status, StatusCode::CREATED, "{:?}", booked.body);
    let id = booked.body["id"].as_i64().unwrap();

    let created = next_of(&mut desk_socket, "appointment.created").await;
    assert_eq!(created["data"]["id"], id);
    assert_eq!(created["data"]["status"], booked.body["status"]);
    assert_eq!(created["data"]["clinician_id"], c.clinician);
    assert_eq!(created["data"]["start"], booked.body["start"]);
    assert!(created["id"].as_i64().unwrap() > 0);
    assert!(created["at"].as_str().unwrap().ends_with('Z'), "{created}");
    assert_eq!(next_of(&mut billing_socket, "appointment.created").await["data"]["id"], id);

    // The clinician hears of the booking and of the notification it made for them.
    let mut clinician_heard = vec![next_event(&mut clinician_socket).await, next_event(&mut clinician_socket).await];
    clinician_heard.sort_by_key(|e| e["id"].as_i64());
    assert_eq!(types(&clinician_heard), ["appointment.created", "notification.created"]);
    let notification = &clinician_heard[1]["data"];
    assert_eq!(notification["type"], "appointment.created");
    assert!(notification["read_at"].is_null());
    let listed = server.get("/api/v1/notifications", &clinician).await;
    assert_eq!(listed.body["data"][0]["id"], notification["id"], "the event is the notification the list holds");

    // Moves, cancellations and status changes each say which they are.
    let moved = server
        .patch(&format!("/api/v1/appointments/{id}"), &front_desk, json!({"start": london(c.monday, "11:00")}))
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{:?}", moved.body);
    let updated = next_of(&mut desk_socket, "appointment.updated").await;
    assert_eq!(updated["data"]["start"], moved.body["start"]);
    assert!(updated["id"].as_i64() > created["id"].as_i64(), "ids grow");
    let other = server.post(
        "/api/v1/appointments",
        &front_desk,
        book_body(&c, c.patients[1], c.consult, &london(c.monday, "14:00")),
    );
    let other = other.await.body["id"].as_i64().unwrap();
    let cancel_path = format!("/api/v1/appointments/{other}/cancel");
    let cancelled = server.post(&cancel_path, &front_desk, json!({"reason": "Feeling better"})).await;
    assert_eq!(cancelled.status, StatusCode::OK, "{:?}", cancelled.body);
    let cancelled = next_of(&mut desk_socket, "appointment.cancelled").await;
    assert_eq!(
        (cancelled["data"]["id"].as_i64(), cancelled["data"]["status"].as_str()),
        (Some(other), Some("cancelled"))
    );
    // Patients: everyone who reads patients hears of new ones and changes.
    let patient = server.create_patient(&front_desk, json!({"given_name": "Ada", "family_name": "Live"})).await;
    let new_patient = next_of(&mut billing_socket, "patient.created").await;
    assert_eq!(new_patient["data"], json!({"id": patient["id"]}));
    let changed =
        server.patch(&format!("/api/v1/patients/{}", patient["id"]), &front_desk, json!({"given_name": "Adah"})).await;
    assert_eq!(changed.status, StatusCode::OK);
    assert_eq!(next_of(&mut desk_socket, "patient.updated").await["data"]["id"], patient["id"]);

    // Reading the notification tells the clinician's other tabs the new count.
    let mut second_tab = connect(&server, &clinician).await;
    let read_path = format!("/api/v1/notifications/{}/read", notification["id"]);
    assert_eq!(server.call(Method::POST, &read_path, Some(&clinician), None).await.status, StatusCode::OK);
    let read = next_of(&mut second_tab, "notification.read").await;
    let unread = server.get("/api/v1/notifications/unread-count", &clinician).await.body["unread"].clone();
    assert_eq!(read["data"]["unread"], unread);

    // Nobody else heard of the clinician's notifications.
    for socket in [&mut desk_socket, &mut billing_socket] {
        let rest = events_until_quiet(socket, Duration::from_millis(700)).await;
        assert!(rest.iter().all(|e| !e["type"].as_str().unwrap().starts_with("notification.")), "{rest:?}");
    }

    // On the day: checking in is a status change.
    let starts = chrono::DateTime::parse_from_rfc3339(moved.body["start"].as_str().unwrap()).unwrap();
    server.advance(starts.with_timezone(&chrono::Utc) - server.app.clock.now() - chrono::Duration::minutes(5));
    // Days later: sign in again (the open socket is checked at its next ping).
    let front_desk = server.login("desk@events.test", PASSWORD).await;
    let check_in = format!("/api/v1/appointments/{id}/check-in");
    let checked_in = server.call(Method::POST, &check_in, Some(&front_desk), None).await;
    assert_eq!(checked_in.status, StatusCode::OK, "{:?}", checked_in.body);
    let status = next_of(&mut desk_socket, "appointment.status_changed").await;
    assert_eq!((status["data"]["id"].as_i64(), status["data"]["status"].as_str()), (Some(id), Some("checked_in")));
}

#[tokio::test]
async fn a_clinician_limited_to_their_own_patients_hears_of_nobody_else() {
    let (server, admin) = TestServer::with_admin().await;
    let c = clinic(&server, &admin).await;
    let (clinician_staff, clinician) = server.staff_token(&admin, "clinician").await;
    let (_, front_desk) = server.staff_token(&admin, "front_desk").await;
    let linked = server
        .patch(&format!("/api/v1/clinicians/{}", c.clinician), &admin, json!({"staff_id": clinician_staff}))
        .await;
    assert_eq!(linked.status, StatusCode::OK);
    let other = server.post("/api/v1/clinicians", &admin, json!({"display_name": "Dr Bo", "centre_ids": [c.centre]}));
    let other = other.await.body["id"].as_i64().unwrap();
    let rules = json!([{"weekday": 1, "start": "09:00", "end": "17:00", "centre_id": c.centre}]);
    let availability = format!("/api/v1/clinicians/{other}/availability");
    assert_eq!(server.call(Method::PUT, &availability, Some(&admin), Some(rules)).await.status, StatusCode::OK);
    let both = json!({"clinician_ids": [c.clinician, other]});
    assert_eq!(server.patch(&format!("/api/v1/services/{}", c.consult), &admin, both).await.status, StatusCode::OK);
    let scope = json!({"mfa_required_roles": [], "clinician_scope": "own"});
    let set = server.call(Method::PUT, "/api/v1/settings/security", Some(&admin), Some(scope)).await;
    assert_eq!(set.status, StatusCode::OK, "{:?}", set.body);

    let mut socket = connect(&server, &clinician).await;
    let mut desk_socket = connect(&server, &front_desk).await;
    let (mine, theirs) = (c.patients[0], c.patients[1]);
    let mut body = book_body(&c, theirs, c.consult, &london(c.monday, "10:00"));
    body["clinician_id"] = json!(other);
    let their_visit = server.post("/api/v1/appointments", &front_desk, body).await;
    assert_eq!(their_visit.status, StatusCode::CREATED, "{:?}", their_visit.body);
    let changed =
        server.patch(&format!("/api/v1/patients/{theirs}"), &front_desk, json!({"given_name": "Hidden"})).await;
    assert_eq!(changed.status, StatusCode::OK);
    let my_visit =
        server.post("/api/v1/appointments", &front_desk, book_body(&c, mine, c.consult, &london(c.monday, "09:00")));
    let my_visit = my_visit.await.body["id"].as_i64().unwrap();
    let changed = server.patch(&format!("/api/v1/patients/{mine}"), &front_desk, json!({"given_name": "Seen"})).await;
    assert_eq!(changed.status, StatusCode::OK);

    let heard = events_until_quiet(&mut socket, Duration::from_millis(1500)).await;
    let appointments: Vec<&Value> = heard.iter().filter(|e| e["type"] == "appointment.created").collect();
    assert_eq!(appointments.len(), 1, "{heard:?}");
    assert_eq!(appointments[0]["data"]["id"], my_visit);
    let patients: Vec<i64> =
        heard.iter().filter(|e| e["type"] == "patient.updated").map(|e| e["data"]["id"].as_i64().unwrap()).collect();
    assert_eq!(patients, [mine], "{heard:?}");
    // The front desk is not limited: it heard of both visits.
    let desk_heard = events_until_quiet(&mut desk_socket, Duration::from_millis(500)).await;
    assert_eq!(desk_heard.iter().filter(|e| e["type"] == "appointment.created").count(), 2, "{desk_heard:?}");
}

#[tokio::test]
async fn signing_out_or_revoking_a_key_closes_its_sockets_and_no_one_elses() {
    let (server, admin) = TestServer::with_admin().await;
    let (_, front_desk) = server.staff_token(&admin, "front_desk").await;
    let mut leaving = connect(&server, &front_desk).await;
    let mut staying = connect(&server, &admin).await;
    let out = server.call(Method::POST, "/api/v1/auth/logout", Some(&front_desk), None).await;
    assert_eq!(out.status, StatusCode::NO_CONTENT, "{:?}", out.body);
    let (code, reason) = close_of(&mut leaving).await;
    assert_eq!(u16::from(code), 4401, "{reason}");
    // The token no longer opens one either.
    assert_eq!(open(&server, Credential::Bearer(&front_desk)).await.err().unwrap().0, 401);

    let issued = server.post("/api/v1/api-keys", &admin, json!({"name": "Wall board", "role": "front_desk"})).await;
    let (key_id, key) = (issued.body["id"].as_i64().unwrap(), issued.body["key"].as_str().unwrap().to_owned());
    let mut board = open(&server, Credential::Query(&key)).await.unwrap();
    let revoked = server.call(Method::DELETE, &format!("/api/v1/api-keys/{key_id}"), Some(&admin), None).await;
    assert!(revoked.status.is_success(), "{:?}", revoked.body);
    assert_eq!(u16::from(close_of(&mut board).await.0), 4401);

    // The administrator's socket is still open and still hears.
    server.create_patient(&admin, json!({"given_name": "Still", "family_name": "Here"})).await;
    assert_eq!(next_of(&mut staying, "patient.created").await["type"], "patient.created");
}

#[tokio::test]
async fn a_browser_session_works_from_the_clinics_own_pages_only() {
    let (server, _) = TestServer::with_admin().await;
    let (set_cookie, _) = server.open_session().await;
    let cookie = set_cookie.split(';').next().unwrap().to_owned();
    let own_origin = server.base.clone();
    let mut socket = open(&server, Credential::Cookie(&cookie, Some(&own_origin))).await.unwrap();
    let (status, body) = open(&server, Credential::Cookie(&cookie, Some("https://evil.example"))).await.err().unwrap();
    assert_eq!(status, 403);
    assert_eq!(body["error"]["code"], "FORBIDDEN");

    let admin = server.login(ADMIN_EMAIL, PASSWORD).await;
    server.create_patient(&admin, json!({"given_name": "Cookie", "family_name": "Seen"})).await;
    assert_eq!(next_of(&mut socket, "patient.created").await["type"], "patient.created");
}

#[tokio::test]
async fn refusals_come_in_the_error_envelope_before_any_upgrade() {
    let (server, admin) = TestServer::with_admin().await;
    let (status, body) = open(&server, Credential::None).await.err().unwrap();
    assert_eq!((status, body["error"]["code"].as_str()), (401, Some("UNAUTHENTICATED")));
    let (status, _) = open(&server, Credential::Bearer("not-a-token")).await.err().unwrap();
    assert_eq!(status, 401);
    let (status, _) = open(&server, Credential::Query("not-a-token")).await.err().unwrap();
    assert_eq!(status, 401);

    // A plain GET is not a WebSocket.
    let plain = server.get("/api/v1/events", &admin).await;
    assert_eq!((plain.status.as_u16(), plain.code()), (426, "UPGRADE_REQUIRED"), "{:?}", plain.body);

    // A person holds at most ten at once; one closing frees a place, and
    // someone else is never held up by them.
    let mut held = Vec::new();
    for _ in 0..10 {
        held.push(connect(&server, &admin).await);
    }
    let (status, body) = open(&server, Credential::Bearer(&admin)).await.err().unwrap();
    assert_eq!((status, body["error"]["code"].as_str()), (429, Some("TOO_MANY_CONNECTIONS")));
    let (_, front_desk) = server.staff_token(&admin, "front_desk").await;
    let _desk = connect(&server, &front_desk).await;
    let mut first = held.remove(0);
    first.close(None).await.unwrap();
    drop(first);
    let mut reopened = None;
    for _ in 0..50 {
        if let Ok(socket) = open(&server, Credential::Bearer(&admin)).await {
            reopened = Some(socket);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(reopened.is_some(), "a closed socket frees its place");
    drop(held);
}

#[tokio::test]
async fn the_server_pings_and_says_goodbye_when_it_stops() {
    let mut server = TestServer::start_configured(|config| config.events_ping_seconds = 1).await;
    server.setup_admin().await;
    let admin = server.login(ADMIN_EMAIL, PASSWORD).await;
    let mut socket = connect(&server, &admin).await;
    let pinged = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            if let Some(Ok(Message::Ping(_))) = socket.next().await {
                return;
            }
        }
    });
    pinged.await.expect("a ping within the interval");
    // Answered (the client library pongs when it reads), the socket stays
    // open past several pings.
    let mut pings = 0;
    let listening = tokio::time::sleep(Duration::from_millis(3500));
    tokio::pin!(listening);
    loop {
        tokio::select! {
            message = socket.next() => match message {
                Some(Ok(Message::Ping(_))) => pings += 1,
                other => panic!("only pings while nothing happens, got {other:?}"),
            },
            _ = &mut listening => break,
        }
    }
    assert!(pings >= 2, "{pings} pings");
    socket.send(Message::Text("hello".into())).await.unwrap();

    let stopping = tokio::spawn(async move {
        server.shut_down().await;
        server
    });
    let (code, _) = close_of(&mut socket).await;
    assert_eq!(code, CloseCode::Restart);
    stopping.await.unwrap();
}
