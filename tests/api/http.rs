use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::harness::{TestServer, into_reply};

#[tokio::test]
async fn health_and_readiness_answer() {
    let server = TestServer::start().await;
    let alive = server.call(Method::GET, "/health", None, None).await;
    assert_eq!(alive.status, StatusCode::OK);
    assert_eq!(alive.body["status"], "ok");
    let ready = server.call(Method::GET, "/health/ready", None, None).await;
    assert_eq!(ready.status, StatusCode::OK);
    assert_eq!(ready.body["checks"]["database"]["status"], "ok");
    assert_eq!(ready.body["checks"]["index"], json!({"status": "ready"}), "a stranger learns only the state");
}

#[tokio::test]
async fn only_an_administrator_sees_the_index_in_detail() {
    let (server, admin) = TestServer::with_admin().await;
    server.create_patient(&admin, json!({"given_name": "Ida", "family_name": "Count"})).await;
    let (_, clerk) = server.staff_token(&admin, "front_desk").await;
    let detailed = server.call(Method::GET, "/health/ready", Some(&admin), None).await;
    assert!(detailed.body["checks"]["index"]["documents"].as_u64().is_some(), "{:?}", detailed.body);
    for credential in [Some(clerk.as_str()), Some("not-a-token"), None] {
        let plain = server.call(Method::GET, "/health/ready", credential, None).await;
        assert_eq!(plain.status, StatusCode::OK);
        assert_eq!(plain.body["checks"]["index"], json!({"status": "ready"}), "{credential:?}");
    }
}

#[tokio::test]
async fn every_api_error_is_the_json_envelope() {
    let (server, token) = TestServer::with_admin().await;
    let unknown = server.get("/api/v1/no-such-thing", &token).await;
    assert_eq!((unknown.status, unknown.code()), (StatusCode::NOT_FOUND, "NOT_FOUND"));
    let outside_v1 = server.call(Method::GET, "/api/nothing", None, None).await;
    assert_eq!(outside_v1.code(), "NOT_FOUND");
    let method = server.call(Method::PUT, "/api/v1/patients", Some(&token), None).await;
    assert_eq!((method.status, method.code()), (StatusCode::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED"));

    let big = "x".repeat(clinicbox::http::MAX_BODY_BYTES + 1);
    let too_large = server
        .client
        .post(server.url("/api/v1/patients"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    let too_large = into_reply(too_large).await;
    assert_eq!((too_large.status, too_large.code()), (StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE"));

    let not_json = server
        .client
        .post(server.url("/api/v1/auth/login"))
        .header("content-type", "application/json")
        .body("not json")
        .send()
        .await
        .unwrap();
    let not_json = into_reply(not_json).await;
    assert_eq!((not_json.status, not_json.code()), (StatusCode::BAD_REQUEST, "MALFORMED_REQUEST"));
    let wrong_type =
        server.client.post(server.url("/api/v1/auth/login")).header("content-type", "text/plain").body("hi").send();
    let wrong_type = into_reply(wrong_type.await.unwrap()).await;
    assert!(wrong_type.status.is_client_error());
    assert!(!wrong_type.code().is_empty());
    let missing_field = server.call(Method::POST, "/api/v1/auth/login", None, Some(serde_json::json!({}))).await;
    assert_eq!(missing_field.status, StatusCode::UNPROCESSABLE_ENTITY, "JSON with fields missing names them");
    assert_eq!(missing_field.field_error("email"), Some("is required"));
    assert_eq!(missing_field.field_error("password"), Some("is required"));
}

#[tokio::test]
async fn responses_carry_request_ids_and_security_headers() {
    let (server, token) = TestServer::with_admin().await;
    let reply = server.get("/api/v1/patients", &token).await;
    let id = reply.header("x-request-id").unwrap();
    assert!(id.len() >= 16);
    assert!(reply.header("content-security-policy").unwrap().contains("frame-ancestors 'none'"));
    assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(reply.header("referrer-policy"), Some("no-referrer"));
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    let other = server.get("/api/v1/patients", &token).await;
    assert_ne!(other.header("x-request-id"), Some(id));
    // Hostile request ids are replaced, not echoed.
    let response = server.client.get(server.url("/health")).header("x-request-id", "<script>").send().await.unwrap();
    assert_ne!(response.headers()["x-request-id"], "<script>");
    assert!(reply.header("strict-transport-security").is_none(), "no HSTS over plain http");
}

#[tokio::test]
async fn behind_https_every_answer_carries_hsts() {
    let server = TestServer::start_configured(|config| config.public_url = Some("https://clinic.example".into())).await;
    for path in ["/health", "/api/v1/patients", "/", "/api/v1/nowhere"] {
        let response = server.client.get(server.url(path)).send().await.unwrap();
        let hsts = response.headers().get("strict-transport-security").map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(hsts.as_deref(), Some("max-age=31536000"), "{path}");
    }
}

#[tokio::test]
async fn the_openapi_document_describes_every_operation() {
    let server = TestServer::start().await;
    let response = server.client.get(server.url("/api/openapi.json")).send().await.unwrap();
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    let spec: Value = response.json().await.unwrap();
    assert!(spec["openapi"].as_str().unwrap().starts_with("3."));
    assert_eq!(spec["servers"][0]["url"], "/api/v1");
    let paths = spec["paths"].as_object().unwrap();
    for path in [
        "/auth/login",
        "/auth/refresh",
        "/auth/session",
        "/staff",
        "/staff/{id}",
        "/patients",
        "/patients/{id}",
        "/patients/facets",
        "/audit",
        "/setup",
    ] {
        assert!(paths.contains_key(path), "{path} missing");
    }
    let mut operations = 0;
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            operations += 1;
            let name = format!("{method} {path}");
            assert!(op["summary"].as_str().is_some_and(|s| !s.is_empty()), "{name} has no summary");
            let description = op["description"].as_str().unwrap_or_default();
            let own_words = description.split("\n\n").filter(|p| {
                !p.starts_with("Roles: ") && !p.starts_with("Answers one page") && !p.starts_with("Answers the whole")
            });
            assert!(own_words.map(str::len).sum::<usize>() > 40, "{name} has no description of its own");
            assert!(
                description.lines().last().unwrap_or_default().starts_with("Roles: "),
                "{name} ends with its roles"
            );
            assert!(op["tags"].as_array().is_some_and(|t| !t.is_empty()), "{name} has no tag");
            assert!(op["operationId"].is_string(), "{name} has no operationId");
            let responses = op["responses"].as_object().unwrap();
            // A WebSocket's success is its upgrade.
            assert!(responses.keys().any(|s| s.starts_with('2') || s == "101"), "{name} documents no success");
            assert!(responses.contains_key("500"), "{name} does not document 500");
            let public = op["security"].as_array().is_some_and(|s| s.is_empty());
            assert!(public || responses.contains_key("401"), "{name} needs sign-in but documents no 401");
            let takes_input = op.get("requestBody").is_some()
                || op["parameters"].as_array().is_some_and(|p| p.iter().any(|p| p["in"] == "query"));
            assert!(!takes_input || responses.contains_key("422"), "{name} takes input but documents no 422");
        }
    }
    assert!(operations >= 20, "{operations}");
    let schemes = spec["components"]["securitySchemes"].as_object().unwrap();
    assert!(schemes.values().any(|s| s["scheme"] == "bearer"));
    assert!(spec["components"]["schemas"]["ErrorEnvelope"].is_object());

    let cached =
        server.client.get(server.url("/api/openapi.json")).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(cached.status(), StatusCode::NOT_MODIFIED);
    let compressed =
        server.client.get(server.url("/api/openapi.json")).header("accept-encoding", "gzip").send().await.unwrap();
    assert_eq!(compressed.headers()["content-encoding"], "gzip");
}

#[tokio::test]
async fn the_docs_page_works_offline() {
    let server = TestServer::start().await;
    let response = server.client.get(server.url("/api/docs")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    assert!(response.headers().contains_key("etag"));
    let html = response.text().await.unwrap();
    assert!(html.contains("swagger"), "not the Swagger UI");
    for needle in ["src=\"http", "href=\"http", "src=\"//", "href=\"//"] {
        assert!(!html.contains(needle), "the docs page loads something from outside: {needle}");
    }
}

#[tokio::test]
async fn the_web_ui_is_served_with_etags_and_client_routes_fall_back() {
    let server = TestServer::start().await;
    let root = server.client.get(server.url("/")).send().await.unwrap();
    assert_eq!(root.status(), StatusCode::OK);
    let etag = root.headers()["etag"].to_str().unwrap().to_owned();
    let index = root.text().await.unwrap();
    assert!(index.contains("<script type=\"module\""));

    let route = server.client.get(server.url("/patients/42")).send().await.unwrap();
    assert_eq!(route.headers()["etag"].to_str().unwrap(), etag);
    assert_eq!(route.text().await.unwrap(), index);

    let again = server.client.get(server.url("/")).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);

    let script = server.client.get(server.url("/app.js")).send().await.unwrap();
    assert_eq!(script.status(), StatusCode::OK);
    assert!(script.headers()["content-type"].to_str().unwrap().contains("javascript"));
    let css = server.client.get(server.url("/styles.css")).send().await.unwrap();
    assert!(css.headers()["content-type"].to_str().unwrap().starts_with("text/css"));
    let missing = server.client.get(server.url("/missing.js")).send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn every_error_names_its_request_id_as_the_header_does() {
    let (server, token) = TestServer::with_admin().await;
    let replies = vec![
        ("unknown address", server.get("/api/v1/no-such-thing", &token).await),
        ("not signed in", server.call(Method::GET, "/api/v1/patients", None, None).await),
        ("invalid fields", server.post("/api/v1/patients", &token, json!({"given_name": "", "family_name": ""})).await),
        ("bad query value", server.get("/api/v1/patients?page=zero", &token).await),
        ("absent record", server.get("/api/v1/patients/424242", &token).await),
        ("wrong credentials", server.login_reply("nobody@clinic.test", "not the password at all").await),
    ];
    let mut wrong = Vec::new();
    for (what, reply) in &replies {
        let header = reply.header("x-request-id").unwrap_or_default();
        let body = reply.body["error"]["request_id"].as_str().unwrap_or_default();
        if header.is_empty() || body != header || reply.status.is_success() {
            wrong.push(format!("{what}: {} header {header:?}, body {:?}", reply.status, reply.body));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
    // A caller's own id is kept, in the header and in the body.
    let own = server
        .client
        .get(server.url("/api/v1/patients/424242"))
        .bearer_auth(&token)
        .header("x-request-id", "integrator-trace-42")
        .send()
        .await
        .unwrap();
    let own = into_reply(own).await;
    assert_eq!(own.body["error"]["request_id"], "integrator-trace-42");
}

#[tokio::test]
async fn the_served_spec_and_the_docs_page_are_the_finished_document() {
    let server = TestServer::start().await;
    let served = server.client.get(server.url("/api/openapi.json")).send().await.unwrap().text().await.unwrap();
    assert_eq!(served, clinicbox::server::openapi_json());
    let docs = server.client.get(server.url("/api/docs")).send().await.unwrap().text().await.unwrap();
    assert!(docs.contains("https://www.apache.org/licenses/LICENSE-2.0"), "the docs page embeds the finished spec");
}

#[tokio::test]
async fn a_request_without_a_body_where_one_is_needed_is_a_client_error_in_the_envelope() {
    let (server, token) = TestServer::with_admin().await;
    let reply = server.call(Method::POST, "/api/v1/patients", Some(&token), None).await;
    assert_eq!((reply.status, reply.code()), (StatusCode::BAD_REQUEST, "MALFORMED_REQUEST"), "{:?}", reply.body);
    assert_eq!(server.count_rows("patients"), 0);
}

#[tokio::test]
async fn bad_query_values_are_named_in_plain_words() {
    let (server, token) = TestServer::with_admin().await;
    let cases = [
        ("/api/v1/patients?page=zero", "page", "must be a whole number"),
        ("/api/v1/appointments?date=25/10/2026&centre_id=1", "date", "must be a date written YYYY-MM-DD"),
        ("/api/v1/appointments?from=tomorrow", "from", "must be an instant in RFC 3339"),
        ("/api/v1/appointments?status=bogus", "status", "must be one of pending, confirmed"),
        ("/api/v1/patients?sort=password_hash", "sort", "must be one of family_name, -family_name"),
        ("/api/v1/search?q=x&types=invoice", "types", "must be one of patient, staff"),
    ];
    let mut wrong = Vec::new();
    for (path, field, expected) in cases {
        let reply = server.get(path, &token).await;
        let problem = reply.field_error(field).unwrap_or_default();
        let leaks = ["optional_", "integer_", "string_", "occurred while parsing"].iter().any(|n| problem.contains(n));
        if reply.status != StatusCode::UNPROCESSABLE_ENTITY || !problem.starts_with(expected) || leaks {
            wrong.push(format!("{path}: {} {problem:?}", reply.status));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[tokio::test]
async fn a_method_an_address_does_not_take_is_a_405_that_says_which_it_does() {
    let (server, token) = TestServer::with_admin().await;
    let reply = server.call(reqwest::Method::PUT, "/api/v1/patients", Some(&token), Some(serde_json::json!({}))).await;
    assert_eq!((reply.status.as_u16(), reply.code()), (405, "METHOD_NOT_ALLOWED"), "{:?}", reply.body);
    assert_eq!(reply.header("allow"), Some("GET, POST"));
    assert!(reply.header("content-security-policy").is_some());
    let one = server.call(reqwest::Method::POST, "/api/v1/patients/1", Some(&token), None).await;
    assert_eq!(one.status.as_u16(), 405);
    assert_eq!(one.header("allow"), Some("GET, PATCH"));
}

#[tokio::test]
async fn every_refusal_before_an_operation_is_the_envelope_with_the_security_headers() {
    let (server, token) = TestServer::with_admin().await;
    let long_query = format!("/api/v1/patients?q={}", "a".repeat(clinicbox::http::context::MAX_URI_BYTES));
    let long_public = format!("/api/v1/public/clinicians?x={}", "a".repeat(clinicbox::http::context::MAX_URI_BYTES));
    let send = |method: Method, path: &str, content_type: &str, body: String| {
        server
            .client
            .request(method, server.url(path))
            .bearer_auth(&token)
            .header("content-type", content_type)
            .body(body)
    };
    let cases = [
        (send(Method::GET, "/api/v1/no-such-thing", "application/json", String::new()), 404, "NOT_FOUND"),
        (send(Method::DELETE, "/api/v1/patients", "application/json", String::new()), 405, "METHOD_NOT_ALLOWED"),
        (send(Method::GET, &long_query, "application/json", String::new()), 414, "URI_TOO_LONG"),
        (send(Method::GET, &long_public, "application/json", String::new()), 414, "URI_TOO_LONG"),
        (
            send(Method::POST, "/api/v1/patients", "application/json", "x".repeat(clinicbox::http::MAX_BODY_BYTES + 1)),
            413,
            "PAYLOAD_TOO_LARGE",
        ),
        (send(Method::POST, "/api/v1/patients", "text/plain", "hi".into()), 415, "UNSUPPORTED_MEDIA_TYPE"),
        (send(Method::POST, "/api/v1/patients", "application/json", "{".into()), 400, "MALFORMED_REQUEST"),
    ];
    for (request, status, code) in cases {
        let reply = into_reply(request.send().await.unwrap()).await;
        assert_eq!((reply.status.as_u16(), reply.code()), (status, code), "{:?}", reply.body);
        assert!(reply.body["error"]["request_id"].is_string(), "{code}: {:?}", reply.body);
        for header in ["content-security-policy", "x-content-type-options", "x-frame-options", "x-request-id"] {
            assert!(reply.header(header).is_some(), "{code} without {header}");
        }
        assert_eq!(reply.header("content-type"), Some("application/json; charset=utf-8"), "{code}");
    }
    // Just under the limit the address is answered as usual.
    let fits = format!("/api/v1/patients?q={}", "a".repeat(150));
    assert_eq!(server.get(&fits, &token).await.status, StatusCode::OK);
}
