//! Two-factor sign-in: enrolment, the MFA step of both sign-ins, replay,
//! recovery codes, required roles and the admin's reset.

use chrono::Duration;
use clinicbox::auth::mfa::service::current_code;
use clinicbox::kit::clock::Clock;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::account::browser;
use crate::harness::{ADMIN_EMAIL, PASSWORD, TestServer, into_reply};

fn code(server: &TestServer, secret: &str) -> String {
    current_code(secret, server.clock.now()).unwrap()
}

/// Turns MFA on for the holder of `token`; answers the secret and the recovery codes.
pub async fn enrol(server: &TestServer, token: &str) -> (String, Vec<String>) {
    let started = server.post("/api/v1/auth/mfa/totp", token, json!({})).await;
    assert_eq!(started.status, StatusCode::OK, "{:?}", started.body);
    let secret = started.body["secret"].as_str().unwrap().to_owned();
    let confirmed = server.post("/api/v1/auth/mfa/totp/confirm", token, json!({"code": code(server, &secret)})).await;
    assert_eq!(confirmed.status, StatusCode::OK, "{:?}", confirmed.body);
    let codes = confirmed.body["recovery_codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned());
    (secret, codes.collect())
}

async fn mfa_step(server: &TestServer, token: &Value, proof: Value) -> crate::harness::Reply {
    let mut body = proof;
    body["mfa_token"] = token.clone();
    server.call(Method::POST, "/api/v1/auth/login/mfa", None, Some(body)).await
}

#[tokio::test]
async fn enrolment_shows_a_secret_and_qr_code_and_turns_on_with_the_first_code() {
    let (server, token) = TestServer::with_admin().await;
    let started = server.post("/api/v1/auth/mfa/totp", &token, json!({})).await;
    assert_eq!(started.status, StatusCode::OK, "{:?}", started.body);
    let uri = started.body["otpauth_uri"].as_str().unwrap();
    assert!(uri.starts_with("otpauth://totp/Clinicbox:admin%40clinic.test?"), "{uri}");
    assert!(uri.contains(&format!("secret={}", started.body["secret"].as_str().unwrap())));
    assert!(started.body["qr_svg"].as_str().unwrap().starts_with("<?xml"), "an SVG image");
    let secret = started.body["secret"].as_str().unwrap();

    // Not on until confirmed: sign-in still gives tokens at once.
    assert!(server.login_reply(ADMIN_EMAIL, PASSWORD).await.body["access_token"].is_string());
    let wrong = server.post("/api/v1/auth/mfa/totp/confirm", &token, json!({"code": "000000"})).await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.field_error("code").is_some());
    let ok = server.post("/api/v1/auth/mfa/totp/confirm", &token, json!({"code": code(&server, secret)})).await;
    assert_eq!(ok.status, StatusCode::OK, "{:?}", ok.body);
    let codes = ok.body["recovery_codes"].as_array().unwrap();
    assert_eq!(codes.len(), 10);
    let stored: i64 = server.count_rows_sql("SELECT count(*) FROM recovery_codes WHERE used_at IS NULL");
    assert_eq!(stored, 10);
    let plain = codes[0].as_str().unwrap();
    assert_eq!(
        server.count_rows_sql(&format!("SELECT count(*) FROM recovery_codes WHERE code_hash = '{plain}'")),
        0,
        "only hashes are stored"
    );
    let me = server.get("/api/v1/auth/me", &token).await;
    assert_eq!(me.body["mfa_enabled"], true);
    let again = server.post("/api/v1/auth/mfa/totp", &token, json!({})).await;
    assert_eq!((again.status, again.code()), (StatusCode::CONFLICT, "MFA_ALREADY_ENABLED"));
}

#[tokio::test]
async fn with_mfa_on_the_password_alone_signs_no_one_in_and_a_code_works_once() {
    let (server, token) = TestServer::with_admin().await;
    let (secret, _) = enrol(&server, &token).await;
    server.advance(Duration::seconds(30));

    let first = server.login_reply(ADMIN_EMAIL, PASSWORD).await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.body["mfa_required"], true, "{:?}", first.body);
    assert!(first.body.get("access_token").is_none());
    let challenge = first.body["mfa_token"].clone();

    let wrong = mfa_step(&server, &challenge, json!({"code": "123456"})).await;
    assert_eq!((wrong.status, wrong.code()), (StatusCode::UNAUTHORIZED, "INVALID_MFA_CODE"));
    let now_code = code(&server, &secret);
    let done = mfa_step(&server, &challenge, json!({"code": now_code})).await;
    assert_eq!(done.status, StatusCode::OK, "{:?}", done.body);
    assert_eq!(done.body["mfa_required"], false);
    let access = done.body["access_token"].as_str().unwrap();
    assert_eq!(server.get("/api/v1/auth/me", access).await.status, StatusCode::OK);

    // The step is spent, and the same code does not sign in a second time.
    let spent = mfa_step(&server, &challenge, json!({"code": now_code})).await;
    assert_eq!(spent.code(), "INVALID_MFA_CODE");
    let second = server.login_reply(ADMIN_EMAIL, PASSWORD).await.body["mfa_token"].clone();
    let replay = mfa_step(&server, &second, json!({"code": now_code})).await;
    assert_eq!(replay.code(), "INVALID_MFA_CODE", "a TOTP code is not accepted twice");
    server.advance(Duration::seconds(30));
    let next = mfa_step(&server, &second, json!({"code": code(&server, &secret)})).await;
    assert_eq!(next.status, StatusCode::OK, "{:?}", next.body);

    // Both or neither of code and recovery_code is a 422.
    let third = server.login_reply(ADMIN_EMAIL, PASSWORD).await.body["mfa_token"].clone();
    let neither = mfa_step(&server, &third, json!({})).await;
    assert_eq!(neither.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn the_mfa_step_expires_and_dies_after_a_few_wrong_codes() {
    let (server, token) = TestServer::with_admin().await;
    let (secret, _) = enrol(&server, &token).await;
    server.advance(Duration::seconds(30));

    let challenge = server.login_reply(ADMIN_EMAIL, PASSWORD).await.body["mfa_token"].clone();
    for _ in 0..clinicbox::auth::sign_in::MFA_STEP_ATTEMPTS {
        assert_eq!(mfa_step(&server, &challenge, json!({"code": "000001"})).await.code(), "INVALID_MFA_CODE");
    }
    let dead = mfa_step(&server, &challenge, json!({"code": code(&server, &secret)})).await;
    assert_eq!(dead.code(), "INVALID_MFA_CODE", "even the right code, after too many wrong ones");
    assert!(dead.body["error"]["message"].as_str().unwrap().contains("sign in again"));
    let failures = server.count_rows_sql("SELECT count(*) FROM audit_log WHERE action = 'auth.login_failed'");
    assert_eq!(failures, clinicbox::auth::sign_in::MFA_STEP_ATTEMPTS, "each wrong code is audited");

    server.advance(Duration::seconds(2)); // past the throttle's first wait
    let late = server.login_reply(ADMIN_EMAIL, PASSWORD).await.body["mfa_token"].clone();
    server.advance(Duration::seconds(clinicbox::auth::sign_in::MFA_STEP_SECONDS));
    let expired = mfa_step(&server, &late, json!({"code": code(&server, &secret)})).await;
    assert_eq!(expired.code(), "INVALID_MFA_CODE");
}

#[tokio::test]
async fn a_recovery_code_signs_in_once() {
    let (server, token) = TestServer::with_admin().await;
    let (_, codes) = enrol(&server, &token).await;
    let challenge = server.login_reply(ADMIN_EMAIL, PASSWORD).await.body["mfa_token"].clone();
    let typed = codes[3].to_lowercase().replace('-', " ");
    let used = mfa_step(&server, &challenge, json!({"recovery_code": typed})).await;
    assert_eq!(used.status, StatusCode::OK, "{:?}", used.body);
    let again = server.login_reply(ADMIN_EMAIL, PASSWORD).await.body["mfa_token"].clone();
    let reused = mfa_step(&server, &again, json!({"recovery_code": codes[3]})).await;
    assert_eq!(reused.code(), "INVALID_MFA_CODE", "a used recovery code never works again");
    let status = server.get("/api/v1/auth/mfa", &token).await;
    assert_eq!(status.body["recovery_codes_left"], 9);
}

#[tokio::test]
async fn a_browser_completes_its_sign_in_with_a_code_and_gets_its_cookie_only_then() {
    let (server, token) = TestServer::with_admin().await;
    let (secret, _) = enrol(&server, &token).await;
    server.advance(Duration::seconds(30));
    let desk = browser();
    let first = into_reply(
        desk.post(server.url("/api/v1/auth/session"))
            .json(&json!({"email": ADMIN_EMAIL, "password": PASSWORD}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(first.body["mfa_required"], true, "{:?}", first.body);
    assert!(first.header("set-cookie").is_none_or(|c| !c.contains("clinicbox_session")), "no session yet");
    assert_eq!(
        into_reply(desk.get(server.url("/api/v1/auth/me")).send().await.unwrap()).await.status,
        StatusCode::UNAUTHORIZED
    );

    // A bearer sign-in's step does not complete a browser sign-in.
    let bearer_step = server.login_reply(ADMIN_EMAIL, PASSWORD).await.body["mfa_token"].clone();
    let crossed = into_reply(
        desk.post(server.url("/api/v1/auth/session/mfa"))
            .json(&json!({"mfa_token": bearer_step, "code": code(&server, &secret)}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(crossed.code(), "INVALID_MFA_CODE");

    let done = into_reply(
        desk.post(server.url("/api/v1/auth/session/mfa"))
            .json(&json!({"mfa_token": first.body["mfa_token"], "code": code(&server, &secret)}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(done.status, StatusCode::OK, "{:?}", done.body);
    assert!(done.body["csrf_token"].is_string());
    assert_eq!(done.body["mfa_enabled"], true);
    assert_eq!(into_reply(desk.get(server.url("/api/v1/auth/me")).send().await.unwrap()).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_role_that_requires_mfa_can_do_nothing_else_until_it_enrols() {
    let (server, admin) = TestServer::with_admin().await;
    let (_, clinician) = server.staff_token(&admin, "clinician").await;
    let (_, desk) = server.staff_token(&admin, "front_desk").await;
    let set = server
        .call(
            Method::PUT,
            "/api/v1/settings/security",
            Some(&admin),
            Some(json!({"mfa_required_roles": ["clinician"], "clinician_scope": "all"})),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{:?}", set.body);

    let me = server.get("/api/v1/auth/me", &clinician).await;
    assert_eq!(
        (me.body["mfa_required"].clone(), me.body["mfa_enrolment_required"].clone()),
        (json!(true), json!(true))
    );
    assert_eq!(me.body["allowed_actions"], json!([]));
    let blocked = server.get("/api/v1/patients", &clinician).await;
    assert_eq!((blocked.status, blocked.code()), (StatusCode::FORBIDDEN, "MFA_ENROLMENT_REQUIRED"));
    assert_eq!(server.get("/api/v1/patients", &desk).await.status, StatusCode::OK, "other roles are not held");

    let (_, _) = enrol(&server, &clinician).await;
    assert_eq!(server.get("/api/v1/patients", &clinician).await.status, StatusCode::OK);
    let off = server.post("/api/v1/auth/mfa/totp/disable", &clinician, json!({"current_password": PASSWORD})).await;
    assert_eq!((off.status, off.code()), (StatusCode::CONFLICT, "MFA_REQUIRED"));
}

#[tokio::test]
async fn turning_mfa_off_needs_the_password_and_an_admin_can_reset_it() {
    let (server, admin) = TestServer::with_admin().await;
    let (id, token) = server.staff_token(&admin, "manager").await;
    let email = server.get("/api/v1/auth/me", &token).await.body["email"].as_str().unwrap().to_owned();
    enrol(&server, &token).await;
    let wrong =
        server.post("/api/v1/auth/mfa/totp/disable", &token, json!({"current_password": "wrong one here"})).await;
    assert!(wrong.field_error("current_password").is_some(), "{:?}", wrong.body);
    assert_eq!(server.login_reply(&email, PASSWORD).await.body["mfa_required"], true);

    // A manager cannot reset anyone's MFA; an admin can, and it is audited.
    let path = format!("/api/v1/staff/{id}/mfa");
    assert_eq!(server.call(Method::DELETE, &path, Some(&token), None).await.status, StatusCode::FORBIDDEN);
    let reset = server.call(Method::DELETE, &path, Some(&admin), None).await;
    assert_eq!(reset.status, StatusCode::NO_CONTENT, "{:?}", reset.body);
    assert!(server.login_reply(&email, PASSWORD).await.body["access_token"].is_string());
    assert_eq!(server.count_rows_sql("SELECT count(*) FROM audit_log WHERE action = 'staff.mfa_reset'"), 1);
    let nothing = server.call(Method::DELETE, &path, Some(&admin), None).await;
    assert_eq!((nothing.status, nothing.code()), (StatusCode::CONFLICT, "MFA_NOT_ENABLED"));

    enrol(&server, &token).await;
    let off = server.post("/api/v1/auth/mfa/totp/disable", &token, json!({"current_password": PASSWORD})).await;
    assert_eq!(off.status, StatusCode::NO_CONTENT, "{:?}", off.body);
    assert!(server.login_reply(&email, PASSWORD).await.body["access_token"].is_string());
}
