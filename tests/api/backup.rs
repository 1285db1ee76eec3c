use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::harness::{ADMIN_EMAIL, PASSWORD, TestServer};

const BIN: &str = env!("CARGO_BIN_EXE_clinicbox");

fn clinicbox(args: &[&str]) -> (bool, String, String) {
    let output = Command::new(BIN).args(args).output().unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into(),
        String::from_utf8_lossy(&output.stderr).into(),
    )
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn patient_ids(db: &Path) -> Vec<i64> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut stmt = conn.prepare("SELECT id FROM patients ORDER BY id").unwrap();
    stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_during_writes_restores_everything_acknowledged_before_it() {
    let (server, token) = TestServer::with_admin().await;
    let server = Arc::new(server);
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let running = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let writer = {
        let (server, token, acknowledged, running) =
            (server.clone(), token.clone(), acknowledged.clone(), running.clone());
        tokio::spawn(async move {
            let mut n = 0;
            while running.load(std::sync::atomic::Ordering::SeqCst) {
                let body = json!({"given_name": format!("Backup{n}"), "family_name": "Writer"});
                let reply = server.post("/api/v1/patients", &token, body).await;
                assert_eq!(reply.status, StatusCode::CREATED);
                acknowledged.lock().unwrap().push(reply.body["id"].as_i64().unwrap());
                n += 1;
            }
        })
    };
    while acknowledged.lock().unwrap().len() < 20 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let before_backup = acknowledged.lock().unwrap().clone();
    let target = tempfile::tempdir().unwrap();
    let dest = target.path().join("backup");
    let data = server.data_dir();
    let (ok, out, err) = {
        let (dest, data) = (dest.clone(), data.clone());
        tokio::task::spawn_blocking(move || clinicbox(&["backup", path(&dest), "--data", path(&data)])).await.unwrap()
    };
    running.store(false, std::sync::atomic::Ordering::SeqCst);
    writer.await.unwrap();
    assert!(ok, "{err}");
    assert!(out.contains("backed up"), "{out}");
    assert!(acknowledged.lock().unwrap().len() > before_backup.len(), "writes went on during the backup");
    assert!(dest.join("manifest.json").exists());
    assert!(!dest.join("index").exists(), "the index is derived and left out");

    let restored = target.path().join("restored");
    let (ok, out, err) = clinicbox(&["restore", path(&dest), "--data", path(&restored)]);
    assert!(ok, "{err}");
    assert!(out.contains("restored the backup"), "{out}");
    let (ok, _, err) = clinicbox(&["check", "--data", path(&restored)]);
    assert!(ok, "{err}");
    let ids = patient_ids(&restored.join("clinicbox.db"));
    for id in &before_backup {
        assert!(ids.contains(id), "patient {id}, acknowledged before the backup, is missing");
    }

    // A server on the restored directory serves the same data and rebuilds its index.
    let server = TestServer::start_in(&restored).await;
    let token = server.login(ADMIN_EMAIL, PASSWORD).await;
    server.index_caught_up().await;
    let found = server.get("/api/v1/search?q=backup0", &token).await;
    assert_eq!(found.body["data"][0]["title"], "Backup0 Writer");
}

#[tokio::test]
async fn restore_refuses_a_non_empty_directory_and_an_altered_backup() {
    let (server, token) = TestServer::with_admin().await;
    server.create_patient(&token, json!({"given_name": "Safe", "family_name": "Keeping"})).await;
    let target = tempfile::tempdir().unwrap();
    let dest = target.path().join("backup");
    assert!(clinicbox(&["backup", path(&dest), "--data", path(&server.data_dir())]).0);

    let occupied = target.path().join("occupied");
    std::fs::create_dir_all(&occupied).unwrap();
    std::fs::write(occupied.join("something.txt"), "keep me").unwrap();
    let (ok, _, err) = clinicbox(&["restore", path(&dest), "--data", path(&occupied)]);
    assert!(!ok);
    assert!(err.contains("not empty"), "{err}");
    assert_eq!(std::fs::read_to_string(occupied.join("something.txt")).unwrap(), "keep me");
    let (ok, _, err) = clinicbox(&["backup", path(&dest), "--data", path(&server.data_dir())]);
    assert!(!ok && err.contains("not empty"), "a backup never overwrites: {err}");

    // One changed byte in the database.
    let tampered = target.path().join("tampered");
    Command::new("cp").args(["-a", path(&dest), path(&tampered)]).status().unwrap();
    let db = tampered.join("clinicbox.db");
    let mut bytes = std::fs::read(&db).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    std::fs::write(&db, bytes).unwrap();
    let (ok, _, err) = clinicbox(&["restore", path(&tampered), "--data", path(&target.path().join("r1"))]);
    assert!(!ok);
    assert!(err.contains("clinicbox.db does not match its manifest"), "{err}");
    assert!(!target.path().join("r1").join("clinicbox.db").exists());

    // An edited manifest.
    let edited = target.path().join("edited");
    Command::new("cp").args(["-a", path(&dest), path(&edited)]).status().unwrap();
    let manifest = std::fs::read_to_string(edited.join("manifest.json")).unwrap();
    let value: serde_json::Value = serde_json::from_str(&manifest).unwrap();
    let sum = value["files"]["clinicbox.db"].as_str().unwrap();
    let forged = manifest.replace(sum, &"0".repeat(64));
    std::fs::write(edited.join("manifest.json"), forged).unwrap();
    let (ok, _, err) = clinicbox(&["restore", path(&edited), "--data", path(&target.path().join("r2"))]);
    assert!(!ok);
    assert!(err.contains("does not match"), "{err}");

    let (ok, _, _) = clinicbox(&["restore", path(&dest), "--data", path(&target.path().join("r3"))]);
    assert!(ok, "the untouched backup still restores");
}

#[tokio::test]
async fn the_server_keeps_a_latest_snapshot_and_admins_can_take_one() {
    let (server, admin) = TestServer::with_admin().await;
    let latest = server.data_dir().join("snapshots").join("latest");
    server.eventually("a snapshot follows the first change", || async { latest.join("manifest.json").exists() }).await;

    server.create_patient(&admin, json!({"given_name": "Snap", "family_name": "Shot"})).await;
    let taken = server.call(Method::POST, "/api/v1/admin/backups", Some(&admin), None).await;
    assert_eq!(taken.status, StatusCode::CREATED, "{:?}", taken.body);
    assert_eq!(taken.body["latest"], true);
    assert!(taken.body["size_bytes"].as_u64().unwrap() > 0);
    let name = taken.body["name"].as_str().unwrap();
    assert_eq!(std::fs::read_link(&latest).unwrap().to_str().unwrap(), name);
    assert_eq!(patient_ids(&latest.join("clinicbox.db")).len(), 1, "the new snapshot holds the new patient");
    assert!(clinicbox::backup::verify_backup(&latest).is_ok());

    // The first snapshot was from the same day, so only the newest stays.
    let list = server.get("/api/v1/admin/backups", &admin).await;
    let listed = list.body["data"].as_array().unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["name"], name);
    assert_eq!(listed[0]["latest"], true);
    let on_disk = std::fs::read_dir(server.data_dir().join("snapshots")).unwrap().count();
    assert_eq!(on_disk, 2, "one snapshot directory and the latest link");

    let (_, manager) = server.staff_token(&admin, "manager").await;
    assert_eq!(server.get("/api/v1/admin/backups", &manager).await.status, StatusCode::FORBIDDEN);
    let refused = server.call(Method::POST, "/api/v1/admin/backups", Some(&manager), None).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let audit = server.get("/api/v1/audit?entity=backup", &admin).await;
    assert_eq!(audit.body["data"][0]["action"], "backup.create");
}

#[tokio::test]
async fn a_live_copy_with_a_broken_database_is_restored_from_its_snapshot() {
    let (server, admin) = TestServer::with_admin().await;
    let kept = server.create_patient(&admin, json!({"given_name": "Before", "family_name": "Snapshot"})).await;
    server.call(Method::POST, "/api/v1/admin/backups", Some(&admin), None).await;
    let later = server.create_patient(&admin, json!({"given_name": "After", "family_name": "Snapshot"})).await;

    // Someone copies the live directory; the database in the copy is torn.
    // (The index writes temporary files while it catches up: a plain `cp`
    // fails on one that vanishes under it, so copy once it is idle.)
    server.index_caught_up().await;
    let target = tempfile::tempdir().unwrap();
    let copy = target.path().join("copy");
    let copied = (0..3).any(|_| {
        let _ = std::fs::remove_dir_all(&copy);
        Command::new("cp").args(["-a", path(&server.data_dir()), path(&copy)]).status().unwrap().success()
    });
    assert!(copied, "the live directory could be copied");
    let db = copy.join("clinicbox.db");
    let mut bytes = std::fs::read(&db).unwrap();
    for byte in bytes.iter_mut().take(4096).skip(100) {
        *byte = 0xAB;
    }
    std::fs::write(&db, bytes).unwrap();
    let _ = std::fs::remove_file(copy.join("clinicbox.db-wal"));

    let restored = target.path().join("restored");
    let (ok, out, err) = clinicbox(&["restore", path(&copy), "--data", path(&restored)]);
    assert!(ok, "{err}");
    assert!(out.contains("failed its check") && out.contains("snapshot"), "it says what it did: {out}");
    let ids = patient_ids(&restored.join("clinicbox.db"));
    assert!(ids.contains(&kept["id"].as_i64().unwrap()));
    assert!(!ids.contains(&later["id"].as_i64().unwrap()), "written after the snapshot");
    assert!(clinicbox(&["check", "--data", path(&restored)]).0);
}

#[tokio::test]
async fn a_consistent_copy_of_a_stopped_server_restores_as_is() {
    let (server, admin) = TestServer::with_admin().await;
    let patient = server.create_patient(&admin, json!({"given_name": "Plain", "family_name": "Copy"})).await;
    let dir = server.stop().await;
    let target = tempfile::tempdir().unwrap();
    let restored = target.path().join("restored");
    let (ok, out, err) = clinicbox(&["restore", path(dir.path()), "--data", path(&restored)]);
    assert!(ok, "{err}");
    assert!(out.contains("restored the copied data directory"), "{out}");
    assert_eq!(patient_ids(&restored.join("clinicbox.db")), [patient["id"].as_i64().unwrap()]);
}

#[tokio::test]
async fn a_new_clinic_is_snapshotted_soon_after_its_first_change_and_not_before() {
    let server = TestServer::start().await;
    let latest = server.data_dir().join("snapshots").join("latest");
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert!(!latest.exists(), "nothing worth keeping before the first change");
    server.setup_admin().await;
    server.eventually("a snapshot follows the first change", || async { latest.join("manifest.json").exists() }).await;
    let conn = rusqlite::Connection::open(latest.join("clinicbox.db")).unwrap();
    let staff: i64 = conn.query_row("SELECT count(*) FROM staff", [], |r| r.get(0)).unwrap();
    assert_eq!(staff, 1, "the first snapshot holds the first administrator");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_snapshot_downloads_as_one_file_that_restores_and_the_download_is_audited() {
    let (server, admin) = TestServer::with_admin().await;
    server.create_patient(&admin, json!({"given_name": "Off", "family_name": "Site"})).await;
    let taken = server.call(Method::POST, "/api/v1/admin/backups", Some(&admin), None).await;
    let name = taken.body["name"].as_str().unwrap().to_owned();

    let reply = server
        .client
        .get(server.url(&format!("/api/v1/admin/backups/{name}/archive")))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::OK);
    assert_eq!(reply.headers()["content-type"], "application/x-tar");
    let disposition = reply.headers()["content-disposition"].to_str().unwrap().to_owned();
    assert_eq!(disposition, format!("attachment; filename=\"clinicbox-backup-{name}.tar\""));
    let bytes = reply.bytes().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("downloaded.tar");
    std::fs::write(&file, &bytes).unwrap();

    let target = dir.path().join("restored");
    let (ok, stdout, stderr) = clinicbox(&["restore", path(&file), "--data", path(&target)]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("restored the backup of"), "{stdout}");
    assert_eq!(patient_ids(&target.join("clinicbox.db")).len(), 1);
    assert!(!dir.path().join(".restored-unpacking").exists(), "the unpacked copy is removed");

    // An altered archive is refused like an altered backup directory.
    let mut altered = bytes.to_vec();
    let at = altered.len() / 2;
    altered[at] ^= 0xff;
    std::fs::write(&file, &altered).unwrap();
    let (ok, _, stderr) = clinicbox(&["restore", path(&file), "--data", path(&dir.path().join("again"))]);
    assert!(!ok, "an altered archive must not restore");
    assert!(!stderr.is_empty());

    let (_, manager) = server.staff_token(&admin, "manager").await;
    let archive = format!("/api/v1/admin/backups/{name}/archive");
    assert_eq!(server.get(&archive, &manager).await.status, StatusCode::FORBIDDEN);
    let missing = server.get("/api/v1/admin/backups/20200101T000000.000Z/archive", &admin).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let escape = server.get("/api/v1/admin/backups/..%2F..%2Fsecret.key/archive", &admin).await;
    assert_eq!(escape.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", escape.body);
    let audit = server.get("/api/v1/audit?entity=backup", &admin).await;
    assert_eq!(audit.body["data"][0]["action"], "backup.download");
    assert_eq!(audit.body["data"][0]["details"]["snapshot"], name.as_str());
}
