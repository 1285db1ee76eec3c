use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::harness::TestServer;

async fn register(server: &TestServer, token: &str, given: &str, family: &str, extra: Value) -> i64 {
    let mut body = json!({"given_name": given, "family_name": family});
    body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    let reply = server.post("/api/v1/patients?allow_duplicate=true", token, body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    reply.body["id"].as_i64().unwrap()
}

fn titles(reply: &crate::harness::Reply) -> Vec<String> {
    reply.body["data"].as_array().unwrap().iter().map(|h| h["title"].as_str().unwrap().to_owned()).collect()
}

async fn search(server: &TestServer, token: &str, query: &str) -> Vec<String> {
    let reply = server.get(&format!("/api/v1/search?q={}", urlencode(query)), token).await;
    assert_eq!(reply.status, StatusCode::OK, "{query}: {:?}", reply.body);
    titles(&reply)
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

async fn clinic(server: &TestServer, token: &str) -> (i64, i64) {
    let john =
        register(server, token, "John", "Smith", json!({"date_of_birth": "1984-03-07", "phone": "07911 123456"})).await;
    let zoe = register(server, token, "Zoë", "Okafor", json!({"email": "zoe.okafor@example.com"})).await;
    register(server, token, "Joan", "Smithers", json!({"date_of_birth": "1990-11-02"})).await;
    register(server, token, "Christopher", "Wren", json!({"phone": "+1 212 736 5000"})).await;
    server.index_caught_up().await;
    (john, zoe)
}

#[tokio::test]
async fn typos_prefixes_accents_phones_and_dates_find_the_patient() {
    let (server, token) = TestServer::with_admin().await;
    clinic(&server, &token).await;

    assert_eq!(search(&server, &token, "Jonh Smiht").await, ["John Smith"], "one transposition per word");
    assert_eq!(search(&server, &token, "Zoe").await, ["Zoë Okafor"], "accents fold");
    assert_eq!(search(&server, &token, "zoë").await, ["Zoë Okafor"]);
    assert_eq!(search(&server, &token, "Kristopher").await, ["Christopher Wren"], "two edits for long words");
    assert_eq!(search(&server, &token, "smi").await.len(), 2, "prefix as you type: Smith and Smithers");
    assert_eq!(search(&server, &token, "smith").await[0], "John Smith", "the exact word ranks first");
    assert!(search(&server, &token, "Jon").await.is_empty(), "no typos for words under four letters");
    assert_eq!(search(&server, &token, "+44 7911 123456").await, ["John Smith"]);
    assert_eq!(search(&server, &token, "07911-123-456").await, ["John Smith"]);
    assert_eq!(search(&server, &token, "123456").await, ["John Smith"], "a fragment of the number");
    assert_eq!(search(&server, &token, "(212) 736-5000").await, ["Christopher Wren"], "digits match in any format");
    assert_eq!(search(&server, &token, "2127365000").await, ["Christopher Wren"]);
    assert_eq!(search(&server, &token, "1984-03-07").await, ["John Smith"]);
    assert_eq!(search(&server, &token, "07/03/1984").await, ["John Smith"]);
    assert_eq!(search(&server, &token, "smith 02/11/1990").await, ["Joan Smithers"]);
    assert_eq!(search(&server, &token, "okafor@example").await, ["Zoë Okafor"], "email words");

    let hit = &server.get("/api/v1/search?q=jonh", &token).await.body["data"][0];
    assert_eq!(hit["type"], "patient");
    assert!(hit["subtitle"].as_str().unwrap().contains("1984-03-07"));
    assert!(hit["score"].as_f64().unwrap() > 0.0);
}

#[tokio::test]
async fn the_patient_list_search_uses_the_index() {
    let (server, token) = TestServer::with_admin().await;
    clinic(&server, &token).await;
    let reply = server.get("/api/v1/patients?q=Jonh%20Smiht", &token).await;
    assert_eq!(reply.body["pagination"]["total"], 1);
    assert_eq!(reply.body["data"][0]["family_name"], "Smith");
    // Relevance first without a sort; the requested order with one.
    let ranked = server.get("/api/v1/patients?q=smith", &token).await;
    assert_eq!(ranked.body["data"][0]["given_name"], "John");
    let sorted = server.get("/api/v1/patients?q=smi&sort=-family_name", &token).await;
    assert_eq!(sorted.body["data"][0]["family_name"], "Smithers");
}

#[tokio::test]
async fn a_new_patient_is_searchable_within_a_second_or_two() {
    let (server, token) = TestServer::with_admin().await;
    register(&server, &token, "Quentin", "Blake", json!({})).await;
    let started = std::time::Instant::now();
    server
        .eventually("the new patient is found", || async {
            search(&server, &token, "quentin").await == ["Quentin Blake"]
        })
        .await;
    assert!(started.elapsed() < std::time::Duration::from_secs(2), "took {:?}", started.elapsed());
}

#[tokio::test]
async fn changes_and_archiving_reach_the_index() {
    let (server, token) = TestServer::with_admin().await;
    let (john, _) = clinic(&server, &token).await;

    server.patch(&format!("/api/v1/patients/{john}"), &token, json!({"family_name": "Smythe"})).await;
    server.index_caught_up().await;
    assert_eq!(search(&server, &token, "smythe").await[0], "John Smythe");
    let johns = search(&server, &token, "john").await;
    assert_eq!(johns.iter().filter(|t| *t == "John Smythe").count(), 1, "{johns:?}");
    assert!(!johns.contains(&"John Smith".to_owned()), "the old document was replaced: {johns:?}");

    server.call(Method::POST, &format!("/api/v1/patients/{john}/archive"), Some(&token), None).await;
    server.index_caught_up().await;
    let found = search(&server, &token, "smythe").await;
    assert!(!found.contains(&"John Smythe".to_owned()), "archived patients leave default results: {found:?}");
    let archived = server.get("/api/v1/search?q=smythe&include_archived=true", &token).await;
    assert_eq!(titles(&archived)[0], "John Smythe");
    let listed = server.get("/api/v1/patients?q=smythe&status=active", &token).await;
    assert!(listed.body["data"].as_array().unwrap().iter().all(|p| p["id"] != john), "{:?}", listed.body);
    let all = server.get("/api/v1/patients?q=smythe", &token).await;
    assert_eq!(all.body["data"][0]["id"], john, "without a status filter the archived record is found");
}

#[tokio::test]
async fn results_only_show_what_the_role_may_read() {
    let (server, admin) = TestServer::with_admin().await;
    clinic(&server, &admin).await;
    let (_, billing) = server.staff_token(&admin, "billing").await;
    server.index_caught_up().await;

    let for_admin = server.get("/api/v1/search?q=billing", &admin).await;
    assert_eq!(for_admin.body["data"][0]["type"], "staff");
    assert!(search(&server, &billing, "billing").await.is_empty(), "staff accounts are for admins");
    assert_eq!(search(&server, &billing, "smith").await.len(), 2, "billing reads patients");
    let only_patients = server.get("/api/v1/search?q=a&types=patient", &admin).await;
    assert!(only_patients.body["data"].as_array().unwrap().iter().all(|h| h["type"] == "patient"));

    let bad = server.get("/api/v1/search?q=x&types=invoice", &admin).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.field_error("types").is_some());
    assert!(server.get("/api/v1/search?q=x&limit=500", &admin).await.field_error("limit").is_some());
    assert_eq!(server.get("/api/v1/search", &admin).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(server.call(Method::GET, "/api/v1/search?q=x", None, None).await.status, StatusCode::UNAUTHORIZED);
}

async fn answers(server: &TestServer, token: &str) -> Vec<Vec<String>> {
    let mut all = Vec::new();
    for query in ["Jonh Smiht", "zoe", "smi", "07911123456", "07/03/1984", "kristopher"] {
        all.push(search(server, token, query).await);
    }
    all
}

#[tokio::test]
async fn a_deleted_index_is_rebuilt_at_start_with_the_same_answers() {
    let (server, token) = TestServer::with_admin().await;
    clinic(&server, &token).await;
    let before = answers(&server, &token).await;
    let dir = server.stop().await;
    std::fs::remove_dir_all(dir.path().join("index")).unwrap();

    let restarted = TestServer::start_in(dir.path()).await;
    let token = restarted.login(crate::harness::ADMIN_EMAIL, crate::harness::PASSWORD).await;
    assert_eq!(answers(&restarted, &token).await, before);
    let ready = restarted.call(Method::GET, "/health/ready", Some(&token), None).await;
    assert_eq!(ready.body["checks"]["index"]["status"], "ready");
    assert!(ready.body["checks"]["index"]["documents"].as_u64().unwrap() >= 5);
}

#[tokio::test]
async fn a_damaged_segment_is_detected_and_rebuilt() {
    let (server, token) = TestServer::with_admin().await;
    clinic(&server, &token).await;
    let before = answers(&server, &token).await;
    let dir = server.stop().await;
    let index = dir.path().join("index");
    let mut damaged = 0;
    for entry in std::fs::read_dir(&index).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if name.ends_with(".idx") || name.ends_with(".store") || name.ends_with(".term") {
            let mut bytes = std::fs::read(&path).unwrap();
            let middle = bytes.len() / 2;
            bytes[middle] ^= 0xff;
            std::fs::write(&path, bytes).unwrap();
            damaged += 1;
        }
    }
    assert!(damaged > 0, "found segment files to damage");
    assert!(clinicbox::search::index::verify(&index).is_err(), "the damage is noticed");

    let restarted = TestServer::start_in(dir.path()).await;
    let token = restarted.login(crate::harness::ADMIN_EMAIL, crate::harness::PASSWORD).await;
    assert_eq!(answers(&restarted, &token).await, before);
    assert!(clinicbox::search::index::verify(&index).is_ok());
}

#[tokio::test]
async fn a_second_process_cannot_open_a_data_directory_in_use() {
    let (server, _) = TestServer::with_admin().await;
    let config = clinicbox::config::Config::for_data_dir(server.data_dir());
    let second = clinicbox::AppState::open(config, std::sync::Arc::new(clinicbox::kit::clock::SystemClock));
    assert!(second.err().unwrap().full_message().contains("in use"));
}

/// Without the indexer (as during a long rebuild) the API keeps serving:
/// readiness says why it is not ready, `/search` says so plainly, and the
/// patient list searches the database instead.
#[tokio::test]
async fn while_the_index_is_not_built_the_api_still_serves() {
    let dir = tempfile::tempdir().unwrap();
    let app = clinicbox::AppState::open(
        clinicbox::config::Config::for_data_dir(dir.path()),
        std::sync::Arc::new(clinicbox::kit::clock::SystemClock),
    )
    .unwrap();
    let setup = clinicbox::auth::setup::open_if_needed(&app).await.unwrap().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    // The HTTP server alone, with no background indexer.
    tokio::spawn(clinicbox::server::serve_http(app.clone(), listener, None, std::future::pending()));
    let client = reqwest::Client::new();

    let ready = crate::harness::into_reply(client.get(format!("{base}/health/ready")).send().await.unwrap()).await;
    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(ready.body["checks"]["index"]["status"], "rebuilding");
    assert_eq!(ready.body["checks"]["database"]["status"], "ok");

    let body = json!({"token": setup, "email": crate::harness::ADMIN_EMAIL, "name": "A", "password": crate::harness::PASSWORD});
    client.post(format!("{base}/api/v1/setup")).json(&body).send().await.unwrap();
    let login = json!({"email": crate::harness::ADMIN_EMAIL, "password": crate::harness::PASSWORD});
    let tokens: Value =
        client.post(format!("{base}/api/v1/auth/login")).json(&login).send().await.unwrap().json().await.unwrap();
    let token = tokens["access_token"].as_str().unwrap();
    let patient = json!({"given_name": "Fallback", "family_name": "Search", "phone": "07911 123456"});
    client.post(format!("{base}/api/v1/patients")).bearer_auth(token).json(&patient).send().await.unwrap();

    let search = client.get(format!("{base}/api/v1/search?q=fallback")).bearer_auth(token).send().await.unwrap();
    let search = crate::harness::into_reply(search).await;
    assert_eq!(search.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(search.code(), "SEARCH_UNAVAILABLE");
    for q in ["fall", "+44%207911%20123456"] {
        let list = client.get(format!("{base}/api/v1/patients?q={q}")).bearer_auth(token).send().await.unwrap();
        let list: Value = list.json().await.unwrap();
        assert_eq!(list["pagination"]["total"], 1, "{q}: {list}");
    }
}

#[tokio::test]
async fn an_index_built_for_another_schema_is_rebuilt() {
    let (server, token) = TestServer::with_admin().await;
    clinic(&server, &token).await;
    let before = answers(&server, &token).await;
    let dir = server.stop().await;
    let meta = dir.path().join("index").join("meta.json");
    let text = std::fs::read_to_string(&meta).unwrap();
    let mut value: Value = serde_json::from_str(&text).unwrap();
    let payload: Value = serde_json::from_str(value["payload"].as_str().unwrap()).unwrap();
    assert_eq!(payload["schema"], clinicbox::search::index::SCHEMA_VERSION);
    value["payload"] = Value::String(json!({"schema": 999, "seq": payload["seq"]}).to_string());
    std::fs::write(&meta, value.to_string()).unwrap();
    assert!(clinicbox::search::index::verify(&dir.path().join("index")).unwrap_err().contains("schema 999"));

    let restarted = TestServer::start_in(dir.path()).await;
    let token = restarted.login(crate::harness::ADMIN_EMAIL, crate::harness::PASSWORD).await;
    assert_eq!(answers(&restarted, &token).await, before);
    assert!(clinicbox::search::index::verify(&dir.path().join("index")).is_ok());
}

/// What `q` finds as `token`: (type, title, patient_id) of each hit.
async fn found(server: &TestServer, token: &str, q: &str) -> Vec<(String, String, Option<i64>)> {
    let reply = server.get(&format!("/api/v1/search?q={}", urlencode(q)), token).await;
    assert_eq!(reply.status, StatusCode::OK, "{q}: {:?}", reply.body);
    reply.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (h["type"].as_str().unwrap().to_owned(), h["title"].as_str().unwrap().to_owned(), h["patient_id"].as_i64())
        })
        .collect()
}

#[tokio::test]
async fn note_text_and_file_names_are_found_only_by_those_who_may_read_them() {
    let (server, admin) = TestServer::with_admin().await;
    let c = crate::scheduling::clinic(&server, &admin).await;
    let (clinician_staff, clinician) = server.staff_member(&admin, "ada@clinic.test", "clinician").await;
    let (_, front_desk) = server.staff_member(&admin, "fd@clinic.test", "front_desk").await;
    let clinician_path = format!("/api/v1/clinicians/{}", c.clinician);
    let linked = server.patch(&clinician_path, &admin, json!({"staff_id": clinician_staff})).await;
    assert_eq!(linked.status, StatusCode::OK);
    let (mine, theirs) = (c.patients[0], c.patients[1]);
    let booked = crate::scheduling::book_body(&c, mine, c.consult, &crate::scheduling::london(c.monday, "09:00"));
    assert_eq!(server.post("/api/v1/appointments", &front_desk, booked).await.status, StatusCode::CREATED);

    let content = json!({"subjective": "Swelling of the left knee after running.", "plan": "Physiotherapy"});
    let note = server
        .post(&format!("/api/v1/patients/{mine}/notes"), &clinician, json!({"template": "soap", "content": content}))
        .await;
    assert_eq!(note.status, StatusCode::CREATED, "{:?}", note.body);
    let sign = server.post(&format!("/api/v1/notes/{}/sign", note.body["id"]), &clinician, json!({})).await;
    assert_eq!(sign.status, StatusCode::OK);
    let addendum = json!({"text": "Scan booked: meniscus tear suspected."});
    server.post(&format!("/api/v1/notes/{}/addenda", note.body["id"]), &clinician, addendum).await;
    let other_note = json!({"template": "progress", "content": {"text": "Swelling of the ankle."}});
    server.post(&format!("/api/v1/patients/{theirs}/notes"), &clinician, other_note).await;
    let file =
        crate::attachments::upload(&server, &clinician, mine, "mri_knee_report.pdf", crate::attachments::PDF, &[])
            .await;
    assert_eq!(file.status, StatusCode::CREATED);
    server.index_caught_up().await;

    let hits = found(&server, &clinician, "swelling").await;
    assert_eq!(hits.len(), 2, "{hits:?}");
    assert!(hits.contains(&("note".into(), "SOAP note".into(), Some(mine))), "{hits:?}");
    assert_eq!(
        found(&server, &clinician, "menisus").await,
        [("note".into(), "SOAP note".into(), Some(mine))],
        "addenda, with a typo"
    );
    assert_eq!(
        found(&server, &clinician, "knee report").await[0],
        ("attachment".into(), "mri_knee_report.pdf".into(), Some(mine))
    );
    let subtitle = server.get("/api/v1/search?q=meniscus", &clinician).await.body["data"][0]["subtitle"].clone();
    assert!(
        subtitle.as_str().unwrap().starts_with(&format!("{} ", patient_name(&server, &admin, mine).await)),
        "{subtitle}"
    );

    // The desk and the admin find neither, even asking for them by type.
    for token in [&front_desk, &admin] {
        assert!(found(&server, token, "swelling").await.is_empty());
        let asked = server.get("/api/v1/search?q=knee&types=note,attachment", token).await;
        assert_eq!(asked.body["data"], json!([]));
    }
    // A clinician limited to their own patients finds only their notes.
    let body = json!({"mfa_required_roles": [], "clinician_scope": "own"});
    assert_eq!(
        server.call(Method::PUT, "/api/v1/settings/security", Some(&admin), Some(body)).await.status,
        StatusCode::OK
    );
    assert_eq!(found(&server, &clinician, "swelling").await, [("note".into(), "SOAP note".into(), Some(mine))]);
    let audited = server.count_rows_sql(
        "SELECT count(*) FROM audit_log WHERE action = 'search' AND json_array_length(details, '$.note_ids') > 0",
    );
    assert!(audited >= 3, "which notes a search showed is in the audit log");
}

async fn patient_name(server: &TestServer, token: &str, id: i64) -> String {
    let patient = server.get(&format!("/api/v1/patients/{id}"), token).await.body;
    format!("{} {}", patient["given_name"].as_str().unwrap(), patient["family_name"].as_str().unwrap())
}
