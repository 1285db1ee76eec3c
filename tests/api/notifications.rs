//! Notifications against a real SMTP server and a real HTTP receiver on
//! 127.0.0.1: confirmations with an invite, reminders at their leads as the
//! clock moves, moves and cancellations, retries to dead, the gateway's
//! signature, opt-outs, quiet hours, restarts, and in-app notifications.

use chrono::{DateTime, Duration, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::harness::{ADMIN_EMAIL, PASSWORD, TestServer};
use crate::scheduling::{book_body, clinic, london, next_monday};
use crate::stand_ins::{HttpReceiver, SmtpStandIn};

const GATEWAY_SECRET: &str = "gateway-shared-secret";

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
}

/// A server whose clock stands at 09:00 UTC on a Wednesday, sending email to `smtp` and texts to `gateway`.
async fn server_with(smtp: &SmtpStandIn, gateway: Option<&HttpReceiver>) -> (TestServer, String) {
    let (url, receiver) = (smtp.url(), gateway.map(|g| g.url.clone()));
    let server = TestServer::start_configured_at(at("2026-03-04T09:00:00Z"), move |config| {
        config.smtp_url = Some(clinicbox::config::Redacted(url));
        config.smtp_from = Some("Riverside Physio <desk@riverside.test>".into());
        if let Some(receiver) = receiver {
            config.sms_webhook_url = Some(receiver);
            config.sms_webhook_secret = Some(clinicbox::config::Redacted(GATEWAY_SECRET.into()));
        }
    })
    .await;
    server.setup_admin().await;
    let admin = server.login(ADMIN_EMAIL, PASSWORD).await;
    (server, admin)
}

async fn patient(server: &TestServer, token: &str, extra: Value) -> i64 {
    let mut body =
        json!({"given_name": "Zoë", "family_name": "Okafor", "email": "zoe@example.test", "phone": "07700 900123"});
    body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    server.create_patient(token, body).await["id"].as_i64().unwrap()
}

async fn messages(server: &TestServer, token: &str, query: &str) -> Vec<Value> {
    let reply = server.get(&format!("/api/v1/outbound-messages?{query}"), token).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    reply.body["data"].as_array().unwrap().clone()
}

async fn wait_for_mails(server: &TestServer, smtp: &SmtpStandIn, count: usize) {
    server.eventually(&format!("{count} mail(s) arrive"), || async { smtp.mails().len() >= count }).await;
}

/// Moves the clock to `when` and waits a little for anything due to go.
async fn move_clock_to(server: &TestServer, when: DateTime<Utc>) {
    server.advance(when - server.app.clock.now());
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
}

#[tokio::test]
async fn a_booking_is_confirmed_with_an_invite_and_reminded_at_each_lead_once() {
    let smtp = SmtpStandIn::start().await;
    let (server, admin) = server_with(&smtp, None).await;
    let c = clinic(&server, &admin).await;
    let zoe = patient(&server, &admin, json!({})).await;
    let start = london(c.monday, "10:00");
    let booked = server.post("/api/v1/appointments", &admin, book_body(&c, zoe, c.consult, &start)).await;
    assert_eq!(booked.status, StatusCode::CREATED, "{:?}", booked.body);

    wait_for_mails(&server, &smtp, 1).await;
    let mail = &smtp.mails()[0];
    assert_eq!(mail.to, ["zoe@example.test"]);
    assert_eq!(mail.header("Subject").unwrap(), format!("Your appointment on {} at 10:00", long_date(c.monday)));
    assert!(mail.data.contains("Hello Zoë") || mail.data.contains("Hello Zo"), "{}", mail.data);
    assert!(
        mail.data.contains("BEGIN:VCALENDAR") && mail.data.contains("BEGIN:VEVENT"),
        "an .ics invite: {}",
        mail.data
    );
    assert!(mail.data.contains(&format!("appointment-{}@clinicbox", booked.body["id"])));
    let message_id = mail.header("Message-ID").unwrap();
    assert!(message_id.starts_with("<message-") && message_id.ends_with("@clinicbox>"), "{message_id}");

    // 24 hours before, then 2 hours before: one reminder each, and nothing after.
    let visit = at(&start);
    move_clock_to(&server, visit - Duration::hours(25)).await;
    assert_eq!(smtp.mails().len(), 1, "no reminder before its time");
    move_clock_to(&server, visit - Duration::hours(24) + Duration::minutes(1)).await;
    wait_for_mails(&server, &smtp, 2).await;
    assert!(smtp.mails()[1].header("Subject").unwrap().starts_with("Reminder: your appointment on"));
    move_clock_to(&server, visit - Duration::hours(2) + Duration::minutes(1)).await;
    wait_for_mails(&server, &smtp, 3).await;
    move_clock_to(&server, visit + Duration::hours(1)).await;
    assert_eq!(smtp.mails().len(), 3, "each reminder once");

    let admin = server.login(ADMIN_EMAIL, PASSWORD).await;
    let sent = messages(&server, &admin, &format!("patient_id={zoe}")).await;
    let templates: Vec<&str> = sent.iter().map(|m| m["template"].as_str().unwrap()).collect();
    assert_eq!(templates, ["reminder", "reminder", "confirmation"], "newest first");
    assert!(sent.iter().all(|m| m["status"] == "sent" && m["attempts"] == 1 && m["channel"] == "email"), "{sent:?}");
}

fn long_date(date: chrono::NaiveDate) -> String {
    date.format("%A %-d %B %Y").to_string()
}

#[tokio::test]
async fn moving_an_appointment_moves_its_reminders_and_cancelling_cancels_them() {
    let smtp = SmtpStandIn::start().await;
    let (server, admin) = server_with(&smtp, None).await;
    let c = clinic(&server, &admin).await;
    let zoe = patient(&server, &admin, json!({})).await;
    let booked =
        server.post("/api/v1/appointments", &admin, book_body(&c, zoe, c.consult, &london(c.monday, "10:00"))).await;
    let id = booked.body["id"].as_i64().unwrap();
    let queued = |server: &TestServer| {
        server.count_rows_sql(&format!(
            "SELECT count(*) FROM jobs WHERE kind = 'appointment.reminder' AND status = 'queued' AND appointment_id = {id}"
        ))
    };
    assert_eq!(queued(&server), 2, "24 h and 2 h");
    let moved_to = london(c.monday, "14:00");
    let moved = server
        .call(Method::PATCH, &format!("/api/v1/appointments/{id}"), Some(&admin), Some(json!({"start": moved_to})))
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{:?}", moved.body);
    let due: Vec<i64> = {
        let conn = rusqlite::Connection::open(server.app.config.db_path()).unwrap();
        let mut stmt = conn
            .prepare(&format!("SELECT due_at FROM jobs WHERE kind = 'appointment.reminder' AND status = 'queued' AND appointment_id = {id} ORDER BY due_at"))
            .unwrap();
        stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
    };
    let visit = at(&moved_to);
    assert_eq!(
        due,
        [(visit - Duration::hours(24)).timestamp_millis(), (visit - Duration::hours(2)).timestamp_millis()]
    );
    wait_for_mails(&server, &smtp, 2).await;
    assert!(smtp.mails()[1].header("Subject").unwrap().starts_with("Your appointment has moved to"));

    let cancelled = server
        .call(
            Method::POST,
            &format!("/api/v1/appointments/{id}/cancel"),
            Some(&admin),
            Some(json!({"reason": "Patient unwell"})),
        )
        .await;
    assert_eq!(cancelled.status, StatusCode::OK, "{:?}", cancelled.body);
    assert_eq!(queued(&server), 0, "cancelled with the appointment");
    wait_for_mails(&server, &smtp, 3).await;
    assert!(smtp.mails()[2].header("Subject").unwrap().ends_with("is cancelled"));
    move_clock_to(&server, visit - Duration::hours(2) + Duration::minutes(5)).await;
    assert_eq!(smtp.mails().len(), 3, "no reminder for a cancelled visit");
}

#[tokio::test]
async fn a_stopped_mail_server_never_slows_a_booking_and_a_message_retries_until_dead() {
    let smtp = SmtpStandIn::start().await;
    smtp.refuse(true);
    let (server, admin) = server_with(&smtp, None).await;
    let c = clinic(&server, &admin).await;
    server.staff_member(&admin, "mo@clinic.test", "manager").await;
    let zoe = patient(&server, &admin, json!({})).await;
    let began = std::time::Instant::now();
    let booked =
        server.post("/api/v1/appointments", &admin, book_body(&c, zoe, c.consult, &london(c.monday, "10:00"))).await;
    assert_eq!(booked.status, StatusCode::CREATED);
    assert!(began.elapsed() < std::time::Duration::from_secs(2), "the booking does not wait for the mail server");
    server
        .eventually("the first try fails", || async {
            server.count_rows_sql("SELECT count(*) FROM outbound_messages WHERE status = 'failed' AND attempts = 1")
                == 1
        })
        .await;
    let failed = messages(&server, &admin, "status=failed").await;
    assert!(failed[0]["last_error"].as_str().unwrap().contains("try again later"), "{failed:?}");

    // Each retry waits longer; after the sixth try the message is dead and the desk is told.
    for _ in 0..8 {
        server.advance(Duration::hours(1));
        tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    }
    server
        .eventually("the message dies", || async {
            server.advance(Duration::hours(1));
            server.count_rows_sql("SELECT count(*) FROM outbound_messages WHERE status = 'dead' AND attempts = 6") == 1
        })
        .await;
    let manager = server.login("mo@clinic.test", PASSWORD).await;
    let told = server.get("/api/v1/notifications", &manager).await.body;
    assert_eq!(told["data"][0]["type"], "message.failed", "{told:?}");
    assert_eq!(told["data"][0]["link"], format!("/patients/{zoe}"));
    assert!(smtp.mails().is_empty());
}

#[tokio::test]
async fn a_restart_between_booking_and_sending_sends_once() {
    let smtp = SmtpStandIn::start().await;
    smtp.refuse(true);
    let (mut server, admin) = server_with(&smtp, None).await;
    let c = clinic(&server, &admin).await;
    let zoe = patient(&server, &admin, json!({})).await;
    let booked =
        server.post("/api/v1/appointments", &admin, book_body(&c, zoe, c.consult, &london(c.monday, "10:00"))).await;
    assert_eq!(booked.status, StatusCode::CREATED);
    server
        .eventually("the send is tried", || async {
            server.count_rows_sql("SELECT count(*) FROM jobs WHERE kind = 'message.send' AND attempts = 1") == 1
        })
        .await;
    let dir = server.data_dir();
    let clock = server.app.clock.now();
    server.shut_down().await;
    // As if the process died in the middle of the send.
    let conn = rusqlite::Connection::open(dir.join("clinicbox.db")).unwrap();
    conn.execute("UPDATE jobs SET status = 'running' WHERE kind = 'message.send'", []).unwrap();
    drop(conn);
    smtp.refuse(false);
    let url = smtp.url();
    let restarted = TestServer::restart_configured_at(&dir, clock + Duration::minutes(5), move |config| {
        config.smtp_url = Some(clinicbox::config::Redacted(url));
        config.smtp_from = Some("desk@riverside.test".into());
    })
    .await;
    wait_for_mails(&restarted, &smtp, 1).await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(smtp.mails().len(), 1, "sent once after the restart");
    assert_eq!(restarted.count_rows_sql("SELECT count(*) FROM outbound_messages WHERE status = 'sent'"), 1);
}

#[tokio::test]
async fn texts_go_to_the_gateway_signed_and_only_on_the_channels_a_patient_agreed_to() {
    let smtp = SmtpStandIn::start().await;
    let gateway = HttpReceiver::start().await;
    let (server, admin) = server_with(&smtp, Some(&gateway)).await;
    let c = clinic(&server, &admin).await;
    let texts_only =
        patient(&server, &admin, json!({"contact_preferences": {"email": false, "sms": true, "whatsapp": false}}))
            .await;
    let record = server.get(&format!("/api/v1/patients/{texts_only}"), &admin).await.body;
    assert_eq!(record["contact_preferences"], json!({"email": false, "sms": true, "whatsapp": false}));
    let booked = server
        .post("/api/v1/appointments", &admin, book_body(&c, texts_only, c.consult, &london(c.monday, "10:00")))
        .await;
    let id = booked.body["id"].as_i64().unwrap();
    server.eventually("the gateway is sent the text", || async { !gateway.received().is_empty() }).await;
    let sent = &gateway.received()[0];
    let body: Value = serde_json::from_slice(&sent.body).unwrap();
    assert_eq!((body["channel"].as_str(), body["to"].as_str()), (Some("sms"), Some("+447700900123")));
    assert_eq!((body["template"].as_str(), body["appointment_id"].as_i64()), (Some("confirmation"), Some(id)));
    assert!(body["body"].as_str().unwrap().contains("10:00"), "{body}");
    assert!(body["id"].as_str().unwrap().starts_with("message-"));
    // The signature is HMAC-SHA256 of the exact bytes with the shared secret.
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(GATEWAY_SECRET.as_bytes()).unwrap();
    mac.update(&sent.body);
    assert_eq!(
        sent.signature.as_deref(),
        Some(format!("sha256={}", hex::encode(mac.finalize().into_bytes())).as_str())
    );
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    assert!(smtp.mails().is_empty(), "no email for a patient who opted out of it");

    // A gateway that refuses is retried.
    gateway.answer(503);
    let emails_off = patient(
        &server,
        &admin,
        json!({"given_name": "Kofi", "phone": "07700 900124", "contact_preferences": {"email": false, "sms": false, "whatsapp": true}}),
    )
    .await;
    server.post("/api/v1/appointments", &admin, book_body(&c, emails_off, c.consult, &london(c.monday, "11:00"))).await;
    server
        .eventually("the refused text is recorded", || async {
            server.count_rows_sql(
                "SELECT count(*) FROM outbound_messages WHERE channel = 'whatsapp' AND status = 'failed'",
            ) == 1
        })
        .await;
    gateway.answer(202);
    server
        .eventually("the retry goes", || async {
            // The retry is due 30 s after the failure was recorded, whenever that was.
            server.advance(Duration::seconds(20));
            server
                .count_rows_sql("SELECT count(*) FROM outbound_messages WHERE channel = 'whatsapp' AND status = 'sent'")
                == 1
        })
        .await;
    // Nobody opted in: the record has no messages at all.
    let silent = patient(
        &server,
        &admin,
        json!({"given_name": "Ama", "phone": "07700 900125", "contact_preferences": {"email": false, "sms": false, "whatsapp": false}}),
    )
    .await;
    server.post("/api/v1/appointments", &admin, book_body(&c, silent, c.consult, &london(c.monday, "13:00"))).await;
    tokio::time::sleep(std::time::Duration::from_millis(1000)).await;
    assert!(messages(&server, &admin, &format!("patient_id={silent}")).await.is_empty());
}

#[tokio::test]
async fn reminder_settings_are_checked_and_quiet_hours_move_a_reminder() {
    let smtp = SmtpStandIn::start().await;
    let (server, admin) = server_with(&smtp, None).await;
    let c = clinic(&server, &admin).await;
    let (_, front_desk) = server.staff_member(&admin, "fd@clinic.test", "front_desk").await;
    let settings = server.get("/api/v1/settings/notifications", &front_desk).await.body;
    assert_eq!(settings["reminder_hours_before"], json!([24, 2]));
    assert_eq!(settings["channels"], json!({"email": true, "sms": false, "whatsapp": false}));
    let path = "/api/v1/settings/notifications";
    assert_eq!(
        server.patch(path, &front_desk, json!({"reminder_hours_before": [3]})).await.status,
        StatusCode::FORBIDDEN
    );
    let zero = server.patch(path, &admin, json!({"reminder_hours_before": [0]})).await;
    assert_eq!(zero.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", zero.body);
    let five = server.patch(path, &admin, json!({"reminder_hours_before": [1, 2, 3, 4, 5]})).await;
    assert_eq!(five.status, StatusCode::UNPROCESSABLE_ENTITY);
    let same = server.patch(path, &admin, json!({"quiet_hours": {"start": "21:00", "end": "21:00"}})).await;
    assert_eq!(same.field_error("quiet_hours.end"), Some("must differ from start"));
    let changed = server
        .patch(path, &admin, json!({"reminder_hours_before": [2], "quiet_hours": {"start": "21:00", "end": "08:00"}}))
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{:?}", changed.body);
    assert_eq!(changed.body["quiet_hours"], json!({"start": "21:00", "end": "08:00"}));

    // A 09:00 visit: two hours before is 07:00, quiet; the reminder waits for 08:00.
    let zoe = patient(&server, &admin, json!({})).await;
    let start = london(c.monday, "09:00");
    let booked = server.post("/api/v1/appointments", &admin, book_body(&c, zoe, c.consult, &start)).await;
    let id = booked.body["id"].as_i64().unwrap();
    let due = server.count_rows_sql(&format!(
        "SELECT due_at FROM jobs WHERE kind = 'appointment.reminder' AND appointment_id = {id} AND status = 'queued'"
    ));
    assert_eq!(due, at(&london(c.monday, "08:00")).timestamp_millis());
    let audited = server.count_rows_sql("SELECT count(*) FROM audit_log WHERE action = 'settings.notifications'");
    assert_eq!(audited, 1);
}

#[tokio::test]
async fn staff_hear_in_the_app_of_what_others_did_for_them_and_read_only_their_own() {
    let smtp = SmtpStandIn::start().await;
    let (server, admin) = server_with(&smtp, None).await;
    let c = clinic(&server, &admin).await;
    let (ada_staff, ada) = server.staff_member(&admin, "ada@clinic.test", "clinician").await;
    let (_, front_desk) = server.staff_member(&admin, "fd@clinic.test", "front_desk").await;
    let linked =
        server.patch(&format!("/api/v1/clinicians/{}", c.clinician), &admin, json!({"staff_id": ada_staff})).await;
    assert_eq!(linked.status, StatusCode::OK);
    let zoe = patient(&server, &admin, json!({})).await;
    server.post("/api/v1/appointments", &front_desk, book_body(&c, zoe, c.consult, &london(c.monday, "10:00"))).await;
    server.post("/api/v1/appointments", &ada, book_body(&c, zoe, c.consult, &london(c.monday, "11:00"))).await;

    let count = server.get("/api/v1/notifications/unread-count", &ada).await.body;
    assert_eq!(count["unread"], 1, "her own booking is not news to her");
    let listed = server.get("/api/v1/notifications?unread_only=true", &ada).await.body;
    let first = &listed["data"][0];
    assert_eq!(
        (first["type"].as_str(), first["title"].as_str()),
        (Some("appointment.created"), Some("New booking: Zoë Okafor"))
    );
    assert!(first["link"].as_str().unwrap().starts_with("/calendar?date="));
    let id = first["id"].as_i64().unwrap();
    let someone_else = server.post(&format!("/api/v1/notifications/{id}/read"), &front_desk, json!({})).await;
    assert_eq!(someone_else.status, StatusCode::NOT_FOUND, "another person's notification is not there for them");
    let read = server.post(&format!("/api/v1/notifications/{id}/read"), &ada, json!({})).await;
    assert!(read.body["read_at"].is_string());
    assert_eq!(server.get("/api/v1/notifications/unread-count", &ada).await.body["unread"], 0);

    // A PHQ-9 risk answer reaches the patient's clinician.
    let answers = json!({"questionnaire": "phq-9", "answers": [0, 0, 0, 0, 0, 0, 0, 0, 2]});
    let (_, manager) = server.staff_member(&admin, "mo@clinic.test", "manager").await;
    let entered = server.post(&format!("/api/v1/patients/{zoe}/questionnaire-responses"), &manager, answers).await;
    assert_eq!(entered.status, StatusCode::CREATED);
    let listed = server.get("/api/v1/notifications", &ada).await.body;
    assert_eq!(listed["data"][0]["type"], "questionnaire.risk");
    assert_eq!(listed["data"][0]["title"], "Self-harm risk: Zoë Okafor");
    assert_eq!(listed["data"][0]["link"], format!("/patients/{zoe}"));
    let all = server.post("/api/v1/notifications/read-all", &ada, json!({})).await;
    assert_eq!(all.body["unread"], 0);
    let key = server.post("/api/v1/api-keys", &admin, json!({"name": "integration", "role": "clinician"})).await;
    let key = key.body["key"].as_str().unwrap().to_owned();
    assert_eq!(server.get("/api/v1/notifications", &key).await.status, StatusCode::FORBIDDEN, "an API key has none");
}

#[tokio::test]
async fn an_admin_tests_a_channel_and_hears_how_it_went() {
    let smtp = SmtpStandIn::start().await;
    let (server, admin) = server_with(&smtp, None).await;
    let path = "/api/v1/admin/notifications/test";
    let sent = server.post(path, &admin, json!({"channel": "email", "to": "owner@riverside.test"})).await;
    assert_eq!(sent.status, StatusCode::OK, "{:?}", sent.body);
    assert_eq!(sent.body["delivered"], true);
    assert_eq!(smtp.mails()[0].to, ["owner@riverside.test"]);
    smtp.refuse(true);
    let refused = server.post(path, &admin, json!({"channel": "email", "to": "owner@riverside.test"})).await;
    assert_eq!(refused.body["delivered"], false);
    assert!(refused.body["error"].as_str().unwrap().contains("try again later"), "{:?}", refused.body);
    let texts = server.post(path, &admin, json!({"channel": "sms", "to": "07700 900123"})).await;
    assert_eq!(texts.body["delivered"], false);
    assert!(texts.body["error"].as_str().unwrap().contains("not set up"), "{:?}", texts.body);
    let bad = server.post(path, &admin, json!({"channel": "email", "to": "not an address"})).await;
    assert_eq!(bad.field_error("to"), Some("is not an email address"));
    let _ = next_monday;
}

#[tokio::test]
async fn a_manager_rewords_a_message_and_unknown_placeholders_are_refused() {
    let smtp = SmtpStandIn::start().await;
    let (server, admin) = server_with(&smtp, None).await;
    let c = clinic(&server, &admin).await;
    let (_, manager) = server.staff_member(&admin, "mo@clinic.test", "manager").await;
    let (_, front_desk) = server.staff_member(&admin, "fd@clinic.test", "front_desk").await;
    let path = "/api/v1/settings/templates/confirmation";
    let built_in = server.get(path, &front_desk).await.body;
    assert_eq!(built_in["custom"], false);
    assert!(built_in["placeholders"].as_array().unwrap().contains(&json!("start_local")));
    assert_eq!(server.get("/api/v1/settings/templates/birthday", &admin).await.status, StatusCode::NOT_FOUND);
    let wording = json!({"subject": "See you {start_local}", "email_body": "Dear {patient_first_name}, {clinician} expects you {start_local}.", "text_body": "See you {start_local}"});
    let by_desk = server.call(Method::PUT, path, Some(&front_desk), Some(wording.clone())).await;
    assert_eq!(by_desk.status, StatusCode::FORBIDDEN);
    let mut bad = wording.clone();
    bad["email_body"] = json!("Dear {first_name}");
    bad["text_body"] = json!("  ");
    let refused = server.call(Method::PUT, path, Some(&manager), Some(bad)).await;
    assert!(
        refused.field_error("email_body").unwrap().starts_with("uses the unknown placeholder {first_name}"),
        "{:?}",
        refused.body
    );
    assert_eq!(refused.field_error("text_body"), Some("must not be empty"));
    let saved = server.call(Method::PUT, path, Some(&manager), Some(wording)).await;
    assert_eq!((saved.status, saved.body["custom"].as_bool()), (StatusCode::OK, Some(true)), "{:?}", saved.body);

    let zoe = patient(&server, &admin, json!({})).await;
    server.post("/api/v1/appointments", &admin, book_body(&c, zoe, c.consult, &london(c.monday, "10:00"))).await;
    wait_for_mails(&server, &smtp, 1).await;
    let mail = &smtp.mails()[0];
    assert_eq!(mail.header("Subject").unwrap(), format!("See you {} at 10:00", long_date(c.monday)));
    assert!(mail.data.contains("Dr Ada Osei expects you"), "{}", mail.data);
}

#[tokio::test]
async fn with_twilio_set_up_texts_go_through_its_messages_api() {
    let twilio = HttpReceiver::start().await;
    twilio.answer(201);
    let base = twilio.base.clone();
    let server = TestServer::start_configured_at(at("2026-03-04T09:00:00Z"), move |config| {
        config.twilio = Some(clinicbox::config::Twilio {
            account_sid: "AC123".into(),
            auth_token: clinicbox::config::Redacted("token-456".into()),
            from: "+441234567890".into(),
            base_url: base,
        });
    })
    .await;
    server.setup_admin().await;
    let admin = server.login(ADMIN_EMAIL, PASSWORD).await;
    let c = clinic(&server, &admin).await;
    let settings = server.get("/api/v1/settings/notifications", &admin).await.body;
    assert_eq!(settings["channels"], json!({"email": false, "sms": true, "whatsapp": true}));
    let kofi =
        patient(&server, &admin, json!({"contact_preferences": {"email": true, "sms": false, "whatsapp": true}})).await;
    let booked =
        server.post("/api/v1/appointments", &admin, book_body(&c, kofi, c.consult, &london(c.monday, "10:00"))).await;
    assert_eq!(booked.status, StatusCode::CREATED, "{:?}", booked.body);
    server.eventually("Twilio is sent the message", || async { !twilio.received().is_empty() }).await;
    let sent = &twilio.received()[0];
    assert_eq!(sent.path, "/2010-04-01/Accounts/AC123/Messages.json");
    // Basic base64("AC123:token-456").
    assert_eq!(sent.authorization.as_deref(), Some("Basic QUMxMjM6dG9rZW4tNDU2"));
    let form = String::from_utf8(sent.body.clone()).unwrap();
    assert!(
        form.contains("To=whatsapp%3A%2B447700900123") && form.contains("From=whatsapp%3A%2B441234567890"),
        "{form}"
    );
    assert!(form.contains("Body="), "{form}");
    // Email is wanted but not set up: only the WhatsApp message exists.
    let sent = messages(&server, &admin, &format!("patient_id={kofi}")).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["channel"], "whatsapp");
}

#[tokio::test]
async fn patients_get_the_wording_in_their_language_else_the_clinics_usual_one() {
    let smtp = SmtpStandIn::start().await;
    let (server, admin) = server_with(&smtp, None).await;
    let c = clinic(&server, &admin).await;
    let (_, manager) = server.staff_member(&admin, "mo@clinic.test", "manager").await;
    let (_, front_desk) = server.staff_member(&admin, "fd@clinic.test", "front_desk").await;
    let path = "/api/v1/settings/templates/confirmation";
    let put = |language: &str, subject: &str, text: &str| {
        let query = if language.is_empty() { String::new() } else { format!("?language={language}") };
        let body = json!({"subject": subject, "email_body": text, "text_body": text});
        (format!("{path}{query}"), body)
    };
    let (usual, body) = put("", "Usual {start_local}", "Hello {patient_first_name}");
    assert_eq!(server.call(Method::PUT, &usual, Some(&manager), Some(body)).await.status, StatusCode::OK);
    let (welsh, body) = put("CY", "Croeso {start_date} am {start_time}", "Helo {patient_first_name}");
    let saved = server.call(Method::PUT, &welsh, Some(&manager), Some(body)).await;
    assert_eq!((saved.status, saved.body["language"].as_str()), (StatusCode::OK, Some("cy")), "{:?}", saved.body);
    let (portuguese, body) = put("pt", "Ola {start_time}", "Ola {patient_first_name}");
    assert_eq!(server.call(Method::PUT, &portuguese, Some(&manager), Some(body)).await.status, StatusCode::OK);

    let (not_a_tag, body) = put("english", "Hi", "Hi");
    let refused = server.call(Method::PUT, &not_a_tag, Some(&manager), Some(body)).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.field_error("language").is_some(), "{:?}", refused.body);
    let (_, body) = put("fr", "Bonjour {prenom}", "Bonjour");
    let refused = server.call(Method::PUT, &format!("{path}?language=fr"), Some(&manager), Some(body)).await;
    assert!(refused.field_error("subject").unwrap().contains("{prenom}"), "{:?}", refused.body);
    let french = server.get(&format!("{path}?language=fr"), &manager).await.body;
    assert_eq!((french["subject"].as_str(), french["wording_language"].is_null()), (Some("Usual {start_local}"), true));

    let brazilian = server.get(&format!("{path}?language=pt-br"), &front_desk).await.body;
    assert_eq!(brazilian["language"], "pt-BR");
    assert_eq!(brazilian["wording_language"], "pt");
    assert_eq!(brazilian["subject"], "Ola {start_time}");
    assert_eq!(brazilian["translations"], json!(["cy", "pt"]));

    let refused = server
        .call(
            Method::POST,
            "/api/v1/patients",
            Some(&admin),
            Some(json!({"given_name": "Kai", "family_name": "Tane", "preferred_language": "klingon!"})),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.field_error("preferred_language").is_some(), "{:?}", refused.body);
    let dylan = patient(
        &server,
        &admin,
        json!({"given_name": "Dylan", "family_name": "Rees", "email": "dylan@example.test", "phone": "07700 900201", "preferred_language": "CY"}),
    )
    .await;
    assert_eq!(server.get(&format!("/api/v1/patients/{dylan}"), &admin).await.body["preferred_language"], "cy");
    let bia = patient(
        &server,
        &admin,
        json!({"given_name": "Bia", "family_name": "Souza", "email": "bia@example.test", "phone": "07700 900202", "preferred_language": "pt-br"}),
    )
    .await;
    let amelie = patient(
        &server,
        &admin,
        json!({"given_name": "Amelie", "family_name": "Roux", "email": "amelie@example.test", "phone": "07700 900203", "preferred_language": "fr"}),
    )
    .await;
    for (who, time) in [(dylan, "09:00"), (bia, "10:00"), (amelie, "11:00")] {
        let booked =
            server.post("/api/v1/appointments", &admin, book_body(&c, who, c.consult, &london(c.monday, time))).await;
        assert_eq!(booked.status, StatusCode::CREATED, "{:?}", booked.body);
    }
    wait_for_mails(&server, &smtp, 3).await;
    let subject_to = |address: &str| {
        let mails = smtp.mails();
        let mail = mails.iter().find(|m| m.to.iter().any(|t| t == address)).expect(address).clone();
        mail.header("Subject").unwrap().to_owned()
    };
    assert_eq!(subject_to("dylan@example.test"), format!("Croeso {} am 09:00", c.monday.format("%Y-%m-%d")));
    assert_eq!(subject_to("bia@example.test"), "Ola 10:00");
    assert_eq!(subject_to("amelie@example.test"), format!("Usual {} at 11:00", long_date(c.monday)));

    let cleared = server.patch(&format!("/api/v1/patients/{bia}"), &admin, json!({"preferred_language": null})).await;
    assert!(cleared.body.get("preferred_language").is_none(), "{:?}", cleared.body);

    let welsh_path = format!("{path}?language=cy");
    assert_eq!(server.call(Method::DELETE, &welsh_path, Some(&front_desk), None).await.status, StatusCode::FORBIDDEN);
    let forgotten = server.call(Method::DELETE, &welsh_path, Some(&manager), None).await;
    assert_eq!(forgotten.status, StatusCode::OK, "{:?}", forgotten.body);
    assert_eq!(forgotten.body["subject"], "Usual {start_local}");
    assert_eq!(forgotten.body["translations"], json!(["pt"]));
    let again = server.call(Method::DELETE, &welsh_path, Some(&manager), None).await;
    assert_eq!(again.body["subject"], "Usual {start_local}");
    let built_in = server.call(Method::DELETE, path, Some(&manager), None).await.body;
    assert_eq!((built_in["custom"].as_bool(), built_in["translations"].clone()), (Some(false), json!(["pt"])));
    let audit = server.get("/api/v1/audit?entity=settings", &admin).await.body;
    let removals: Vec<&Value> =
        audit["data"].as_array().unwrap().iter().filter(|e| e["action"] == "settings.template_removed").collect();
    // The second Welsh removal found nothing to forget and is not recorded.
    assert_eq!(removals.len(), 2, "{audit:?}");
    assert_eq!(removals[1]["details"], json!({"event": "confirmation", "language": "cy"}));
}
