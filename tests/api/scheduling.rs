use chrono::{Datelike, Duration, NaiveDate, Weekday};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::harness::TestServer;

/// A Monday at least a week ahead (outside the minimum notice, inside the window).
pub fn next_monday(server: &TestServer) -> NaiveDate {
    let mut day = server.app.clock.now().date_naive() + Duration::days(8);
    while day.weekday() != Weekday::Mon {
        day += Duration::days(1);
    }
    day
}

/// RFC 3339 for a London wall time on `date`.
pub fn london(date: NaiveDate, time: &str) -> String {
    use chrono::TimeZone;
    let tz: chrono_tz::Tz = "Europe/London".parse().unwrap();
    let naive = date.and_time(chrono::NaiveTime::parse_from_str(time, "%H:%M").unwrap());
    tz.from_local_datetime(&naive).single().unwrap().to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

pub struct Clinic {
    pub centre: i64,
    pub clinician: i64,
    pub consult: i64,
    pub video: i64,
    pub patients: Vec<i64>,
    pub monday: NaiveDate,
}

pub async fn clinic(server: &TestServer, token: &str) -> Clinic {
    let centre = server
        .post(
            "/api/v1/centres",
            token,
            json!({"name": "Riverside", "timezone": "Europe/London", "phone": "020 7946 0000"}),
        )
        .await;
    assert_eq!(centre.status, StatusCode::CREATED, "{:?}", centre.body);
    let centre = centre.body["id"].as_i64().unwrap();
    let clinician = server
        .post(
            "/api/v1/clinicians",
            token,
            json!({"display_name": "Dr Ada Osei", "specialties": ["physiotherapy"], "languages": ["en", "tw"],
                   "centre_ids": [centre], "default_fee": {"amount_minor": 6500, "currency": "GBP"}}),
        )
        .await;
    assert_eq!(clinician.status, StatusCode::CREATED, "{:?}", clinician.body);
    let clinician = clinician.body["id"].as_i64().unwrap();
    let consult = server
        .post(
            "/api/v1/services",
            token,
            json!({"name": "Consultation", "duration_minutes": 60, "price": {"amount_minor": 6500, "currency": "GBP"},
                   "modality": "in_person", "clinician_ids": [clinician], "colour": "#0f766e"}),
        )
        .await;
    assert_eq!(consult.status, StatusCode::CREATED, "{:?}", consult.body);
    let video = server
        .post(
            "/api/v1/services",
            token,
            json!({"name": "Video follow-up", "duration_minutes": 30, "price": {"amount_minor": 3000, "currency": "GBP"},
                   "modality": "video", "clinician_ids": [clinician]}),
        )
        .await;
    let rules = json!([
        {"weekday": 1, "start": "09:00", "end": "12:00", "centre_id": centre},
        {"weekday": 1, "start": "13:00", "end": "17:00", "centre_id": centre}
    ]);
    let put = server
        .call(Method::PUT, &format!("/api/v1/clinicians/{clinician}/availability"), Some(token), Some(rules))
        .await;
    assert_eq!(put.status, StatusCode::OK, "{:?}", put.body);
    let mut patients = Vec::new();
    for n in 0..12 {
        let body = json!({"given_name": format!("Patient{n}"), "family_name": "Booker"});
        patients.push(server.create_patient(token, body).await["id"].as_i64().unwrap());
    }
    Clinic {
        centre,
        clinician,
        consult: consult.body["id"].as_i64().unwrap(),
        video: video.body["id"].as_i64().unwrap(),
        patients,
        monday: next_monday(server),
    }
}

pub fn book_body(c: &Clinic, patient: i64, service: i64, start: &str) -> Value {
    json!({"patient_id": patient, "service_id": service, "clinician_id": c.clinician, "start": start})
}

async fn slot_starts(server: &TestServer, token: &str, c: &Clinic, service: i64) -> Vec<String> {
    let reply = server
        .get(
            &format!(
                "/api/v1/slots?service_id={service}&clinician_id={}&from={}&to={}",
                c.clinician, c.monday, c.monday
            ),
            token,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    reply.body["data"].as_array().unwrap().iter().map(|s| s["start"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn setup_entities_are_validated_and_only_managers_change_them() {
    let (server, admin) = TestServer::with_admin().await;
    let c = clinic(&server, &admin).await;

    let bad =
        server.post("/api/v1/centres", &admin, json!({"name": "", "timezone": "Mars/Olympus", "email": "x"})).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["name", "timezone", "email"] {
        assert!(bad.field_error(field).is_some(), "{field}: {:?}", bad.body);
    }
    let bad = server
        .post(
            "/api/v1/services",
            &admin,
            json!({"name": "X", "duration_minutes": 2, "price": {"amount_minor": -1, "currency": "pounds"},
                   "modality": "in_person", "capacity": 0, "colour": "teal", "clinician_ids": [999]}),
        )
        .await;
    // The schema's limits are named together first …
    for field in ["duration_minutes", "price.amount_minor", "price.currency", "capacity", "colour"] {
        assert!(bad.field_error(field).is_some(), "{field}: {:?}", bad.body);
    }
    assert_eq!(bad.field_error("price.currency").unwrap(), "must match the pattern ^[A-Z]{3}$");
    // … then the rules that need the database.
    let bad = server
        .post(
            "/api/v1/services",
            &admin,
            json!({"name": "X", "duration_minutes": 30, "price": {"amount_minor": 1, "currency": "GBP"},
                   "modality": "in_person", "clinician_ids": [999]}),
        )
        .await;
    assert!(bad.field_error("clinician_ids").is_some(), "{:?}", bad.body);
    let bad = server
        .post("/api/v1/clinicians", &admin, json!({"display_name": "Dr X", "centre_ids": [999], "staff_id": 999}))
        .await;
    assert!(bad.field_error("centre_ids").is_some() && bad.field_error("staff_id").is_some(), "{:?}", bad.body);

    let centre = server.get(&format!("/api/v1/centres/{}", c.centre), &admin).await;
    assert_eq!(centre.body["phone"], "+442079460000");
    let renamed =
        server.patch(&format!("/api/v1/centres/{}", c.centre), &admin, json!({"name": "Riverside Clinic"})).await;
    assert_eq!(renamed.body["name"], "Riverside Clinic");
    assert_eq!(renamed.body["timezone"], "Europe/London");
    let service = server.get(&format!("/api/v1/services/{}", c.consult), &admin).await;
    assert_eq!(service.body["price"], json!({"amount_minor": 6500, "currency": "GBP"}));
    assert_eq!(service.body["clinician_ids"], json!([c.clinician]));
    assert_eq!(server.get("/api/v1/services", &admin).await.body["pagination"]["total"], 2);

    let settings = server.get("/api/v1/settings/booking", &admin).await;
    assert_eq!(settings.body["min_notice_minutes"], 60);
    let changed = server.patch("/api/v1/settings/booking", &admin, json!({"booking_window_days": 30})).await;
    assert_eq!(changed.body["booking_window_days"], 30);
    let invalid = server.patch("/api/v1/settings/booking", &admin, json!({"booking_window_days": 0})).await;
    assert!(invalid.field_error("booking_window_days").is_some());

    let (_, desk) = server.staff_token(&admin, "front_desk").await;
    assert_eq!(server.get("/api/v1/clinicians", &desk).await.status, StatusCode::OK);
    let refused = server.post("/api/v1/centres", &desk, json!({"name": "Y", "timezone": "UTC"})).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let refused = server.patch("/api/v1/settings/booking", &desk, json!({"min_notice_minutes": 0})).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let (_, manager) = server.staff_token(&admin, "manager").await;
    assert_eq!(
        server.post("/api/v1/centres", &manager, json!({"name": "Hilltop", "timezone": "UTC"})).await.status,
        StatusCode::CREATED
    );

    let public = server.call(Method::GET, "/api/v1/public/clinicians", None, None).await;
    assert_eq!(public.status, StatusCode::OK);
    let listed = &public.body["data"][0];
    assert_eq!(listed["display_name"], "Dr Ada Osei");
    assert!(listed.get("default_fee").is_none() && listed.get("staff_id").is_none(), "{listed}");
}

#[tokio::test]
async fn availability_is_validated_and_slots_follow_it() {
    let (server, admin) = TestServer::with_admin().await;
    let c = clinic(&server, &admin).await;
    let path = format!("/api/v1/clinicians/{}/availability", c.clinician);
    assert_eq!(server.get(&path, &admin).await.body["data"].as_array().unwrap().len(), 2);

    let invalid = json!([
        {"weekday": 8, "start": "09:00", "end": "10:00", "centre_id": c.centre},
        {"weekday": 2, "start": "12:00", "end": "11:00", "centre_id": c.centre},
        {"weekday": 3, "start": "9am", "end": "10:00", "centre_id": 999}
    ]);
    let reply = server.call(Method::PUT, &path, Some(&admin), Some(invalid)).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["[0].weekday", "[2].start"] {
        assert!(reply.field_error(field).is_some(), "{field}: {:?}", reply.body);
    }
    let against_rules = json!([
        {"weekday": 2, "start": "12:00", "end": "11:00", "centre_id": c.centre},
        {"weekday": 3, "start": "09:00", "end": "10:00", "centre_id": 999}
    ]);
    let reply = server.call(Method::PUT, &path, Some(&admin), Some(against_rules)).await;
    for field in ["[0].end", "[1].centre_id"] {
        assert!(reply.field_error(field).is_some(), "{field}: {:?}", reply.body);
    }
    let overlapping = json!([
        {"weekday": 2, "start": "09:00", "end": "12:00", "centre_id": c.centre},
        {"weekday": 2, "start": "11:00", "end": "13:00", "centre_id": c.centre}
    ]);
    assert!(server.call(Method::PUT, &path, Some(&admin), Some(overlapping)).await.field_error("rules").is_some());
    assert_eq!(server.get(&path, &admin).await.body["data"].as_array().unwrap().len(), 2, "nothing was written");

    // By default a start every 15 minutes, whatever the visit's length (an hour here).
    let quarters = slot_starts(&server, &admin, &c, c.consult).await;
    let expected: Vec<String> = ["09:00", "09:15", "09:30", "09:45", "10:00", "10:15", "10:30", "10:45", "11:00"]
        .iter()
        .chain(["13:00", "13:15", "13:30", "13:45", "14:00", "14:15", "14:30", "14:45", "15:00"].iter())
        .chain(["15:15", "15:30", "15:45", "16:00"].iter())
        .map(|t| london(c.monday, t))
        .collect();
    assert_eq!(quarters, expected);
    let odd = server.patch("/api/v1/settings/booking", &admin, json!({"slot_interval_minutes": 3})).await;
    assert!(odd.field_error("slot_interval_minutes").is_some(), "{:?}", odd.body);
    // Or one whole visit apart.
    let whole = server.patch("/api/v1/settings/booking", &admin, json!({"slot_interval_minutes": 0})).await;
    assert_eq!(whole.body["slot_interval_minutes"], 0);
    let starts = slot_starts(&server, &admin, &c, c.consult).await;
    let expected: Vec<String> =
        ["09:00", "10:00", "11:00", "13:00", "14:00", "15:00", "16:00"].iter().map(|t| london(c.monday, t)).collect();
    assert_eq!(starts, expected);

    let off = server
        .post(
            &format!("/api/v1/clinicians/{}/time-off", c.clinician),
            &admin,
            json!({"start": london(c.monday, "13:00"), "end": london(c.monday, "15:00"), "reason": "training"}),
        )
        .await;
    assert_eq!(off.status, StatusCode::CREATED, "{:?}", off.body);
    let starts = slot_starts(&server, &admin, &c, c.consult).await;
    assert!(!starts.contains(&london(c.monday, "13:00")) && !starts.contains(&london(c.monday, "14:00")));
    assert!(starts.contains(&london(c.monday, "15:00")));
    let off_id = off.body["id"].as_i64().unwrap();
    let removed = server
        .call(Method::DELETE, &format!("/api/v1/clinicians/{}/time-off/{off_id}", c.clinician), Some(&admin), None)
        .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    assert_eq!(slot_starts(&server, &admin, &c, c.consult).await.len(), 7);

    let too_long = server
        .get(
            &format!("/api/v1/slots?service_id={}&from={}&to={}", c.consult, c.monday, c.monday + Duration::days(40)),
            &admin,
        )
        .await;
    assert!(too_long.field_error("to").is_some());
}

#[tokio::test]
async fn booking_enforces_every_rule_with_its_own_code() {
    let (server, admin) = TestServer::with_admin().await;
    let c = clinic(&server, &admin).await;
    let ten = london(c.monday, "10:00");

    let booked = server.post("/api/v1/appointments", &admin, book_body(&c, c.patients[0], c.consult, &ten)).await;
    assert_eq!(booked.status, StatusCode::CREATED, "{:?}", booked.body);
    assert_eq!(booked.body["status"], "confirmed", "booked by staff");
    assert_eq!(booked.body["start"], ten.as_str(), "in the centre's offset");
    assert_eq!(booked.body["centre_id"], c.centre);
    assert_eq!(
        booked.body["attendees"],
        json!([{"patient_id": c.patients[0], "name": "Patient0 Booker", "status": "booked"}])
    );
    assert!(booked.body.get("video_url").is_none());
    assert!(!slot_starts(&server, &admin, &c, c.consult).await.contains(&ten), "the slot is gone");

    let taken = server.post("/api/v1/appointments", &admin, book_body(&c, c.patients[1], c.consult, &ten)).await;
    assert_eq!(taken.body["error"]["details"]["appointment_id"], booked.body["id"], "names the clash");

    server
        .post(
            &format!("/api/v1/clinicians/{}/time-off", c.clinician),
            &admin,
            json!({"start": london(c.monday, "15:00"), "end": london(c.monday, "17:00")}),
        )
        .await;
    server.call(Method::POST, &format!("/api/v1/patients/{}/archive", c.patients[2]), Some(&admin), None).await;
    let other =
        server.post("/api/v1/clinicians", &admin, json!({"display_name": "Dr Other", "centre_ids": [c.centre]})).await;
    let mut not_offered = book_body(&c, c.patients[1], c.consult, &london(c.monday, "13:00"));
    not_offered["clinician_id"] = other.body["id"].clone();
    let policy = server.get("/api/v1/settings/booking", &admin).await.body;

    // Each refusal on its own row, all checked even when one fails:
    // (what, booking policy to apply first, booking, status, code).
    let free = london(c.monday, "13:00");
    let cases: Vec<(&str, Option<Value>, Value, StatusCode, &str)> = vec![
        ("the same time", None, book_body(&c, c.patients[1], c.consult, &ten), StatusCode::CONFLICT, "SLOT_TAKEN"),
        (
            "10:30-11:00 inside 10:00-11:00",
            None,
            book_body(&c, c.patients[1], c.video, &london(c.monday, "10:30")),
            StatusCode::CONFLICT,
            "SLOT_TAKEN",
        ),
        (
            "before opening",
            None,
            book_body(&c, c.patients[1], c.consult, &london(c.monday, "08:00")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "OUTSIDE_AVAILABILITY",
        ),
        (
            "over the lunch gap",
            None,
            book_body(&c, c.patients[1], c.consult, &london(c.monday, "11:30")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "OUTSIDE_AVAILABILITY",
        ),
        (
            "a day without hours",
            None,
            book_body(&c, c.patients[1], c.consult, &london(c.monday + Duration::days(1), "10:00")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "OUTSIDE_AVAILABILITY",
        ),
        (
            "during time off",
            None,
            book_body(&c, c.patients[1], c.consult, &london(c.monday, "15:00")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "TIME_OFF",
        ),
        (
            "an unknown patient",
            None,
            book_body(&c, 99_999, c.consult, &free),
            StatusCode::UNPROCESSABLE_ENTITY,
            "VALIDATION_FAILED",
        ),
        (
            "an archived patient",
            None,
            book_body(&c, c.patients[2], c.consult, &free),
            StatusCode::UNPROCESSABLE_ENTITY,
            "PATIENT_ARCHIVED",
        ),
        ("a clinician who does not offer it", None, not_offered, StatusCode::UNPROCESSABLE_ENTITY, "NOT_OFFERED"),
        (
            "inside the minimum notice, by an integration",
            Some(json!({"min_notice_minutes": 43_200})),
            book_body(&c, c.patients[1], c.consult, &free),
            StatusCode::UNPROCESSABLE_ENTITY,
            "TOO_SOON",
        ),
        (
            "beyond the booking window, by an integration",
            Some(json!({"min_notice_minutes": 0, "booking_window_days": 1})),
            book_body(&c, c.patients[1], c.consult, &free),
            StatusCode::UNPROCESSABLE_ENTITY,
            "TOO_FAR_AHEAD",
        ),
    ];
    // The booking policy binds integrations (and later patients), not staff.
    let key = server.post("/api/v1/api-keys", &admin, json!({"name": "Website", "role": "front_desk"})).await;
    let integration = key.body["key"].as_str().unwrap().to_owned();
    let mut wrong = Vec::new();
    for (what, settings, body, status, code) in cases {
        let caller = if settings.is_some() { &integration } else { &admin };
        if let Some(settings) = settings {
            server.patch("/api/v1/settings/booking", &admin, settings).await;
        }
        let reply = server.post("/api/v1/appointments", caller, body).await;
        if (reply.status, reply.code()) != (status, code) {
            wrong.push(format!("{what}: expected {status} {code}, got {} {:?}", reply.status, reply.body));
        }
        let restore = json!({"min_notice_minutes": policy["min_notice_minutes"],
                             "booking_window_days": policy["booking_window_days"]});
        server.patch("/api/v1/settings/booking", &admin, restore).await;
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
    assert_eq!(server.count_rows("appointments"), 1, "no refusal wrote anything");

    // Reception books inside the notice and beyond the window; the history says so.
    server.patch("/api/v1/settings/booking", &admin, json!({"min_notice_minutes": 43_200})).await;
    let walk_in = server.post("/api/v1/appointments", &admin, book_body(&c, c.patients[1], c.consult, &free)).await;
    assert_eq!(walk_in.status, StatusCode::CREATED, "{:?}", walk_in.body);
    let history = server.get(&format!("/api/v1/appointments/{}/history", walk_in.body["id"]), &admin).await;
    assert_eq!(history.body["data"][0]["details"]["policy_overridden"], "inside the 43200-minute notice");
    let slots =
        server.get(&format!("/api/v1/slots?service_id={}&from={}&to={}", c.consult, c.monday, c.monday), &admin).await;
    let offered = slots.body["data"].as_array().unwrap();
    assert!(!offered.is_empty() && offered.iter().all(|s| s["within_notice"] == true), "{:?}", slots.body);
    let public = server
        .call(
            Method::GET,
            &format!("/api/v1/public/slots?service_id={}&from={}&to={}", c.consult, c.monday, c.monday),
            None,
            None,
        )
        .await;
    assert_eq!(public.body["data"], json!([]), "the public sees no time inside the notice");
    let cancelled =
        server.post(&format!("/api/v1/appointments/{}/cancel", walk_in.body["id"]), &admin, json!({})).await;
    assert_eq!(cancelled.status, StatusCode::OK);
    server.patch("/api/v1/settings/booking", &admin, json!({"min_notice_minutes": 0, "booking_window_days": 1})).await;
    let ahead = server.post("/api/v1/appointments", &admin, book_body(&c, c.patients[1], c.consult, &free)).await;
    assert_eq!(ahead.status, StatusCode::CREATED, "{:?}", ahead.body);
    let history = server.get(&format!("/api/v1/appointments/{}/history", ahead.body["id"]), &admin).await;
    assert_eq!(history.body["data"][0]["details"]["policy_overridden"], "beyond the 1-day booking window");
    server.post(&format!("/api/v1/appointments/{}/cancel", ahead.body["id"]), &admin, json!({})).await;
    let past = server
        .post(
            "/api/v1/appointments",
            &admin,
            book_body(&c, c.patients[1], c.consult, &london(c.monday - Duration::weeks(3), "10:00")),
        )
        .await;
    assert_eq!(past.code(), "TOO_SOON", "nobody books a time already past");
    server
        .patch(
            "/api/v1/settings/booking",
            &admin,
            json!({"min_notice_minutes": policy["min_notice_minutes"], "booking_window_days": policy["booking_window_days"]}),
        )
        .await;
    let unknown = server.post("/api/v1/appointments", &admin, book_body(&c, 99_999, c.consult, &free)).await;
    assert!(unknown.field_error("patient_id").is_some(), "{:?}", unknown.body);
    server.patch("/api/v1/settings/booking", &admin, json!({"booking_window_days": 90})).await;

    let video = server
        .post("/api/v1/appointments", &admin, book_body(&c, c.patients[1], c.video, &london(c.monday, "13:00")))
        .await;
    assert_eq!(video.status, StatusCode::CREATED, "{:?}", video.body);
    let link = video.body["video_url"].as_str().unwrap();
    assert!(link.starts_with("https://meet.jit.si/clinicbox-") && link.len() > 40, "{link}");
    let second = server
        .post("/api/v1/appointments", &admin, book_body(&c, c.patients[3], c.video, &london(c.monday, "13:30")))
        .await;
    assert_ne!(second.body["video_url"], video.body["video_url"], "every visit has its own room");

    let (_, billing) = server.staff_token(&admin, "billing").await;
    let refused = server
        .post("/api/v1/appointments", &billing, book_body(&c, c.patients[4], c.consult, &london(c.monday, "14:00")))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(server.count_rows("appointments"), 5);
    let audit = server.get("/api/v1/audit?entity=appointment", &admin).await;
    assert_eq!(audit.body["pagination"]["total"], 7, "five bookings and two cancellations");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_many_concurrent_requests_for_one_slot_exactly_one_wins() {
    let (server, admin) = TestServer::with_admin().await;
    let c = clinic(&server, &admin).await;
    let server = std::sync::Arc::new(server);
    let start = london(c.monday, "14:00");
    let mut tasks = Vec::new();
    for patient in c.patients.clone() {
        let (server, admin, body) = (server.clone(), admin.clone(), book_body(&c, patient, c.consult, &start));
        tasks.push(tokio::spawn(async move { server.post("/api/v1/appointments", &admin, body).await }));
    }
    let mut created = 0;
    for task in tasks {
        let reply = task.await.unwrap();
        match reply.status {
            StatusCode::CREATED => created += 1,
            StatusCode::CONFLICT => assert_eq!(reply.code(), "SLOT_TAKEN"),
            other => panic!("unexpected {other}: {:?}", reply.body),
        }
    }
    assert_eq!(created, 1);
    assert_eq!(server.count_rows("appointments"), 1);
}

#[tokio::test]
async fn appointments_move_through_their_lifecycle_and_list_by_filter() {
    let (server, admin) = TestServer::with_admin().await;
    let c = clinic(&server, &admin).await;
    // A clinic that checks every booking before confirming it.
    let settings = server.patch("/api/v1/settings/booking", &admin, json!({"staff_bookings_confirmed": false})).await;
    assert_eq!(settings.body["check_in_opens_minutes"], 60, "{:?}", settings.body);
    let first = server
        .post("/api/v1/appointments", &admin, book_body(&c, c.patients[0], c.consult, &london(c.monday, "09:00")))
        .await;
    assert_eq!(first.body["status"], "pending");
    let id = first.body["id"].as_i64().unwrap();
    let step = |action: &'static str, token: String| {
        let server = &server;
        async move { server.call(Method::POST, &format!("/api/v1/appointments/{id}/{action}"), Some(&token), None).await }
    };
    // The clock moves to a wall time on that Monday; a new sign-in follows.
    let clock_to = |wall: &str| {
        let at = chrono::DateTime::parse_from_rfc3339(&london(c.monday, wall)).unwrap().with_timezone(&chrono::Utc);
        server.advance(at - server.app.clock.now());
        server.login(crate::harness::ADMIN_EMAIL, crate::harness::PASSWORD)
    };
    let early = step("complete", admin.clone()).await;
    assert_eq!((early.status, early.code()), (StatusCode::CONFLICT, "INVALID_TRANSITION"));
    assert_eq!(step("confirm", admin.clone()).await.body["status"], "confirmed");
    // Check-in opens an hour before; completing waits for the start.
    let days_early = step("check-in", admin.clone()).await;
    assert_eq!((days_early.status, days_early.code()), (StatusCode::CONFLICT, "CHECK_IN_TOO_EARLY"));
    let admin = clock_to("07:55").await;
    assert_eq!(step("check-in", admin.clone()).await.code(), "CHECK_IN_TOO_EARLY", "65 minutes before");
    assert_eq!(server.get(&format!("/api/v1/appointments/{id}"), &admin).await.body["status"], "confirmed");
    let admin = clock_to("08:15").await;
    assert_eq!(step("check-in", admin.clone()).await.body["status"], "checked_in");
    let not_started = step("complete", admin.clone()).await;
    assert_eq!((not_started.status, not_started.code()), (StatusCode::CONFLICT, "NOT_STARTED"));
    let admin = clock_to("09:05").await;
    assert_eq!(step("complete", admin.clone()).await.body["status"], "completed");
    let cancel_done = server.post(&format!("/api/v1/appointments/{id}/cancel"), &admin, json!({})).await;
    assert_eq!(cancel_done.code(), "INVALID_TRANSITION");

    let second = server
        .post("/api/v1/appointments", &admin, book_body(&c, c.patients[1], c.consult, &london(c.monday, "10:00")))
        .await;
    let second_id = second.body["id"].as_i64().unwrap();
    let cancelled =
        server.post(&format!("/api/v1/appointments/{second_id}/cancel"), &admin, json!({"reason": "unwell"})).await;
    assert_eq!(cancelled.body["status"], "cancelled");
    assert_eq!(cancelled.body["cancel_reason"], "unwell");
    assert!(cancelled.body["cancelled_by"].is_i64());
    // Every field of a cancellation is optional, so it needs no body at all.
    let bodiless = server
        .post("/api/v1/appointments", &admin, book_body(&c, c.patients[3], c.consult, &london(c.monday, "11:00")))
        .await;
    let bare = server
        .call(Method::POST, &format!("/api/v1/appointments/{}/cancel", bodiless.body["id"]), Some(&admin), None)
        .await;
    assert_eq!((bare.status, &bare.body["status"]), (StatusCode::OK, &json!("cancelled")), "{:?}", bare.body);
    // The time is free again.
    let rebooked = server
        .post("/api/v1/appointments", &admin, book_body(&c, c.patients[2], c.consult, &london(c.monday, "10:00")))
        .await;
    assert_eq!(rebooked.status, StatusCode::CREATED);
    let third = server
        .post("/api/v1/appointments", &admin, book_body(&c, c.patients[3], c.consult, &london(c.monday, "11:00")))
        .await;
    let no_show_path = format!("/api/v1/appointments/{}/no-show", third.body["id"]);
    let too_soon = server.call(Method::POST, &no_show_path, Some(&admin), None).await;
    assert_eq!((too_soon.status, too_soon.code()), (StatusCode::CONFLICT, "NOT_STARTED"));
    let admin = clock_to("11:20").await;
    let no_show = server.call(Method::POST, &no_show_path, Some(&admin), None).await;
    assert_eq!(no_show.body["status"], "no_show");

    // A walk-in at 13:10 goes into the 13:00 slot, in progress, and is seen at once.
    let admin = clock_to("13:10").await;
    let today = format!("/api/v1/slots?service_id={}&from={}&to={}", c.consult, c.monday, c.monday);
    let slots = server.get(&today, &admin).await;
    assert_eq!(slots.body["data"][0]["start"], london(c.monday, "13:00").as_str(), "{:?}", slots.body);
    assert_eq!(slots.body["data"][0]["within_notice"], true);
    let walk_in = server
        .post("/api/v1/appointments", &admin, book_body(&c, c.patients[4], c.consult, &london(c.monday, "13:00")))
        .await;
    assert_eq!(walk_in.status, StatusCode::CREATED, "{:?}", walk_in.body);
    for action in ["check-in", "complete"] {
        let path = format!("/api/v1/appointments/{}/{action}", walk_in.body["id"]);
        assert!(server.call(Method::POST, &path, Some(&admin), None).await.status.is_success(), "{action}");
    }
    let over = server
        .post("/api/v1/appointments", &admin, book_body(&c, c.patients[4], c.consult, &london(c.monday, "11:00")))
        .await;
    assert_eq!(over.code(), "TOO_SOON", "a slot that is over is not bookable");

    let all = server.get(&format!("/api/v1/appointments?clinician_id={}", c.clinician), &admin).await;
    assert_eq!(all.body["pagination"]["total"], 6);
    let starts: Vec<&str> = all.body["data"].as_array().unwrap().iter().map(|a| a["start"].as_str().unwrap()).collect();
    let mut sorted = starts.clone();
    sorted.sort();
    assert_eq!(starts, sorted, "earliest first");
    let cancelled_only = server.get("/api/v1/appointments?status=cancelled", &admin).await;
    assert_eq!(cancelled_only.body["data"][0]["id"], second_id);
    let for_patient = server.get(&format!("/api/v1/patients/{}/appointments", c.patients[2]), &admin).await;
    assert_eq!(for_patient.body["pagination"]["total"], 1);
    let window = format!("from={}&to={}", urlencode(&london(c.monday, "09:30")), urlencode(&london(c.monday, "10:30")));
    let windowed = server.get(&format!("/api/v1/appointments?{window}"), &admin).await;
    assert_eq!(windowed.body["pagination"]["total"], 2, "the cancelled and the rebooked 10:00");
    assert_eq!(server.get("/api/v1/appointments/99999", &admin).await.status, StatusCode::NOT_FOUND);
    assert_eq!(server.get("/api/v1/patients/99999/appointments", &admin).await.status, StatusCode::NOT_FOUND);
}

fn urlencode(text: &str) -> String {
    text.replace('+', "%2B").replace(':', "%3A")
}

#[tokio::test]
async fn rescheduling_follows_the_booking_rules_and_keeps_history() {
    let (server, admin) = TestServer::with_admin().await;
    let c = clinic(&server, &admin).await;
    let first = server
        .post("/api/v1/appointments", &admin, book_body(&c, c.patients[0], c.consult, &london(c.monday, "09:00")))
        .await;
    let id = first.body["id"].as_i64().unwrap();
    server
        .post("/api/v1/appointments", &admin, book_body(&c, c.patients[1], c.consult, &london(c.monday, "11:00")))
        .await;
    let path = format!("/api/v1/appointments/{id}");

    // Half an hour later overlaps only itself: allowed.
    let moved = server.patch(&path, &admin, json!({"start": london(c.monday, "09:30")})).await;
    assert_eq!(moved.status, StatusCode::OK, "{:?}", moved.body);
    assert_eq!(moved.body["start"], london(c.monday, "09:30").as_str());
    let onto_other = server.patch(&path, &admin, json!({"start": london(c.monday, "10:30")})).await;
    assert_eq!(onto_other.code(), "SLOT_TAKEN");
    let outside = server.patch(&path, &admin, json!({"start": london(c.monday, "12:30")})).await;
    assert_eq!(outside.code(), "OUTSIDE_AVAILABILITY");
    assert_eq!(
        server.get(&path, &admin).await.body["start"],
        london(c.monday, "09:30").as_str(),
        "refusals change nothing"
    );

    let history = server.get(&format!("{path}/history"), &admin).await;
    let changes: Vec<&str> =
        history.body["data"].as_array().unwrap().iter().map(|h| h["change"].as_str().unwrap()).collect();
    assert_eq!(changes, ["created", "rescheduled"]);
    let instant = |v: &Value| chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap();
    assert_eq!(instant(&history.body["data"][1]["details"]["to"]["start"]), instant(&json!(moved_utc(&moved.body))));
    assert_eq!(
        instant(&history.body["data"][1]["details"]["from"]["start"]),
        instant(&json!(london(c.monday, "09:00")))
    );

    let opens = chrono::DateTime::parse_from_rfc3339(&london(c.monday, "09:00")).unwrap().with_timezone(&chrono::Utc);
    server.advance(opens - server.app.clock.now());
    let admin = server.login(crate::harness::ADMIN_EMAIL, crate::harness::PASSWORD).await;
    let checked_in = server.call(Method::POST, &format!("{path}/check-in"), Some(&admin), None).await;
    assert_eq!(checked_in.body["status"], "checked_in", "{:?}", checked_in.body);
    let late = server.patch(&path, &admin, json!({"start": london(c.monday, "13:00")})).await;
    assert_eq!(late.code(), "INVALID_TRANSITION", "a checked-in visit stays where it is");
}

fn moved_utc(appointment: &Value) -> String {
    chrono::DateTime::parse_from_rfc3339(appointment["start"].as_str().unwrap())
        .unwrap()
        .with_timezone(&chrono::Utc)
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[tokio::test]
async fn extra_availability_opens_bookable_time_and_public_slots_need_no_sign_in() {
    let (server, admin) = TestServer::with_admin().await;
    let c = clinic(&server, &admin).await;
    let tuesday = c.monday + Duration::days(1);
    let evening = book_body(&c, c.patients[0], c.consult, &london(tuesday, "18:00"));
    assert_eq!(server.post("/api/v1/appointments", &admin, evening.clone()).await.code(), "OUTSIDE_AVAILABILITY");

    let extra_path = format!("/api/v1/clinicians/{}/extra-availability", c.clinician);
    let bad = server
        .post(
            &extra_path,
            &admin,
            json!({"start": london(tuesday, "18:00"), "end": london(tuesday, "17:00"), "centre_id": c.centre}),
        )
        .await;
    assert!(bad.field_error("end").is_some());
    let extra = server
        .post(&extra_path, &admin, json!({"start": london(tuesday, "18:00"), "end": london(tuesday, "20:00"), "centre_id": c.centre, "reason": "late clinic"}))
        .await;
    assert_eq!(extra.status, StatusCode::CREATED, "{:?}", extra.body);

    let public = server
        .call(
            Method::GET,
            &format!("/api/v1/public/slots?service_id={}&from={tuesday}&to={tuesday}", c.consult),
            None,
            None,
        )
        .await;
    assert_eq!(public.status, StatusCode::OK);
    let starts: Vec<&str> =
        public.body["data"].as_array().unwrap().iter().map(|s| s["start"].as_str().unwrap()).collect();
    let quarters: Vec<String> =
        ["18:00", "18:15", "18:30", "18:45", "19:00"].iter().map(|t| london(tuesday, t)).collect();
    assert_eq!(starts, quarters, "every 15 minutes while an hour's visit fits");
    assert!(!public.body.to_string().contains("patient"), "no patient data in public slots");

    assert_eq!(server.post("/api/v1/appointments", &admin, evening).await.status, StatusCode::CREATED);
    let extra_id = extra.body["id"].as_i64().unwrap();
    let removed = server.call(Method::DELETE, &format!("{extra_path}/{extra_id}"), Some(&admin), None).await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    assert!(server.get(&extra_path, &admin).await.body["data"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn group_sessions_fill_up_keep_a_waitlist_and_promote_from_it() {
    let (server, admin) = TestServer::with_admin().await;
    let c = clinic(&server, &admin).await;
    let group = server
        .post(
            "/api/v1/services",
            &admin,
            json!({"name": "Back class", "duration_minutes": 60, "price": {"amount_minor": 1500, "currency": "GBP"},
                   "modality": "in_person", "capacity": 3, "clinician_ids": [c.clinician]}),
        )
        .await;
    let group = group.body["id"].as_i64().unwrap();
    let start = london(c.monday, "13:00");

    let mut session = 0;
    for patient in &c.patients[0..3] {
        let reply = server.post("/api/v1/appointments", &admin, book_body(&c, *patient, group, &start)).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
        session = reply.body["id"].as_i64().unwrap();
    }
    assert_eq!(server.count_rows("appointments"), 1, "one session, three seats taken");
    let seats = server
        .get(
            &format!("/api/v1/slots?service_id={group}&clinician_id={}&from={}&to={}", c.clinician, c.monday, c.monday),
            &admin,
        )
        .await;
    assert!(
        !seats.body["data"].as_array().unwrap().iter().any(|s| s["start"] == start.as_str()),
        "a full session offers no slot"
    );

    let full = server.post("/api/v1/appointments", &admin, book_body(&c, c.patients[3], group, &start)).await;
    assert_eq!((full.status, full.code()), (StatusCode::CONFLICT, "FULL"));
    let again = server
        .post(&format!("/api/v1/appointments/{session}/attendees"), &admin, json!({"patient_id": c.patients[0]}))
        .await;
    assert_eq!(again.code(), "ALREADY_BOOKED");
    let waiting = server
        .post(
            &format!("/api/v1/appointments/{session}/attendees"),
            &admin,
            json!({"patient_id": c.patients[3], "waitlist": true}),
        )
        .await;
    assert_eq!(waiting.status, StatusCode::OK, "{:?}", waiting.body);
    let statuses: Vec<&str> =
        waiting.body["attendees"].as_array().unwrap().iter().map(|a| a["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["booked", "booked", "booked", "waitlisted"]);
    server
        .post(
            &format!("/api/v1/appointments/{session}/attendees"),
            &admin,
            json!({"patient_id": c.patients[4], "waitlist": true}),
        )
        .await;

    let changes_before = server.count_rows_sql("SELECT count(*) FROM changes WHERE entity = 'appointment'");
    let left = server
        .call(
            Method::DELETE,
            &format!("/api/v1/appointments/{session}/attendees/{}", c.patients[1]),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(left.status, StatusCode::OK, "{:?}", left.body);
    let booked: Vec<i64> = left.body["attendees"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["status"] == "booked")
        .map(|a| a["patient_id"].as_i64().unwrap())
        .collect();
    assert_eq!(booked, [c.patients[0], c.patients[2], c.patients[3]], "the first on the waitlist took the seat");
    assert!(server.count_rows_sql("SELECT count(*) FROM changes WHERE entity = 'appointment'") > changes_before);
    let history = server.get(&format!("/api/v1/appointments/{session}/history"), &admin).await;
    let promoted =
        history.body["data"].as_array().unwrap().iter().find(|h| h["change"] == "waitlist_promoted").unwrap();
    assert_eq!(promoted["details"]["patient_id"], c.patients[3]);

    let gone = server
        .call(
            Method::DELETE,
            &format!("/api/v1/appointments/{session}/attendees/{}", c.patients[1]),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    let single = server
        .post("/api/v1/appointments", &admin, book_body(&c, c.patients[5], c.consult, &london(c.monday, "09:00")))
        .await;
    let not_group = server
        .post(
            &format!("/api/v1/appointments/{}/attendees", single.body["id"]),
            &admin,
            json!({"patient_id": c.patients[6]}),
        )
        .await;
    assert_eq!(not_group.code(), "NOT_A_GROUP_SESSION");
}

#[tokio::test]
async fn a_weekly_series_keeps_its_local_time_skips_clashes_and_cancels_onwards() {
    // Pinned so that the series crosses the end of British Summer Time
    // (2025-10-26): it starts on Monday 13 October.
    let pinned = chrono::DateTime::parse_from_rfc3339("2025-10-01T08:00:00Z").unwrap().to_utc();
    let (server, admin) = TestServer::with_admin_at(pinned).await;
    let c = clinic(&server, &admin).await;
    server.patch("/api/v1/settings/booking", &admin, json!({"booking_window_days": 730})).await;
    // Someone already has the third Monday at 10:00.
    let third = c.monday + Duration::weeks(2);
    server.post("/api/v1/appointments", &admin, book_body(&c, c.patients[1], c.consult, &london(third, "10:00"))).await;

    let mut body = book_body(&c, c.patients[0], c.consult, &london(c.monday, "10:00"));
    body["recurrence"] = json!({"frequency": "weekly", "count": 20});
    let reply = server.post("/api/v1/appointments/series", &admin, body.clone()).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    let occurrences = reply.body["occurrences"].as_array().unwrap();
    assert_eq!(occurrences.len(), 20);
    let skipped: Vec<&Value> = occurrences.iter().filter(|o| o["status"] == "skipped").collect();
    assert_eq!(skipped.len(), 1);
    assert_eq!(skipped[0]["code"], "SLOT_TAKEN");
    assert_eq!(skipped[0]["start"], london(third, "10:00").as_str());
    // Every occurrence is 10:00 in London, on either side of the change.
    assert_eq!(c.monday, NaiveDate::from_ymd_opt(2025, 10, 13).unwrap());
    assert!(occurrences[0]["start"].as_str().unwrap().ends_with("+01:00"), "BST");
    assert!(occurrences[19]["start"].as_str().unwrap().ends_with("Z"), "GMT is written Z");
    for (week, occurrence) in occurrences.iter().enumerate() {
        let date = c.monday + Duration::weeks(week as i64);
        assert_eq!(occurrence["start"], london(date, "10:00").as_str(), "week {week}");
    }
    let series = reply.body["series_id"].as_i64().unwrap();
    let listed = server.get(&format!("/api/v1/appointments?series_id={series}&page_size=100"), &admin).await;
    assert_eq!(listed.body["pagination"]["total"], 19);

    // Cancel from the fifth onwards.
    let fifth = occurrences[4]["appointment_id"].as_i64().unwrap();
    let cancelled = server
        .post(
            &format!("/api/v1/appointments/{fifth}/cancel"),
            &admin,
            json!({"reason": "moving away", "scope": "following"}),
        )
        .await;
    assert_eq!(cancelled.status, StatusCode::OK, "{:?}", cancelled.body);
    let live =
        server.get(&format!("/api/v1/appointments?series_id={series}&status=confirmed&page_size=100"), &admin).await;
    assert_eq!(live.body["pagination"]["total"], 3, "the first, second and fourth stay");

    // Bounded by a date instead of a count, every other week.
    let mut fortnightly = book_body(&c, c.patients[3], c.consult, &london(c.monday, "15:00"));
    fortnightly["recurrence"] =
        json!({"frequency": "weekly", "interval": 2, "until": (c.monday + Duration::weeks(4)).to_string()});
    let reply = server.post("/api/v1/appointments/series", &admin, fortnightly).await;
    let starts: Vec<&str> =
        reply.body["occurrences"].as_array().unwrap().iter().map(|o| o["start"].as_str().unwrap()).collect();
    assert_eq!(
        starts,
        [
            london(c.monday, "15:00"),
            london(c.monday + Duration::weeks(2), "15:00"),
            london(c.monday + Duration::weeks(4), "15:00")
        ]
    );

    // A series whose first occurrence cannot be booked books nothing.
    let mut clash = book_body(&c, c.patients[2], c.consult, &london(third, "10:00"));
    clash["recurrence"] = json!({"frequency": "weekly", "count": 3});
    let refused = server.post("/api/v1/appointments/series", &admin, clash).await;
    assert_eq!(refused.code(), "SLOT_TAKEN");
    let invalid = server
        .post(
            "/api/v1/appointments/series",
            &admin,
            json!({"patient_id": c.patients[2], "service_id": c.consult, "clinician_id": c.clinician,
                   "start": london(c.monday, "13:00"), "recurrence": {"frequency": "weekly", "interval": 9, "count": 99}}),
        )
        .await;
    assert!(invalid.field_error("recurrence.interval").is_some() && invalid.field_error("recurrence.count").is_some());
}

pub async fn fetch_feed(server: &TestServer, url: &str) -> (StatusCode, String, String) {
    let response = server.client.get(server.url(url)).send().await.unwrap();
    let status = response.status();
    let kind = response.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    (status, kind, response.text().await.unwrap())
}

#[tokio::test]
async fn clinicians_get_a_private_calendar_feed_they_can_rotate() {
    let (server, admin) = TestServer::with_admin().await;
    let c = clinic(&server, &admin).await;
    let (staff_id, own_token) = server.staff_token(&admin, "clinician").await;
    server.patch(&format!("/api/v1/clinicians/{}", c.clinician), &admin, json!({"staff_id": staff_id})).await;
    let booked = server
        .post("/api/v1/appointments", &admin, book_body(&c, c.patients[0], c.consult, &london(c.monday, "10:00")))
        .await;
    let cancelled = server
        .post("/api/v1/appointments", &admin, book_body(&c, c.patients[1], c.consult, &london(c.monday, "11:00")))
        .await;
    server.post(&format!("/api/v1/appointments/{}/cancel", cancelled.body["id"]), &admin, json!({})).await;

    let path = format!("/api/v1/clinicians/{}", c.clinician);
    let url = server.get(&path, &admin).await.body["calendar_feed_url"].as_str().unwrap().to_owned();
    assert!(url.starts_with("/api/v1/calendar/") && url.ends_with(".ics"), "{url}");
    assert_eq!(
        server.get(&path, &own_token).await.body["calendar_feed_url"],
        url.as_str(),
        "the clinician sees their own"
    );
    let (_, desk) = server.staff_token(&admin, "front_desk").await;
    assert!(server.get(&path, &desk).await.body.get("calendar_feed_url").is_none(), "front desk does not");
    let refused = server.call(Method::POST, &format!("{path}/calendar-token"), Some(&desk), None).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    let (status, kind, feed) = fetch_feed(&server, &url).await;
    assert_eq!(status, StatusCode::OK);
    assert!(kind.starts_with("text/calendar"), "{kind}");
    assert!(feed.starts_with("BEGIN:VCALENDAR") && feed.contains("VERSION:2.0"), "{feed}");
    assert!(feed.contains(&format!("UID:appointment-{}@clinicbox", booked.body["id"])));
    assert!(feed.contains(&format!("UID:appointment-{}@clinicbox", cancelled.body["id"])));
    assert!(feed.contains("STATUS:CANCELLED"));
    assert!(feed.contains("Patient0 B.") && !feed.contains("Booker"), "no surnames by default");
    server.patch("/api/v1/settings/booking", &admin, json!({"calendar_show_surnames": true})).await;
    assert!(fetch_feed(&server, &url).await.2.contains("Patient0 Booker"));

    let rotated = server.call(Method::POST, &format!("{path}/calendar-token"), Some(&own_token), None).await;
    assert_eq!(rotated.status, StatusCode::OK, "{:?}", rotated.body);
    let new_url = rotated.body["url"].as_str().unwrap();
    assert_ne!(new_url, url);
    let (old_status, _, old_body) = fetch_feed(&server, &url).await;
    assert_eq!(old_status, StatusCode::NOT_FOUND);
    assert!(old_body.contains("NOT_FOUND"), "the envelope: {old_body}");
    assert_eq!(fetch_feed(&server, new_url).await.0, StatusCode::OK);
    assert_eq!(fetch_feed(&server, "/api/v1/calendar/1-deadbeef.ics").await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn deactivated_services_stop_taking_bookings_and_lists_show_setup() {
    let (server, admin) = TestServer::with_admin().await;
    let c = clinic(&server, &admin).await;
    assert_eq!(server.get("/api/v1/centres", &admin).await.body["data"][0]["name"], "Riverside");
    let path = format!("/api/v1/clinicians/{}/time-off", c.clinician);
    server
        .post(
            &path,
            &admin,
            json!({"start": london(c.monday, "12:00"), "end": london(c.monday, "13:00"), "reason": "lunch"}),
        )
        .await;
    let listed = server.get(&path, &admin).await;
    assert_eq!(listed.body["data"].as_array().unwrap().len(), 1);
    assert_eq!(listed.body["data"][0]["reason"], "lunch");

    let service = format!("/api/v1/services/{}", c.consult);
    let renamed = server.patch(&service, &admin, json!({"name": "Long consultation", "duration_minutes": 90})).await;
    assert_eq!(renamed.status, StatusCode::OK, "{:?}", renamed.body);
    assert_eq!(renamed.body["duration_minutes"], 90);
    assert_eq!(renamed.body["clinician_ids"], json!([c.clinician]), "untouched fields stay");
    assert!(
        server
            .patch(&service, &admin, json!({"duration_minutes": 1000}))
            .await
            .field_error("duration_minutes")
            .is_some()
    );
    server.patch(&service, &admin, json!({"active": false})).await;
    let refused = server
        .post("/api/v1/appointments", &admin, book_body(&c, c.patients[0], c.consult, &london(c.monday, "09:00")))
        .await;
    assert_eq!(refused.code(), "SERVICE_INACTIVE");
    let slots =
        server.get(&format!("/api/v1/slots?service_id={}&from={}&to={}", c.consult, c.monday, c.monday), &admin).await;
    assert!(slots.field_error("service_id").is_some());
}

#[tokio::test]
async fn unauthenticated_endpoints_are_rate_limited_per_address() {
    let server = TestServer::start().await;
    let mut limited = None;
    for _ in 0..clinicbox::http::ratelimit::PUBLIC_BURST + 5 {
        let reply = server.call(Method::GET, "/api/v1/public/clinicians", None, None).await;
        if reply.status == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(reply);
            break;
        }
        assert_eq!(reply.status, StatusCode::OK);
    }
    let limited = limited.expect("the burst runs out");
    assert_eq!(limited.code(), "TOO_MANY_REQUESTS");
    assert!(limited.header("retry-after").unwrap().parse::<u64>().unwrap() >= 1);
    // Signed-in endpoints are not counted against it.
    assert_eq!(server.call(Method::GET, "/api/v1/setup", None, None).await.status, StatusCode::OK);
}

#[tokio::test]
async fn the_appointments_of_a_local_day_include_its_25th_hour() {
    // 25 October 2026: British Summer Time ends, the day in London has 25 hours.
    let pinned = chrono::DateTime::parse_from_rfc3339("2026-10-01T08:00:00Z").unwrap().to_utc();
    let (server, admin) = TestServer::with_admin_at(pinned).await;
    let centre =
        server.post("/api/v1/centres", &admin, json!({"name": "Night clinic", "timezone": "Europe/London"})).await;
    let centre = centre.body["id"].as_i64().unwrap();
    let clinician =
        server.post("/api/v1/clinicians", &admin, json!({"display_name": "Dr Owl", "centre_ids": [centre]})).await;
    let clinician = clinician.body["id"].as_i64().unwrap();
    let service = server
        .post(
            "/api/v1/services",
            &admin,
            json!({"name": "Night visit", "duration_minutes": 15, "price": {"amount_minor": 0, "currency": "GBP"},
                   "modality": "in_person", "clinician_ids": [clinician]}),
        )
        .await;
    let service = service.body["id"].as_i64().unwrap();
    let all_day: Vec<Value> = [6, 7, 1]
        .iter()
        .map(|weekday| json!({"weekday": weekday, "start": "00:00", "end": "24:00", "centre_id": centre}))
        .collect();
    let put = server
        .call(Method::PUT, &format!("/api/v1/clinicians/{clinician}/availability"), Some(&admin), Some(json!(all_day)))
        .await;
    assert_eq!(put.status, StatusCode::OK, "{:?}", put.body);
    let patient = server.create_patient(&admin, json!({"given_name": "Nora", "family_name": "Night"})).await;
    let mut ids = Vec::new();
    // Saturday 23:30 BST, Sunday 00:30 BST, Sunday 23:30 GMT, Monday 00:30 GMT.
    for start in
        ["2026-10-24T23:30:00+01:00", "2026-10-25T00:30:00+01:00", "2026-10-25T23:30:00Z", "2026-10-26T00:30:00Z"]
    {
        let body =
            json!({"patient_id": patient["id"], "service_id": service, "clinician_id": clinician, "start": start});
        let booked = server.post("/api/v1/appointments", &admin, body).await;
        assert_eq!(booked.status, StatusCode::CREATED, "{start}: {:?}", booked.body);
        ids.push(booked.body["id"].as_i64().unwrap());
    }

    let day = server.get(&format!("/api/v1/appointments?date=2026-10-25&centre_id={centre}"), &admin).await;
    assert_eq!(day.status, StatusCode::OK, "{:?}", day.body);
    let listed: Vec<i64> = day.body["data"].as_array().unwrap().iter().map(|a| a["id"].as_i64().unwrap()).collect();
    assert_eq!(listed, [ids[1], ids[2]], "Sunday's two, from its midnight to Monday's");
    let saturday = server.get(&format!("/api/v1/appointments?date=2026-10-24&centre_id={centre}"), &admin).await;
    assert_eq!(saturday.body["pagination"]["total"], 1);

    let no_centre = server.get("/api/v1/appointments?date=2026-10-25", &admin).await;
    assert_eq!(no_centre.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_centre.field_error("centre_id").is_some(), "{:?}", no_centre.body);
    let both = server
        .get(&format!("/api/v1/appointments?date=2026-10-25&centre_id={centre}&from=2026-10-25T00:00:00Z"), &admin)
        .await;
    assert!(both.field_error("date").is_some(), "{:?}", both.body);
    let nowhere = server.get("/api/v1/appointments?date=2026-10-25&centre_id=999", &admin).await;
    assert!(nowhere.field_error("centre_id").is_some(), "{:?}", nowhere.body);
    let not_a_date = server.get(&format!("/api/v1/appointments?date=25/10/2026&centre_id={centre}"), &admin).await;
    assert!(not_a_date.field_error("date").is_some(), "{:?}", not_a_date.body);
}
