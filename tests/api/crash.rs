//! A crash in the middle of a burst of mixed writes, which the writer
//! commits in groups: every acknowledged write survives, and no write
//! survives in part.

use std::sync::{Arc, Mutex};

use chrono::{Duration, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::cli::{new_clinic, sign_in, start_binary, wait_ready};

async fn post(client: &reqwest::Client, base: &str, token: &str, path: &str, body: Value) -> Value {
    let reply = client.post(format!("{base}/api/v1{path}")).bearer_auth(token).json(&body).send().await.unwrap();
    assert_eq!(reply.status(), StatusCode::CREATED, "{path}");
    reply.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_mid_burst_keeps_every_acknowledged_write_whole_and_no_half_of_any() {
    let dir = new_clinic();
    let (mut child, base) = start_binary(dir.path());
    let client = reqwest::Client::new();
    wait_ready(&client, &base).await;
    let token = sign_in(&client, &base).await;
    let centre = post(&client, &base, &token, "/centres", json!({"name": "Main", "timezone": "UTC"})).await;
    let clinician =
        post(&client, &base, &token, "/clinicians", json!({"display_name": "Dr Crash", "centre_ids": [centre["id"]]}))
            .await;
    let service = json!({"name": "Visit", "duration_minutes": 15, "price": {"amount_minor": 100, "currency": "GBP"},
                         "modality": "in_person", "clinician_ids": [clinician["id"]]});
    let service = post(&client, &base, &token, "/services", service).await;
    let rules: Vec<Value> =
        (1..=7).map(|d| json!({"weekday": d, "start": "00:00", "end": "24:00", "centre_id": centre["id"]})).collect();
    let hours = client
        .put(format!("{base}/api/v1/clinicians/{}/availability", clinician["id"]))
        .bearer_auth(&token)
        .json(&rules)
        .send()
        .await
        .unwrap();
    assert_eq!(hours.status(), StatusCode::OK);
    let patient =
        post(&client, &base, &token, "/patients", json!({"given_name": "Burst", "family_name": "Booked"})).await;

    // Writers of patients and of bookings (each a distinct slot), all at once.
    let patients = Arc::new(Mutex::new(Vec::new()));
    let bookings = Arc::new(Mutex::new(Vec::new()));
    // The binary runs on the real clock, so its bookings are days from now.
    let now: chrono::DateTime<Utc> = std::time::SystemTime::now().into();
    let first_slot = (now + Duration::days(2)).date_naive().and_hms_opt(0, 0, 0).unwrap().and_utc();
    let mut writers = Vec::new();
    for writer in 0..6 {
        let (client, base, token) = (client.clone(), base.clone(), token.clone());
        let (patients, bookings) = (patients.clone(), bookings.clone());
        let (service, clinician, patient) = (service["id"].clone(), clinician["id"].clone(), patient["id"].clone());
        writers.push(tokio::spawn(async move {
            for n in 0..5_000 {
                let (path, body) = if writer % 2 == 0 {
                    ("/patients", json!({"given_name": format!("Crash{writer}x{n}"), "family_name": "Burst"}))
                } else {
                    let start = first_slot + Duration::minutes(15 * (n * 3 + writer / 2) as i64);
                    let body = json!({"patient_id": patient, "service_id": service, "clinician_id": clinician,
                                      "start": start.to_rfc3339()});
                    ("/appointments", body)
                };
                let Ok(reply) =
                    client.post(format!("{base}/api/v1{path}")).bearer_auth(&token).json(&body).send().await
                else {
                    break;
                };
                if reply.status() != StatusCode::CREATED {
                    break;
                }
                let Ok(created) = reply.json::<Value>().await else { break };
                let id = created["id"].as_i64().unwrap();
                if writer % 2 == 0 { patients.lock().unwrap().push(id) } else { bookings.lock().unwrap().push(id) }
            }
        }));
    }
    while patients.lock().unwrap().len() < 60 || bookings.lock().unwrap().len() < 60 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    child.kill().unwrap(); // SIGKILL mid-burst
    child.wait().unwrap();
    for writer in writers {
        writer.await.unwrap();
    }

    let conn = rusqlite::Connection::open(dir.path().join("clinicbox.db")).unwrap();
    let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
    for id in patients.lock().unwrap().iter() {
        assert_eq!(count(&format!("SELECT count(*) FROM patients WHERE id = {id}")), 1, "acknowledged patient {id}");
    }
    for id in bookings.lock().unwrap().iter() {
        assert_eq!(
            count(&format!("SELECT count(*) FROM appointments WHERE id = {id}")),
            1,
            "acknowledged booking {id}"
        );
    }
    // Whatever was committed, acknowledged or not, is whole.
    let half_patients = "SELECT count(*) FROM patients p WHERE NOT EXISTS (SELECT 1 FROM audit_log a
                         WHERE a.action = 'patient.create' AND a.entity_id = p.id)
                         OR NOT EXISTS (SELECT 1 FROM changes c WHERE c.entity = 'patient' AND c.entity_id = p.id)";
    assert_eq!(count(half_patients), 0, "a patient without its audit row or change");
    let half_bookings = "SELECT count(*) FROM appointments a WHERE NOT EXISTS (SELECT 1 FROM appointment_attendees t
                         WHERE t.appointment_id = a.id)
                         OR NOT EXISTS (SELECT 1 FROM audit_log l WHERE l.action = 'appointment.create' AND l.entity_id = a.id)";
    assert_eq!(count(half_bookings), 0, "a booking without its attendee or audit row");
    assert!(count("SELECT count(*) FROM appointments") >= 60);
    drop(conn);

    // And the restarted server serves it and checks clean.
    let (mut child, base) = start_binary(dir.path());
    wait_ready(&client, &base).await;
    child.kill().unwrap();
    child.wait().unwrap();
    let (ok, out, err) = crate::cli::run(&["check", "--data", dir.path().to_str().unwrap()], None);
    assert!(ok, "{out}{err}");
}
