//! Clinical notes: drafts by their author, signing that locks them,
//! addenda, discarding, the notes still to write, who reads what, and the
//! audit of every read of clinical content.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::harness::{ADMIN_EMAIL, PASSWORD, TestServer};
use crate::scheduling::{book_body, clinic, london};

fn soap(appointment: i64) -> Value {
    json!({"template": "soap", "appointment_id": appointment, "content": {"subjective": "Knee pain for three weeks."}})
}

#[tokio::test]
async fn a_note_is_drafted_by_its_author_signed_once_and_corrected_by_addenda() {
    let (server, admin) = TestServer::with_admin().await;
    let c = clinic(&server, &admin).await;
    let patient = c.patients[0];
    let booked = server
        .post("/api/v1/appointments", &admin, book_body(&c, patient, c.consult, &london(c.monday, "09:00")))
        .await;
    let visit = booked.body["id"].as_i64().unwrap();
    // The visit happens: the clock moves past its start, and everyone signs in anew.
    let at = chrono::DateTime::parse_from_rfc3339(&london(c.monday, "09:05")).unwrap().with_timezone(&chrono::Utc);
    server.advance(at - server.app.clock.now());
    let admin = server.login(ADMIN_EMAIL, PASSWORD).await;
    for step in ["check-in", "complete"] {
        let reply =
            server.call(Method::POST, &format!("/api/v1/appointments/{visit}/{step}"), Some(&admin), None).await;
        assert_eq!(reply.status, StatusCode::OK, "{step}: {:?}", reply.body);
    }
    let (author_id, author) = server.staff_member(&admin, "ada@clinic.test", "clinician").await;
    let (_, colleague) = server.staff_member(&admin, "ben@clinic.test", "clinician").await;
    let (_, manager) = server.staff_member(&admin, "mo@clinic.test", "manager").await;
    let (_, front_desk) = server.staff_member(&admin, "fd@clinic.test", "front_desk").await;
    let (_, billing) = server.staff_member(&admin, "bill@clinic.test", "billing").await;

    let templates = server.get("/api/v1/note-templates", &author).await.body;
    let ids: Vec<&str> = templates["data"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap()).collect();
    assert!(["soap", "progress", "intake"].iter().all(|t| ids.contains(t)), "{ids:?}");
    assert_eq!(server.get("/api/v1/note-templates", &front_desk).await.status, StatusCode::FORBIDDEN);

    let pending = server.get(&format!("/api/v1/notes/pending?clinician_id={}", c.clinician), &manager).await;
    assert_eq!(pending.status, StatusCode::OK, "{:?}", pending.body);
    assert_eq!(pending.body["data"][0]["appointment_id"].as_i64(), Some(visit), "a completed visit waits for its note");

    // Bad drafts are refused, naming what is wrong, and write nothing.
    let path = format!("/api/v1/patients/{patient}/notes");
    let unknown =
        server.post(&path, &author, json!({"template": "soap", "content": {"subjective": "ok", "history": "?"}})).await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unknown.field_error("content.history").unwrap().starts_with("is not a section of the soap template"));
    let no_template = server.post(&path, &author, json!({"template": "poem", "content": {}})).await;
    assert_eq!(no_template.field_error("template"), Some("names no note template"));
    let other_patient = server.post(&format!("/api/v1/patients/{}/notes", c.patients[1]), &author, soap(visit)).await;
    assert_eq!(other_patient.field_error("appointment_id"), Some("is not an appointment of this patient"));
    for (who, token) in [("front desk", &front_desk), ("billing", &billing), ("admin", &admin)] {
        assert_eq!(server.post(&path, token, soap(visit)).await.status, StatusCode::FORBIDDEN, "{who}");
    }
    assert_eq!(server.count_rows("clinical_notes"), 0);

    let draft = server.post(&path, &author, soap(visit)).await;
    assert_eq!(draft.status, StatusCode::CREATED, "{:?}", draft.body);
    assert_eq!((draft.body["status"].as_str(), draft.body["author_id"].as_i64()), (Some("draft"), Some(author_id)));
    let note = draft.body["id"].as_i64().unwrap();
    let note_path = format!("/api/v1/notes/{note}");
    let pending = server.get(&format!("/api/v1/notes/pending?clinician_id={}", c.clinician), &manager).await.body;
    assert_eq!(pending["data"][0]["draft_note_id"].as_i64(), Some(note), "the draft begun for it");

    // Only the author changes the draft; a section given replaces only that section.
    let by_colleague = server.patch(&note_path, &colleague, json!({"content": {"plan": "rest"}})).await;
    assert_eq!(by_colleague.status, StatusCode::FORBIDDEN);
    let edited = server
        .patch(&note_path, &author, json!({"content": {"objective": "Swelling, left knee.", "plan": "Ice."}}))
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{:?}", edited.body);
    assert_eq!(
        edited.body["content"],
        json!({"subjective": "Knee pain for three weeks.", "objective": "Swelling, left knee.", "plan": "Ice."})
    );

    let unlinked = server.patch(&note_path, &author, json!({"appointment_id": null})).await;
    assert!(unlinked.body.get("appointment_id").is_none(), "{:?}", unlinked.body);
    let relinked = server.patch(&note_path, &author, json!({"appointment_id": visit})).await;
    assert_eq!(relinked.body["appointment_id"].as_i64(), Some(visit));

    // Front desk and billing see that a note exists, never what it says.
    for token in [&front_desk, &billing] {
        let listed = server.get(&path, token).await;
        assert_eq!(listed.status, StatusCode::OK);
        assert_eq!(listed.body["data"][0]["id"].as_i64(), Some(note));
        assert!(listed.body["data"][0].get("content").is_none(), "{:?}", listed.body);
        assert_eq!(server.get(&note_path, token).await.status, StatusCode::FORBIDDEN);
    }
    let reads_before =
        server.count_rows_sql("SELECT count(*) FROM audit_log WHERE action IN ('note.read', 'note.list')");
    assert_eq!(server.get(&note_path, &manager).await.body["content"]["plan"], "Ice.");
    assert_eq!(server.get(&path, &colleague).await.body["data"][0]["content"]["plan"], "Ice.");
    let reads = server.count_rows_sql(&format!(
        "SELECT count(*) FROM audit_log WHERE (action = 'note.read' AND entity_id = {note})
            OR (action = 'note.list' AND json_extract(details, '$.patient_id') = {patient})"
    ));
    assert_eq!(reads - reads_before, 2, "each read of clinical content is audited");

    // Signed by its author, it never changes again.
    assert_eq!(server.post(&format!("{note_path}/sign"), &colleague, json!({})).await.status, StatusCode::FORBIDDEN);
    let signed = server.post(&format!("{note_path}/sign"), &author, json!({})).await;
    assert_eq!(signed.status, StatusCode::OK, "{:?}", signed.body);
    assert_eq!((signed.body["status"].as_str(), signed.body["signed_by"].as_i64()), (Some("signed"), Some(author_id)));
    assert!(signed.body["signed_at"].is_string());
    for (method, action) in [(Method::PATCH, ""), (Method::POST, "/sign"), (Method::POST, "/discard")] {
        let body = (method == Method::PATCH).then(|| json!({"content": {"plan": "Surgery."}}));
        let refused = server.call(method, &format!("{note_path}{action}"), Some(&author), body).await;
        assert_eq!((refused.status, refused.code()), (StatusCode::CONFLICT, "NOTE_SIGNED"), "{action}");
    }
    assert_eq!(server.get(&note_path, &author).await.body["content"]["plan"], "Ice.", "nothing changed");
    let conn = rusqlite::Connection::open(server.app.config.db_path()).unwrap();
    let forced = conn.execute("UPDATE clinical_notes SET content = '{}' WHERE id = ?1", [note]);
    assert!(forced.is_err(), "the database itself refuses to change a signed note");
    assert!(conn.execute("DELETE FROM clinical_notes WHERE id = ?1", [note]).is_err());
    let pending = server.get(&format!("/api/v1/notes/pending?clinician_id={}", c.clinician), &manager).await.body;
    assert_eq!(pending["data"], json!([]), "a signed note clears the visit from the list");

    // Corrections are addenda, signed as they are added, in order.
    for text in ["X-ray booked.", "Correction: right knee, not left."] {
        let added = server.post(&format!("{note_path}/addenda"), &colleague, json!({"text": text})).await;
        assert_eq!(added.status, StatusCode::CREATED, "{:?}", added.body);
    }
    let read = server.get(&note_path, &author).await.body;
    let texts: Vec<&str> = read["addenda"].as_array().unwrap().iter().map(|a| a["text"].as_str().unwrap()).collect();
    assert_eq!(texts, ["X-ray booked.", "Correction: right knee, not left."]);
    assert!(read["addenda"][0]["signed_at"].is_string());
    let empty = server.post(&format!("{note_path}/addenda"), &colleague, json!({"text": "  "})).await;
    assert_eq!(empty.field_error("text"), Some("must contain visible characters"));

    // A draft takes no addendum; its author may discard it, and it is kept out of sight.
    let second = server.post(&path, &author, json!({"template": "progress", "content": {"text": "Better."}})).await;
    let second = second.body["id"].as_i64().unwrap();
    let too_early = server.post(&format!("/api/v1/notes/{second}/addenda"), &author, json!({"text": "later"})).await;
    assert_eq!((too_early.status, too_early.code()), (StatusCode::CONFLICT, "NOTE_NOT_SIGNED"));
    let discarded = server.post(&format!("/api/v1/notes/{second}/discard"), &author, json!({})).await;
    assert_eq!(discarded.body["status"], "discarded");
    let again = server.post(&format!("/api/v1/notes/{second}/sign"), &author, json!({})).await;
    assert_eq!(again.code(), "NOTE_DISCARDED");
    let listed: Vec<i64> = server.get(&path, &author).await.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_i64().unwrap())
        .collect();
    assert_eq!(listed, [note], "discarded drafts are not listed by default");
    let asked = server.get(&format!("{path}?status=discarded"), &author).await.body;
    assert_eq!(asked["data"][0]["id"].as_i64(), Some(second));
    let empty_draft = server.post(&path, &author, json!({"template": "soap", "content": {}})).await;
    let empty_draft = empty_draft.body["id"].as_i64().unwrap();
    let unsigned = server.post(&format!("/api/v1/notes/{empty_draft}/sign"), &author, json!({})).await;
    assert_eq!(unsigned.field_error("content"), Some("is empty: write the note before signing it"));
}

#[tokio::test]
async fn managers_add_templates_and_notes_follow_a_merged_patient() {
    let (server, admin) = TestServer::with_admin().await;
    let (_, manager) = server.staff_member(&admin, "mo@clinic.test", "manager").await;
    let (_, clinician) = server.staff_member(&admin, "ada@clinic.test", "clinician").await;
    let template = json!({"id": "physio-review", "name": "Physio review",
                          "sections": [{"key": "range", "label": "Range of motion"}, {"key": "plan", "label": "Plan"}]});
    assert_eq!(server.post("/api/v1/note-templates", &clinician, template.clone()).await.status, StatusCode::FORBIDDEN);
    let added = server.post("/api/v1/note-templates", &manager, template.clone()).await;
    assert_eq!(added.status, StatusCode::CREATED, "{:?}", added.body);
    assert_eq!(
        server.post("/api/v1/note-templates", &manager, template).await.field_error("id"),
        Some("is taken by another template")
    );
    let repeated =
        json!({"id": "twice", "name": "Twice", "sections": [{"key": "a", "label": "A"}, {"key": "a", "label": "B"}]});
    let repeated = server.post("/api/v1/note-templates", &manager, repeated).await;
    assert_eq!(repeated.field_error("sections[1].key"), Some("repeats an earlier section's key"));

    let kept = server
        .create_patient(&admin, json!({"given_name": "Kofi", "family_name": "Asante", "phone": "07700 900777"}))
        .await;
    let twin = server
        .post(
            "/api/v1/patients?allow_duplicate=true",
            &admin,
            json!({"given_name": "K", "family_name": "Asante", "phone": "07700 900777"}),
        )
        .await;
    let (kept, twin) = (kept["id"].as_i64().unwrap(), twin.body["id"].as_i64().unwrap());
    let note = server
        .post(
            &format!("/api/v1/patients/{twin}/notes"),
            &clinician,
            json!({"template": "physio-review", "content": {"range": "Full."}}),
        )
        .await;
    assert_eq!(note.status, StatusCode::CREATED, "{:?}", note.body);
    let note = note.body["id"].as_i64().unwrap();
    server.post(&format!("/api/v1/notes/{note}/sign"), &clinician, json!({})).await;

    let merged =
        server.post(&format!("/api/v1/patients/{kept}/merge"), &manager, json!({"merged_patient_id": twin})).await;
    assert_eq!(merged.body["moved"]["notes"], 1, "{:?}", merged.body);
    let read = server.get(&format!("/api/v1/notes/{note}"), &clinician).await.body;
    assert_eq!((read["patient_id"].as_i64(), read["status"].as_str()), (Some(kept), Some("signed")));
    assert_eq!(read["content"]["range"], "Full.", "a signed note moves unchanged");
    let undo = format!("/api/v1/patient-merges/{}/undo", merged.body["id"]);
    assert_eq!(server.post(&undo, &manager, json!({})).await.status, StatusCode::OK);
    assert_eq!(server.get(&format!("/api/v1/notes/{note}"), &clinician).await.body["patient_id"].as_i64(), Some(twin));
}
