//! Treatment programmes: what a programme names must exist, enrolments
//! with a clinician, progress counted from completed appointments, goals
//! and their progress notes for clinical roles only, and every change audited.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::harness::{ADMIN_EMAIL, PASSWORD, TestServer};
use crate::scheduling::{book_body, clinic, london};

#[tokio::test]
async fn a_patient_enrolled_in_a_programme_progresses_by_completed_sessions_towards_goals() {
    let (server, admin) = TestServer::with_admin().await;
    let c = clinic(&server, &admin).await;
    let patient = c.patients[0];
    let (_, manager) = server.staff_member(&admin, "mo@clinic.test", "manager").await;
    let (_, clinician) = server.staff_member(&admin, "ada@clinic.test", "clinician").await;
    let (_, front_desk) = server.staff_member(&admin, "fd@clinic.test", "front_desk").await;

    let plan = json!({"name": "Knee rehab", "description": "Six weeks of strengthening.", "planned_sessions": 4,
                      "service_id": c.consult, "measures": ["phq-9"], "goals": ["Climb stairs without pain"]});
    for (who, token) in [("clinician", &clinician), ("front desk", &front_desk), ("admin", &admin)] {
        assert_eq!(server.post("/api/v1/programmes", token, plan.clone()).await.status, StatusCode::FORBIDDEN, "{who}");
    }
    let mut bad = plan.clone();
    bad["service_id"] = json!(999_999);
    bad["measures"] = json!(["phq-9", "beck"]);
    let refused = server.post("/api/v1/programmes", &manager, bad).await;
    assert_eq!(refused.field_error("service_id"), Some("names no service"));
    assert_eq!(refused.field_error("measures[1]"), Some("names no questionnaire (see GET /questionnaires)"));
    assert_eq!(server.count_rows("programmes"), 0);
    let programme = server.post("/api/v1/programmes", &manager, plan).await;
    assert_eq!(programme.status, StatusCode::CREATED, "{:?}", programme.body);
    let programme_id = programme.body["id"].as_i64().unwrap();
    let listed = server.get("/api/v1/programmes", &front_desk).await.body;
    assert_eq!(listed["data"][0]["name"], "Knee rehab");

    // Two visits this Monday, with the programme's clinician and service; one other service.
    let mut visits = Vec::new();
    for (time, service) in [("09:00", c.consult), ("10:00", c.consult), ("11:00", c.video)] {
        let booked =
            server.post("/api/v1/appointments", &admin, book_body(&c, patient, service, &london(c.monday, time))).await;
        assert_eq!(booked.status, StatusCode::CREATED, "{:?}", booked.body);
        visits.push(booked.body["id"].as_i64().unwrap());
    }
    let path = format!("/api/v1/patients/{patient}/enrolments");
    let enrol = json!({"programme_id": programme_id, "clinician_id": c.clinician, "start_date": c.monday});
    assert_eq!(server.post(&path, &front_desk, enrol.clone()).await.status, StatusCode::FORBIDDEN);
    let no_clinician =
        server.post(&path, &clinician, json!({"programme_id": programme_id, "clinician_id": 999_999})).await;
    assert_eq!(no_clinician.field_error("clinician_id"), Some("names no active clinician"));
    let no_programme =
        server.post(&path, &clinician, json!({"programme_id": 999_999, "clinician_id": c.clinician})).await;
    assert_eq!(no_programme.field_error("programme_id"), Some("names no programme"));
    let enrolled = server.post(&path, &clinician, enrol.clone()).await;
    assert_eq!(enrolled.status, StatusCode::CREATED, "{:?}", enrolled.body);
    assert_eq!(enrolled.body["progress"], json!({"completed_sessions": 0, "planned_sessions": 4, "percent": 0}));
    assert_eq!(enrolled.body["goals"][0]["text"], "Climb stairs without pain", "the programme's goals to start with");
    let twice = server.post(&path, &clinician, enrol).await;
    assert_eq!((twice.status, twice.code()), (StatusCode::CONFLICT, "ALREADY_ENROLLED"));
    let enrolment = enrolled.body["id"].as_i64().unwrap();

    // The visits happen; only the programme's service counts.
    let at = chrono::DateTime::parse_from_rfc3339(&london(c.monday, "12:00")).unwrap().with_timezone(&chrono::Utc);
    server.advance(at - server.app.clock.now());
    let admin = server.login(ADMIN_EMAIL, PASSWORD).await;
    for visit in &visits {
        for step in ["check-in", "complete"] {
            let reply =
                server.call(Method::POST, &format!("/api/v1/appointments/{visit}/{step}"), Some(&admin), None).await;
            assert_eq!(reply.status, StatusCode::OK, "{step}: {:?}", reply.body);
        }
    }
    let clinician = server.login("ada@clinic.test", PASSWORD).await;
    let front_desk = server.login("fd@clinic.test", PASSWORD).await;
    let mine = server.get(&path, &clinician).await.body;
    assert_eq!(mine["data"][0]["progress"], json!({"completed_sessions": 2, "planned_sessions": 4, "percent": 50}));

    // Goals and progress notes: clinical content.
    let goal_id = mine["data"][0]["goals"][0]["id"].as_i64().unwrap();
    let progress_path = format!("/api/v1/enrolment-goals/{goal_id}/progress");
    assert_eq!(server.post(&progress_path, &front_desk, json!({"note": "Better"})).await.status, StatusCode::FORBIDDEN);
    let blank = server.post(&progress_path, &clinician, json!({"note": " \u{200b} "})).await;
    assert_eq!(blank.field_error("note"), Some("must contain visible characters"));
    let noted =
        server.post(&progress_path, &clinician, json!({"note": "Ten stairs with a rail.", "achieved": true})).await;
    assert_eq!(noted.status, StatusCode::OK, "{:?}", noted.body);
    assert_eq!(noted.body["goals"][0]["progress"][0]["note"], "Ten stairs with a rail.");
    assert!(noted.body["goals"][0]["achieved_at"].is_string());
    let added = server
        .post(&format!("/api/v1/enrolments/{enrolment}/goals"), &clinician, json!({"text": "Kneel in church"}))
        .await;
    assert_eq!(added.body["goals"].as_array().unwrap().len(), 2);
    let for_desk = server.get(&path, &front_desk).await.body;
    assert_eq!(for_desk["data"][0]["programme_name"], "Knee rehab");
    assert!(for_desk["data"][0].get("goals").is_none(), "the desk sees the enrolment, not its goals");
    assert_eq!(for_desk["data"][0]["progress"]["completed_sessions"], 2);

    let withdraw = format!("/api/v1/enrolments/{enrolment}/withdraw");
    let ended = server.post(&withdraw, &clinician, json!({"reason": "Moved away"})).await;
    assert_eq!(
        (ended.body["status"].as_str(), ended.body["end_reason"].as_str()),
        (Some("withdrawn"), Some("Moved away"))
    );
    let again = server.post(&format!("/api/v1/enrolments/{enrolment}/complete"), &clinician, json!({})).await;
    assert_eq!((again.status, again.code()), (StatusCode::CONFLICT, "ALREADY_RESOLVED"));
    let late = server.post(&progress_path, &clinician, json!({"note": "Still going"})).await;
    assert_eq!(late.code(), "ALREADY_RESOLVED", "an ended enrolment takes no more notes");
    let audited = server.count_rows_sql(
        "SELECT count(*) FROM audit_log WHERE entity = 'enrolment' AND action IN
           ('enrolment.create', 'enrolment.goal_progress', 'enrolment.goal_add', 'enrolment.withdraw')",
    );
    assert_eq!(audited, 4);
    let reads = server.count_rows_sql("SELECT count(*) FROM audit_log WHERE action = 'enrolment.list'");
    assert_eq!(reads, 1, "the clinician's read of goals is audited; the desk's read shows none");
}
