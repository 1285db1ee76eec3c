use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::harness::TestServer;

fn ada() -> Value {
    json!({
        "given_name": "Ada",
        "family_name": "Lovelace",
        "preferred_name": "Countess",
        "date_of_birth": "1985-12-10",
        "sex": "female",
        "phone": "07911 123456",
        "email": "ada@example.com",
        "address": {"line1": "1 St James's Square", "city": "London", "postal_code": "SW1Y 4JU", "country": "GB"},
        "emergency_contact": {"name": "Annabella", "phone": "+44 7812 345678", "relationship": "mother"},
        "lead_source": "Referral"
    })
}

#[tokio::test]
async fn create_then_read_returns_the_normalised_record() {
    let (server, token) = TestServer::with_admin().await;
    let reply = server.post("/api/v1/patients", &token, ada()).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    let id = reply.body["id"].as_i64().unwrap();
    assert_eq!(reply.header("location"), Some(format!("/api/v1/patients/{id}").as_str()));
    assert_eq!(reply.body["phone"], "+447911123456");
    assert_eq!(reply.body["emergency_contact"]["phone"], "+447812345678");
    assert_eq!(reply.body["lead_source"], "referral");
    assert_eq!(reply.body["status"], "active");
    assert!(reply.body["created_at"].as_str().unwrap().contains('T'));

    let read = server.get(&format!("/api/v1/patients/{id}"), &token).await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(read.body, reply.body);
    assert_eq!(server.get("/api/v1/patients/424242", &token).await.code(), "NOT_FOUND");
    assert_eq!(server.get("/api/v1/patients/abc", &token).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn each_invalid_field_is_named_and_nothing_is_written() {
    let (server, token) = TestServer::with_admin().await;
    let cases = [
        ("given_name", json!({"given_name": "  ", "family_name": "X"})),
        ("family_name", json!({"given_name": "X", "family_name": "y".repeat(101)})),
        ("email", json!({"given_name": "X", "family_name": "Y", "email": "not an email"})),
        ("phone", json!({"given_name": "X", "family_name": "Y", "phone": "12"})),
        ("date_of_birth", json!({"given_name": "X", "family_name": "Y", "date_of_birth": "2999-01-01"})),
        ("date_of_birth", json!({"given_name": "X", "family_name": "Y", "date_of_birth": "10/12/1985"})),
        (
            "emergency_contact.phone",
            json!({"given_name": "X", "family_name": "Y", "emergency_contact": {"name": "Z", "phone": "nope"}}),
        ),
        ("address.city", json!({"given_name": "X", "family_name": "Y", "address": {"city": "c".repeat(201)}})),
        ("nickname", json!({"given_name": "X", "family_name": "Y", "nickname": "unknown fields are refused"})),
    ];
    for (field, body) in cases {
        let reply = server.post("/api/v1/patients", &token, body).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{field}: {:?}", reply.body);
        assert_eq!(reply.code(), "VALIDATION_FAILED");
        assert!(reply.field_error(field).is_some(), "{field} not named in {:?}", reply.body);
    }
    // Several problems at once are all reported.
    let reply = server
        .post("/api/v1/patients", &token, json!({"given_name": "", "family_name": "", "email": "x", "phone": "1"}))
        .await;
    let fields = reply.body["error"]["details"]["fields"].as_object().unwrap();
    assert_eq!(fields.len(), 4, "{fields:?}");

    let malformed = server
        .client
        .post(server.url("/api/v1/patients"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{\"given_name\": ")
        .send()
        .await
        .unwrap();
    let malformed = crate::harness::into_reply(malformed).await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    assert_eq!(malformed.code(), "MALFORMED_REQUEST");

    assert_eq!(server.count_rows("patients"), 0);
    assert_eq!(server.count_rows("changes WHERE entity = 'patient'"), 0);
}

#[tokio::test]
async fn likely_duplicates_are_refused_unless_allowed() {
    let (server, token) = TestServer::with_admin().await;
    let first = server.create_patient(&token, ada()).await;

    let same_person = json!({"given_name": "ADA", "family_name": "lovelace", "date_of_birth": "1985-12-10"});
    let reply = server.post("/api/v1/patients", &token, same_person.clone()).await;
    assert_eq!(reply.status, StatusCode::CONFLICT);
    assert_eq!(reply.code(), "POSSIBLE_DUPLICATE");
    let matches = reply.body["error"]["details"]["matches"].as_array().unwrap();
    assert_eq!(matches.len(), 1);
    assert_eq!(matches[0]["id"], first["id"]);
    assert_eq!(matches[0]["reason"], "name_and_birth_date");

    let same_phone = json!({"given_name": "Someone", "family_name": "Else", "phone": "+44 7911 123456"});
    let reply = server.post("/api/v1/patients", &token, same_phone).await;
    assert_eq!(reply.code(), "POSSIBLE_DUPLICATE");
    assert_eq!(reply.body["error"]["details"]["matches"][0]["reason"], "phone");

    let forced = server.post("/api/v1/patients?allow_duplicate=true", &token, same_person).await;
    assert_eq!(forced.status, StatusCode::CREATED);
    // Same name, different birth date: a different person.
    let other = json!({"given_name": "Ada", "family_name": "Lovelace", "date_of_birth": "1990-01-01"});
    assert_eq!(server.post("/api/v1/patients", &token, other).await.status, StatusCode::CREATED);
}

#[tokio::test]
async fn patch_changes_only_what_it_names_and_null_clears() {
    let (server, token) = TestServer::with_admin().await;
    let id = server.create_patient(&token, ada()).await["id"].as_i64().unwrap();
    let path = format!("/api/v1/patients/{id}");

    let reply = server.patch(&path, &token, json!({"phone": "07412 345678", "email": null})).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(reply.body["phone"], "+447412345678");
    assert!(reply.body["email"].is_null());
    assert_eq!(reply.body["given_name"], "Ada");
    assert_eq!(reply.body["address"]["city"], "London");

    let bad = server.patch(&path, &token, json!({"given_name": "", "date_of_birth": "2099-01-01"})).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.field_error("given_name").is_some() && bad.field_error("date_of_birth").is_some());
    let unchanged = server.get(&path, &token).await;
    assert_eq!(unchanged.body["given_name"], "Ada");
    assert_eq!(unchanged.body["date_of_birth"], "1985-12-10");

    assert_eq!(
        server.patch("/api/v1/patients/999", &token, json!({"given_name": "X"})).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(server.patch(&path, &token, json!({"colour": "blue"})).await.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn archive_and_restore_keep_the_record() {
    let (server, token) = TestServer::with_admin().await;
    let id = server.create_patient(&token, ada()).await["id"].as_i64().unwrap();
    server.create_patient(&token, json!({"given_name": "Grace", "family_name": "Hopper"})).await;

    let archived = server.call(Method::POST, &format!("/api/v1/patients/{id}/archive"), Some(&token), None).await;
    assert_eq!(archived.status, StatusCode::OK);
    assert_eq!(archived.body["status"], "archived");
    let again = server.call(Method::POST, &format!("/api/v1/patients/{id}/archive"), Some(&token), None).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.code(), "ALREADY_ARCHIVED");

    let active = server.get("/api/v1/patients?status=active", &token).await;
    assert_eq!(active.body["pagination"]["total"], 1);
    assert_eq!(active.body["data"][0]["given_name"], "Grace");
    let archived_list = server.get("/api/v1/patients?status=archived", &token).await;
    assert_eq!(archived_list.body["data"][0]["id"], id);
    assert_eq!(server.get("/api/v1/patients?status=gone", &token).await.status, StatusCode::UNPROCESSABLE_ENTITY);

    let restored = server.call(Method::POST, &format!("/api/v1/patients/{id}/restore"), Some(&token), None).await;
    assert_eq!(restored.body["status"], "active");
    let twice = server.call(Method::POST, &format!("/api/v1/patients/{id}/restore"), Some(&token), None).await;
    assert_eq!(twice.code(), "NOT_ARCHIVED");
    // There is no way to delete a patient.
    let delete = server.call(Method::DELETE, &format!("/api/v1/patients/{id}"), Some(&token), None).await;
    assert_eq!(delete.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(delete.code(), "METHOD_NOT_ALLOWED");
    assert_eq!(server.count_rows("patients"), 2);
}

async fn seed(server: &TestServer, token: &str) {
    let people = [
        ("Grace", "Hopper", "1946-12-09", "07911 100001", "grace@navy.example", "website"),
        ("Alan", "Turing", "1952-06-23", "07911 100002", "alan@bletchley.example", "referral"),
        ("Ada", "Lovelace", "1935-12-10", "07911 100003", "ada@engine.example", "Referral"),
        ("Katherine", "Johnson", "1958-08-26", "07911 100004", "kj@nasa.example", "website"),
        ("Zoë", "Smith", "1984-03-07", "07911 100005", "zoe@example.com", "Website "),
    ];
    for (given, family, born, phone, email, source) in people {
        server
            .create_patient(
                token,
                json!({"given_name": given, "family_name": family, "date_of_birth": born, "phone": phone, "email": email, "lead_source": source}),
            )
            .await;
    }
    server.index_caught_up().await;
}

fn names(reply: &crate::harness::Reply) -> Vec<String> {
    reply.body["data"].as_array().unwrap().iter().map(|p| p["family_name"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn list_searches_names_emails_and_phone_digits() {
    let (server, token) = TestServer::with_admin().await;
    seed(&server, &token).await;
    assert_eq!(names(&server.get("/api/v1/patients?q=tur", &token).await), ["Turing"]);
    assert_eq!(names(&server.get("/api/v1/patients?q=grace%20hop", &token).await), ["Hopper"]);
    assert_eq!(names(&server.get("/api/v1/patients?q=kj%40nasa", &token).await), ["Johnson"]);
    // The phone number typed another way.
    assert_eq!(names(&server.get("/api/v1/patients?q=%2B44%207911%20100004", &token).await), ["Johnson"]);
    assert_eq!(names(&server.get("/api/v1/patients?q=07911%20100004", &token).await), ["Johnson"]);
    assert_eq!(names(&server.get("/api/v1/patients?q=100002", &token).await), ["Turing"]);
    assert!(names(&server.get("/api/v1/patients?q=nobody", &token).await).is_empty());
    // LIKE wildcards in the query are taken literally.
    assert!(names(&server.get("/api/v1/patients?q=%25", &token).await).is_empty());
    assert_eq!(names(&server.get("/api/v1/patients?lead_source=referral", &token).await), ["Lovelace", "Turing"]);
}

#[tokio::test]
async fn list_sorts_only_by_allowed_keys_and_paginates() {
    let (server, token) = TestServer::with_admin().await;
    seed(&server, &token).await;
    assert_eq!(
        names(&server.get("/api/v1/patients", &token).await),
        ["Hopper", "Johnson", "Lovelace", "Smith", "Turing"]
    );
    assert_eq!(
        names(&server.get("/api/v1/patients?sort=-created_at", &token).await),
        ["Smith", "Johnson", "Lovelace", "Turing", "Hopper"]
    );
    assert_eq!(
        names(&server.get("/api/v1/patients?sort=date_of_birth", &token).await),
        ["Lovelace", "Hopper", "Turing", "Johnson", "Smith"]
    );
    let bad = server.get("/api/v1/patients?sort=password_hash", &token).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.field_error("sort").is_some());

    let page = server.get("/api/v1/patients?page=2&page_size=2", &token).await;
    assert_eq!(names(&page), ["Lovelace", "Smith"]);
    assert_eq!(
        page.body["pagination"],
        json!({"page": 2, "page_size": 2, "total": 5, "total_pages": 3, "has_next": true})
    );
    let last = server.get("/api/v1/patients?page=3&page_size=2", &token).await;
    assert_eq!(names(&last), ["Turing"]);
    assert_eq!(last.body["pagination"]["has_next"], false);
    let beyond = server.get("/api/v1/patients?page=9&page_size=2", &token).await;
    assert_eq!(beyond.status, StatusCode::OK);
    assert!(names(&beyond).is_empty());
    assert_eq!(server.get("/api/v1/patients", &token).await.body["pagination"]["page_size"], 20);
    for query in ["page=0", "page_size=0", "page_size=101", "page=abc"] {
        let reply = server.get(&format!("/api/v1/patients?{query}"), &token).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        assert_eq!(reply.code(), "VALIDATION_FAILED", "{query}");
    }
}

#[tokio::test]
async fn facets_count_by_status_and_lead_source() {
    let (server, token) = TestServer::with_admin().await;
    seed(&server, &token).await;
    server.create_patient(&token, json!({"given_name": "No", "family_name": "Source"})).await;
    let first = server.get("/api/v1/patients?q=hopper", &token).await.body["data"][0]["id"].as_i64().unwrap();
    server.call(Method::POST, &format!("/api/v1/patients/{first}/archive"), Some(&token), None).await;

    let facets = server.get("/api/v1/patients/facets", &token).await;
    assert_eq!(facets.status, StatusCode::OK);
    assert_eq!(facets.body["status"], json!([{"value": "active", "count": 5}, {"value": "archived", "count": 1}]));
    assert_eq!(
        facets.body["lead_source"],
        json!([{"value": "website", "count": 3}, {"value": "referral", "count": 2}, {"value": "unknown", "count": 1}])
    );
}

#[tokio::test]
async fn roles_decide_who_reads_and_who_writes() {
    let (server, admin) = TestServer::with_admin().await;
    let id = server.create_patient(&admin, ada()).await["id"].as_i64().unwrap();
    let (_, billing) = server.staff_token(&admin, "billing").await;
    assert_eq!(server.get(&format!("/api/v1/patients/{id}"), &billing).await.status, StatusCode::OK);
    assert_eq!(server.get("/api/v1/patients", &billing).await.status, StatusCode::OK);
    let refused = server.post("/api/v1/patients", &billing, json!({"given_name": "B", "family_name": "C"})).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.code(), "FORBIDDEN");
    assert_eq!(
        server.patch(&format!("/api/v1/patients/{id}"), &billing, json!({"given_name": "B"})).await.status,
        StatusCode::FORBIDDEN
    );
    let archive = server.call(Method::POST, &format!("/api/v1/patients/{id}/archive"), Some(&billing), None).await;
    assert_eq!(archive.status, StatusCode::FORBIDDEN);

    for role in ["front_desk", "clinician", "manager"] {
        let (_, token) = server.staff_token(&admin, role).await;
        let body = json!({"given_name": role, "family_name": "Writer"});
        assert_eq!(server.post("/api/v1/patients", &token, body).await.status, StatusCode::CREATED, "{role}");
    }
    let anonymous = server.call(Method::GET, &format!("/api/v1/patients/{id}"), None, None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert_eq!(anonymous.code(), "UNAUTHENTICATED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_creates_all_land_exactly_once() {
    let (server, token) = TestServer::with_admin().await;
    let server = std::sync::Arc::new(server);
    let mut tasks = Vec::new();
    for n in 0..40 {
        let (server, token) = (server.clone(), token.clone());
        tasks.push(tokio::spawn(async move {
            let body = json!({"given_name": format!("Person{n}"), "family_name": "Parallel", "phone": format!("07911 2{n:05}")});
            server.post("/api/v1/patients", &token, body).await.status
        }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap(), StatusCode::CREATED);
    }
    assert_eq!(server.count_rows("patients"), 40);
    assert_eq!(server.count_rows("changes WHERE entity = 'patient' AND op = 'create'"), 40);
}

#[tokio::test]
async fn records_survive_a_restart() {
    let (server, token) = TestServer::with_admin().await;
    let created = server.create_patient(&token, ada()).await;
    let dir = server.stop().await;

    let restarted = TestServer::start_in(dir.path()).await;
    assert!(restarted.setup_token.is_none(), "an admin exists, so no setup link");
    let token = restarted.login(crate::harness::ADMIN_EMAIL, crate::harness::PASSWORD).await;
    let read = restarted.get(&format!("/api/v1/patients/{}", created["id"]), &token).await;
    assert_eq!(read.body, created);
}

#[tokio::test]
async fn a_patch_clears_optional_fields_with_null_and_refuses_null_for_names() {
    let (server, token) = TestServer::with_admin().await;
    let created = server
        .create_patient(&token, json!({"given_name": "Nell", "family_name": "Null", "email": "nell@example.com"}))
        .await;
    let path = format!("/api/v1/patients/{}", created["id"]);
    let cleared = server.patch(&path, &token, json!({"email": null})).await;
    assert_eq!(cleared.status, StatusCode::OK, "{:?}", cleared.body);
    assert!(cleared.body.get("email").is_none(), "{:?}", cleared.body);

    for field in ["given_name", "family_name"] {
        let refused = server.patch(&path, &token, json!({ field: null, "lead_source": "radio" })).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{field}: {:?}", refused.body);
        assert!(refused.field_error(field).is_some(), "{field}: {:?}", refused.body);
    }
    let unchanged = server.get(&path, &token).await;
    assert_eq!((&unchanged.body["given_name"], &unchanged.body["family_name"]), (&json!("Nell"), &json!("Null")));
    assert!(unchanged.body.get("lead_source").is_none(), "a refused patch writes nothing");
}

#[tokio::test]
async fn a_remembered_list_follows_every_change_to_patients() {
    let (server, token) = crate::harness::TestServer::with_admin().await;
    for n in 0..30 {
        server
            .create_patient(&token, serde_json::json!({"given_name": format!("P{n}"), "family_name": "Middle"}))
            .await;
    }
    let page = |path: &'static str| {
        let (server, token) = (&server, &token);
        async move { server.get(path, token).await.body }
    };
    let before_top = page("/api/v1/patients?page=1&page_size=10").await;
    let before = page("/api/v1/patients?page=2&page_size=10").await;
    assert_eq!(before["pagination"]["total"], 30);
    assert_eq!(page("/api/v1/patients?page=2&page_size=10").await, before, "the same answer again");
    // A new patient who sorts first moves every page along.
    let first =
        server.create_patient(&token, serde_json::json!({"given_name": "Aaron", "family_name": "Aardvark"})).await;
    let after = page("/api/v1/patients?page=2&page_size=10").await;
    assert_eq!(after["pagination"]["total"], 31);
    assert_eq!(after["data"][0]["id"], before_top["data"][9]["id"], "page 2 now starts with page 1's last");
    let top = page("/api/v1/patients?page=1&page_size=10").await;
    assert_eq!(top["data"][0]["id"], first["id"]);
    // Renaming and archiving are seen at once too.
    let id = first["id"].as_i64().unwrap();
    server.patch(&format!("/api/v1/patients/{id}"), &token, serde_json::json!({"family_name": "Zed"})).await;
    let last = page("/api/v1/patients?page=4&page_size=10").await;
    assert_eq!(last["data"][0]["id"], first["id"], "{last:?}");
    server.call(reqwest::Method::POST, &format!("/api/v1/patients/{id}/archive"), Some(&token), None).await;
    assert_eq!(page("/api/v1/patients?status=active&page_size=10").await["pagination"]["total"], 30);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_search_list_counts_and_pages_every_match_from_the_index() {
    let (server, token) = TestServer::with_admin().await;
    let server = std::sync::Arc::new(server);
    // More matches than the 1,000 best a filtered search looks among.
    const MATCHES: usize = 1_050;
    let mut tasks = Vec::new();
    for worker in 0..8 {
        let (server, token) = (server.clone(), token.clone());
        tasks.push(tokio::spawn(async move {
            for n in (worker..MATCHES).step_by(8) {
                let source = if n % 10 == 0 { "website" } else { "referral" };
                let body = json!({"given_name": format!("Ada{n}"), "family_name": "Okonkwo", "lead_source": source});
                let reply = server.post("/api/v1/patients?allow_duplicate=true", &token, body).await;
                assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    server.create_patient(&token, json!({"given_name": "Grace", "family_name": "Hopper"})).await;
    server.index_caught_up().await;

    // A typo still finds them all, and the count is every match.
    let first = server.get("/api/v1/patients?q=okonkow&page_size=100", &token).await;
    assert_eq!(first.status, StatusCode::OK, "{:?}", first.body);
    assert_eq!(first.body["pagination"]["total"], MATCHES);
    assert_eq!(first.body["pagination"]["total_pages"], 11);
    let mut seen = std::collections::HashSet::new();
    for page in 1..=11 {
        let reply = server.get(&format!("/api/v1/patients?q=okonkwo&page={page}&page_size=100"), &token).await;
        assert_eq!(reply.body["pagination"]["total"], MATCHES, "page {page}");
        let rows = reply.body["data"].as_array().unwrap();
        assert_eq!(rows.len(), if page == 11 { 50 } else { 100 }, "page {page}");
        assert!(rows.iter().all(|p| p["family_name"] == "Okonkwo"));
        assert_eq!(reply.body["pagination"]["has_next"], page < 11);
        seen.extend(rows.iter().map(|p| p["id"].as_i64().unwrap()));
    }
    assert_eq!(seen.len(), MATCHES, "no match on two pages, none left out");

    // The deepest page a ranked list reaches, and one past it.
    let deepest = server.get("/api/v1/patients?q=okonkwo&page=100&page_size=100", &token).await;
    assert_eq!(deepest.status, StatusCode::OK);
    assert!(deepest.body["data"].as_array().unwrap().is_empty());
    let past = server.get("/api/v1/patients?q=okonkwo&page=101&page_size=100", &token).await;
    assert_eq!(past.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(past.field_error("page").is_some_and(|m| m.contains("10000")), "{:?}", past.body);

    // Filtered further, the list is drawn from the best 1,000 matches.
    let filtered = server.get("/api/v1/patients?q=okonkwo&lead_source=website&page_size=100", &token).await;
    let total = filtered.body["pagination"]["total"].as_i64().unwrap();
    assert!((55..=105).contains(&total), "{total}");
    assert!(filtered.body["data"].as_array().unwrap().iter().all(|p| p["lead_source"] == "website"));
}

#[tokio::test]
async fn the_uk_drama_numbers_register_for_demos_and_training() {
    let (server, token) = TestServer::with_admin().await;
    let body = json!({"given_name": "Demo", "family_name": "Patient", "phone": "07700 900123"});
    let created = server.post("/api/v1/patients", &token, body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    assert_eq!(created.body["phone"], "+447700900123");
    let wrong = server
        .post("/api/v1/patients", &token, json!({"given_name": "A", "family_name": "B", "phone": "07700 9001"}))
        .await;
    assert_eq!(wrong.field_error("phone"), Some("is not a valid phone number"), "{:?}", wrong.body);
}
