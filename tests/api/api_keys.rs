//! API keys: issued by an admin, shown once, a bearer token with its role,
//! attributed in the audit log, revocable, expiring.

use chrono::Duration;
use clinicbox::kit::clock::Clock;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::harness::TestServer;

async fn issue(server: &TestServer, admin: &str, role: &str) -> (i64, String) {
    let reply = server.post("/api/v1/api-keys", admin, json!({"name": format!("{role} sync"), "role": role})).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    (reply.body["id"].as_i64().unwrap(), reply.body["key"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn a_key_acts_with_its_role_and_is_attributed_to_itself() {
    let (server, admin) = TestServer::with_admin().await;
    let created = server.post("/api/v1/api-keys", &admin, json!({"name": "Accounting", "role": "front_desk"})).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let key = created.body["key"].as_str().unwrap().to_owned();
    assert!(key.starts_with("cbk_") && key.len() > 60, "{key}");
    assert!(key.starts_with(created.body["key_prefix"].as_str().unwrap()));
    assert_eq!(created.header("location"), Some(format!("/api/v1/api-keys/{}", created.body["id"]).as_str()));
    let stored = server.count_rows_sql(&format!("SELECT count(*) FROM api_keys WHERE key_hash = '{key}'"));
    assert_eq!(stored, 0, "only the hash is stored");

    // Front-desk permissions: patients yes, staff and audit no.
    let patient = server.post("/api/v1/patients", &key, json!({"given_name": "Key", "family_name": "Made"})).await;
    assert_eq!(patient.status, StatusCode::CREATED, "{:?}", patient.body);
    assert_eq!(server.get("/api/v1/staff", &key).await.status, StatusCode::FORBIDDEN);
    assert_eq!(server.get("/api/v1/audit", &key).await.status, StatusCode::FORBIDDEN);
    // A key has no account: no /auth/me, no sessions, no MFA, no issuing keys.
    for path in ["/api/v1/auth/me", "/api/v1/auth/sessions", "/api/v1/auth/mfa"] {
        assert_eq!(server.get(path, &key).await.status, StatusCode::FORBIDDEN, "{path}");
    }

    let id = patient.body["id"].as_i64().unwrap();
    let audit = server.get(&format!("/api/v1/audit?entity=patient&entity_id={id}"), &admin).await;
    let row = audit.body["data"].as_array().unwrap().iter().find(|r| r["action"] == "patient.create").unwrap().clone();
    assert_eq!(row["api_key_id"], created.body["id"]);
    assert_eq!(row["actor_email"], "api-key:Accounting");
    assert!(row.get("actor_id").is_none(), "no person is named: {row:?}");

    let list = server.get("/api/v1/api-keys", &admin).await;
    let listed = &list.body["data"][0];
    assert_eq!(listed["name"], "Accounting");
    assert!(listed["last_used_at"].is_string(), "{listed:?}");
    assert_eq!(listed["last_used_addr"], "127.0.0.1");
    assert!(listed.get("key").is_none(), "the key is never listed");
}

#[tokio::test]
async fn only_admins_issue_keys_and_a_revoked_or_expired_key_stops_working() {
    let (server, admin) = TestServer::with_admin().await;
    let (_, manager) = server.staff_token(&admin, "manager").await;
    let refused = server.post("/api/v1/api-keys", &manager, json!({"name": "x", "role": "admin"})).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let (_, admin_key) = issue(&server, &admin, "admin").await;
    let by_key = server.post("/api/v1/api-keys", &admin_key, json!({"name": "child", "role": "admin"})).await;
    assert_eq!(by_key.status, StatusCode::FORBIDDEN, "a key does not issue keys: {:?}", by_key.body);

    let (id, key) = issue(&server, &admin, "billing").await;
    assert_eq!(server.get("/api/v1/patients", &key).await.status, StatusCode::OK);
    let revoked = server.call(Method::DELETE, &format!("/api/v1/api-keys/{id}"), Some(&admin), None).await;
    assert_eq!(revoked.status, StatusCode::OK, "{:?}", revoked.body);
    assert_eq!(revoked.body["active"], false);
    let after = server.get("/api/v1/patients", &key).await;
    assert_eq!((after.status, after.code()), (StatusCode::UNAUTHORIZED, "UNAUTHENTICATED"));
    let missing = server.call(Method::DELETE, "/api/v1/api-keys/999", Some(&admin), None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);

    let expires = (server.clock.now() + Duration::days(2)).to_rfc3339();
    let reply = server
        .post("/api/v1/api-keys", &admin, json!({"name": "Short", "role": "billing", "expires_at": expires}))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    let short = reply.body["key"].as_str().unwrap().to_owned();
    assert_eq!(server.get("/api/v1/patients", &short).await.status, StatusCode::OK);
    server.advance(Duration::days(3));
    let expired = server.get("/api/v1/patients", &short).await;
    assert_eq!((expired.status, expired.code()), (StatusCode::UNAUTHORIZED, "TOKEN_EXPIRED"));

    let admin = server.login(crate::harness::ADMIN_EMAIL, crate::harness::PASSWORD).await;
    let past = server
        .post(
            "/api/v1/api-keys",
            &admin,
            json!({"name": "Past", "role": "billing", "expires_at": "2001-01-01T00:00:00Z"}),
        )
        .await;
    assert!(past.field_error("expires_at").is_some(), "{:?}", past.body);
    let blank = server.post("/api/v1/api-keys", &admin, json!({"name": "   ", "role": "billing"})).await;
    assert!(blank.field_error("name").is_some(), "{:?}", blank.body);
    let forged =
        server.get("/api/v1/patients", "cbk_0000000000000000000000000000000000000000000000000000000000000000").await;
    assert_eq!(forged.status, StatusCode::UNAUTHORIZED);
}
