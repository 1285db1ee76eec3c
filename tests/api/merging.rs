//! Possible duplicates and merges: a record registered anyway is flagged, a
//! manager merges the pair keeping every record of both, and undoes it.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::harness::TestServer;
use crate::scheduling::{book_body, clinic, london};

fn grace() -> Value {
    json!({"given_name": "Grace", "family_name": "Hopper", "date_of_birth": "1946-12-09", "phone": "07700 900123"})
}

fn ids_of(list: &Value) -> Vec<i64> {
    list["data"].as_array().unwrap().iter().map(|a| a["id"].as_i64().unwrap()).collect()
}

async fn appointment_patients(server: &TestServer, token: &str, appointment: i64) -> Vec<i64> {
    let reply = server.get(&format!("/api/v1/appointments/{appointment}"), token).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    reply.body["attendees"].as_array().unwrap().iter().map(|a| a["patient_id"].as_i64().unwrap()).collect()
}

#[tokio::test]
async fn a_patient_registered_anyway_is_flagged_and_a_manager_merges_and_undoes_it() {
    let (server, admin) = TestServer::with_admin().await;
    let c = clinic(&server, &admin).await;
    let (_, manager) = server.staff_token(&admin, "manager").await;
    let (_, front_desk) = server.staff_token(&admin, "front_desk").await;
    let (clinician_staff, _) = server.staff_token(&admin, "clinician").await;

    let kept = server.create_patient(&front_desk, grace()).await["id"].as_i64().unwrap();
    let warned = server.post("/api/v1/patients", &front_desk, grace()).await;
    assert_eq!((warned.status, warned.code()), (StatusCode::CONFLICT, "POSSIBLE_DUPLICATE"));
    assert_eq!(server.count_rows("patient_duplicate_flags"), 0, "a warning alone flags nothing");
    let anyway = server.post("/api/v1/patients?allow_duplicate=true", &front_desk, grace()).await;
    assert_eq!(anyway.status, StatusCode::CREATED, "{:?}", anyway.body);
    let twin = anyway.body["id"].as_i64().unwrap();

    let queue = server.get("/api/v1/patients/duplicates", &manager).await;
    assert_eq!(queue.status, StatusCode::OK, "{:?}", queue.body);
    let flag = &queue.body["data"][0];
    assert_eq!(queue.body["pagination"]["total"], 1);
    assert_eq!((flag["patient"]["id"].as_i64(), flag["other"]["id"].as_i64()), (Some(twin), Some(kept)));
    assert_eq!((flag["status"].as_str(), flag["reason"].as_str()), (Some("open"), Some("name_and_birth_date")));
    assert_eq!(flag["other"]["phone_display"], "07700 900123", "phones as the clinic writes them");
    for patient in [kept, twin] {
        let notice = server.get(&format!("/api/v1/patients/{patient}/duplicates"), &front_desk).await;
        assert_eq!(ids_of(&notice.body), [flag["id"].as_i64().unwrap()], "each record names the pair");
    }
    assert_eq!(server.get("/api/v1/patients/duplicates", &front_desk).await.status, StatusCode::FORBIDDEN);

    // The twin has an appointment of its own, a shared group place and a share.
    let own =
        server.post("/api/v1/appointments", &admin, book_body(&c, twin, c.consult, &london(c.monday, "09:00"))).await;
    assert_eq!(own.status, StatusCode::CREATED, "{:?}", own.body);
    let own = own.body["id"].as_i64().unwrap();
    let class = server
        .post(
            "/api/v1/services",
            &admin,
            json!({"name": "Back class", "duration_minutes": 60, "price": {"amount_minor": 1500, "currency": "GBP"},
                   "modality": "in_person", "capacity": 4, "clinician_ids": [c.clinician]}),
        )
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    let mut session = 0;
    for patient in [kept, twin] {
        let seat = server
            .post("/api/v1/appointments", &admin, book_body(&c, patient, class, &london(c.monday, "13:00")))
            .await;
        assert_eq!(seat.status, StatusCode::CREATED, "{:?}", seat.body);
        session = seat.body["id"].as_i64().unwrap();
    }
    let shared =
        server.post(&format!("/api/v1/patients/{twin}/shares"), &admin, json!({"staff_id": clinician_staff})).await;
    assert_eq!(shared.status, StatusCode::CREATED, "{:?}", shared.body);

    let file = crate::attachments::upload(&server, &manager, twin, "letter.pdf", crate::attachments::PDF, &[]).await;
    assert_eq!(file.status, StatusCode::CREATED, "{:?}", file.body);

    let merge_path = format!("/api/v1/patients/{kept}/merge");
    let by_front_desk = server.post(&merge_path, &front_desk, json!({"merged_patient_id": twin})).await;
    assert_eq!(by_front_desk.status, StatusCode::FORBIDDEN);
    let itself = server.post(&merge_path, &manager, json!({"merged_patient_id": kept})).await;
    assert_eq!(itself.field_error("merged_patient_id"), Some("is the record kept; name the other one"));
    let nobody = server.post(&merge_path, &manager, json!({"merged_patient_id": 999_999})).await;
    assert_eq!(nobody.field_error("merged_patient_id"), Some("names no patient"));
    assert_eq!(server.count_rows("patient_merges"), 0, "a refused merge writes nothing");

    let merged = server.post(&merge_path, &manager, json!({"merged_patient_id": twin})).await;
    assert_eq!(merged.status, StatusCode::OK, "{:?}", merged.body);
    assert_eq!(
        merged.body["moved"],
        json!({"appointments": 1, "notes": 0, "questionnaire_responses": 0, "questionnaire_assignments": 0,
               "attachments": 1, "enrolments": 0, "shares": 1}),
        "the group place both hold stays"
    );
    let merge_id = merged.body["id"].as_i64().unwrap();

    let twin_now = server.get(&format!("/api/v1/patients/{twin}"), &admin).await.body;
    assert_eq!((twin_now["status"].as_str(), twin_now["merged_into_id"].as_i64()), (Some("archived"), Some(kept)));
    assert_eq!(twin_now["phone"], "+447700900123", "the merged record keeps its own details");
    assert_eq!(appointment_patients(&server, &admin, own).await, [kept], "the appointment follows the kept record");
    assert_eq!(appointment_patients(&server, &admin, session).await, [kept, twin], "both stay in the session");
    let history = server.get(&format!("/api/v1/appointments/{own}/history"), &admin).await.body;
    let last = history["data"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["change"].as_str(), last["details"]["merge_id"].as_i64()),
        (Some("patient_merged"), Some(merge_id))
    );
    let shares = server.get(&format!("/api/v1/patients/{kept}/shares"), &admin).await.body;
    assert_eq!(shares["data"][0]["staff_id"].as_i64(), Some(clinician_staff));
    let files_of = |patient: i64| {
        let (server, manager) = (&server, &manager);
        async move {
            let listed = server.get(&format!("/api/v1/patients/{patient}/attachments"), manager).await.body;
            listed["data"].as_array().unwrap().iter().map(|a| a["id"].as_i64().unwrap()).collect::<Vec<_>>()
        }
    };
    let file_id = file.body["id"].as_i64().unwrap();
    assert_eq!((files_of(kept).await, files_of(twin).await), (vec![file_id], vec![]), "the file follows");
    let open = server.get("/api/v1/patients/duplicates", &manager).await.body;
    assert_eq!(open["pagination"]["total"], 0, "the pair's flag closed");
    let closed = server.get("/api/v1/patients/duplicates?status=merged", &manager).await.body;
    assert!(closed["data"][0]["resolved_at"].is_string());
    let audited = server.count_rows_sql(&format!(
        "SELECT count(*) FROM audit_log WHERE (action = 'patient.merge' AND entity_id = {kept})
            OR (action = 'patient.merged' AND entity_id = {twin})"
    ));
    assert_eq!(audited, 2, "both records' audit logs say so");

    let restore = server.post(&format!("/api/v1/patients/{twin}/restore"), &admin, json!({})).await;
    assert_eq!((restore.status, restore.code()), (StatusCode::CONFLICT, "PATIENT_MERGED"));
    let again = server.post(&merge_path, &manager, json!({"merged_patient_id": twin})).await;
    assert_eq!((again.status, again.code()), (StatusCode::CONFLICT, "PATIENT_MERGED"));
    let booked =
        server.post("/api/v1/appointments", &admin, book_body(&c, twin, c.consult, &london(c.monday, "15:00"))).await;
    assert_eq!(booked.code(), "PATIENT_ARCHIVED", "a merged record takes no bookings");

    let undo_path = format!("/api/v1/patient-merges/{merge_id}/undo");
    assert_eq!(server.post(&undo_path, &front_desk, json!({})).await.status, StatusCode::FORBIDDEN);
    let undone = server.post(&undo_path, &manager, json!({})).await;
    assert_eq!(undone.status, StatusCode::OK, "{:?}", undone.body);
    assert!(undone.body["undone_at"].is_string());
    let twin_back = server.get(&format!("/api/v1/patients/{twin}"), &admin).await.body;
    assert_eq!(twin_back["status"], "active");
    assert!(twin_back.get("merged_into_id").is_none(), "{twin_back:?}");
    assert_eq!(appointment_patients(&server, &admin, own).await, [twin], "the appointment went back");
    assert_eq!(appointment_patients(&server, &admin, session).await, [kept, twin]);
    let shares = server.get(&format!("/api/v1/patients/{kept}/shares"), &admin).await.body;
    assert_eq!(shares["data"], json!([]), "the copied share was taken away again");
    assert_eq!((files_of(kept).await, files_of(twin).await), (vec![], vec![file_id]), "the file went back");
    let reopened = server.get("/api/v1/patients/duplicates", &manager).await.body;
    assert_eq!(reopened["pagination"]["total"], 1, "the pair is open for review again");
    let twice = server.post(&undo_path, &manager, json!({})).await;
    assert_eq!((twice.status, twice.code()), (StatusCode::CONFLICT, "MERGE_UNDONE"));
    let record = server.get(&format!("/api/v1/patients/{kept}/merges"), &front_desk).await.body;
    assert_eq!(ids_of(&record), [merge_id]);
    assert!(record["data"][0]["undone_at"].is_string());
}

#[tokio::test]
async fn a_pair_can_be_dismissed_and_chained_merges_undo_newest_first() {
    let (server, admin) = TestServer::with_admin().await;
    let first = server.create_patient(&admin, grace()).await["id"].as_i64().unwrap();
    let body = json!({"given_name": "Amazing", "family_name": "Grace", "phone": "+44 7700 900123"});
    let second = server.post("/api/v1/patients?allow_duplicate=true", &admin, body).await;
    let second = second.body["id"].as_i64().unwrap();
    let queue = server.get("/api/v1/patients/duplicates", &admin).await.body;
    assert_eq!(queue["data"][0]["reason"], "phone");
    let flag = queue["data"][0]["id"].as_i64().unwrap();

    let dismiss = format!("/api/v1/patients/duplicates/{flag}/dismiss");
    let dismissed = server.post(&dismiss, &admin, json!({})).await;
    assert_eq!((dismissed.status, dismissed.body["status"].as_str()), (StatusCode::OK, Some("dismissed")));
    let twice = server.post(&dismiss, &admin, json!({})).await;
    assert_eq!((twice.status, twice.code()), (StatusCode::CONFLICT, "ALREADY_RESOLVED"));
    let missing = server.post("/api/v1/patients/duplicates/424242/dismiss", &admin, json!({})).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    for patient in [first, second] {
        assert_eq!(server.get(&format!("/api/v1/patients/{patient}"), &admin).await.body["status"], "active");
    }

    let third = server.create_patient(&admin, json!({"given_name": "Ada", "family_name": "Lovelace"})).await;
    let third = third["id"].as_i64().unwrap();
    let inner =
        server.post(&format!("/api/v1/patients/{first}/merge"), &admin, json!({"merged_patient_id": second})).await;
    let outer =
        server.post(&format!("/api/v1/patients/{third}/merge"), &admin, json!({"merged_patient_id": first})).await;
    assert_eq!((inner.status, outer.status), (StatusCode::OK, StatusCode::OK), "{:?}", outer.body);
    let (inner, outer) = (inner.body["id"].as_i64().unwrap(), outer.body["id"].as_i64().unwrap());
    let out_of_order = server.post(&format!("/api/v1/patient-merges/{inner}/undo"), &admin, json!({})).await;
    assert_eq!((out_of_order.status, out_of_order.code()), (StatusCode::CONFLICT, "PATIENT_MERGED"));
    for merge in [outer, inner] {
        let undone =
            server.call(Method::POST, &format!("/api/v1/patient-merges/{merge}/undo"), Some(&admin), None).await;
        assert_eq!(undone.status, StatusCode::OK, "{:?}", undone.body);
    }
    for patient in [first, second, third] {
        let record = server.get(&format!("/api/v1/patients/{patient}"), &admin).await.body;
        assert_eq!(record["status"], "active", "{record:?}");
    }
    let dismissed_flag = server.get("/api/v1/patients/duplicates?status=dismissed", &admin).await.body;
    assert_eq!(ids_of(&dismissed_flag), [flag], "an undo reopens only the flags its merge closed");
}
