use reqwest::StatusCode;
use serde_json::json;

use crate::harness::{PASSWORD, TestServer};

#[tokio::test]
async fn admin_creates_lists_reads_and_changes_staff() {
    let (server, admin) = TestServer::with_admin().await;
    let created = server
        .post(
            "/api/v1/staff",
            &admin,
            json!({"email": "Bob@Clinic.test", "name": "Bob Builder", "role": "front_desk", "password": PASSWORD}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let id = created.body["id"].as_i64().unwrap();
    assert_eq!(created.header("location"), Some(format!("/api/v1/staff/{id}").as_str()));
    assert_eq!(created.body["email"], "bob@clinic.test");
    assert!(created.body.get("password").is_none());

    let duplicate = server
        .post(
            "/api/v1/staff",
            &admin,
            json!({"email": "BOB@clinic.test", "name": "B", "role": "billing", "password": PASSWORD}),
        )
        .await;
    assert_eq!(duplicate.status, StatusCode::CONFLICT);
    assert_eq!(duplicate.code(), "EMAIL_TAKEN");

    let list = server.get("/api/v1/staff?page_size=1", &admin).await;
    assert_eq!(list.body["pagination"]["total"], 2);
    assert_eq!(list.body["pagination"]["has_next"], true);
    assert_eq!(list.body["data"].as_array().unwrap().len(), 1);

    let changed =
        server.patch(&format!("/api/v1/staff/{id}"), &admin, json!({"role": "manager", "name": "Robert"})).await;
    assert_eq!(changed.status, StatusCode::OK, "{:?}", changed.body);
    assert_eq!(changed.body["role"], "manager");
    assert_eq!(server.get(&format!("/api/v1/staff/{id}"), &admin).await.body["name"], "Robert");
    assert_eq!(server.get("/api/v1/staff/9999", &admin).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn staff_input_is_validated_field_by_field() {
    let (server, admin) = TestServer::with_admin().await;
    let reply = server
        .post("/api/v1/staff", &admin, json!({"email": "x@", "name": " ", "role": "clinician", "password": "short"}))
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.code(), "VALIDATION_FAILED");
    assert!(reply.field_error("email").is_some());
    assert!(reply.field_error("name").is_some());
    assert!(reply.field_error("password").unwrap().contains("12"));
    let long = server
        .post(
            "/api/v1/staff",
            &admin,
            json!({"email": "l@clinic.test", "name": "L", "role": "clinician", "password": "x".repeat(129)}),
        )
        .await;
    assert!(long.field_error("password").is_some());
    let role = server
        .post(
            "/api/v1/staff",
            &admin,
            json!({"email": "r@clinic.test", "name": "R", "role": "wizard", "password": PASSWORD}),
        )
        .await;
    assert_eq!(role.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(role.field_error("role").is_some_and(|p| p.contains("front_desk")), "{:?}", role.body);
    assert_eq!(server.count_rows("staff"), 1);
}

#[tokio::test]
async fn only_admins_manage_staff() {
    let (server, admin) = TestServer::with_admin().await;
    for role in ["manager", "clinician", "front_desk", "billing"] {
        let (_, token) = server.staff_token(&admin, role).await;
        let list = server.get("/api/v1/staff", &token).await;
        assert_eq!(list.status, StatusCode::FORBIDDEN, "{role}");
        assert_eq!(list.code(), "FORBIDDEN");
        let create = server
            .post(
                "/api/v1/staff",
                &token,
                json!({"email": "z@clinic.test", "name": "Z", "role": "admin", "password": PASSWORD}),
            )
            .await;
        assert_eq!(create.status, StatusCode::FORBIDDEN, "{role}");
    }
    let anonymous = server.call(reqwest::Method::GET, "/api/v1/staff", None, None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_last_active_admin_cannot_be_demoted_or_deactivated() {
    let (server, admin) = TestServer::with_admin().await;
    let me = server.get("/api/v1/auth/me", &admin).await.body["id"].as_i64().unwrap();
    for change in [json!({"role": "clinician"}), json!({"active": false})] {
        let reply = server.patch(&format!("/api/v1/staff/{me}"), &admin, change).await;
        assert_eq!(reply.status, StatusCode::CONFLICT);
        assert_eq!(reply.code(), "LAST_ADMIN");
    }
    let (second, _) = server.staff_token(&admin, "admin").await;
    assert_eq!(
        server.patch(&format!("/api/v1/staff/{second}"), &admin, json!({"active": false})).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_password_reset_replaces_the_password_and_signs_out() {
    let (server, admin) = TestServer::with_admin().await;
    let (id, token) = server.staff_token(&admin, "billing").await;
    let email = server.get(&format!("/api/v1/staff/{id}"), &admin).await.body["email"].as_str().unwrap().to_owned();
    let reply =
        server.patch(&format!("/api/v1/staff/{id}"), &admin, json!({"password": "a brand new passphrase"})).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(server.get("/api/v1/auth/me", &token).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(server.login_reply(&email, PASSWORD).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(server.login_reply(&email, "a brand new passphrase").await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_new_role_applies_at_once_without_signing_out() {
    let (server, admin) = TestServer::with_admin().await;
    let (id, token) = server.staff_token(&admin, "billing").await;
    let body = json!({"given_name": "Role", "family_name": "Change"});
    assert_eq!(server.post("/api/v1/patients", &token, body.clone()).await.status, StatusCode::FORBIDDEN);
    server.patch(&format!("/api/v1/staff/{id}"), &admin, json!({"role": "front_desk"})).await;
    assert_eq!(server.post("/api/v1/patients", &token, body).await.status, StatusCode::CREATED, "same token, new role");
}
