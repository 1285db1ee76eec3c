use chrono::Duration;
use clinicbox::auth::sign_in::{ACCESS_TTL_SECONDS, SESSION_TTL_HOURS};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::harness::{ADMIN_EMAIL, PASSWORD, TestServer, into_reply};

#[tokio::test]
async fn setup_creates_the_first_admin_once_and_only_with_the_token() {
    let server = TestServer::start().await;
    let status = server.call(Method::GET, "/api/v1/setup", None, None).await;
    assert_eq!(status.body["needs_setup"], true);
    // No default account exists.
    assert_eq!(server.login_reply("admin", "admin").await.status, StatusCode::UNAUTHORIZED);

    let wrong = server
        .call(
            Method::POST,
            "/api/v1/setup",
            None,
            Some(json!({"token": "guess", "email": ADMIN_EMAIL, "name": "Eve", "password": PASSWORD})),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    assert_eq!(wrong.code(), "INVALID_SETUP_TOKEN");

    let token = server.setup_token.clone().unwrap();
    let invalid = server
        .call(
            Method::POST,
            "/api/v1/setup",
            None,
            Some(json!({"token": token, "email": "nope", "name": "", "password": "short"})),
        )
        .await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["email", "name", "password"] {
        assert!(invalid.field_error(field).is_some(), "{field}: {:?}", invalid.body);
    }
    assert_eq!(server.count_rows("staff"), 0);

    server.setup_admin().await;
    let again = server
        .call(
            Method::POST,
            "/api/v1/setup",
            None,
            Some(json!({"token": token, "email": "second@clinic.test", "name": "Two", "password": PASSWORD})),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.code(), "ALREADY_SET_UP");
    let status = server.call(Method::GET, "/api/v1/setup", None, None).await;
    assert_eq!(status.body["needs_setup"], false);
    assert_eq!(server.count_rows("staff"), 1);
}

async fn check(server: &TestServer, token: String) -> serde_json::Value {
    server.call(Method::GET, &format!("/api/v1/setup?token={token}"), None, None).await.body
}

#[tokio::test]
async fn the_setup_link_lasts_across_restarts_until_used_and_a_stale_one_says_so() {
    let server = TestServer::start().await;
    let token = server.setup_token.clone().unwrap();
    assert_eq!(check(&server, token.clone()).await, json!({"needs_setup": true, "token_valid": true}));
    assert_eq!(check(&server, "0".repeat(64)).await["token_valid"], false);
    let kept = server.data_dir().join("setup-token");
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&kept).unwrap().permissions().mode() & 0o777, 0o600);
    }

    // A restart prints the same link: a form opened before it still works.
    let dir = server.stop().await;
    let mut restarted = TestServer::start_in(dir.path()).await;
    assert_eq!(restarted.setup_token.as_deref(), Some(token.as_str()));
    assert_eq!(check(&restarted, token.clone()).await["token_valid"], true);
    restarted.setup_admin().await;
    assert!(!kept.exists(), "a used link is forgotten");
    assert_eq!(check(&restarted, token.clone()).await, json!({"needs_setup": false, "token_valid": false}));
    restarted.shut_down().await;
    let again = TestServer::start_in(dir.path()).await;
    assert!(again.setup_token.is_none());
}

#[tokio::test]
async fn login_gives_a_bearer_pair_and_me_answers_with_it() {
    let (server, _) = TestServer::with_admin().await;
    let reply = server.login_reply("  ADMIN@clinic.test ", PASSWORD).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(reply.body["token_type"], "Bearer");
    assert_eq!(reply.body["expires_in"], 900);
    let access = reply.body["access_token"].as_str().unwrap();
    let refresh = reply.body["refresh_token"].as_str().unwrap();
    assert!(access.len() >= 40 && refresh.len() >= 40 && access != refresh);
    assert!(reply.body["user"].get("password_hash").is_none());

    let me = server.get("/api/v1/auth/me", access).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["email"], ADMIN_EMAIL);
    assert_eq!(me.body["role"], "admin");

    // Tokens are stored only as hashes.
    let conn = rusqlite::Connection::open(server.app.config.db_path()).unwrap();
    let stored: i64 = conn
        .query_row("SELECT count(*) FROM auth_tokens WHERE token_hash = ?1", [access.as_bytes()], |r| r.get(0))
        .unwrap();
    assert_eq!(stored, 0);
}

#[tokio::test]
async fn unknown_email_and_wrong_password_get_the_same_answer() {
    let (server, _) = TestServer::with_admin().await;
    let unknown = server.login_reply("nobody@clinic.test", PASSWORD).await;
    let wrong = server.login_reply(ADMIN_EMAIL, "not the password at all").await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    // The same answer, but for the id of the request it answers.
    let without_id = |body: &serde_json::Value| {
        let mut body = body.clone();
        body["error"].as_object_mut().unwrap().remove("request_id");
        body
    };
    assert_eq!(without_id(&unknown.body), without_id(&wrong.body));
    assert_eq!(wrong.code(), "INVALID_CREDENTIALS");
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_whole_sign_in() {
    let (server, _) = TestServer::with_admin().await;
    let first = server.login_reply(ADMIN_EMAIL, PASSWORD).await.body;
    let old_refresh = first["refresh_token"].as_str().unwrap();

    let rotated =
        server.call(Method::POST, "/api/v1/auth/refresh", None, Some(json!({"refresh_token": old_refresh}))).await;
    assert_eq!(rotated.status, StatusCode::OK, "{:?}", rotated.body);
    let new_access = rotated.body["access_token"].as_str().unwrap();
    let new_refresh = rotated.body["refresh_token"].as_str().unwrap();
    assert_ne!(new_refresh, old_refresh);
    assert_eq!(server.get("/api/v1/auth/me", new_access).await.status, StatusCode::OK);

    // The old refresh token presented again after the grace window: theft.
    // Everything of that sign-in dies.
    server.advance(Duration::seconds(clinicbox::auth::grace::GRACE_SECONDS + 1));
    let reused =
        server.call(Method::POST, "/api/v1/auth/refresh", None, Some(json!({"refresh_token": old_refresh}))).await;
    assert_eq!(reused.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reused.code(), "TOKEN_REUSED");
    assert_eq!(server.get("/api/v1/auth/me", new_access).await.status, StatusCode::UNAUTHORIZED);
    let after =
        server.call(Method::POST, "/api/v1/auth/refresh", None, Some(json!({"refresh_token": new_refresh}))).await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);

    let garbage = server.call(Method::POST, "/api/v1/auth/refresh", None, Some(json!({"refresh_token": "x"}))).await;
    assert_eq!(garbage.code(), "INVALID_TOKEN");
}

#[tokio::test]
async fn logout_revokes_access_and_refresh_tokens() {
    let (server, _) = TestServer::with_admin().await;
    let pair = server.login_reply(ADMIN_EMAIL, PASSWORD).await.body;
    let access = pair["access_token"].as_str().unwrap();
    let other_session = server.login(ADMIN_EMAIL, PASSWORD).await;

    let out = server.call(Method::POST, "/api/v1/auth/logout", Some(access), None).await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    assert_eq!(server.get("/api/v1/auth/me", access).await.status, StatusCode::UNAUTHORIZED);
    let refresh = server
        .call(Method::POST, "/api/v1/auth/refresh", None, Some(json!({"refresh_token": pair["refresh_token"]})))
        .await;
    assert_eq!(refresh.status, StatusCode::UNAUTHORIZED);
    // Another sign-in of the same person is untouched.
    assert_eq!(server.get("/api/v1/auth/me", &other_session).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_deactivated_user_is_signed_out_everywhere() {
    let (server, admin) = TestServer::with_admin().await;
    let (id, clinician) = server.staff_token(&admin, "clinician").await;
    assert_eq!(server.get("/api/v1/auth/me", &clinician).await.status, StatusCode::OK);

    let reply = server.patch(&format!("/api/v1/staff/{id}"), &admin, json!({"active": false})).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(reply.body["active"], false);
    assert_eq!(server.get("/api/v1/auth/me", &clinician).await.status, StatusCode::UNAUTHORIZED);
    let email = reply.body["email"].as_str().unwrap();
    assert_eq!(server.login_reply(email, PASSWORD).await.code(), "INVALID_CREDENTIALS");
}

#[tokio::test]
async fn repeated_failures_make_that_source_wait_longer_each_time() {
    let (server, _) = TestServer::with_admin().await;
    // A browser that never signed in to the account: its address is the source.
    let stranger = reqwest::Client::new();
    let attempt = |password: &'static str| {
        let request = stranger.post(server.url("/api/v1/auth/login"));
        async move {
            into_reply(request.json(&json!({"email": ADMIN_EMAIL, "password": password})).send().await.unwrap()).await
        }
    };
    for _ in 0..clinicbox::auth::throttle::FREE_FAILURES {
        assert_eq!(attempt("wrong password here").await.status, StatusCode::UNAUTHORIZED);
    }
    // Even the right password waits now, a second; the wait doubles per failure.
    let waiting = attempt(PASSWORD).await;
    assert_eq!((waiting.status, waiting.code()), (StatusCode::TOO_MANY_REQUESTS, "TOO_MANY_REQUESTS"));
    assert_eq!(waiting.header("retry-after"), Some("1"));
    server.advance(Duration::seconds(1));
    assert_eq!(attempt("wrong password here").await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(attempt(PASSWORD).await.header("retry-after"), Some("2"));
    server.advance(Duration::seconds(2));
    assert_eq!(attempt(PASSWORD).await.status, StatusCode::OK, "no lock: after the wait the right password works");
}

async fn refresh(server: &TestServer, refresh_token: &serde_json::Value) -> crate::harness::Reply {
    server.call(Method::POST, "/api/v1/auth/refresh", None, Some(json!({"refresh_token": refresh_token}))).await
}

#[tokio::test]
async fn access_and_refresh_tokens_expire_at_the_end_of_their_lifetimes() {
    let (server, _) = TestServer::with_admin().await;
    let pair = server.login_reply(ADMIN_EMAIL, PASSWORD).await.body;
    let access = pair["access_token"].as_str().unwrap();

    server.advance(Duration::seconds(ACCESS_TTL_SECONDS - 1));
    assert_eq!(server.get("/api/v1/auth/me", access).await.status, StatusCode::OK);
    server.advance(Duration::seconds(1));
    let expired = server.get("/api/v1/auth/me", access).await;
    assert_eq!((expired.status, expired.code()), (StatusCode::UNAUTHORIZED, "TOKEN_EXPIRED"));

    // The refresh token outlives it and brings a working pair.
    let renewed = refresh(&server, &pair["refresh_token"]).await;
    assert_eq!(renewed.status, StatusCode::OK, "{:?}", renewed.body);
    let fresh = renewed.body["access_token"].as_str().unwrap();
    assert_eq!(server.get("/api/v1/auth/me", fresh).await.status, StatusCode::OK);

    // The sign-in lasts its lifetime from the sign-in and not a second
    // longer, however often it was refreshed on the way.
    let lifetime = Duration::days(server.app.config.refresh_lifetime_days);
    let mut current = renewed.body["refresh_token"].clone();
    for _ in 0..3 {
        server.advance(lifetime / 4);
        let step = refresh(&server, &current).await;
        assert_eq!(step.status, StatusCode::OK, "{:?}", step.body);
        current = step.body["refresh_token"].clone();
    }
    server.advance(lifetime / 4 - Duration::seconds(ACCESS_TTL_SECONDS) - Duration::seconds(1));
    let last_chance = refresh(&server, &current).await;
    assert_eq!(last_chance.status, StatusCode::OK, "{:?}", last_chance.body);
    server.advance(Duration::seconds(1));
    let ended = server.get("/api/v1/auth/me", last_chance.body["access_token"].as_str().unwrap()).await;
    assert_eq!(ended.code(), "TOKEN_EXPIRED", "the access token ends with its sign-in");
    let too_late = refresh(&server, &last_chance.body["refresh_token"]).await;
    assert_eq!((too_late.status, too_late.code()), (StatusCode::UNAUTHORIZED, "INVALID_TOKEN"));
}

#[tokio::test]
async fn a_browser_session_ends_after_its_lifetime() {
    let (server, _) = TestServer::with_admin().await;
    let (_, session) = server.open_session().await;
    assert_eq!(session.status, StatusCode::OK);
    let me = || async { into_reply(server.client.get(server.url("/api/v1/auth/me")).send().await.unwrap()).await };

    // Kept busy (a request every 20 minutes, inside the idle timeout), it
    // still ends at its absolute lifetime.
    let busy = Duration::minutes(20);
    let lifetime = Duration::hours(SESSION_TTL_HOURS);
    let mut elapsed = Duration::zero();
    while elapsed + busy < lifetime {
        server.advance(busy);
        elapsed += busy;
        assert_eq!(me().await.status, StatusCode::OK, "after {elapsed}");
    }
    server.advance(lifetime - elapsed - Duration::seconds(1));
    assert_eq!(me().await.status, StatusCode::OK);
    server.advance(Duration::seconds(1));
    let ended = me().await;
    assert_eq!((ended.status, ended.code()), (StatusCode::UNAUTHORIZED, "TOKEN_EXPIRED"));
}

#[tokio::test]
async fn a_browser_session_left_unused_ends_after_the_idle_timeout() {
    let (server, _) = TestServer::with_admin().await;
    let (_, session) = server.open_session().await;
    assert_eq!(session.status, StatusCode::OK);
    let me = || async { into_reply(server.client.get(server.url("/api/v1/auth/me")).send().await.unwrap()).await };
    let idle = Duration::minutes(server.app.config.session_idle_minutes);
    assert_eq!(idle, Duration::minutes(30), "the default");

    server.advance(idle - Duration::minutes(2));
    assert_eq!(me().await.status, StatusCode::OK, "a use just inside the timeout keeps it");
    server.advance(idle - Duration::minutes(2));
    assert_eq!(me().await.status, StatusCode::OK, "measured from the last use, not the sign-in");
    server.advance(idle);
    let ended = me().await;
    assert_eq!((ended.status, ended.code()), (StatusCode::UNAUTHORIZED, "TOKEN_EXPIRED"));
    assert!(ended.body["error"]["message"].as_str().unwrap().contains("unused"), "{:?}", ended.body);
}

#[tokio::test]
async fn the_idle_timeout_is_configurable_and_leaves_bearer_sign_ins_alone() {
    let server = TestServer::start_configured(|config| config.session_idle_minutes = 5).await;
    server.setup_admin().await;
    let pair = server.login_reply(ADMIN_EMAIL, PASSWORD).await.body;
    let (_, session) = server.open_session().await;
    assert_eq!(session.status, StatusCode::OK);
    server.advance(Duration::minutes(6));
    let browser = into_reply(server.client.get(server.url("/api/v1/auth/me")).send().await.unwrap()).await;
    assert_eq!(browser.code(), "TOKEN_EXPIRED");
    // An integration that idles for longer refreshes as before.
    let renewed = refresh(&server, &pair["refresh_token"]).await;
    assert_eq!(renewed.status, StatusCode::OK, "{:?}", renewed.body);
}

#[tokio::test]
async fn a_strangers_failures_never_stop_the_rightful_user_from_their_browser() {
    let (server, _) = TestServer::with_admin().await;
    // The admin's browser (the harness client) signed in before: it holds the
    // account's device cookie. A stranger at the same address (the clinic's
    // proxy) guesses the admin's password again and again.
    let stranger = reqwest::Client::new();
    for _ in 0..clinicbox::auth::throttle::FREE_FAILURES + 3 {
        let body = json!({"email": ADMIN_EMAIL, "password": "wrong password here"});
        stranger.post(server.url("/api/v1/auth/login")).json(&body).send().await.unwrap();
    }
    let blocked =
        stranger.post(server.url("/api/v1/auth/login")).json(&json!({"email": ADMIN_EMAIL, "password": PASSWORD}));
    assert_eq!(into_reply(blocked.send().await.unwrap()).await.status, StatusCode::TOO_MANY_REQUESTS);
    // The rightful user, from their browser, signs in at the first try.
    assert_eq!(server.login_reply(ADMIN_EMAIL, PASSWORD).await.status, StatusCode::OK);
    let (_, session) = server.open_session().await;
    assert_eq!(session.status, StatusCode::OK, "{:?}", session.body);
    // A busy morning of correct sign-ins never slows anyone.
    for _ in 0..30 {
        assert_eq!(server.login_reply(ADMIN_EMAIL, PASSWORD).await.status, StatusCode::OK);
    }
}

#[tokio::test]
async fn a_forged_device_cookie_is_no_way_past_the_throttle() {
    let (server, _) = TestServer::with_admin().await;
    let cookie_name = clinicbox::auth::sign_in::device_cookie_name(&server.app, ADMIN_EMAIL);
    let forged = format!("{cookie_name}=0123456789abcdef0123456789abcdef.{}", "0".repeat(64));
    let client = reqwest::Client::new();
    let attempt = |password: &'static str| {
        let request = client.post(server.url("/api/v1/auth/login")).header("cookie", forged.clone());
        async move {
            into_reply(request.json(&json!({"email": ADMIN_EMAIL, "password": password})).send().await.unwrap()).await
        }
    };
    for _ in 0..clinicbox::auth::throttle::FREE_FAILURES {
        attempt("wrong password here").await;
    }
    assert_eq!(attempt(PASSWORD).await.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn browser_session_uses_a_strict_cookie_and_requires_csrf_on_changes() {
    let (server, _) = TestServer::with_admin().await;
    let (set_cookie, session) = server.open_session().await;
    assert!(set_cookie.contains("clinicbox_session="), "{set_cookie}");
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    assert!(set_cookie.contains("SameSite=Strict"), "{set_cookie}");
    assert!(!set_cookie.contains("Secure"), "plain http must not set Secure: {set_cookie}");
    assert_eq!(session.status, StatusCode::OK);
    let csrf = session.body["csrf_token"].as_str().unwrap().to_owned();

    // Reads work with the cookie alone (the client keeps cookies).
    let me = into_reply(server.client.get(server.url("/api/v1/auth/me")).send().await.unwrap()).await;
    assert_eq!(me.status, StatusCode::OK);
    let again = into_reply(server.client.get(server.url("/api/v1/auth/session")).send().await.unwrap()).await;
    assert_eq!(again.body["csrf_token"], csrf.as_str());

    let patient = json!({"given_name": "Cookie", "family_name": "Monster"});
    let no_csrf =
        into_reply(server.client.post(server.url("/api/v1/patients")).json(&patient).send().await.unwrap()).await;
    assert_eq!(no_csrf.status, StatusCode::FORBIDDEN);
    assert_eq!(no_csrf.code(), "CSRF_FAILED");
    let wrong_csrf = into_reply(
        server
            .client
            .post(server.url("/api/v1/patients"))
            .header("x-csrf-token", "0000")
            .json(&patient)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(wrong_csrf.code(), "CSRF_FAILED");
    assert_eq!(server.count_rows("patients"), 0);
    let with_csrf = into_reply(
        server
            .client
            .post(server.url("/api/v1/patients"))
            .header("x-csrf-token", &csrf)
            .json(&patient)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(with_csrf.status, StatusCode::CREATED, "{:?}", with_csrf.body);

    let out = server.client.delete(server.url("/api/v1/auth/session")).header("x-csrf-token", &csrf).send().await;
    assert_eq!(out.unwrap().status(), StatusCode::NO_CONTENT);
    let me = into_reply(server.client.get(server.url("/api/v1/auth/me")).send().await.unwrap()).await;
    assert_eq!(me.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_stolen_session_cookie_stops_working_after_sign_out() {
    let (server, _) = TestServer::with_admin().await;
    let (set_cookie, session) = server.open_session().await;
    let cookie = set_cookie.split(';').next().unwrap().to_owned();
    let csrf = session.body["csrf_token"].as_str().unwrap().to_owned();
    server.client.delete(server.url("/api/v1/auth/session")).header("x-csrf-token", &csrf).send().await.unwrap();

    let thief = reqwest::Client::new();
    let reply =
        into_reply(thief.get(server.url("/api/v1/auth/me")).header("cookie", cookie).send().await.unwrap()).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn me_and_the_session_say_what_the_role_may_do() {
    let (server, admin) = TestServer::with_admin().await;
    let actions = |reply: &crate::harness::Reply| -> Vec<String> {
        reply.body["allowed_actions"].as_array().unwrap().iter().map(|a| a.as_str().unwrap().to_owned()).collect()
    };
    let cases: &[(&str, &[&str], &[&str])] = &[
        ("admin", &["staff_manage", "backup_manage", "scheduling_setup", "patient_write"], &[]),
        ("manager", &["scheduling_setup", "appointment_write"], &["staff_manage", "audit_read"]),
        ("front_desk", &["patient_write", "appointment_write"], &["scheduling_setup", "backup_manage"]),
        ("billing", &["patient_read", "scheduling_read"], &["patient_write", "appointment_write"]),
    ];
    for (role, allowed, refused) in cases {
        let token = if *role == "admin" { admin.clone() } else { server.staff_token(&admin, role).await.1 };
        let me = server.get("/api/v1/auth/me", &token).await;
        assert_eq!(me.body["role"], *role, "me keeps the account's fields");
        let got = actions(&me);
        for action in *allowed {
            assert!(got.iter().any(|a| a == action), "{role} may {action}: {got:?}");
        }
        for action in *refused {
            assert!(!got.iter().any(|a| a == action), "{role} may not {action}: {got:?}");
        }
    }
    let (_, session) = server.open_session().await;
    assert!(actions(&session).contains(&"staff_manage".to_owned()), "{:?}", session.body);
}
