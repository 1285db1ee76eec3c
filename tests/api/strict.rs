//! Values read back from the database are parsed strictly: a bad stored
//! value is an error (500, logged with its row), never a silent default.

use reqwest::StatusCode;
use serde_json::json;

use crate::harness::TestServer;

/// Writes `value` into `table.column` of row `id` behind the server's back,
/// past the schema's CHECK constraints (as a hand edit or a newer version would).
fn corrupt(server: &TestServer, table: &str, column: &str, id: i64, value: &str) {
    let conn = rusqlite::Connection::open(server.app.config.db_path()).unwrap();
    conn.pragma_update(None, "ignore_check_constraints", "ON").unwrap();
    let changed = conn.execute(&format!("UPDATE {table} SET {column} = ?1 WHERE id = ?2"), (value, id)).unwrap();
    assert_eq!(changed, 1, "{table} {id}");
}

#[tokio::test]
async fn a_bad_stored_value_is_an_error_and_never_a_default() {
    let (server, admin) = TestServer::with_admin().await;
    let (staff_id, _) = server.staff_token(&admin, "billing").await;
    let patient = server.create_patient(&admin, json!({"given_name": "Stored", "family_name": "Value"})).await;
    let patient = patient["id"].as_i64().unwrap();
    let centre = server.post("/api/v1/centres", &admin, json!({"name": "Main", "timezone": "Europe/London"})).await;
    let centre = centre.body["id"].as_i64().unwrap();
    let clinician =
        server.post("/api/v1/clinicians", &admin, json!({"display_name": "Dr A", "centre_ids": [centre]})).await;
    let clinician = clinician.body["id"].as_i64().unwrap();
    let service = server
        .post(
            "/api/v1/services",
            &admin,
            json!({"name": "Visit", "duration_minutes": 30, "price": {"amount_minor": 100, "currency": "GBP"},
                   "modality": "in_person", "clinician_ids": [clinician]}),
        )
        .await;
    let service = service.body["id"].as_i64().unwrap();

    // (what, table, column, row, bad value, the read that must fail)
    let staff_path = format!("/api/v1/staff/{staff_id}");
    let patient_path = format!("/api/v1/patients/{patient}");
    let centre_path = format!("/api/v1/centres/{centre}");
    let clinician_path = format!("/api/v1/clinicians/{clinician}");
    let service_path = format!("/api/v1/services/{service}");
    let cases: Vec<(&str, &str, i64, &str, &str)> = vec![
        ("staff", "role", staff_id, "superuser", &staff_path),
        ("patients", "sex", patient, "x", &patient_path),
        ("patients", "status", patient, "deleted", &patient_path),
        ("patients", "date_of_birth", patient, "31/12/1990", &patient_path),
        ("centres", "timezone", centre, "Mars/Olympus_Mons", &centre_path),
        ("clinicians", "specialties", clinician, "not json", &clinician_path),
        ("services", "modality", service, "telepathy", &service_path),
    ];
    let mut wrong = Vec::new();
    for (table, column, id, bad, path) in &cases {
        let before = server.get(path, &admin).await;
        assert_eq!(before.status, StatusCode::OK, "{table}.{column} reads before: {:?}", before.body);
        let original: String = {
            let conn = rusqlite::Connection::open(server.app.config.db_path()).unwrap();
            conn.query_row(&format!("SELECT coalesce({column}, '') FROM {table} WHERE id = ?1"), [id], |r| r.get(0))
                .unwrap()
        };
        corrupt(&server, table, column, *id, bad);
        let read = server.get(path, &admin).await;
        if (read.status, read.code()) != (StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL") {
            wrong.push(format!("{table}.{column} = {bad:?} read as {} {:?}", read.status, read.body));
        }
        assert!(!read.body.to_string().contains(bad), "the bad value stays in the log, not the answer");
        // Put it back so the next case reads only its own problem.
        let conn = rusqlite::Connection::open(server.app.config.db_path()).unwrap();
        let restore = if original.is_empty() { None } else { Some(original) };
        conn.execute(&format!("UPDATE {table} SET {column} = ?1 WHERE id = ?2"), (restore, id)).unwrap();
    }
    assert!(wrong.is_empty(), "every bad value must be an error: {wrong:#?}");
}

#[test]
fn the_error_names_the_table_row_and_column() {
    let conn = rusqlite::Connection::open_in_memory().unwrap();
    conn.execute_batch("CREATE TABLE staff (id INTEGER PRIMARY KEY, role TEXT); INSERT INTO staff VALUES (7, 'root');")
        .unwrap();
    let read = conn.query_row("SELECT id, role FROM staff", [], |row| {
        clinicbox::kit::sql::named_row("staff", row, |row| row.get::<_, clinicbox::kit::principal::Role>(1))
    });
    let message = read.unwrap_err().to_string();
    assert!(message.contains("staff row 7, column role") && message.contains("root"), "{message}");
}
