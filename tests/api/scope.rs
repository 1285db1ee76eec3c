//! The clinician scope: with `clinician_scope: own` a clinician sees only
//! the patients they are booked with, registered or were shared, in every
//! patient, appointment and search path; everyone else is unaffected.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::harness::TestServer;
use crate::scheduling::{book_body, clinic, london};

fn ids(reply: &Value) -> Vec<i64> {
    let mut ids: Vec<i64> = reply["data"].as_array().unwrap().iter().map(|p| p["id"].as_i64().unwrap()).collect();
    ids.sort_unstable();
    ids
}

async fn set_scope(server: &TestServer, admin: &str, scope: &str) {
    let body = json!({"mfa_required_roles": [], "clinician_scope": scope});
    let reply = server.call(Method::PUT, "/api/v1/settings/security", Some(admin), Some(body)).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
}

#[tokio::test]
async fn a_clinician_limited_to_their_own_patients_sees_no_one_else_anywhere() {
    let (server, admin) = TestServer::with_admin().await;
    let c = clinic(&server, &admin).await;
    let (clinician_staff, clinician) = server.staff_token(&admin, "clinician").await;
    let (_, front_desk) = server.staff_token(&admin, "front_desk").await;
    let clinician_path = format!("/api/v1/clinicians/{}", c.clinician);
    let linked = server.patch(&clinician_path, &admin, json!({"staff_id": clinician_staff})).await;
    assert_eq!(linked.status, StatusCode::OK);
    // A second clinician, with the same hours and service, who is not the caller.
    let other = server.post("/api/v1/clinicians", &admin, json!({"display_name": "Dr Bo", "centre_ids": [c.centre]}));
    let other = other.await.body["id"].as_i64().unwrap();
    let rules = json!([{"weekday": 1, "start": "09:00", "end": "17:00", "centre_id": c.centre}]);
    let path = format!("/api/v1/clinicians/{other}/availability");
    assert_eq!(server.call(Method::PUT, &path, Some(&admin), Some(rules)).await.status, StatusCode::OK);
    let both = json!({"clinician_ids": [c.clinician, other]});
    assert_eq!(server.patch(&format!("/api/v1/services/{}", c.consult), &admin, both).await.status, StatusCode::OK);

    let (mine, theirs, shared) = (c.patients[0], c.patients[1], c.patients[2]);
    let booked =
        server.post("/api/v1/appointments", &front_desk, book_body(&c, mine, c.consult, &london(c.monday, "09:00")));
    let my_appointment = booked.await.body["id"].as_i64().unwrap();
    let mut body = book_body(&c, theirs, c.consult, &london(c.monday, "10:00"));
    body["clinician_id"] = json!(other);
    let their_appointment = server.post("/api/v1/appointments", &front_desk, body).await;
    assert_eq!(their_appointment.status, StatusCode::CREATED, "{:?}", their_appointment.body);
    let their_appointment = their_appointment.body["id"].as_i64().unwrap();

    // Shared care, the default: the clinician sees everyone.
    let all = server.get("/api/v1/patients?page_size=100", &clinician).await;
    assert_eq!(all.body["pagination"]["total"], 12);

    set_scope(&server, &admin, "own").await;
    let registered =
        server.create_patient(&clinician, json!({"given_name": "Own", "family_name": "Registration"})).await;
    let registered = registered["id"].as_i64().unwrap();
    let shares_path = format!("/api/v1/patients/{shared}/shares");
    let share = server.post(&shares_path, &front_desk, json!({"staff_id": clinician_staff})).await;
    assert_eq!(share.status, StatusCode::CREATED, "{:?}", share.body);
    assert_eq!(share.body["staff_id"], clinician_staff);

    let seen = server.get("/api/v1/patients?page_size=100", &clinician).await;
    let mut expected = vec![mine, shared, registered];
    expected.sort_unstable();
    assert_eq!(ids(&seen.body), expected, "only booked, shared and registered patients");
    assert_eq!(seen.body["pagination"]["total"], 3);
    let facets = server.get("/api/v1/patients/facets", &clinician).await;
    let counted: i64 = facets.body["status"].as_array().unwrap().iter().map(|f| f["count"].as_i64().unwrap()).sum();
    assert_eq!(counted, 3, "counts cover only the patients they see: {:?}", facets.body);
    let searched = server.get("/api/v1/patients?q=Patient1", &clinician).await;
    assert!(ids(&searched.body).iter().all(|id| expected.contains(id)), "{:?}", searched.body);

    let hidden = format!("/api/v1/patients/{theirs}");
    assert_eq!(server.get(&hidden, &clinician).await.status, StatusCode::NOT_FOUND);
    assert_eq!(server.patch(&hidden, &clinician, json!({"given_name": "Changed"})).await.status, StatusCode::NOT_FOUND);
    let archive = server.call(Method::POST, &format!("{hidden}/archive"), Some(&clinician), None).await;
    assert_eq!(archive.status, StatusCode::NOT_FOUND);
    assert_eq!(server.get(&format!("{hidden}/appointments"), &clinician).await.status, StatusCode::NOT_FOUND);
    assert_eq!(server.get(&format!("{hidden}/shares"), &clinician).await.status, StatusCode::NOT_FOUND);
    assert_eq!(server.get(&format!("/api/v1/patients/{mine}"), &clinician).await.status, StatusCode::OK);

    // Appointments: their own and their patients', not another clinician's with someone else.
    let day = format!("/api/v1/appointments?centre_id={}&date={}", c.centre, c.monday);
    assert_eq!(ids(&server.get(&day, &clinician).await.body), vec![my_appointment]);
    assert_eq!(ids(&server.get(&day, &front_desk).await.body).len(), 2, "front desk sees the whole day");
    let foreign = format!("/api/v1/appointments/{their_appointment}");
    assert_eq!(server.get(&foreign, &clinician).await.status, StatusCode::NOT_FOUND);
    assert_eq!(server.get(&format!("{foreign}/history"), &clinician).await.status, StatusCode::NOT_FOUND);
    let cancel = server.post(&format!("{foreign}/cancel"), &clinician, json!({"reason": "x"})).await;
    assert_eq!(cancel.status, StatusCode::NOT_FOUND);
    let reschedule = format!("{foreign}/reschedule");
    let moved = server.post(&reschedule, &clinician, json!({"start": london(c.monday, "14:00")})).await;
    assert_eq!(moved.status, StatusCode::NOT_FOUND);
    let book_hidden =
        server.post("/api/v1/appointments", &clinician, book_body(&c, theirs, c.consult, &london(c.monday, "15:00")));
    let book_hidden = book_hidden.await;
    assert_eq!(book_hidden.field_error("patient_id"), Some("names no patient"), "{:?}", book_hidden.body);
    assert_eq!(server.get(&foreign, &front_desk).await.body["status"], "confirmed", "nothing changed");

    // Search across everything keeps to the same patients.
    server.index_caught_up().await;
    let found = server.get("/api/v1/search?q=Patient1", &clinician).await;
    assert!(found.body["data"].as_array().unwrap().iter().all(|hit| hit["id"] != theirs), "{:?}", found.body);
    let found = server.get("/api/v1/search?q=Patient0", &clinician).await;
    assert!(found.body["data"].as_array().unwrap().iter().any(|hit| hit["id"] == mine), "{:?}", found.body);
    let by_front_desk = server.get("/api/v1/search?q=Patient1", &front_desk).await;
    assert!(by_front_desk.body["data"].as_array().unwrap().iter().any(|hit| hit["id"] == theirs));

    // A share opens the patient and ending it closes them again.
    let opened = server.post(&format!("{hidden}/shares"), &admin, json!({"staff_id": clinician_staff})).await;
    assert_eq!(opened.status, StatusCode::CREATED);
    assert_eq!(server.get(&hidden, &clinician).await.status, StatusCode::OK);
    let shares = server.get(&format!("{hidden}/shares"), &admin).await;
    assert_eq!(shares.body["data"][0]["staff_id"], clinician_staff, "{:?}", shares.body);
    let ended = server.call(Method::DELETE, &format!("{hidden}/shares/{clinician_staff}"), Some(&admin), None).await;
    assert_eq!(ended.status, StatusCode::NO_CONTENT);
    assert_eq!(server.get(&hidden, &clinician).await.status, StatusCode::NOT_FOUND);
    let again = server.call(Method::DELETE, &format!("{hidden}/shares/{clinician_staff}"), Some(&admin), None).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    let nobody = server.post(&format!("{hidden}/shares"), &admin, json!({"staff_id": 999_999})).await;
    assert_eq!(nobody.field_error("staff_id"), Some("names no active member of staff"), "{:?}", nobody.body);
    let audited = "SELECT count(*) FROM audit_log WHERE action IN ('patient.share', 'patient.unshare')";
    assert_eq!(server.count_rows_sql(audited), 3, "two shares and one unshare");

    // A clinician's API key is no one's clinician: it sees no patient.
    let key = server.post("/api/v1/api-keys", &admin, json!({"name": "notes sync", "role": "clinician"})).await;
    let key = key.body["key"].as_str().unwrap().to_owned();
    assert_eq!(server.get("/api/v1/patients", &key).await.body["pagination"]["total"], 0);

    // Back to shared care: everyone again.
    set_scope(&server, &admin, "all").await;
    assert_eq!(server.get(&hidden, &clinician).await.status, StatusCode::OK);
    assert_eq!(ids(&server.get(&day, &clinician).await.body).len(), 2);
}
