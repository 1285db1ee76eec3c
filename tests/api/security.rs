//! Findings of a security review, each held by a test from both sides:
//! what an attacker tries, and what the rightful user still can do.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::harness::{ADMIN_EMAIL, PASSWORD, TestServer, into_reply};

/// Signs in with `X-Forwarded-For: forwarded` and returns the address the
/// audit log recorded for that sign-in.
async fn address_seen(server: &TestServer, forwarded: &str) -> String {
    let response = server
        .client
        .post(server.url("/api/v1/auth/login"))
        .header("x-forwarded-for", forwarded)
        .json(&json!({"email": ADMIN_EMAIL, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let token = into_reply(response).await.body["access_token"].as_str().unwrap().to_owned();
    let audit = server.get("/api/v1/audit?entity=staff&page_size=1", &token).await;
    audit.body["data"][0]["client_addr"].as_str().unwrap_or_else(|| panic!("{:?}", audit.body)).to_owned()
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_client_is_the_address_the_proxy_saw() {
    let server = TestServer::start_configured(|config| config.trust_proxy_headers = true).await;
    server.setup_admin().await;
    // The proxy (127.0.0.1, trusted by default) appends what it saw; what the
    // client wrote to the left of it is not believed.
    assert_eq!(address_seen(&server, "6.6.6.6, 203.0.113.9").await, "203.0.113.9");
    assert_eq!(address_seen(&server, "198.51.100.4").await, "198.51.100.4");
    // A chain of trusted proxies is skipped from the right.
    assert_eq!(address_seen(&server, "6.6.6.6, 203.0.113.7, 127.0.0.1").await, "203.0.113.7");
    assert_eq!(address_seen(&server, "not-an-address, 203.0.113.8").await, "203.0.113.8");
}

#[tokio::test]
async fn forwarded_addresses_are_ignored_from_an_untrusted_peer_or_when_off() {
    let untrusted = TestServer::start_configured(|config| {
        config.trust_proxy_headers = true;
        config.trusted_proxies = vec!["192.0.2.1".parse().unwrap()];
    })
    .await;
    untrusted.setup_admin().await;
    assert_eq!(address_seen(&untrusted, "203.0.113.9").await, "127.0.0.1", "the peer is not a trusted proxy");

    let off = TestServer::start().await;
    off.setup_admin().await;
    assert_eq!(address_seen(&off, "203.0.113.9").await, "127.0.0.1", "proxy headers are off by default");
}

#[tokio::test]
async fn readiness_reports_no_detail_to_strangers() {
    let (server, _admin) = TestServer::with_admin().await;
    let ready = server.call(Method::GET, "/health/ready", None, None).await;
    assert_eq!(ready.status, StatusCode::OK);
    assert!(ready.body["checks"]["index"].get("documents").is_none(), "{:?}", ready.body);
}

#[tokio::test]
async fn a_deactivated_clinicians_calendar_feed_stops_for_good() {
    use crate::scheduling::{clinic, fetch_feed};
    let (server, admin) = TestServer::with_admin().await;
    let c = clinic(&server, &admin).await;
    let (staff_id, _) = server.staff_token(&admin, "clinician").await;
    let path = format!("/api/v1/clinicians/{}", c.clinician);
    server.patch(&path, &admin, json!({"staff_id": staff_id})).await;
    let feed_url = |body: &serde_json::Value| body["calendar_feed_url"].as_str().unwrap().to_owned();
    let url = feed_url(&server.get(&path, &admin).await.body);
    assert_eq!(fetch_feed(&server, &url).await.0, StatusCode::OK);

    // The clinician is deactivated: the link dies, and stays dead after reactivation.
    server.patch(&path, &admin, json!({"active": false})).await;
    assert_eq!(fetch_feed(&server, &url).await.0, StatusCode::NOT_FOUND);
    server.patch(&path, &admin, json!({"active": true})).await;
    assert_eq!(fetch_feed(&server, &url).await.0, StatusCode::NOT_FOUND, "revoked, not paused");
    let url = feed_url(&server.get(&path, &admin).await.body);
    assert_eq!(fetch_feed(&server, &url).await.0, StatusCode::OK, "the new link works");

    // Their staff account is deactivated: the same.
    server.patch(&format!("/api/v1/staff/{staff_id}"), &admin, json!({"active": false})).await;
    assert_eq!(fetch_feed(&server, &url).await.0, StatusCode::NOT_FOUND);
    server.patch(&format!("/api/v1/staff/{staff_id}"), &admin, json!({"active": true})).await;
    assert_eq!(fetch_feed(&server, &url).await.0, StatusCode::NOT_FOUND, "revoked, not paused");
    let url = feed_url(&server.get(&path, &admin).await.body);
    assert_eq!(fetch_feed(&server, &url).await.0, StatusCode::OK);
}

#[tokio::test]
async fn dates_outside_the_years_1900_to_2200_are_refused_without_a_panic() {
    use crate::scheduling::{book_body, clinic, london};
    let (server, admin) = TestServer::with_admin().await;
    let c = clinic(&server, &admin).await;
    let slots = |from: &str, to: &str| {
        format!("service_id={}&clinician_id={}&from={from}&to={to}", c.consult, c.clinician).replace('+', "%2B")
    };
    // The attacker's side: extreme dates, signed in or not.
    for (from, to) in
        [("+262142-12-30", "+262142-12-31"), ("-262143-01-01", "-262143-01-02"), ("2201-01-01", "2201-01-02")]
    {
        let public = server.call(Method::GET, &format!("/api/v1/public/slots?{}", slots(from, to)), None, None).await;
        assert_eq!(public.status, StatusCode::UNPROCESSABLE_ENTITY, "{from}: {:?}", public.body);
        assert!(public.field_error("from").is_some());
        let staff = server.get(&format!("/api/v1/slots?{}", slots(from, to)), &admin).await;
        assert_eq!(staff.status, StatusCode::UNPROCESSABLE_ENTITY, "{from}: {:?}", staff.body);
    }
    let day = server.get(&format!("/api/v1/appointments?date=1899-12-31&centre_id={}", c.centre), &admin).await;
    assert_eq!(day.field_error("date"), Some("must be in the years 1900 to 2200"));
    let far = server.get("/api/v1/appointments?from=%2B262142-01-01T00:00:00Z", &admin).await;
    assert_eq!(far.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", far.body);

    // Bodies: a time off ending past 9999 and a booking in 2201.
    let off = json!({"start": london(c.monday, "09:00"), "end": "+10000-01-01T00:00:00Z"});
    let reply = server.post(&format!("/api/v1/clinicians/{}/time-off", c.clinician), &admin, off).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", reply.body);
    assert!(reply.field_error("end").is_some(), "{:?}", reply.body);
    let booking = book_body(&c, c.patients[0], c.consult, "2201-03-01T10:00:00Z");
    let reply = server.post("/api/v1/appointments", &admin, booking).await;
    assert_eq!(reply.field_error("start"), Some("must be in the years 1900 to 2200"), "{:?}", reply.body);
    assert_eq!(server.count_rows("appointments"), 0);
    assert_eq!(server.count_rows("availability_exceptions"), 0);

    // The rightful user's side: the server still answers, and ordinary dates work.
    let monday = c.monday.to_string();
    let ok = server.get(&format!("/api/v1/slots?{}", slots(&monday, &monday)), &admin).await;
    assert_eq!(ok.status, StatusCode::OK, "{:?}", ok.body);
    assert!(!ok.body["data"].as_array().unwrap().is_empty());
}

async fn refresh(server: &TestServer, token: &str) -> crate::harness::Reply {
    server.call(Method::POST, "/api/v1/auth/refresh", None, Some(json!({"refresh_token": token}))).await
}

#[tokio::test]
async fn concurrent_refreshes_with_one_token_share_one_new_pair() {
    let (server, _) = TestServer::with_admin().await;
    let pair = server.login_reply(ADMIN_EMAIL, PASSWORD).await.body;
    let token = pair["refresh_token"].as_str().unwrap().to_owned();
    let server = std::sync::Arc::new(server);
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (server, token) = (server.clone(), token.clone());
            tokio::spawn(async move { refresh(&server, &token).await })
        })
        .collect();
    let mut replies = Vec::new();
    for task in tasks {
        replies.push(task.await.unwrap());
    }
    for reply in &replies {
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
        assert_eq!(reply.body["access_token"], replies[0].body["access_token"], "one new pair for all");
        assert_eq!(reply.body["refresh_token"], replies[0].body["refresh_token"]);
    }
    let access = replies[0].body["access_token"].as_str().unwrap();
    assert_eq!(server.get("/api/v1/auth/me", access).await.status, StatusCode::OK, "the sign-in lives");
    let next = replies[0].body["refresh_token"].as_str().unwrap();
    assert_eq!(refresh(&server, next).await.status, StatusCode::OK, "and its new refresh token works");

    // After the grace window the old token is theft, and the family dies.
    server.advance(chrono::Duration::seconds(clinicbox::auth::grace::GRACE_SECONDS + 1));
    assert_eq!(refresh(&server, &token).await.code(), "TOKEN_REUSED");
}

#[tokio::test]
async fn a_signed_out_refresh_token_is_invalid_not_reused() {
    let (server, _) = TestServer::with_admin().await;
    let pair = server.login_reply(ADMIN_EMAIL, PASSWORD).await.body;
    let other = server.login(ADMIN_EMAIL, PASSWORD).await;
    let out = server.call(Method::POST, "/api/v1/auth/logout", pair["access_token"].as_str(), None).await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    let reply = refresh(&server, pair["refresh_token"].as_str().unwrap()).await;
    assert_eq!((reply.status, reply.code()), (StatusCode::UNAUTHORIZED, "INVALID_TOKEN"));
    assert_eq!(server.get("/api/v1/auth/me", &other).await.status, StatusCode::OK, "another sign-in stays");
}

#[tokio::test]
async fn names_need_visible_characters_and_may_not_reorder_the_display() {
    let (server, token) = TestServer::with_admin().await;
    let before = server.count_rows("patients");
    let invisible =
        server.post("/api/v1/patients", &token, json!({"given_name": "\u{200B}\u{200B}", "family_name": "Ng"})).await;
    assert_eq!(invisible.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", invisible.body);
    assert_eq!(invisible.field_error("given_name"), Some("is required"));
    let flipped =
        server.post("/api/v1/patients", &token, json!({"given_name": "Ann", "family_name": "Smith\u{202E}gnoW"})).await;
    assert_eq!(flipped.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", flipped.body);
    assert!(flipped.field_error("family_name").unwrap().contains("text direction"), "{:?}", flipped.body);
    let city = json!({"given_name": "Ann", "family_name": "Ng", "address": {"city": "\u{2066}x\u{2069}"}});
    let isolated = server.post("/api/v1/patients", &token, city).await;
    assert_eq!(isolated.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", isolated.body);
    assert_eq!(server.count_rows("patients"), before, "nothing written");
    // A Persian name keeps its zero-width non-joiner.
    let persian = server.create_patient(&token, json!({"given_name": "فاطمه", "family_name": "علی\u{200C}زاده"})).await;
    assert_eq!(persian["family_name"], "علی\u{200C}زاده");
    let staff = server
        .post(
            "/api/v1/staff",
            &token,
            json!({"email": "z@clinic.test", "name": "\u{FEFF}", "role": "billing", "password": PASSWORD}),
        )
        .await;
    assert_eq!(staff.field_error("name"), Some("is required"), "{:?}", staff.body);

    // Centres, services and clinicians are named on every booking page.
    let centre = json!({"name": "\u{200B}", "timezone": "Europe/London"});
    let centre = server.post("/api/v1/centres", &token, centre).await;
    assert_eq!(centre.field_error("name"), Some("is required"), "{:?}", centre.body);
    let service = json!({"name": "Massage\u{202E}", "duration_minutes": 30, "modality": "in_person",
                         "price": {"amount_minor": 100, "currency": "GBP"}});
    let service = server.post("/api/v1/services", &token, service).await;
    assert!(service.field_error("name").unwrap().contains("text direction"), "{:?}", service.body);
    let clinician = json!({"display_name": "Dr\u{0007}Who", "specialties": ["ok", "a\u{2067}b"]});
    let clinician = server.post("/api/v1/clinicians", &token, clinician).await;
    assert!(clinician.field_error("display_name").unwrap().contains("control"), "{:?}", clinician.body);
    assert!(clinician.field_error("specialties").unwrap().contains("text direction"), "{:?}", clinician.body);
    for table in ["centres", "services", "clinicians"] {
        assert_eq!(server.count_rows(table), 0, "no {table} written");
    }
}

#[tokio::test]
async fn a_new_data_directory_and_its_database_are_readable_by_the_server_account_only() {
    use std::os::unix::fs::PermissionsExt;
    let root = tempfile::tempdir().unwrap();
    // Under a world-readable parent, as `/var/lib/clinicbox` would be.
    std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let data = root.path().join("clinic");
    let server = TestServer::start_in(&data).await;
    server.setup_admin().await;
    let mode = |name: &str| std::fs::metadata(data.join(name)).unwrap().permissions().mode() & 0o777;
    assert_eq!(std::fs::metadata(&data).unwrap().permissions().mode() & 0o777, 0o700);
    for file in ["clinicbox.db", "clinicbox.db-wal", "clinicbox.db-shm"] {
        assert_eq!(mode(file), 0o600, "{file}");
    }
}
