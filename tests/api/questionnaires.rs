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

#[tokio::test]
async fn a_manager_adds_a_questionnaire_that_is_checked_whole_and_scored_like_the_built_in_ones() {
    let (server, admin) = TestServer::with_admin().await;
    let (_, manager) = server.staff_member(&admin, "mo@clinic.test", "manager").await;
    let (_, clinician) = server.staff_member(&admin, "ada@clinic.test", "clinician").await;
    let patient = server.create_patient(&admin, json!({"given_name": "Ama", "family_name": "Mensah"})).await;
    let patient = patient["id"].as_i64().unwrap();
    let choices =
        json!([{"label": "No difficulty", "score": 0}, {"label": "Some", "score": 1}, {"label": "Unable", "score": 2}]);
    let knee = json!({
        "id": "knee-function", "name": "Knee function", "instructions": "Today, how hard is it to…",
        "items": [{"text": "Climb stairs", "choices": choices}, {"text": "Kneel", "choices": choices}],
        "bands": [{"min": 0, "max": 1, "severity": "mild"}, {"min": 2, "max": 4, "severity": "limited"}]
    });
    for (who, token) in [("clinician", &clinician), ("admin", &admin)] {
        let refused = server.post("/api/v1/questionnaires", token, knee.clone()).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{who}");
    }
    // Everything wrong is named at once, and nothing is written.
    let mut bad = knee.clone();
    bad["id"] = json!("phq-9");
    bad["items"][1]["choices"] = json!([{"label": "A", "score": 1}, {"label": "B", "score": 1}]);
    bad["bands"] = json!([{"min": 0, "max": 2, "severity": "mild"}, {"min": 2, "max": 9, "severity": "limited"}]);
    let refused = server.post("/api/v1/questionnaires", &manager, bad).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.field_error("id"), Some("is a built-in questionnaire's id"));
    assert_eq!(refused.field_error("items[1].choices[1].score"), Some("repeats another choice's score in this item"));
    assert_eq!(refused.field_error("bands[1].max"), Some("is above the highest possible total, 3"));
    let mut overlapping = knee.clone();
    overlapping["bands"][1]["min"] = json!(1);
    let overlap = server.post("/api/v1/questionnaires", &manager, overlapping).await;
    assert_eq!(overlap.field_error("bands[1].min"), Some("overlaps bands[0]"));
    assert_eq!(server.count_rows("custom_questionnaires"), 0);

    let added = server.post("/api/v1/questionnaires", &manager, knee.clone()).await;
    assert_eq!(added.status, StatusCode::CREATED, "{:?}", added.body);
    assert_eq!((added.body["max_score"].as_i64(), added.body["built_in"].as_bool()), (Some(4), Some(false)));
    let again = server.post("/api/v1/questionnaires", &manager, knee).await;
    assert_eq!(again.field_error("id"), Some("is taken by another questionnaire"));
    let listed = server.get("/api/v1/questionnaires", &clinician).await.body;
    let ids: Vec<&str> = listed["data"].as_array().unwrap().iter().map(|q| q["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["phq-9", "gad-7", "mood", "knee-function"], "built-in first");

    let path = format!("/api/v1/patients/{patient}/questionnaire-responses");
    let out_of_range =
        server.post(&path, &clinician, json!({"questionnaire": "knee-function", "answers": [3, 0]})).await;
    assert_eq!(out_of_range.field_error("answers[0]"), Some("must be between 0 and 2 (item 1)"));
    for (answers, score, band) in [([1, 0], 1, "mild"), ([1, 1], 2, "limited"), ([2, 2], 4, "limited")] {
        let reply = server.post(&path, &clinician, json!({"questionnaire": "knee-function", "answers": answers})).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
        assert_eq!((reply.body["score"].as_i64(), reply.body["severity"].as_str()), (Some(score), Some(band)));
    }
    let outcomes =
        server.get(&format!("/api/v1/patients/{patient}/outcomes?questionnaire=knee-function"), &clinician).await;
    assert_eq!((outcomes.body["max_score"].as_i64(), outcomes.body["points"].as_array().unwrap().len()), (Some(4), 3));
}

#[tokio::test]
async fn an_assignment_is_due_on_its_date_and_each_response_completes_or_moves_it() {
    // 10:00 in London on a Wednesday: the clinic's today is 2026-03-04.
    let start = chrono::DateTime::parse_from_rfc3339("2026-03-04T10:00:00Z").unwrap().with_timezone(&chrono::Utc);
    let (server, admin) = TestServer::with_admin_at(start).await;
    let c = crate::scheduling::clinic(&server, &admin).await;
    let (_, clinician) = server.staff_member(&admin, "ada@clinic.test", "clinician").await;
    let (_, front_desk) = server.staff_member(&admin, "fd@clinic.test", "front_desk").await;
    let (patient, other) = (c.patients[0], c.patients[1]);
    let path = format!("/api/v1/patients/{patient}/questionnaire-assignments");

    let past = server.post(&path, &clinician, json!({"questionnaire": "phq-9", "first_due_on": "2026-03-03"})).await;
    assert_eq!(past.field_error("first_due_on"), Some("is in the past"));
    let unknown = server.post(&path, &clinician, json!({"questionnaire": "beck"})).await;
    assert_eq!(unknown.field_error("questionnaire"), Some("names no questionnaire (see GET /questionnaires)"));
    let by_desk = server.post(&path, &front_desk, json!({"questionnaire": "phq-9"})).await;
    assert_eq!(by_desk.status, StatusCode::FORBIDDEN);
    let never = server.post(&path, &clinician, json!({"questionnaire": "phq-9", "every_days": 0})).await;
    assert_eq!(never.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(server.count_rows("questionnaire_assignments"), 0);

    let fortnightly = server.post(&path, &clinician, json!({"questionnaire": "phq-9", "every_days": 14})).await;
    assert_eq!(fortnightly.status, StatusCode::CREATED, "{:?}", fortnightly.body);
    assert_eq!(fortnightly.body["next_due_on"], "2026-03-04", "due today unless a date is given");
    let twice = server.post(&path, &clinician, json!({"questionnaire": "phq-9"})).await;
    assert_eq!((twice.status, twice.code()), (StatusCode::CONFLICT, "ALREADY_ASSIGNED"));
    let once = server.post(&path, &clinician, json!({"questionnaire": "gad-7", "first_due_on": "2026-03-06"})).await;
    assert_eq!(once.status, StatusCode::CREATED);
    let later = format!("/api/v1/patients/{other}/questionnaire-assignments");
    server.post(&later, &clinician, json!({"questionnaire": "mood", "first_due_on": "2026-03-05"})).await;

    let due = |on: &'static str| {
        let (server, clinician) = (&server, &clinician);
        async move {
            let reply = server.get(&format!("/api/v1/questionnaire-assignments/due?on={on}"), clinician).await;
            assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
            reply.body["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| {
                    (a["questionnaire"].as_str().unwrap().to_owned(), a["patient_name"].as_str().unwrap().to_owned())
                })
                .collect::<Vec<_>>()
        }
    };
    let patient_name = server.get(&format!("/api/v1/patients/{patient}"), &admin).await.body;
    let name =
        format!("{} {}", patient_name["given_name"].as_str().unwrap(), patient_name["family_name"].as_str().unwrap());
    assert_eq!(due("2026-03-04").await, [("phq-9".to_owned(), name.clone())]);
    assert_eq!(due("2026-03-06").await.len(), 3, "everything due by Friday, soonest first");
    let today = server.get("/api/v1/questionnaire-assignments/due", &clinician).await.body;
    assert_eq!(today["data"].as_array().unwrap().len(), 1, "the clinic's today");
    assert_eq!(server.get("/api/v1/questionnaire-assignments/due", &front_desk).await.status, StatusCode::FORBIDDEN);

    // Two days on, the PHQ-9 is answered: due again 14 days after; the GAD-7, once, is done.
    server.advance(chrono::Duration::days(2));
    let clinician = server.login("ada@clinic.test", crate::harness::PASSWORD).await;
    let front_desk = server.login("fd@clinic.test", crate::harness::PASSWORD).await;
    let answers = format!("/api/v1/patients/{patient}/questionnaire-responses");
    let phq = server
        .post(&answers, &clinician, json!({"questionnaire": "phq-9", "answers": [1, 1, 1, 1, 0, 0, 0, 0, 0]}))
        .await;
    server.post(&answers, &clinician, json!({"questionnaire": "gad-7", "answers": [0, 0, 0, 0, 0, 0, 0]})).await;
    let listed = server.get(&path, &clinician).await.body;
    let by_questionnaire =
        |id: &str| listed["data"].as_array().unwrap().iter().find(|a| a["questionnaire"] == id).unwrap().clone();
    let phq_assignment = by_questionnaire("phq-9");
    assert_eq!(
        (phq_assignment["status"].as_str(), phq_assignment["next_due_on"].as_str()),
        (Some("active"), Some("2026-03-20"))
    );
    assert_eq!(phq_assignment["last_response_id"], phq.body["id"]);
    let gad_assignment = by_questionnaire("gad-7");
    assert_eq!(gad_assignment["status"], "completed");
    assert!(gad_assignment.get("next_due_on").is_none());

    let end_path = format!("/api/v1/questionnaire-assignments/{}/end", phq_assignment["id"]);
    assert_eq!(server.post(&end_path, &front_desk, json!({})).await.status, StatusCode::FORBIDDEN);
    let ended = server.post(&end_path, &clinician, json!({})).await;
    assert_eq!((ended.status, ended.body["status"].as_str()), (StatusCode::OK, Some("ended")));
    let again = server.post(&end_path, &clinician, json!({})).await;
    assert_eq!((again.status, again.code()), (StatusCode::CONFLICT, "ALREADY_RESOLVED"));
    let audited = server.count_rows_sql(
        "SELECT count(*) FROM audit_log WHERE entity = 'questionnaire_assignment' AND action IN
           ('questionnaire_assignment.create', 'questionnaire_assignment.end')",
    );
    assert_eq!(audited, 4);
}
