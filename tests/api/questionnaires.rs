//! Questionnaires: published scoring and bands, answers checked item by
//! item, the self-harm flag, immutable responses, outcome series, who may
//! read them, and the audit of every read.

use reqwest::StatusCode;
use serde_json::json;

use crate::harness::TestServer;

#[tokio::test]
async fn answers_are_scored_banded_flagged_and_read_back_as_a_series_by_clinical_roles_only() {
    let (server, admin) = TestServer::with_admin().await;
    let (_, clinician) = server.staff_member(&admin, "ada@clinic.test", "clinician").await;
    let (_, front_desk) = server.staff_member(&admin, "fd@clinic.test", "front_desk").await;
    let patient = server.create_patient(&admin, json!({"given_name": "Ama", "family_name": "Mensah"})).await;
    let patient = patient["id"].as_i64().unwrap();
    let path = format!("/api/v1/patients/{patient}/questionnaire-responses");

    let listed = server.get("/api/v1/questionnaires", &clinician).await.body;
    let phq = listed["data"].as_array().unwrap().iter().find(|q| q["id"] == "phq-9").unwrap().clone();
    assert_eq!((phq["items"].as_array().unwrap().len(), phq["max_score"].as_i64()), (9, Some(27)));
    assert_eq!(phq["bands"][3], json!({"min": 15, "max": 19, "severity": "moderately_severe"}));
    assert_eq!(server.get("/api/v1/questionnaires", &front_desk).await.status, StatusCode::FORBIDDEN);

    let short = server.post(&path, &clinician, json!({"questionnaire": "phq-9", "answers": [1, 2, 3]})).await;
    assert_eq!(short.field_error("answers"), Some("must have 9 answers, one per item of phq-9"));
    let high =
        server.post(&path, &clinician, json!({"questionnaire": "gad-7", "answers": [0, 0, 0, 4, 0, 0, -1]})).await;
    assert_eq!(high.field_error("answers[3]"), Some("must be between 0 and 3 (item 4)"));
    assert_eq!(high.field_error("answers[6]"), Some("must be between 0 and 3 (item 7)"));
    let unknown = server.post(&path, &clinician, json!({"questionnaire": "beck", "answers": []})).await;
    assert_eq!(unknown.field_error("questionnaire"), Some("names no questionnaire (see GET /questionnaires)"));
    let by_desk = server.post(&path, &front_desk, json!({"questionnaire": "mood", "answers": [5]})).await;
    assert_eq!(by_desk.status, StatusCode::FORBIDDEN);
    assert_eq!(server.count_rows("questionnaire_responses"), 0, "refused answers write nothing");

    // Band edges: 9 is mild, 10 moderate; item 9 above 0 raises the flag.
    let mild =
        server.post(&path, &clinician, json!({"questionnaire": "phq-9", "answers": [3, 3, 3, 0, 0, 0, 0, 0, 0]})).await;
    assert_eq!(mild.status, StatusCode::CREATED, "{:?}", mild.body);
    assert_eq!((mild.body["score"].as_i64(), mild.body["severity"].as_str()), (Some(9), Some("mild")));
    assert_eq!(mild.body["flags"], json!([]));
    let risk =
        server.post(&path, &clinician, json!({"questionnaire": "phq-9", "answers": [3, 3, 3, 0, 0, 0, 0, 0, 1]})).await;
    assert_eq!((risk.body["score"].as_i64(), risk.body["severity"].as_str()), (Some(10), Some("moderate")));
    assert_eq!(risk.body["flags"], json!(["self_harm_risk"]));
    let mood = server.post(&path, &clinician, json!({"questionnaire": "mood", "answers": [7]})).await;
    assert_eq!(mood.body["score"], 7);
    assert!(mood.body.get("severity").is_none(), "a plain rating has no band");

    let reads_before =
        server.count_rows_sql("SELECT count(*) FROM audit_log WHERE action = 'questionnaire_response.read'");
    let outcomes = server.get(&format!("/api/v1/patients/{patient}/outcomes?questionnaire=phq-9"), &clinician).await;
    assert_eq!(outcomes.status, StatusCode::OK, "{:?}", outcomes.body);
    let scores: Vec<i64> =
        outcomes.body["points"].as_array().unwrap().iter().map(|p| p["score"].as_i64().unwrap()).collect();
    assert_eq!(scores, [9, 10], "oldest first, this questionnaire only");
    assert_eq!(outcomes.body["points"][1]["flags"], json!(["self_harm_risk"]));
    assert_eq!(outcomes.body["bands"].as_array().unwrap().len(), 5);
    let list = server.get(&format!("{path}?questionnaire=mood"), &clinician).await.body;
    assert_eq!(list["pagination"]["total"], 1);
    let reads = server.count_rows_sql("SELECT count(*) FROM audit_log WHERE action = 'questionnaire_response.read'");
    assert_eq!(reads - reads_before, 2, "each read of scores is audited");
    for url in [format!("/api/v1/patients/{patient}/outcomes?questionnaire=phq-9"), path.clone()] {
        assert_eq!(server.get(&url, &front_desk).await.status, StatusCode::FORBIDDEN, "{url}");
        assert_eq!(server.get(&url, &admin).await.status, StatusCode::FORBIDDEN, "an admin is not a clinical role");
    }

    let conn = rusqlite::Connection::open(server.app.config.db_path()).unwrap();
    assert!(conn.execute("UPDATE questionnaire_responses SET score = 0", []).is_err(), "responses never change");
    assert!(conn.execute("DELETE FROM questionnaire_responses", []).is_err());
}
