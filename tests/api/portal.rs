//! The patient's own link to an appointment, from the `{manage_url}` in a
//! real email: what it shows without sign-in, cancelling by it within the
//! clinic's notice, a group place given up, and links that open nothing.

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::{ADMIN_EMAIL, PASSWORD, Reply, TestServer, into_reply};
use crate::scheduling::{book_body, clinic, london};
use crate::stand_ins::SmtpStandIn;

/// A server at 09:00 UTC on Wednesday 4 March 2026 that emails through `smtp`, at `public_url` if given.
async fn server(smtp: &SmtpStandIn, public_url: Option<&str>) -> (TestServer, String) {
    let (url, public_url) = (smtp.url(), public_url.map(str::to_owned));
    let at = DateTime::parse_from_rfc3339("2026-03-04T09:00:00Z").unwrap().with_timezone(&Utc);
    let server = TestServer::start_configured_at(at, move |config| {
        config.smtp_url = Some(clinicbox::config::Redacted(url));
        config.smtp_from = Some("Riverside Physio <desk@riverside.test>".into());
        config.public_url = public_url;
    })
    .await;
    server.setup_admin().await;
    let admin = server.login(ADMIN_EMAIL, PASSWORD).await;
    (server, admin)
}

async fn patient(server: &TestServer, admin: &str, given: &str, email: &str) -> i64 {
    let body = json!({"given_name": given, "family_name": "Okafor", "email": email});
    server.create_patient(admin, body).await["id"].as_i64().unwrap()
}

/// The body of the `n`th mail to `address`, its quoted-printable soft line breaks undone.
async fn mail_to(server: &TestServer, smtp: &SmtpStandIn, address: &str, n: usize) -> String {
    let to = |smtp: &SmtpStandIn| smtp.mails().into_iter().filter(|m| m.to.iter().any(|t| t == address)).count();
    server.eventually(&format!("mail {n} to {address}"), || async { to(smtp) > n }).await;
    let mails: Vec<_> = smtp.mails().into_iter().filter(|m| m.to.iter().any(|t| t == address)).collect();
    mails[n].data.replace("=\r\n", "").replace("=\n", "")
}

/// The token of the manage link in a mail.
fn token_in(mail: &str) -> String {
    let (_, after) = mail.split_once("https://clinic.example/manage/").expect(mail);
    after.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-').collect()
}

async fn public(server: &TestServer, method: reqwest::Method, path: &str, body: Option<Value>) -> Reply {
    let mut request = server.client.request(method, server.url(&format!("/api/v1/public/appointments/{path}")));
    if let Some(body) = body {
        request = request.json(&body);
    }
    into_reply(request.send().await.unwrap()).await
}

#[tokio::test]
async fn a_patient_sees_and_cancels_their_appointment_by_the_link_in_their_confirmation() {
    let smtp = SmtpStandIn::start().await;
    let (server, admin) = server(&smtp, Some("https://clinic.example")).await;
    let c = clinic(&server, &admin).await;
    let (ada_staff, ada) = server.staff_member(&admin, "ada@clinic.test", "clinician").await;
    server.patch(&format!("/api/v1/clinicians/{}", c.clinician), &admin, json!({"staff_id": ada_staff})).await;
    let kemi = patient(&server, &admin, "Kemi", "kemi@example.test").await;
    let other = patient(&server, &admin, "Tobi", "tobi@example.test").await;
    let booked =
        server.post("/api/v1/appointments", &admin, book_body(&c, kemi, c.consult, &london(c.monday, "10:00"))).await;
    let id = booked.body["id"].as_i64().unwrap();
    server.post("/api/v1/appointments", &admin, book_body(&c, other, c.consult, &london(c.monday, "11:00"))).await;

    let mail = mail_to(&server, &smtp, "kemi@example.test", 0).await;
    assert!(mail.contains("To cancel online: https://clinic.example/manage/"), "{mail}");
    let token = token_in(&mail);
    let shown = public(&server, reqwest::Method::GET, &token, None).await;
    assert_eq!(shown.status, StatusCode::OK, "{:?}", shown.body);
    assert_eq!(shown.body["patient_first_name"], "Kemi");
    assert_eq!(shown.body["start"], london(c.monday, "10:00").replace("+00:00", "Z"));
    assert_eq!(shown.body["timezone"], "Europe/London");
    assert_eq!((shown.body["status"].as_str(), shown.body["can_cancel"].as_bool()), (Some("confirmed"), Some(true)));
    assert_eq!(shown.body["clinician"], "Dr Ada Osei");
    assert!(shown.body.get("attendees").is_none() && shown.body.get("notes").is_none(), "only what the patient needs");

    // A link changed anywhere opens nothing, and says no more than for a made-up one.
    let (ids, signature) = token.rsplit_once('-').unwrap();
    let other_patient = format!("{}-{other}-{signature}", ids.split('-').next().unwrap());
    let flipped =
        format!("{ids}-{}", signature.replacen(&signature[..1], if &signature[..1] == "0" { "1" } else { "0" }, 1));
    for bad in [other_patient.as_str(), flipped.as_str(), "1-1-00", "nonsense"] {
        let refused = public(&server, reqwest::Method::GET, bad, None).await;
        assert_eq!((refused.status, refused.code()), (StatusCode::NOT_FOUND, "NOT_FOUND"), "{bad}");
        let refused = public(&server, reqwest::Method::POST, &format!("{bad}/cancel"), None).await;
        assert_eq!(refused.status, StatusCode::NOT_FOUND, "{bad}");
    }

    let cancelled =
        public(&server, reqwest::Method::POST, &format!("{token}/cancel"), Some(json!({"reason": "Feeling better"})))
            .await;
    assert_eq!(cancelled.status, StatusCode::OK, "{:?}", cancelled.body);
    assert_eq!(
        (cancelled.body["status"].as_str(), cancelled.body["can_cancel"].as_bool()),
        (Some("cancelled"), Some(false))
    );
    let at_desk = server.get(&format!("/api/v1/appointments/{id}"), &admin).await.body;
    assert_eq!(
        (at_desk["status"].as_str(), at_desk["cancel_reason"].as_str()),
        (Some("cancelled"), Some("Feeling better"))
    );
    let again = public(&server, reqwest::Method::POST, &format!("{token}/cancel"), None).await;
    assert_eq!(
        (again.status, again.body["status"].as_str()),
        (StatusCode::OK, Some("cancelled")),
        "asking twice is harmless"
    );

    // The patient hears it is cancelled; the clinician is told in the app; the audit log names the link.
    let cancellation = mail_to(&server, &smtp, "kemi@example.test", 1).await;
    assert!(cancellation.contains("is cancelled"), "{cancellation}");
    let news = server.get("/api/v1/notifications?unread_only=true", &ada).await.body;
    assert!(news["data"].as_array().unwrap().iter().any(|n| n["type"] == "appointment.cancelled"), "{news:?}");
    let audit = server.get(&format!("/api/v1/audit?entity=appointment&entity_id={id}"), &admin).await.body;
    let actions: Vec<(&str, &str)> = audit["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["action"].as_str().unwrap(), e["actor_email"].as_str().unwrap_or("")))
        .collect();
    assert!(actions.contains(&("appointment.cancel", format!("patient-link:{kemi}").as_str())), "{actions:?}");
    assert!(actions.iter().any(|(action, _)| *action == "appointment.link_read"), "{actions:?}");
    let tobi = server.get("/api/v1/appointments?status=confirmed", &admin).await.body;
    assert!(
        tobi["data"].as_array().unwrap().iter().any(|a| a["attendees"][0]["patient_id"] == other),
        "the other visit stands"
    );
}

#[tokio::test]
async fn inside_the_notice_the_link_shows_but_does_not_cancel_and_without_a_public_url_there_is_none() {
    let smtp = SmtpStandIn::start().await;
    let (server, admin) = server(&smtp, Some("https://clinic.example")).await;
    let c = clinic(&server, &admin).await;
    let kemi = patient(&server, &admin, "Kemi", "kemi@example.test").await;
    let booked =
        server.post("/api/v1/appointments", &admin, book_body(&c, kemi, c.consult, &london(c.monday, "10:00"))).await;
    let token = token_in(&mail_to(&server, &smtp, "kemi@example.test", 0).await);
    // The visit is under a month away; a month's notice has already run out.
    let notice = server.patch("/api/v1/settings/booking", &admin, json!({"cancellation_notice_hours": 720})).await;
    assert_eq!(notice.status, StatusCode::OK, "{:?}", notice.body);
    let shown = public(&server, reqwest::Method::GET, &token, None).await.body;
    assert_eq!(shown["can_cancel"], false);
    let refused = public(&server, reqwest::Method::POST, &format!("{token}/cancel"), None).await;
    assert_eq!((refused.status, refused.code()), (StatusCode::UNPROCESSABLE_ENTITY, "TOO_SOON"), "{:?}", refused.body);
    let id = booked.body["id"].as_i64().unwrap();
    assert_eq!(server.get(&format!("/api/v1/appointments/{id}"), &admin).await.body["status"], "confirmed");

    let smtp = SmtpStandIn::start().await;
    let (server, admin) = self::server(&smtp, None).await;
    let c = clinic(&server, &admin).await;
    let kemi = patient(&server, &admin, "Kemi", "kemi@example.test").await;
    server.post("/api/v1/appointments", &admin, book_body(&c, kemi, c.consult, &london(c.monday, "10:00"))).await;
    let mail = mail_to(&server, &smtp, "kemi@example.test", 0).await;
    assert!(!mail.contains("/manage/") && !mail.contains("To cancel online"), "no link, and no line for it: {mail}");
    assert!(mail.contains("To change it, contact"), "{mail}");
}

#[tokio::test]
async fn in_a_group_session_the_link_gives_up_the_patients_place_and_the_waitlist_moves_up() {
    let smtp = SmtpStandIn::start().await;
    let (server, admin) = server(&smtp, Some("https://clinic.example")).await;
    let c = clinic(&server, &admin).await;
    let class = server
        .post(
            "/api/v1/services",
            &admin,
            json!({"name": "Back class", "duration_minutes": 60, "price": {"amount_minor": 1500, "currency": "GBP"},
                   "modality": "in_person", "capacity": 2, "clinician_ids": [c.clinician]}),
        )
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    let start = london(c.monday, "13:00");
    let kemi = patient(&server, &admin, "Kemi", "kemi@example.test").await;
    let tobi = patient(&server, &admin, "Tobi", "tobi@example.test").await;
    let session = server.post("/api/v1/appointments", &admin, book_body(&c, kemi, class, &start)).await.body["id"]
        .as_i64()
        .unwrap();
    server.post("/api/v1/appointments", &admin, book_body(&c, tobi, class, &start)).await;
    let waiting = server
        .post(
            &format!("/api/v1/appointments/{session}/attendees"),
            &admin,
            json!({"patient_id": c.patients[0], "waitlist": true}),
        )
        .await;
    assert_eq!(waiting.status, StatusCode::OK, "{:?}", waiting.body);

    let token = token_in(&mail_to(&server, &smtp, "kemi@example.test", 0).await);
    assert_eq!(public(&server, reqwest::Method::GET, &token, None).await.body["group_session"], true);
    let left = public(&server, reqwest::Method::POST, &format!("{token}/cancel"), None).await;
    assert_eq!((left.status, left.body["status"].as_str()), (StatusCode::OK, Some("cancelled")), "{:?}", left.body);
    let at_desk = server.get(&format!("/api/v1/appointments/{session}"), &admin).await.body;
    assert_eq!(at_desk["status"], "confirmed", "the session goes on for the others");
    let places: Vec<(i64, &str)> = at_desk["attendees"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["patient_id"].as_i64().unwrap(), a["status"].as_str().unwrap()))
        .collect();
    assert!(!places.iter().any(|(p, _)| *p == kemi), "her place is given up: {places:?}");
    assert!(places.contains(&(tobi, "booked")), "{places:?}");
    assert!(places.contains(&(c.patients[0], "booked")), "the first on the waitlist moved up: {places:?}");
}
