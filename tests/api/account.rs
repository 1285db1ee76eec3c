//! One's own account: sessions, name, email and password changes.

use chrono::Duration;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::harness::{ADMIN_EMAIL, PASSWORD, TestServer, into_reply};

pub fn browser() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).user_agent("Reception PC (Firefox)").build().unwrap()
}

/// Signs `client` in as a browser; answers the session's CSRF token.
pub async fn browser_sign_in(server: &TestServer, client: &reqwest::Client, email: &str, password: &str) -> String {
    let reply = into_reply(
        client
            .post(server.url("/api/v1/auth/session"))
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    reply.body["csrf_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn sessions_lists_ones_own_sign_ins_and_ending_one_signs_it_out() {
    let (server, first) = TestServer::with_admin().await;
    let second = server.login(ADMIN_EMAIL, PASSWORD).await;
    let desk = browser();
    browser_sign_in(&server, &desk, ADMIN_EMAIL, PASSWORD).await;
    let (_, other_person) = server.staff_token(&first, "front_desk").await;

    let list = server.get("/api/v1/auth/sessions", &first).await;
    assert_eq!(list.status, StatusCode::OK, "{:?}", list.body);
    let rows = list.body["data"].as_array().unwrap();
    // The admin's two bearer sign-ins and the browser; not the other person's.
    assert_eq!(list.body["pagination"]["total"], 3, "{rows:?}");
    assert_eq!(rows.iter().filter(|r| r["current"] == true).count(), 1);
    let browser_row = rows.iter().find(|r| r["kind"] == "browser").unwrap();
    assert_eq!(browser_row["user_agent"], "Reception PC (Firefox)");
    assert_eq!(browser_row["client_addr"], "127.0.0.1");
    assert!(browser_row["last_used_at"].as_str().unwrap().ends_with('Z'));

    // Ending the browser's sign-in signs that browser out at once.
    let id = browser_row["id"].as_i64().unwrap();
    let ended = server.call(Method::DELETE, &format!("/api/v1/auth/sessions/{id}"), Some(&first), None).await;
    assert_eq!(ended.status, StatusCode::NO_CONTENT, "{:?}", ended.body);
    let out = into_reply(desk.get(server.url("/api/v1/auth/me")).send().await.unwrap()).await;
    assert_eq!(out.status, StatusCode::UNAUTHORIZED);
    assert_eq!(server.get("/api/v1/auth/sessions", &first).await.body["pagination"]["total"], 2);
    assert_eq!(server.get("/api/v1/auth/me", &second).await.status, StatusCode::OK, "the others stay");

    // Someone else's sign-in is not found, and stays.
    let theirs = server.get("/api/v1/auth/sessions", &other_person).await.body["data"][0]["id"].as_i64().unwrap();
    let refused = server.call(Method::DELETE, &format!("/api/v1/auth/sessions/{theirs}"), Some(&first), None).await;
    assert_eq!((refused.status, refused.code()), (StatusCode::NOT_FOUND, "NOT_FOUND"));
    assert_eq!(server.get("/api/v1/auth/me", &other_person).await.status, StatusCode::OK);
    assert!(server.count_rows_sql("SELECT count(*) FROM audit_log WHERE action = 'auth.session_end'") == 1);
}

#[tokio::test]
async fn an_idle_browser_session_leaves_the_list() {
    let (server, token) = TestServer::with_admin().await;
    let desk = browser();
    browser_sign_in(&server, &desk, ADMIN_EMAIL, PASSWORD).await;
    assert_eq!(server.get("/api/v1/auth/sessions", &token).await.body["pagination"]["total"], 2);
    server.advance(Duration::minutes(31));
    let token = server.login(ADMIN_EMAIL, PASSWORD).await;
    let list = server.get("/api/v1/auth/sessions", &token).await;
    let kinds: Vec<&str> = list.body["data"].as_array().unwrap().iter().map(|r| r["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["tokens", "tokens"], "the idle browser is gone; both bearer sign-ins stay");
}

#[tokio::test]
async fn changing_ones_password_needs_the_current_one_and_signs_out_the_others() {
    let (server, token) = TestServer::with_admin().await;
    let other = server.login(ADMIN_EMAIL, PASSWORD).await;
    let new_password = "a much longer passphrase for the admin";

    let wrong = server
        .post(
            "/api/v1/auth/me/password",
            &token,
            json!({"current_password": "not it at all", "new_password": new_password}),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", wrong.body);
    assert!(wrong.field_error("current_password").is_some());
    let weak = server
        .post("/api/v1/auth/me/password", &token, json!({"current_password": PASSWORD, "new_password": "123456789012"}))
        .await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(weak.field_error("new_password").is_some(), "{:?}", weak.body);
    assert_eq!(server.login_reply(ADMIN_EMAIL, PASSWORD).await.status, StatusCode::OK, "nothing changed yet");
    assert_eq!(server.get("/api/v1/auth/me", &other).await.status, StatusCode::OK);

    let changed = server
        .post("/api/v1/auth/me/password", &token, json!({"current_password": PASSWORD, "new_password": new_password}))
        .await;
    assert_eq!(changed.status, StatusCode::NO_CONTENT, "{:?}", changed.body);
    assert_eq!(server.get("/api/v1/auth/me", &token).await.status, StatusCode::OK, "this sign-in stays");
    assert_eq!(server.get("/api/v1/auth/me", &other).await.status, StatusCode::UNAUTHORIZED, "the others end");
    assert_eq!(server.login_reply(ADMIN_EMAIL, PASSWORD).await.code(), "INVALID_CREDENTIALS");
    assert_eq!(server.login_reply(ADMIN_EMAIL, new_password).await.status, StatusCode::OK);
}

#[tokio::test]
async fn one_changes_ones_own_name_and_an_email_only_with_the_password() {
    let (server, admin) = TestServer::with_admin().await;
    let (id, token) = server.staff_token(&admin, "clinician").await;

    let renamed = server.patch("/api/v1/auth/me", &token, json!({"name": "  Dr Grace Hopper "})).await;
    assert_eq!(renamed.status, StatusCode::OK, "{:?}", renamed.body);
    assert_eq!(renamed.body["name"], "Dr Grace Hopper");
    assert_eq!(renamed.body["role"], "clinician", "the role is not one's own to change");

    let no_password = server.patch("/api/v1/auth/me", &token, json!({"email": "grace@clinic.test"})).await;
    assert_eq!(no_password.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_password.field_error("current_password").is_some());
    let taken =
        server.patch("/api/v1/auth/me", &token, json!({"email": ADMIN_EMAIL, "current_password": PASSWORD})).await;
    assert_eq!((taken.status, taken.code()), (StatusCode::CONFLICT, "EMAIL_TAKEN"));
    let bad =
        server.patch("/api/v1/auth/me", &token, json!({"email": "not an email", "current_password": PASSWORD})).await;
    assert!(bad.field_error("email").is_some(), "{:?}", bad.body);
    let role = server.patch("/api/v1/auth/me", &token, json!({"role": "admin"})).await;
    assert_eq!(role.status, StatusCode::UNPROCESSABLE_ENTITY, "unknown fields are refused: {:?}", role.body);

    let moved = server
        .patch("/api/v1/auth/me", &token, json!({"email": "Grace@Clinic.test", "current_password": PASSWORD}))
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{:?}", moved.body);
    assert_eq!(moved.body["email"], "grace@clinic.test");
    assert_eq!(server.login_reply("grace@clinic.test", PASSWORD).await.status, StatusCode::OK);
    let staff = server.get(&format!("/api/v1/staff/{id}"), &admin).await;
    assert_eq!(staff.body["email"], "grace@clinic.test");
    let audited = server.count_rows_sql(&format!(
        "SELECT count(*) FROM audit_log WHERE action = 'auth.account_update' AND entity_id = {id}"
    ));
    assert_eq!(audited, 2);
}
