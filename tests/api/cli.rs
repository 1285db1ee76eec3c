//! The binary itself: commands, exit codes, and refusing a database it
//! does not understand.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;

use clinicbox::config::Config;
use clinicbox::kit::clock::SystemClock;
use reqwest::StatusCode;
use serde_json::json;

use crate::harness::{PASSWORD, TestServer};

const BIN: &str = env!("CARGO_BIN_EXE_clinicbox");

pub fn run(args: &[&str], stdin: Option<&str>) -> (bool, String, String) {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    }
    let output = child.wait_with_output().unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into(),
        String::from_utf8_lossy(&output.stderr).into(),
    )
}

#[test]
fn version_and_openapi_print_and_succeed() {
    let (ok, out, _) = run(&["version"], None);
    assert!(ok);
    assert_eq!(out.trim(), format!("clinicbox {}", env!("CARGO_PKG_VERSION")));
    let (ok, out, _) = run(&["openapi"], None);
    assert!(ok);
    let spec: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(spec["paths"]["/patients"].is_object());
}

#[test]
fn the_committed_openapi_document_matches_the_code() {
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json")).unwrap();
    let generated = clinicbox::server::openapi_json();
    assert!(
        committed.trim() == generated.trim(),
        "openapi.json is stale: run `cargo run -- openapi > openapi.json` and commit it"
    );
}

#[test]
fn failures_are_one_line_and_a_non_zero_exit() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let (ok, _, err) = run(
        &["admin", "create", "--data", data, "--email", "x@clinic.test", "--name", "X", "--password-stdin"],
        Some("short\n"),
    );
    assert!(!ok);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("password"), "{err}");
    assert!(!err.contains("panicked"));

    let (ok, _, err) = run(&["check", "--data", dir.path().join("absent").to_str().unwrap()], None);
    assert!(!ok);
    assert!(err.starts_with("clinicbox: no database"), "{err}");
    let (ok, _, err) = run(&["frobnicate"], None);
    assert!(!ok);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

#[tokio::test]
async fn admin_create_works_and_check_passes() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let (ok, out, err) = run(&["migrate", "--data", data], None);
    assert!(ok, "{err}");
    assert!(out.contains("applied"), "{out}");
    let (ok, out, err) = run(
        &["admin", "create", "--data", data, "--email", "Owner@Clinic.test", "--name", "Owner", "--password-stdin"],
        Some(&format!("{PASSWORD}\n")),
    );
    assert!(ok, "{err}");
    assert!(out.contains("owner@clinic.test"));
    let (ok, _, err) = run(
        &["admin", "create", "--data", data, "--email", "owner@clinic.test", "--name", "Again", "--password-stdin"],
        Some(&format!("{PASSWORD}\n")),
    );
    assert!(!ok);
    assert!(err.contains("already exists"), "{err}");
    let (ok, out, err) = run(&["check", "--data", data], None);
    assert!(ok, "{err}");
    assert!(out.starts_with("ok"));

    let server = TestServer::start_in(dir.path()).await;
    assert!(server.setup_token.is_none());
    let token = server.login("owner@clinic.test", PASSWORD).await;
    assert_eq!(server.get("/api/v1/auth/me", &token).await.body["role"], "admin");
}

#[test]
fn an_altered_or_newer_database_is_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    assert!(run(&["migrate", "--data", data], None).0);
    let db = Config::for_data_dir(dir.path()).db_path();
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute("UPDATE schema_migrations SET checksum = 'tampered' WHERE version = 1", []).unwrap();

    let opened = clinicbox::AppState::open(Config::for_data_dir(dir.path()), Arc::new(SystemClock));
    let message = opened.err().expect("refused").to_string();
    assert!(message.contains("differs"), "{message}");
    let (ok, _, err) = run(&["check", "--data", data], None);
    assert!(!ok);
    assert!(err.contains("differs"), "{err}");
    let (ok, _, err) = run(&["serve", "--data", data, "--listen", "127.0.0.1:0"], None);
    assert!(!ok);
    assert!(err.contains("differs") && !err.contains("panicked"), "{err}");

    let sum = clinicbox::db::migrations::checksum(clinicbox::db::migrations::MIGRATIONS[0].sql);
    conn.execute("UPDATE schema_migrations SET checksum = ?1 WHERE version = 1", [sum]).unwrap();
    conn.execute("INSERT INTO schema_migrations (version, name, checksum) VALUES (9999, '9999_future.sql', 'x')", [])
        .unwrap();
    let (ok, _, err) = run(&["migrate", "--data", data], None);
    assert!(!ok);
    assert!(err.contains("newer"), "{err}");
}

/// The binary end to end: a fresh directory, the printed setup link, the
/// first admin, then a clean stop on SIGTERM.
#[tokio::test]
async fn serve_prints_a_setup_link_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("new-clinic");
    let mut child = Command::new(BIN)
        .args(["serve", "--data", data.to_str().unwrap(), "--listen", "127.0.0.1:0"])
        .env("CLINICBOX_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let setup_url = loop {
        let line = lines.next().expect("server printed a setup link").unwrap();
        if let Some(start) = line.find("http://")
            && line.contains("/setup?token=")
        {
            break line[start..].trim().to_owned();
        }
    };
    let (base, token) = setup_url.split_once("/setup?token=").unwrap();
    assert!(token.len() >= 32);
    let client = reqwest::Client::new();
    let page = client.get(&setup_url).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let reply = client
        .post(format!("{base}/api/v1/setup"))
        .json(&json!({"token": token, "email": "owner@clinic.test", "name": "Owner", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::CREATED);
    assert!(data.join("clinicbox.db").exists());

    let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert!(status.success(), "graceful shutdown exits 0, got {status:?}");
}

pub fn start_binary(data: &std::path::Path) -> (std::process::Child, String) {
    let mut child = Command::new(BIN)
        .args(["serve", "--data", data.to_str().unwrap(), "--listen", "127.0.0.1:0"])
        .env("CLINICBOX_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = printed_address(&mut child);
    (child, base)
}

/// The address a starting server prints on its standard output.
pub fn printed_address(child: &mut std::process::Child) -> String {
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    loop {
        let line = lines.next().expect("the server printed its address").unwrap();
        if let Some(start) = line.find(" on http") {
            return line[start + 4..].trim().to_owned();
        }
    }
}

pub async fn wait_ready(client: &reqwest::Client, base: &str) {
    for _ in 0..200 {
        if let Ok(response) = client.get(format!("{base}/health/ready")).send().await
            && response.status() == StatusCode::OK
        {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("not ready");
}

pub async fn sign_in(client: &reqwest::Client, base: &str) -> String {
    let body = json!({"email": "owner@clinic.test", "password": PASSWORD});
    let tokens: serde_json::Value =
        client.post(format!("{base}/api/v1/auth/login")).json(&body).send().await.unwrap().json().await.unwrap();
    tokens["access_token"].as_str().unwrap().to_owned()
}

pub fn new_clinic() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let created = run(
        &["admin", "create", "--data", data, "--email", "owner@clinic.test", "--name", "Owner", "--password-stdin"],
        Some(&format!("{PASSWORD}\n")),
    );
    assert!(created.0, "{}", created.2);
    dir
}

/// A crash at any moment loses no acknowledged write, and the index
/// catches up with every one of them after the restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_keeps_every_acknowledged_write_and_reindexes_it() {
    let dir = new_clinic();
    let (mut child, base) = start_binary(dir.path());
    let client = reqwest::Client::new();
    wait_ready(&client, &base).await;
    let token = sign_in(&client, &base).await;

    let acknowledged = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let writer = {
        let (client, base, token, acknowledged) = (client.clone(), base.clone(), token.clone(), acknowledged.clone());
        tokio::spawn(async move {
            for n in 0..10_000 {
                let body = json!({"given_name": format!("Crash{n}"), "family_name": "Survivor"});
                let sent = client.post(format!("{base}/api/v1/patients")).bearer_auth(&token).json(&body).send().await;
                match sent {
                    Ok(response) if response.status() == StatusCode::CREATED => {
                        let patient: serde_json::Value = response.json().await.unwrap();
                        acknowledged.lock().unwrap().push((patient["id"].as_i64().unwrap(), format!("Crash{n}")));
                    }
                    _ => break,
                }
            }
        })
    };
    while acknowledged.lock().unwrap().len() < 40 {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    child.kill().unwrap(); // SIGKILL: no shutdown of any kind
    child.wait().unwrap();
    writer.await.unwrap();
    let acknowledged = acknowledged.lock().unwrap().clone();

    let (mut child, base) = start_binary(dir.path());
    wait_ready(&client, &base).await;
    let token = sign_in(&client, &base).await;
    for (id, name) in &acknowledged {
        let patient: serde_json::Value = client
            .get(format!("{base}/api/v1/patients/{id}"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(patient["given_name"].as_str(), Some(name.as_str()), "acknowledged patient {id} survived");
    }
    let mut missing = acknowledged.clone();
    for _ in 0..100 {
        let mut still = Vec::new();
        for (id, name) in missing {
            let hits: serde_json::Value = client
                .get(format!("{base}/api/v1/search?q={name}&limit=100"))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if !hits["data"].as_array().unwrap().iter().any(|h| h["id"] == id) {
                still.push((id, name));
            }
        }
        missing = still;
        if missing.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(missing.is_empty(), "not searchable after the restart: {missing:?}");
    child.kill().unwrap();
    child.wait().unwrap();
}

#[tokio::test]
async fn reindex_rebuilds_offline_and_refuses_while_the_server_runs() {
    let dir = new_clinic();
    let data = dir.path().to_str().unwrap();
    let (mut child, base) = start_binary(dir.path());
    let client = reqwest::Client::new();
    wait_ready(&client, &base).await;
    let (ok, _, err) = run(&["reindex", "--data", data], None);
    assert!(!ok);
    assert!(err.contains("in use") && err.contains("stop the server"), "{err}");
    Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    child.wait().unwrap();

    let (ok, out, err) = run(&["reindex", "--data", data], None);
    assert!(ok, "{err}");
    assert!(out.contains("rebuilt the search index: 1 documents"), "{out}");
    let (ok, out, _) = run(&["check", "--data", data], None);
    assert!(ok);
    assert!(out.contains("search index opens"), "{out}");
    std::fs::remove_dir_all(dir.path().join("index")).unwrap();
    let (ok, out, _) = run(&["check", "--data", data], None);
    assert!(ok, "a missing index is repaired at start, not an error");
    assert!(out.contains("will be rebuilt"), "{out}");
}

#[test]
fn every_operation_states_its_security_and_the_public_ones_are_the_unauthenticated_few() {
    let spec: serde_json::Value = serde_json::from_str(&clinicbox::server::openapi_json()).unwrap();
    assert_eq!(spec["info"]["license"]["name"], "Apache-2.0");
    let mut public = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let security = operation["security"].as_array().unwrap_or_else(|| panic!("{method} {path} says nothing"));
            if security.is_empty() {
                public.push(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    public.sort();
    assert_eq!(
        public,
        [
            "GET /calendar/{file}",
            "GET /public/appointments/{token}",
            "GET /public/clinicians",
            "GET /public/slots",
            "GET /setup",
            "POST /auth/login",
            "POST /auth/login/mfa",
            "POST /auth/refresh",
            "POST /auth/session",
            "POST /auth/session/mfa",
            "POST /public/appointments/{token}/cancel",
            "POST /setup",
        ]
    );
}

#[test]
fn no_operation_answers_a_bare_array_and_every_list_is_data() {
    let spec: serde_json::Value = serde_json::from_str(&clinicbox::server::openapi_json()).unwrap();
    let schemas = &spec["components"]["schemas"];
    let mut wrong = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            for (status, response) in operation["responses"].as_object().unwrap() {
                let Some(schema) = response["content"].as_object().and_then(|c| c.values().next()) else { continue };
                let schema = &schema["schema"];
                let resolved = match schema["$ref"].as_str() {
                    Some(reference) => &schemas[reference.trim_start_matches("#/components/schemas/")],
                    None => schema,
                };
                let properties = resolved["properties"].as_object();
                let lists: Vec<&String> = properties
                    .map(|p| p.iter().filter(|(_, v)| v["type"] == "array").map(|(k, _)| k).collect())
                    .unwrap_or_default();
                // A list under any other name than `data` ({slots: [...]}).
                let renamed_list = lists.len() == 1 && lists != ["data"] && properties.is_some_and(|p| p.len() == 1);
                if resolved["type"] == "array" || renamed_list {
                    wrong.push(format!("{method} {path} {status}"));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "lists answer {{data}}: {wrong:?}");
}

#[test]
fn every_response_declares_its_request_id_and_a_429_its_retry_after() {
    let spec: serde_json::Value = serde_json::from_str(&clinicbox::server::openapi_json()).unwrap();
    let mut wrong = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            for (status, response) in operation["responses"].as_object().unwrap() {
                let headers = &response["headers"];
                if headers["X-Request-Id"].is_null() || status == "429" && headers["Retry-After"].is_null() {
                    wrong.push(format!("{method} {path} {status}"));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:?}");
}

#[tokio::test]
async fn check_verifies_the_audit_chain_and_names_the_first_altered_or_removed_row() {
    let (server, token) = TestServer::with_admin().await;
    for name in ["Ann", "Ben", "Cat"] {
        server.create_patient(&token, json!({"given_name": name, "family_name": "Chain"})).await;
    }
    let dir = server.stop().await;
    let data = dir.path().to_str().unwrap();
    let (ok, out, err) = run(&["check", "--data", data], None);
    assert!(ok, "{err}");
    assert!(out.contains("hash chain holds"), "{out}");

    // Someone with the database file edits a row, bypassing the triggers.
    let db = dir.path().join("clinicbox.db");
    let conn = rusqlite::Connection::open(&db).unwrap();
    let rows: i64 = conn.query_row("SELECT count(*) FROM audit_log", [], |r| r.get(0)).unwrap();
    assert!(rows >= 5, "{rows}");
    conn.execute_batch(
        "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;
         UPDATE audit_log SET actor_email = 'someone-else@clinic.test' WHERE id = 3;",
    )
    .unwrap();
    let (ok, _, err) = run(&["check", "--data", data], None);
    assert!(!ok);
    assert!(err.contains("row 3 was changed"), "{err}");

    // Put it back and remove another row instead.
    let original: String = conn.query_row("SELECT email FROM staff WHERE id = 1", [], |r| r.get(0)).unwrap();
    conn.execute("UPDATE audit_log SET actor_email = ?1 WHERE id = 3", [original]).unwrap();
    assert!(run(&["check", "--data", data], None).0, "restored, the chain holds again");
    conn.execute("DELETE FROM audit_log WHERE id = 4", []).unwrap();
    let (ok, _, err) = run(&["check", "--data", data], None);
    assert!(!ok);
    assert!(err.contains("row 5 follows row 3: 1 row(s) before it were removed"), "{err}");
}

#[test]
fn every_operation_of_the_tables_is_in_the_spec_and_the_reverse() {
    let spec: serde_json::Value = serde_json::from_str(&clinicbox::server::openapi_json()).unwrap();
    let mut in_spec = Vec::new();
    for item in spec["paths"].as_object().unwrap().values() {
        for operation in item.as_object().unwrap().values() {
            in_spec.push(operation["operationId"].as_str().unwrap().to_owned());
        }
    }
    in_spec.sort();
    let mut tabled: Vec<String> = clinicbox::server::operations().iter().map(|op| op.id.to_owned()).collect();
    tabled.sort();
    // Two APIs sharing a path with different methods once dropped one of
    // them from the document while it still answered.
    assert_eq!(in_spec, tabled);
}

#[tokio::test]
async fn a_first_start_logs_one_plain_line_a_request_and_no_warning() {
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("stderr.log");
    let data = dir.path().join("clinic");
    let mut child = Command::new(BIN)
        .args(["serve", "--data", data.to_str().unwrap(), "--listen", "127.0.0.1:0"])
        .env_remove("CLINICBOX_LOG")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log_path).unwrap())
        .spawn()
        .unwrap();
    let base = printed_address(&mut child);
    let client = reqwest::Client::new();
    wait_ready(&client, &base).await;
    for path in ["/", "/app.js", "/health/live", "/api/v1/auth/session"] {
        client.get(format!("{base}{path}")).send().await.unwrap();
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    child.kill().unwrap();
    child.wait().unwrap();

    let log = std::fs::read_to_string(&log_path).unwrap();
    let count = |needle: &str| log.lines().filter(|l| l.contains(needle)).count();
    assert!(!log.contains('\u{1b}'), "no colour codes when not a terminal:\n{log}");
    assert_eq!(count(" WARN "), 0, "a normal first start warns of nothing:\n{log}");
    assert_eq!(count(" ERROR "), 0, "{log}");
    assert_eq!(count("listening"), 1, "{log}");
    assert_eq!(count("GET /api/v1/auth/session 401"), 1, "one line for the API call:\n{log}");
    for quiet in ["/app.js", "/health/", "GET / "] {
        assert_eq!(count(quiet), 0, "{quiet} is logged at debug only:\n{log}");
    }
}
