use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::harness::TestServer;

#[tokio::test]
async fn changes_and_reads_of_a_patient_are_audited_with_who_and_where() {
    let (server, admin) = TestServer::with_admin().await;
    let (clinician_id, clinician) = server.staff_token(&admin, "clinician").await;

    let created =
        server.post("/api/v1/patients", &clinician, json!({"given_name": "Audit", "family_name": "Me"})).await;
    let id = created.body["id"].as_i64().unwrap();
    let create_request_id = created.header("x-request-id").unwrap().to_owned();
    server.get(&format!("/api/v1/patients/{id}"), &clinician).await;
    server.patch(&format!("/api/v1/patients/{id}"), &clinician, json!({"email": "audit@example.com"})).await;
    server.call(Method::POST, &format!("/api/v1/patients/{id}/archive"), Some(&clinician), None).await;
    // A refused change leaves no trace but the refusal.
    server.patch(&format!("/api/v1/patients/{id}"), &clinician, json!({"email": "broken"})).await;

    let log = server.get(&format!("/api/v1/audit?entity=patient&entity_id={id}"), &admin).await;
    assert_eq!(log.status, StatusCode::OK, "{:?}", log.body);
    let actions: Vec<&str> =
        log.body["data"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["patient.archive", "patient.update", "patient.read", "patient.create"]);
    let entries = log.body["data"].as_array().unwrap();
    for entry in entries {
        assert_eq!(entry["actor_id"], clinician_id);
        assert_eq!(entry["client_addr"], "127.0.0.1");
        assert_eq!(entry["entity"], "patient");
    }
    assert_eq!(entries[3]["request_id"], create_request_id.as_str());
    // Field names, never values.
    assert_eq!(entries[1]["details"], json!({"fields": ["email"]}));
    assert!(!log.body.to_string().contains("audit@example.com"));

    let by_actor = server.get(&format!("/api/v1/audit?actor={clinician_id}&page_size=2"), &admin).await;
    assert_eq!(by_actor.body["pagination"]["total"], 5, "login + four patient entries");
    assert_eq!(by_actor.body["data"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_caller_supplied_request_id_is_kept_in_the_audit_row() {
    let (server, admin) = TestServer::with_admin().await;
    let response = server
        .client
        .post(server.url("/api/v1/patients"))
        .bearer_auth(&admin)
        .header("x-request-id", "integration-42")
        .json(&json!({"given_name": "Traced", "family_name": "Request"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "integration-42");
    let log = server.get("/api/v1/audit?entity=patient", &admin).await;
    assert_eq!(log.body["data"][0]["request_id"], "integration-42");
}

#[tokio::test]
async fn only_admins_read_the_audit_log() {
    let (server, admin) = TestServer::with_admin().await;
    for role in ["manager", "clinician", "front_desk", "billing"] {
        let (_, token) = server.staff_token(&admin, role).await;
        assert_eq!(server.get("/api/v1/audit", &token).await.status, StatusCode::FORBIDDEN, "{role}");
    }
}

#[tokio::test]
async fn the_audit_table_refuses_updates_and_deletes() {
    let (server, admin) = TestServer::with_admin().await;
    server.post("/api/v1/patients", &admin, json!({"given_name": "Keep", "family_name": "Forever"})).await;
    let conn = rusqlite::Connection::open(server.app.config.db_path()).unwrap();
    let before: i64 = conn.query_row("SELECT count(*) FROM audit_log", [], |r| r.get(0)).unwrap();
    assert!(before >= 3);
    let update = conn.execute("UPDATE audit_log SET action = 'nothing'", []);
    assert!(update.unwrap_err().to_string().contains("append-only"));
    let delete = conn.execute("DELETE FROM audit_log", []);
    assert!(delete.unwrap_err().to_string().contains("append-only"));
    let after: i64 = conn.query_row("SELECT count(*) FROM audit_log", [], |r| r.get(0)).unwrap();
    assert_eq!(before, after);
}

#[tokio::test]
async fn failed_sign_ins_are_audited_with_the_email_tried_and_no_password() {
    let (server, token) = TestServer::with_admin().await;
    let wrong = server.login_reply(crate::harness::ADMIN_EMAIL, "a wrong password here").await;
    assert_eq!(wrong.code(), "INVALID_CREDENTIALS");
    let unknown = server.login_reply("nobody@clinic.test", "another wrong one").await;
    assert_eq!(unknown.code(), "INVALID_CREDENTIALS");
    let audit = server.get("/api/v1/audit?entity=staff", &token).await;
    let failed: Vec<&serde_json::Value> =
        audit.body["data"].as_array().unwrap().iter().filter(|r| r["action"] == "auth.login_failed").collect();
    assert_eq!(failed.len(), 2, "{:?}", audit.body);
    assert_eq!(failed[0]["details"]["email"], "nobody@clinic.test");
    assert!(failed[0].get("entity_id").is_none(), "no account by that email");
    assert_eq!(failed[1]["details"]["email"], crate::harness::ADMIN_EMAIL);
    assert_eq!(failed[1]["entity_id"], 1);
    assert_eq!(failed[1]["client_addr"], "127.0.0.1");
    assert!(!audit.body.to_string().contains("wrong password"), "a password is never written");
}

/// The audit entries with `action`, newest first.
async fn entries(server: &TestServer, admin: &str, entity: &str, action: &str) -> Vec<serde_json::Value> {
    let reply = server.get(&format!("/api/v1/audit?entity={entity}&page_size=100"), admin).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    reply.body["data"].as_array().unwrap().iter().filter(|e| e["action"] == action).cloned().collect()
}

#[tokio::test]
async fn list_and_search_reads_and_feed_exports_are_audited_with_what_was_asked_and_shown() {
    let (server, admin) = TestServer::with_admin().await;
    let c = crate::scheduling::clinic(&server, &admin).await;
    let (front_desk_id, front_desk) = server.staff_token(&admin, "front_desk").await;
    server.index_caught_up().await;

    let listed = server.get("/api/v1/patients?q=Patient3&status=active", &front_desk).await;
    assert_eq!(listed.status, StatusCode::OK);
    let shown: Vec<i64> = listed.body["data"].as_array().unwrap().iter().map(|p| p["id"].as_i64().unwrap()).collect();
    assert!(shown.contains(&c.patients[3]), "{:?}", listed.body);
    let list_rows = entries(&server, &admin, "patient", "patient.list").await;
    let row = list_rows.iter().find(|e| e["actor_id"] == front_desk_id).expect("the list read is on record");
    assert_eq!(row["details"]["q"], "Patient3");
    assert_eq!(row["details"]["status"], "active");
    assert_eq!(row["details"]["ids"], json!(shown), "which records were shown");
    assert_eq!(row["request_id"], listed.header("x-request-id").unwrap());

    let searched = server.get("/api/v1/search?q=Patient7", &front_desk).await;
    let hits: Vec<i64> = searched.body["data"].as_array().unwrap().iter().map(|h| h["id"].as_i64().unwrap()).collect();
    assert!(hits.contains(&c.patients[7]), "{:?}", searched.body);
    let search_rows = entries(&server, &admin, "search", "search").await;
    assert_eq!(search_rows.len(), 1, "{search_rows:?}");
    assert_eq!(search_rows[0]["actor_id"], front_desk_id);
    assert_eq!(search_rows[0]["details"]["q"], "Patient7");
    assert_eq!(search_rows[0]["details"]["patient_ids"], json!(hits));
    // A refused search is not a read.
    let (_, billing) = server.staff_token(&admin, "billing").await;
    assert_eq!(
        server.get("/api/v1/search?q=Patient7&limit=0", &billing).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(entries(&server, &admin, "search", "search").await.len(), 1);

    // Each fetch of a calendar feed is an export of patients' names.
    let start = crate::scheduling::london(c.monday, "10:00");
    let booked =
        server.post("/api/v1/appointments", &admin, crate::scheduling::book_body(&c, c.patients[0], c.consult, &start));
    assert_eq!(booked.await.status, StatusCode::CREATED);
    let clinician = server.get(&format!("/api/v1/clinicians/{}", c.clinician), &admin).await;
    let feed = clinician.body["calendar_feed_url"].as_str().unwrap().to_owned();
    assert_eq!(crate::scheduling::fetch_feed(&server, &feed).await.0, StatusCode::OK);
    let exports = entries(&server, &admin, "clinician", "calendar.feed_read").await;
    assert_eq!(exports.len(), 1, "{exports:?}");
    assert_eq!(exports[0]["entity_id"], c.clinician);
    assert_eq!(exports[0]["details"]["appointments"], 1);
    assert!(exports[0]["actor_id"].is_null() && exports[0]["client_addr"].is_string(), "{:?}", exports[0]);
    // A patient's appointments are part of their record.
    let path = format!("/api/v1/patients/{}/appointments", c.patients[0]);
    assert_eq!(server.get(&path, &front_desk).await.status, StatusCode::OK);
    let reads = entries(&server, &admin, "patient", "patient.appointments_read").await;
    assert_eq!((reads.len(), &reads[0]["entity_id"]), (1, &json!(c.patients[0])), "{reads:?}");
    assert_eq!(reads[0]["details"]["ids"].as_array().unwrap().len(), 1);
    // A link that is not current exports nothing and records nothing.
    assert_eq!(crate::scheduling::fetch_feed(&server, "/api/v1/calendar/1-nope.ics").await.0, StatusCode::NOT_FOUND);
    assert_eq!(entries(&server, &admin, "clinician", "calendar.feed_read").await.len(), 1);
}

#[tokio::test]
async fn concurrent_audited_reads_share_commits_and_every_one_is_on_record() {
    let (server, admin) = TestServer::with_admin().await;
    let patient = server.create_patient(&admin, json!({"given_name": "Often", "family_name": "Read"})).await;
    let id = patient["id"].as_i64().unwrap();
    let server = std::sync::Arc::new(server);
    let commits = server.app.db.watch_commits();
    let before = *commits.borrow();
    let tasks: Vec<_> = (0..64)
        .map(|_| {
            let (server, admin) = (server.clone(), admin.clone());
            tokio::spawn(async move { server.get(&format!("/api/v1/patients/{id}"), &admin).await.status })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap(), StatusCode::OK);
    }
    let audited = format!("SELECT count(*) FROM audit_log WHERE action = 'patient.read' AND entity_id = {id}");
    assert_eq!(server.count_rows_sql(&audited), 64, "every read answered is on record");
    let used = *commits.borrow() - before;
    assert!(used < 64, "64 audited reads took {used} commits: they share them");
}
