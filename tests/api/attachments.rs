//! Attachments: files checked by their bytes, kept once each by hash,
//! size-capped, served only as downloads, read only by clinical roles (and
//! every read audited), and verified by `clinicbox check`.

use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use crate::harness::{Reply, TestServer, into_reply};

pub const PDF: &[u8] = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n";
const EXE: &[u8] = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00\xb8\x00PE\x00\x00";

/// Uploads `bytes` as `name` to the patient's record, with any extra form fields.
pub async fn upload(
    server: &TestServer,
    token: &str,
    patient: i64,
    name: &str,
    bytes: &[u8],
    extra: &[(&str, &str)],
) -> Reply {
    let mut form = Form::new().part("file", Part::bytes(bytes.to_vec()).file_name(name.to_owned()));
    for (key, value) in extra {
        form = form.text(key.to_string(), value.to_string());
    }
    let response = server
        .client
        .post(server.url(&format!("/api/v1/patients/{patient}/attachments")))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    into_reply(response).await
}

/// The files kept under `files/` (the upload folder aside).
fn kept_files(server: &TestServer) -> Vec<String> {
    let root = server.app.config.files_path();
    let mut names = Vec::new();
    for folder in std::fs::read_dir(&root).unwrap() {
        let folder = folder.unwrap();
        if folder.file_name() == "incoming" {
            continue;
        }
        for file in std::fs::read_dir(folder.path()).unwrap() {
            names.push(file.unwrap().file_name().to_string_lossy().into_owned());
        }
    }
    names.sort();
    names
}

fn waiting_uploads(server: &TestServer) -> usize {
    std::fs::read_dir(server.app.config.files_path().join("incoming")).unwrap().count()
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

#[tokio::test]
async fn a_file_is_checked_by_its_bytes_kept_once_and_downloaded_exactly_by_clinical_roles() {
    let (server, admin) = TestServer::with_admin().await;
    let patient = server.create_patient(&admin, json!({"given_name": "Ama", "family_name": "Owusu"})).await["id"]
        .as_i64()
        .unwrap();
    let other = server.create_patient(&admin, json!({"given_name": "Kofi", "family_name": "Mensah"})).await["id"]
        .as_i64()
        .unwrap();
    let (clinician_id, clinician) = server.staff_member(&admin, "ada@clinic.test", "clinician").await;
    let (_, manager) = server.staff_member(&admin, "mo@clinic.test", "manager").await;
    let (_, front_desk) = server.staff_member(&admin, "fd@clinic.test", "front_desk").await;
    let (_, billing) = server.staff_member(&admin, "bill@clinic.test", "billing").await;

    // Refused uploads store nothing: a program named .pdf, markup named .txt,
    // an empty file, a note of another patient, and roles without clinical writing.
    let exe = upload(&server, &clinician, patient, "results.pdf", EXE, &[]).await;
    assert_eq!(
        (exe.status, exe.code()),
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, "UNSUPPORTED_MEDIA_TYPE"),
        "{:?}",
        exe.body
    );
    let html = upload(&server, &clinician, patient, "notes.txt", b"<html><script>alert(1)</script>", &[]).await;
    assert_eq!(html.code(), "UNSUPPORTED_MEDIA_TYPE");
    assert_eq!(upload(&server, &clinician, patient, "empty.txt", b"", &[]).await.code(), "UNSUPPORTED_MEDIA_TYPE");
    let note = server
        .post(&format!("/api/v1/patients/{other}/notes"), &clinician, json!({"template": "progress", "content": {}}))
        .await;
    let foreign_note = note.body["id"].as_i64().unwrap().to_string();
    let wrong_note = upload(&server, &clinician, patient, "a.pdf", PDF, &[("note_id", &foreign_note)]).await;
    assert_eq!(wrong_note.field_error("note_id"), Some("is not a note of this patient"), "{:?}", wrong_note.body);
    for (who, token) in [("front desk", &front_desk), ("billing", &billing), ("admin", &admin)] {
        assert_eq!(upload(&server, token, patient, "a.pdf", PDF, &[]).await.status, StatusCode::FORBIDDEN, "{who}");
    }
    let nobody = upload(&server, &clinician, 999_999, "a.pdf", PDF, &[]).await;
    assert_eq!(nobody.status, StatusCode::NOT_FOUND);
    assert_eq!(server.count_rows("attachments"), 0);
    assert!(kept_files(&server).is_empty());
    assert_eq!(waiting_uploads(&server), 0, "a refused upload leaves nothing behind");

    let first =
        upload(&server, &clinician, patient, "C:\\scans\\Referral letter.pdf", PDF, &[("description", "GP referral")])
            .await;
    assert_eq!(first.status, StatusCode::CREATED, "{:?}", first.body);
    let sha = sha256_hex(PDF);
    assert_eq!(first.body["filename"], "Referral letter.pdf", "the folders the browser sent are dropped");
    assert_eq!(first.body["content_type"], "application/pdf");
    assert_eq!(first.body["size"].as_u64(), Some(PDF.len() as u64));
    assert_eq!(first.body["sha256"].as_str(), Some(sha.as_str()));
    assert_eq!(first.body["uploaded_by"].as_i64(), Some(clinician_id));
    assert_eq!(first.body["description"], "GP referral");
    let id = first.body["id"].as_i64().unwrap();
    assert_eq!(first.header("location"), Some(format!("/api/v1/attachments/{id}/content").as_str()));
    // The same bytes again, under another name, are a second attachment of one kept file.
    let again = upload(&server, &manager, patient, "copy.pdf", PDF, &[]).await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(kept_files(&server), vec![sha.clone()]);
    assert_eq!(std::fs::read(server.app.config.files_path().join(&sha[..2]).join(&sha)).unwrap(), PDF);
    let text = "Blood pressure 128/82.\nNo change.".as_bytes();
    let typed = upload(&server, &clinician, patient, "bp.pdf", text, &[]).await;
    assert_eq!(typed.body["content_type"], "text/plain; charset=utf-8", "the bytes decide, not the name");

    // Clinical roles download the exact bytes, always as a download.
    let response = server
        .client
        .get(server.url(&format!("/api/v1/attachments/{id}/content")))
        .bearer_auth(&clinician)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let header = |name: &str| response.headers()[name].to_str().unwrap().to_owned();
    assert_eq!(header("content-type"), "application/pdf");
    assert_eq!(
        header("content-disposition"),
        "attachment; filename=\"Referral letter.pdf\"; filename*=UTF-8''Referral%20letter.pdf"
    );
    assert_eq!(header("x-content-type-options"), "nosniff");
    assert_eq!(response.bytes().await.unwrap().as_ref(), PDF);
    for (who, token) in [("front desk", &front_desk), ("billing", &billing), ("admin", &admin)] {
        let refused = server.get(&format!("/api/v1/attachments/{id}/content"), token).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{who}");
    }
    assert_eq!(server.get("/api/v1/attachments/999999/content", &clinician).await.status, StatusCode::NOT_FOUND);

    // The list: names for clinical roles; for the desk, that a file is there and when.
    let path = format!("/api/v1/patients/{patient}/attachments");
    let listed = server.get(&path, &manager).await.body;
    let names: Vec<&str> = listed["data"].as_array().unwrap().iter().map(|a| a["filename"].as_str().unwrap()).collect();
    assert_eq!(names, ["bp.pdf", "copy.pdf", "Referral letter.pdf"], "newest first");
    let for_desk = server.get(&path, &front_desk).await.body;
    let row = &for_desk["data"][2];
    assert_eq!((row["id"].as_i64(), row["content_type"].as_str()), (Some(id), Some("application/pdf")));
    assert!(row.get("filename").is_none() && row.get("description").is_none() && row.get("sha256").is_none(), "{row}");
    assert_eq!(for_desk["pagination"]["total"], 3);

    // Every read of clinical content is in the audit log, naming the patient.
    let audit = |action: &str| {
        server.count_rows_sql(&format!(
            "SELECT count(*) FROM audit_log WHERE action = '{action}' AND entity = 'attachment'
               AND json_extract(details, '$.patient_id') = {patient}"
        ))
    };
    assert_eq!(audit("attachment.upload"), 3);
    assert_eq!(audit("attachment.read"), 1);
    assert_eq!(audit("attachment.list"), 1, "the desk's list shows no content and is not a clinical read");
}

#[tokio::test]
async fn a_file_over_the_limit_is_refused_in_the_envelope_and_nothing_is_kept() {
    let server = TestServer::start_configured(|config| config.max_upload_mb = 1).await;
    server.setup_admin().await;
    let admin = server.login(crate::harness::ADMIN_EMAIL, crate::harness::PASSWORD).await;
    let patient = server.create_patient(&admin, json!({"given_name": "Ama", "family_name": "Owusu"})).await["id"]
        .as_i64()
        .unwrap();
    let (_, clinician) = server.staff_member(&admin, "ada@clinic.test", "clinician").await;
    let mut pdf = PDF.to_vec();
    pdf.resize(1024 * 1024, b' ');
    let at_limit = upload(&server, &clinician, patient, "scan.pdf", &pdf, &[]).await;
    assert_eq!(at_limit.status, StatusCode::CREATED, "exactly the limit is accepted: {:?}", at_limit.body);

    // Just over: the form arrives whole and the file is measured.
    pdf.push(b' ');
    let over = upload(&server, &clinician, patient, "scan2.pdf", &pdf, &[]).await;
    assert_eq!((over.status, over.code()), (StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE"), "{:?}", over.body);
    assert!(over.body["error"]["message"].as_str().unwrap().contains("at most 1 MiB"), "{:?}", over.body);
    // Far over, sent without a length: cut off as it streams in.
    let huge = vec![b'a'; 3 * 1024 * 1024];
    let stream = futures_util::stream::iter(
        huge.chunks(64 * 1024).map(|c| Ok::<_, std::io::Error>(c.to_vec())).collect::<Vec<_>>(),
    );
    let part = Part::stream(reqwest::Body::wrap_stream(stream)).file_name("huge.txt");
    let response = server
        .client
        .post(server.url(&format!("/api/v1/patients/{patient}/attachments")))
        .bearer_auth(&clinician)
        .multipart(Form::new().part("file", part))
        .send()
        .await;
    // The server answers before the client has sent everything; a client
    // may see the connection close instead of the answer.
    if let Ok(response) = response {
        let reply = into_reply(response).await;
        assert_eq!((reply.status, reply.code()), (StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE"));
    }
    assert_eq!(server.count_rows("attachments"), 1);
    assert_eq!(kept_files(&server).len(), 1);
    server.eventually("the cut-off upload is removed", || async { waiting_uploads(&server) == 0 }).await;
    // The limit is the spec's too.
    let spec: Value = reqwest::get(server.url("/api/openapi.json")).await.unwrap().json().await.unwrap();
    let described = spec["paths"]["/patients/{id}/attachments"]["post"]["description"].as_str().unwrap();
    assert!(described.contains("`max_upload_mb` (25 MiB unless configured)"), "{described}");
}

#[tokio::test]
async fn check_names_an_attachment_whose_file_is_missing_or_altered() {
    let (server, admin) = TestServer::with_admin().await;
    let patient = server.create_patient(&admin, json!({"given_name": "Ama", "family_name": "Owusu"})).await["id"]
        .as_i64()
        .unwrap();
    let (_, clinician) = server.staff_member(&admin, "ada@clinic.test", "clinician").await;
    assert_eq!(upload(&server, &clinician, patient, "a.pdf", PDF, &[]).await.status, StatusCode::CREATED);
    let data = server.data_dir();
    let data = data.to_str().unwrap();
    let (ok, out, err) = crate::cli::run(&["check", "--data", data], None);
    assert!(ok, "{err}");
    assert!(out.contains("the files of every attachment are there and match their hashes (1 files)"), "{out}");

    // A backup carries the files: restored elsewhere, the check holds there too.
    let elsewhere = tempfile::tempdir().unwrap();
    let (backup, restored) = (elsewhere.path().join("backup"), elsewhere.path().join("restored"));
    let (ok, _, err) = crate::cli::run(&["backup", backup.to_str().unwrap(), "--data", data], None);
    assert!(ok, "{err}");
    let (ok, _, err) =
        crate::cli::run(&["restore", backup.to_str().unwrap(), "--data", restored.to_str().unwrap()], None);
    assert!(ok, "{err}");
    let (ok, out, err) = crate::cli::run(&["check", "--data", restored.to_str().unwrap()], None);
    assert!(ok && out.contains("(1 files)"), "{out} {err}");

    let sha = sha256_hex(PDF);
    let file = server.app.config.files_path().join(&sha[..2]).join(&sha);
    std::fs::write(&file, b"%PDF-1.7 something else").unwrap();
    let (ok, _, err) = crate::cli::run(&["check", "--data", data], None);
    assert!(!ok);
    assert!(err.contains(&format!("the file {sha} of 1 attachment(s) does not match its hash")), "{err}");
    std::fs::remove_file(&file).unwrap();
    let (ok, _, err) = crate::cli::run(&["check", "--data", data], None);
    assert!(!ok);
    assert!(err.contains(&format!("the file {sha} of 1 attachment(s) is missing")), "{err}");
}
