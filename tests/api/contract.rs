//! The contract the spec states, held against the running server: who may
//! call each operation (its `Roles:` line), the codes each error response
//! lists, typed error details, and how instants are written.

use std::collections::HashMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::harness::{ADMIN_EMAIL, PASSWORD, Reply, TestServer, into_reply, rand_suffix};
use crate::scheduling::{Clinic, book_body, clinic, london};

const ROLES: [&str; 5] = ["admin", "manager", "clinician", "front_desk", "billing"];

/// Records every operation's path can name, and a free start time.
struct Fixtures {
    clinic: Clinic,
    appointment: i64,
    spare_staff: i64,
    spare_key: i64,
    time_off: i64,
    extra: i64,
    start: String,
}

async fn fixtures(server: &TestServer, admin: &str) -> Fixtures {
    let clinic = clinic(server, admin).await;
    let start = london(clinic.monday, "09:00");
    let booked = server
        .post("/api/v1/appointments", admin, book_body(&clinic, clinic.patients[0], clinic.consult, &start))
        .await;
    assert_eq!(booked.status, StatusCode::CREATED, "{:?}", booked.body);
    let (spare_staff, _) = server.staff_token(admin, "billing").await;
    let key = server.post("/api/v1/api-keys", admin, json!({"name": "spare", "role": "billing"})).await;
    assert_eq!(key.status, StatusCode::CREATED, "{:?}", key.body);
    let clinician_path = format!("/api/v1/clinicians/{}", clinic.clinician);
    let off = json!({"start": london(clinic.monday, "13:00"), "end": london(clinic.monday, "14:00")});
    let time_off = server.post(&format!("{clinician_path}/time-off"), admin, off).await;
    assert_eq!(time_off.status, StatusCode::CREATED, "{:?}", time_off.body);
    let tuesday = clinic.monday + Duration::days(1);
    let extra = json!({"start": london(tuesday, "18:00"), "end": london(tuesday, "19:00"), "centre_id": clinic.centre});
    let extra = server.post(&format!("{clinician_path}/extra-availability"), admin, extra).await;
    assert_eq!(extra.status, StatusCode::CREATED, "{:?}", extra.body);
    Fixtures {
        appointment: booked.body["id"].as_i64().unwrap(),
        spare_staff,
        spare_key: key.body["id"].as_i64().unwrap(),
        time_off: time_off.body["id"].as_i64().unwrap(),
        extra: extra.body["id"].as_i64().unwrap(),
        start: london(clinic.monday, "10:00"),
        clinic,
    }
}

/// The roles an operation's description names; `None` for `Roles: public`.
fn roles_of(operation: &Value) -> Option<Vec<String>> {
    let description = operation["description"].as_str().unwrap_or_default();
    let line = description.lines().last().unwrap_or_default();
    let roles = line.strip_prefix("Roles: ").unwrap_or_else(|| panic!("no Roles line last in {description:?}"));
    let roles = roles.split(';').next().unwrap();
    (roles != "public").then(|| roles.split(", ").map(str::to_owned).collect())
}

/// The path with each parameter naming a fixture.
fn fill_path(path: &str, fx: &Fixtures) -> String {
    let id = match path.split('/').nth(1).unwrap_or_default() {
        "appointments" => fx.appointment,
        "clinicians" => fx.clinic.clinician,
        "centres" => fx.clinic.centre,
        "services" => fx.clinic.consult,
        "patients" => fx.clinic.patients[1],
        "staff" => fx.spare_staff,
        "api-keys" => fx.spare_key,
        // No one's sign-in: ending it must not sign the test's callers out.
        "auth" => 999_999,
        _ => 1,
    };
    path.replace("{id}", &id.to_string())
        .replace("{patient_id}", &fx.clinic.patients[0].to_string())
        .replace("{time_off_id}", &fx.time_off.to_string())
        .replace("{extra_id}", &fx.extra.to_string())
        .replace("{staff_id}", &fx.spare_staff.to_string())
        .replace("{file}", "unknown.ics")
        .replace("{event}", "reminder")
        // A snapshot name of the right shape that no snapshot has.
        .replace("{name}", "20200101T000000.000Z")
}

fn resolve<'a>(spec: &'a Value, schema: &'a Value) -> &'a Value {
    let schema = schema.get("allOf").and_then(|all| all.get(0)).unwrap_or(schema);
    match schema["$ref"].as_str() {
        Some(reference) => resolve(spec, spec.pointer(reference.trim_start_matches('#')).unwrap()),
        None => schema,
    }
}

/// A value of `schema` that parses: every required field, typed right.
/// (It need not pass the services' rules: a refused role is told so first.)
fn sample(spec: &Value, schema: &Value, name: &str, fx: &Fixtures) -> Value {
    let schema = resolve(spec, schema);
    if let Some(example) = schema.get("example") {
        return example.clone();
    }
    if let Some(values) = schema["enum"].as_array() {
        return values[0].clone();
    }
    let id_of = |name: &str| match name {
        "patient_id" => fx.clinic.patients[2],
        "clinician_id" => fx.clinic.clinician,
        "centre_id" => fx.clinic.centre,
        "service_id" => fx.clinic.consult,
        "staff_id" => fx.spare_staff,
        _ => 1,
    };
    match schema["type"].as_str().unwrap_or("object") {
        "object" => {
            let mut object = serde_json::Map::new();
            for required in schema["required"].as_array().into_iter().flatten() {
                let field = required.as_str().unwrap();
                object.insert(field.to_owned(), sample(spec, &schema["properties"][field], field, fx));
            }
            Value::Object(object)
        }
        // A list that needs items gets as many as it needs.
        "array" if schema["minItems"].as_u64().unwrap_or(0) > 0 => {
            let needed = schema["minItems"].as_u64().unwrap_or(1) as usize;
            Value::Array(vec![sample(spec, &schema["items"], name, fx); needed])
        }
        "array" => json!([]),
        "integer" => json!(id_of(name).max(schema["minimum"].as_i64().unwrap_or(1))),
        "number" => json!(1.0),
        "boolean" => json!(false),
        _ => match (schema["format"].as_str(), name) {
            (Some("date"), _) => json!(fx.clinic.monday.to_string()),
            (Some("date-time"), _) => json!(fx.start),
            (_, "email") => json!(format!("sample-{}@clinic.test", rand_suffix())),
            (_, "password") => json!(PASSWORD),
            (_, "timezone") => json!("Europe/London"),
            (_, "currency") => json!("GBP"),
            // Patterned names: a template's id, a section's key.
            (_, "id") => json!(format!("sample-{}", rand_suffix().to_lowercase())),
            (_, "key") => json!("sample"),
            _ => json!("Sample"),
        },
    }
}

#[derive(Clone)]
enum Credential {
    None,
    Bearer(String),
    /// A browser session: its cookie and CSRF token.
    Session(String, String),
}

async fn sign_in_browser(server: &TestServer, email: &str) -> Credential {
    let client = reqwest::Client::new();
    let response = client
        .post(server.url("/api/v1/auth/session"))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let cookie = response.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    let reply = into_reply(response).await;
    Credential::Session(cookie, reply.body["csrf_token"].as_str().unwrap().to_owned())
}

/// A body that is not JSON (an image or a form with a file) stands in the
/// loop as `{RAW_BODY: media type}` and is sent as a small valid file of that type.
const RAW_BODY: &str = "$raw";

fn raw_sample(media_type: &str) -> Vec<u8> {
    match media_type {
        "image/png" => b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec(),
        "image/jpeg" => vec![0xff, 0xd8, 0xff, 0xe0, 0, 0x10],
        "image/webp" => b"RIFF\0\0\0\0WEBPVP8 ".to_vec(),
        other => panic!("no sample body for {other}"),
    }
}

async fn send(method: &str, url: &str, body: Option<&Value>, credential: &Credential) -> Reply {
    let client = reqwest::Client::new();
    let mut request = client.request(Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(), url);
    match credential {
        Credential::None => {}
        Credential::Bearer(token) => request = request.bearer_auth(token),
        Credential::Session(cookie, csrf) => request = request.header("cookie", cookie).header("x-csrf-token", csrf),
    }
    match body.and_then(|b| b.get(RAW_BODY)).and_then(Value::as_str) {
        Some("multipart/form-data") => {
            let file = reqwest::multipart::Part::bytes(b"%PDF-1.7\n1 0 obj".to_vec()).file_name("letter.pdf");
            request = request.multipart(reqwest::multipart::Form::new().part("file", file));
        }
        Some(media_type) => request = request.header("content-type", media_type).body(raw_sample(media_type)),
        None => {
            if let Some(body) = body {
                request = request.json(body);
            }
        }
    }
    let response = request.send().await.unwrap();
    if response.headers().get("content-type").is_some_and(|t| t.to_str().unwrap().starts_with("text/calendar")) {
        return Reply { status: response.status(), headers: response.headers().clone(), body: Value::Null };
    }
    into_reply(response).await
}

/// An error answer's code is listed under its status in the operation's spec.
fn assert_listed(operation: &Value, name: &str, reply: &Reply) {
    if reply.status.as_u16() < 400 {
        return;
    }
    let status = reply.status.as_u16().to_string();
    let listed = operation["responses"][&status]["description"].as_str().unwrap_or_default();
    let code = format!("`{}`", reply.code());
    assert!(listed.contains(&code), "{name} answered {status} {code}, which its spec does not list: {listed:?}");
}

#[tokio::test]
async fn every_operation_admits_exactly_the_roles_its_description_names() {
    let (server, admin) = TestServer::with_admin().await;
    let fx = fixtures(&server, &admin).await;
    let mut emails = HashMap::from([("admin", ADMIN_EMAIL.to_owned())]);
    for role in &ROLES[1..] {
        let email = format!("{role}-{}@clinic.test", rand_suffix());
        let body = json!({"email": email, "name": format!("A {role}"), "role": role, "password": PASSWORD});
        assert_eq!(server.post("/api/v1/staff", &admin, body).await.status, StatusCode::CREATED);
        emails.insert(role, email);
    }
    let mut tokens = HashMap::new();
    let mut keys = HashMap::new();
    for role in ROLES {
        tokens.insert(role, server.login(&emails[role], PASSWORD).await);
        let key = server.post("/api/v1/api-keys", &admin, json!({"name": format!("{role} key"), "role": role})).await;
        assert_eq!(key.status, StatusCode::CREATED, "{:?}", key.body);
        keys.insert(role, key.body["key"].as_str().unwrap().to_owned());
    }
    let expiring = server.login(ADMIN_EMAIL, PASSWORD).await;
    let spec = reqwest::get(server.url("/api/openapi.json")).await.unwrap().json::<Value>().await.unwrap();
    let reset_settings = || async {
        let body = json!({"mfa_required_roles": [], "clinician_scope": "all"});
        let reply = server.call(Method::PUT, "/api/v1/settings/security", Some(&admin), Some(body)).await;
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    };

    let mut checked = 0;
    let mut secured = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let name = format!("{} {path}", method.to_uppercase());
            let mut url = server.url(&format!("/api/v1{}", fill_path(path, &fx)));
            let required_query: Vec<String> = operation["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "query" && p["required"] == true)
                .map(|p| {
                    let value = sample(&spec, &p["schema"], p["name"].as_str().unwrap(), &fx);
                    let text = value.as_str().map(str::to_owned).unwrap_or_else(|| value.to_string());
                    format!("{}={}", p["name"].as_str().unwrap(), text.replace('+', "%2B"))
                })
                .collect();
            if !required_query.is_empty() {
                url = format!("{url}?{}", required_query.join("&"));
            }
            let body = operation["requestBody"]["content"].as_object().and_then(|content| content.iter().next()).map(
                |(media_type, media)| match media_type.starts_with("application/json") {
                    true => sample(&spec, &media["schema"], "", &fx),
                    false => json!({ RAW_BODY: media_type }),
                },
            );
            let signs_out = operation["operationId"] == "logout" || operation["operationId"] == "delete_session";
            let browser_only = operation["security"] == json!([{"SessionAuth": []}]);

            let stranger = send(method, &url, body.as_ref(), &Credential::None).await;
            assert_listed(operation, &name, &stranger);
            let Some(allowed) = roles_of(operation) else {
                assert!(
                    !["UNAUTHENTICATED", "FORBIDDEN"].contains(&stranger.code()),
                    "{name} is public: {:?}",
                    stranger.body
                );
                checked += 1;
                continue;
            };
            assert_eq!(stranger.status, StatusCode::UNAUTHORIZED, "{name} without a credential");
            let people_only = operation["description"].as_str().unwrap_or_default().ends_with("; not API keys");
            let changes_settings = operation["operationId"] == "put_security_settings";
            if !browser_only {
                secured.push((name.clone(), method.clone(), url.clone(), body.clone()));
            }
            for role in ROLES {
                let credential = match (browser_only, signs_out) {
                    (true, _) => sign_in_browser(&server, &emails[role]).await,
                    (false, true) => Credential::Bearer(server.login(&emails[role], PASSWORD).await),
                    (false, false) => Credential::Bearer(tokens[role].clone()),
                };
                let reply = send(method, &url, body.as_ref(), &credential).await;
                assert_listed(operation, &name, &reply);
                let refused = reply.code() == "FORBIDDEN";
                let expected = !allowed.iter().any(|r| r == role);
                assert_eq!(
                    refused, expected,
                    "{name} as {role} (Roles: {allowed:?}): {} {:?}",
                    reply.status, reply.body
                );
                if changes_settings {
                    reset_settings().await;
                }
                checked += 1;
                if browser_only {
                    continue;
                }
                // An API key of the role is admitted exactly where the role
                // is, except to what only a person has.
                let reply = send(method, &url, body.as_ref(), &Credential::Bearer(keys[role].clone())).await;
                assert_listed(operation, &name, &reply);
                assert_eq!(
                    reply.code() == "FORBIDDEN",
                    expected || people_only,
                    "{name} with a {role} API key: {} {:?}",
                    reply.status,
                    reply.body
                );
                if changes_settings {
                    reset_settings().await;
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 500, "{checked} credential × operation pairs");

    // An access token past its lifetime is refused by every secured operation.
    server.advance(Duration::seconds(clinicbox::auth::sign_in::ACCESS_TTL_SECONDS));
    for (name, method, url, body) in secured {
        let reply = send(&method, &url, body.as_ref(), &Credential::Bearer(expiring.clone())).await;
        assert_eq!(
            (reply.status, reply.code()),
            (StatusCode::UNAUTHORIZED, "TOKEN_EXPIRED"),
            "{name}: {:?}",
            reply.body
        );
    }
}

/// Every string in `value` that reads as an instant, with where it was.
fn instants(value: &Value, at: &str, found: &mut Vec<(String, String)>) {
    match value {
        Value::String(text) if DateTime::parse_from_rfc3339(text).is_ok() => found.push((at.to_owned(), text.clone())),
        Value::Array(items) => items.iter().for_each(|item| instants(item, at, found)),
        Value::Object(object) => object.iter().for_each(|(key, item)| instants(item, key, found)),
        _ => {}
    }
}

#[tokio::test]
async fn instants_are_utc_with_z_and_appointments_keep_their_centres_offset() {
    // December: London is on UTC, Paris an hour ahead.
    let (server, admin) = TestServer::with_admin_at(Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap()).await;
    let c = clinic(&server, &admin).await;
    let start = london(c.monday, "10:00");
    assert!(start.ends_with('Z'), "{start}");
    let booked = server.post("/api/v1/appointments", &admin, book_body(&c, c.patients[0], c.consult, &start)).await;
    assert_eq!(booked.status, StatusCode::CREATED, "{:?}", booked.body);
    let id = booked.body["id"].as_i64().unwrap();
    let clash = server.post("/api/v1/appointments", &admin, book_body(&c, c.patients[1], c.consult, &start)).await;
    assert_eq!(clash.code(), "SLOT_TAKEN");
    server.post(&format!("/api/v1/appointments/{id}/cancel"), &admin, json!({"reason": "moved away"})).await;

    let paris = server.post("/api/v1/centres", &admin, json!({"name": "Paris", "timezone": "Europe/Paris"})).await;
    let paris = paris.body["id"].as_i64().unwrap();
    server
        .patch(&format!("/api/v1/clinicians/{}", c.clinician), &admin, json!({"centre_ids": [c.centre, paris]}))
        .await;
    let rule = json!([{"weekday": 2, "start": "09:00", "end": "12:00", "centre_id": paris}]);
    let path = format!("/api/v1/clinicians/{}/availability", c.clinician);
    assert_eq!(server.call(Method::PUT, &path, Some(&admin), Some(rule)).await.status, StatusCode::OK);
    let tuesday = (c.monday + Duration::days(1)).to_string();
    let slots = server
        .get(
            &format!("/api/v1/slots?clinician_id={}&service_id={}&from={tuesday}&to={tuesday}", c.clinician, c.consult),
            &admin,
        )
        .await;
    let first = slots.body["data"][0]["start"].as_str().unwrap_or_else(|| panic!("{:?}", slots.body)).to_owned();
    assert!(first.ends_with("+01:00"), "Paris keeps its offset: {first}");

    let mut found = Vec::new();
    instants(&clash.body, "error", &mut found);
    for read in [
        format!("/api/v1/appointments/{id}"),
        format!("/api/v1/appointments/{id}/history"),
        format!("/api/v1/appointments?date={}&centre_id={}", c.monday, c.centre),
        format!("/api/v1/patients/{}", c.patients[0]),
        format!("/api/v1/clinicians/{}", c.clinician),
        format!("/api/v1/centres/{}", c.centre),
        format!("/api/v1/services/{}", c.consult),
        "/api/v1/staff".to_owned(),
        "/api/v1/audit".to_owned(),
    ] {
        let reply = server.get(&read, &admin).await;
        assert_eq!(reply.status, StatusCode::OK, "{read}: {:?}", reply.body);
        instants(&reply.body, &read, &mut found);
    }
    assert!(found.len() > 30, "{found:?}");
    for (at, text) in &found {
        assert!(!text.ends_with("+00:00"), "{at}: UTC is written Z, not {text}");
    }
    let system = ["created_at", "updated_at", "at"];
    let system_instants: Vec<_> = found.iter().filter(|(at, _)| system.contains(&at.as_str())).collect();
    assert!(system_instants.len() > 10);
    assert!(system_instants.iter().all(|(_, text)| text.ends_with('Z')), "{system_instants:?}");
    assert!(found.iter().any(|(at, text)| at == "start" && text == &start), "appointment start as booked");
}

#[tokio::test]
async fn error_details_have_the_schema_their_code_names() {
    let (server, admin) = TestServer::with_admin().await;
    let spec = reqwest::get(server.url("/api/openapi.json")).await.unwrap().json::<Value>().await.unwrap();
    let schemas = &spec["components"]["schemas"];
    let kinds: Vec<&str> = schemas["ErrorDetails"]["anyOf"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["$ref"].as_str().unwrap().trim_start_matches("#/components/schemas/"))
        .collect();
    assert_eq!(schemas["ErrorBody"]["properties"]["details"]["$ref"], "#/components/schemas/ErrorDetails");
    let operation = |path: &str, method: &str| spec["paths"][path][method].clone();
    // Each answer's details carry exactly the required fields of one of the schemas.
    let check = |reply: &Reply, schema: &str| {
        assert!(kinds.contains(&schema), "{schema} is one of {kinds:?}");
        let required: Vec<&str> =
            schemas[schema]["required"].as_array().unwrap().iter().map(|f| f.as_str().unwrap()).collect();
        let details = reply.body["error"]["details"].as_object().unwrap_or_else(|| panic!("{:?}", reply.body));
        let mut present: Vec<&str> = details.keys().map(String::as_str).collect();
        present.sort();
        let mut expected = required.clone();
        expected.sort();
        assert_eq!(present, expected, "{schema}: {:?}", reply.body);
        assert_eq!(reply.body["error"]["request_id"].as_str(), reply.header("x-request-id"));
    };

    let c = clinic(&server, &admin).await;
    let start = london(c.monday, "10:00");
    let booked = server.post("/api/v1/appointments", &admin, book_body(&c, c.patients[0], c.consult, &start)).await;
    let id = booked.body["id"].as_i64().unwrap();
    let clash = server.post("/api/v1/appointments", &admin, book_body(&c, c.patients[1], c.consult, &start)).await;
    assert_eq!(clash.code(), "SLOT_TAKEN");
    check(&clash, "SlotTakenDetails");
    assert_eq!(clash.body["error"]["details"]["appointment_id"], id);
    assert_listed(&operation("/appointments", "post"), "book", &clash);

    server.post(&format!("/api/v1/appointments/{id}/cancel"), &admin, json!({})).await;
    let confirm = server.post(&format!("/api/v1/appointments/{id}/confirm"), &admin, json!({})).await;
    assert_eq!(confirm.code(), "INVALID_TRANSITION");
    check(&confirm, "InvalidTransitionDetails");
    assert_eq!(confirm.body["error"]["details"], json!({"action": "confirm", "status": "cancelled"}));
    assert_listed(&operation("/appointments/{id}/confirm", "post"), "confirm", &confirm);

    let person = json!({"given_name": "Dana", "family_name": "Twice", "date_of_birth": "1980-02-03"});
    let first = server.create_patient(&admin, person.clone()).await;
    let again = server.post("/api/v1/patients", &admin, person).await;
    assert_eq!(again.code(), "POSSIBLE_DUPLICATE");
    check(&again, "PossibleDuplicateDetails");
    assert_eq!(again.body["error"]["details"]["matches"][0]["id"], first["id"]);
    assert_listed(&operation("/patients", "post"), "register", &again);

    let invalid = server.post("/api/v1/patients", &admin, json!({"given_name": "", "family_name": "X"})).await;
    check(&invalid, "FieldDetails");
    assert!(invalid.field_error("given_name").is_some());

    let mut throttled = None;
    for _ in 0..30 {
        let reply = server.login_reply(ADMIN_EMAIL, "not the password").await;
        assert_listed(&operation("/auth/login", "post"), "login", &reply);
        if reply.status == StatusCode::TOO_MANY_REQUESTS {
            throttled = Some(reply);
            break;
        }
    }
    let throttled = throttled.expect("failed sign-ins are throttled");
    check(&throttled, "RetryAfterDetails");
    assert_eq!(
        throttled.body["error"]["details"]["retry_after_seconds"].as_u64().map(|s| s.to_string()).as_deref(),
        throttled.header("retry-after")
    );
}

/// No framework type name leaks into what a client reads.
fn assert_plain(reply: &Reply) {
    let text = reply.body.to_string();
    for leak in ["string_", "integer_", "optional_", "occurred while parsing", "Expected input type"] {
        assert!(!text.contains(leak), "{leak} in {text}");
    }
}

#[tokio::test]
async fn a_json_body_with_a_bad_value_is_a_422_naming_each_field_in_words() {
    let (server, admin) = TestServer::with_admin().await;
    let c = clinic(&server, &admin).await;
    let patients_before = server.count_rows("patients");

    let wrong = json!({"given_name": "Ada", "family_name": "L", "sex": "f", "date_of_birth": "31/12/1990", "email": 7});
    let reply = server.post("/api/v1/patients", &admin, wrong).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", reply.body);
    assert_eq!(reply.code(), "VALIDATION_FAILED");
    assert!(reply.field_error("sex").is_some_and(|p| p.starts_with("must be one of") && p.contains("female")));
    assert_eq!(reply.field_error("date_of_birth"), Some("must be a date written YYYY-MM-DD"));
    assert_eq!(reply.field_error("email"), Some("must be text"));
    assert_eq!(reply.field_error("given_name"), None, "good fields are not named");
    assert_plain(&reply);

    // The framework alone would read a number as text; the contract says text.
    let number = server.post("/api/v1/patients", &admin, json!({"given_name": 123, "family_name": "Lovelace"})).await;
    assert_eq!(number.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", number.body);
    assert_eq!(number.field_error("given_name"), Some("must be text"));
    let nested = json!({"given_name": "Ada", "family_name": "L", "address": {"line1": ["1 Main St"]}});
    let nested = server.post("/api/v1/patients", &admin, nested).await;
    assert_eq!(nested.field_error("address.line1"), Some("must be text"), "{:?}", nested.body);
    let patch =
        server.patch(&format!("/api/v1/patients/{}", c.patients[0]), &admin, json!({"phone": 7911123456i64})).await;
    assert_eq!(patch.field_error("phone"), Some("must be text"), "{:?}", patch.body);

    let missing = server.post("/api/v1/patients", &admin, json!({"family_name": 3})).await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", missing.body);
    assert_eq!(missing.field_error("given_name"), Some("is required"));
    assert_eq!(missing.field_error("family_name"), Some("must be text"));
    assert_plain(&missing);

    let booking =
        json!({"patient_id": "one", "service_id": c.consult, "clinician_id": c.clinician, "start": "tomorrow at ten"});
    let reply = server.post("/api/v1/appointments", &admin, booking).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", reply.body);
    assert_eq!(reply.field_error("patient_id"), Some("must be a whole number"));
    assert!(reply.field_error("start").is_some_and(|p| p.contains("RFC 3339")));
    assert_plain(&reply);

    let rules = json!([{"weekday": "monday", "start": "09:00", "end": "12:00", "centre_id": c.centre}]);
    let path = format!("/api/v1/clinicians/{}/availability", c.clinician);
    let reply = server.call(Method::PUT, &path, Some(&admin), Some(rules)).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", reply.body);
    assert_eq!(reply.field_error("[0].weekday"), Some("must be a whole number"));

    // Only a body that is not JSON at all is unreadable.
    let garbled = server
        .client
        .post(server.url("/api/v1/patients"))
        .bearer_auth(&admin)
        .header("content-type", "application/json")
        .body("{\"given_name\": ")
        .send()
        .await
        .unwrap();
    let garbled = into_reply(garbled).await;
    assert_eq!(garbled.status, StatusCode::BAD_REQUEST);
    assert_eq!(garbled.code(), "MALFORMED_REQUEST");
    assert_eq!(server.count_rows("patients"), patients_before, "nothing was written");
    assert_eq!(server.count_rows("appointments"), 0);
}

#[tokio::test]
async fn a_patch_clears_with_null_only_what_the_spec_marks_nullable() {
    let (server, admin) = TestServer::with_admin().await;
    let c = clinic(&server, &admin).await;
    let (staff, _) = server.staff_token(&admin, "billing").await;
    let spec = reqwest::get(server.url("/api/openapi.json")).await.unwrap().json::<Value>().await.unwrap();
    let schemas = &spec["components"]["schemas"];
    let cases = [
        ("CentrePatch", format!("/api/v1/centres/{}", c.centre), "name", "phone"),
        ("ClinicianPatch", format!("/api/v1/clinicians/{}", c.clinician), "display_name", "bio"),
        ("ServicePatch", format!("/api/v1/services/{}", c.consult), "duration_minutes", "colour"),
        ("StaffPatch", format!("/api/v1/staff/{staff}"), "role", ""),
        ("BookingSettingsPatch", "/api/v1/settings/booking".to_owned(), "min_notice_minutes", ""),
        ("PatientPatch", format!("/api/v1/patients/{}", c.patients[0]), "family_name", "email"),
    ];
    for (schema, path, kept, clearable) in cases {
        let before = server.get(&path, &admin).await.body;
        assert_ne!(schemas[schema]["properties"][kept]["nullable"], true, "{schema}.{kept}");
        let refused = server.patch(&path, &admin, json!({ kept: null })).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{schema}: {:?}", refused.body);
        assert!(refused.field_error(kept).is_some(), "{schema} names {kept}: {:?}", refused.body);
        assert_plain(&refused);
        assert_eq!(server.get(&path, &admin).await.body, before, "{schema}: nothing changed");
        if !clearable.is_empty() {
            assert_eq!(schemas[schema]["properties"][clearable]["nullable"], true, "{schema}.{clearable}");
            let cleared = server.patch(&path, &admin, json!({ clearable: null })).await;
            assert_eq!(cleared.status, StatusCode::OK, "{schema}: {:?}", cleared.body);
            assert!(cleared.body.get(clearable).is_none_or(Value::is_null), "{schema}.{clearable} cleared");
        }
    }
}

/// The example of `operation_id` in the spec: (path, method, request, answer).
fn example_of(spec: &Value, operation_id: &str) -> (String, String, Value, Value) {
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            if operation["operationId"] != operation_id {
                continue;
            }
            let request = operation["requestBody"]["content"].as_object().unwrap().values().next().unwrap();
            let responses = operation["responses"].as_object().unwrap();
            let success = responses.iter().find(|(status, _)| status.starts_with('2')).unwrap().1;
            let answer = success["content"].as_object().unwrap().values().next().unwrap();
            return (path.clone(), method.clone(), request["example"].clone(), answer["example"].clone());
        }
    }
    panic!("no operation {operation_id}");
}

/// `actual` with the instants the server stamps at its own time replaced
/// by those of `example`, so the two compare whole.
fn stamped_like(mut actual: Value, example: &Value) -> Value {
    if let (Value::Object(actual), Value::Object(example)) = (&mut actual, example) {
        for key in ["created_at", "updated_at"] {
            if let (Some(slot), Some(value)) = (actual.get_mut(key), example.get(key)) {
                *slot = value.clone();
            }
        }
    }
    actual
}

#[tokio::test]
async fn the_booking_and_patient_examples_are_what_the_server_answers() {
    let (server, admin) = TestServer::with_admin_at(Utc.with_ymd_and_hms(2027, 6, 1, 8, 0, 0).unwrap()).await;
    let spec = reqwest::get(server.url("/api/openapi.json")).await.unwrap().json::<Value>().await.unwrap();
    let centre =
        server.post("/api/v1/centres", &admin, json!({"name": "Riverside", "timezone": "Europe/London"})).await;
    assert_eq!(centre.body["id"], 1);
    let clinician =
        server.post("/api/v1/clinicians", &admin, json!({"display_name": "Dr Ada Osei", "centre_ids": [1]})).await;
    assert_eq!(clinician.body["id"], 1);
    let service = json!({"name": "Consultation", "duration_minutes": 30, "price": {"amount_minor": 6500, "currency": "GBP"},
                         "modality": "in_person", "clinician_ids": [1]});
    assert_eq!(server.post("/api/v1/services", &admin, service).await.body["id"], 1);
    let week = json!([{"weekday": 1, "start": "09:00", "end": "17:00", "centre_id": 1}]);
    server.call(Method::PUT, "/api/v1/clinicians/1/availability", Some(&admin), Some(week)).await;

    for operation_id in
        ["create_patient", "update_patient", "create_appointment", "reschedule_appointment", "cancel_appointment"]
    {
        let (path, method, request, answer) = example_of(&spec, operation_id);
        assert!(request.is_object() && answer.is_object(), "{operation_id} has both examples");
        let path = format!("/api/v1{}", path.replace("{id}", "1"));
        let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let reply = server.call(method, &path, Some(&admin), Some(request)).await;
        assert!(reply.status.is_success(), "{operation_id}: {:?}", reply.body);
        assert_eq!(stamped_like(reply.body.clone(), &answer), answer, "{operation_id} answers its example");
    }
}

/// Values just outside each limit `schema`'s properties declare, with the
/// field path each one is under: one past `maxLength`, `maximum` and
/// `maxItems`, one below `minimum`; nested objects too.
fn beyond_limits(spec: &Value, schema: &Value, at: &str, fx: &Fixtures, out: &mut Vec<(String, Value)>) {
    let schema = resolve(spec, schema);
    for (name, property) in schema["properties"].as_object().into_iter().flatten() {
        let path = if at.is_empty() { name.clone() } else { format!("{at}.{name}") };
        let resolved = resolve(spec, property);
        if resolved["type"] == "object" && resolved.get("properties").is_some() {
            beyond_limits(spec, resolved, &path, fx, out);
            continue;
        }
        if let Some(max) = resolved["maxLength"].as_u64() {
            out.push((path.clone(), json!("x".repeat(max as usize + 1))));
        }
        if let Some(max) = resolved["maximum"].as_i64() {
            out.push((path.clone(), json!(max + 1)));
        }
        if let Some(min) = resolved["minimum"].as_i64() {
            out.push((path.clone(), json!(min - 1)));
        }
        if let Some(max) = resolved["maxItems"].as_u64() {
            let item = sample(spec, &resolved["items"], "", fx);
            out.push((path.clone(), json!(vec![item; max as usize + 1])));
        }
    }
}

/// `body` with the value at the dotted `path` set to `value`.
fn with_value(mut body: Value, path: &str, value: Value) -> Value {
    let mut at = &mut body;
    let mut parts = path.split('.').peekable();
    while let Some(part) = parts.next() {
        if parts.peek().is_none() {
            at[part] = value;
            break;
        }
        if !at[part].is_object() {
            at[part] = json!({});
        }
        at = &mut at[part];
    }
    body
}

#[tokio::test]
async fn every_limit_the_spec_declares_is_enforced_and_unknown_fields_are_refused() {
    let (server, admin) = TestServer::with_admin().await;
    let fx = fixtures(&server, &admin).await;
    let spec = reqwest::get(server.url("/api/openapi.json")).await.unwrap().json::<Value>().await.unwrap();
    let browser = sign_in_browser(&server, ADMIN_EMAIL).await;
    let (mut limits_checked, mut bodies_checked) = (0, 0);
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let name = format!("{} {path}", method.to_uppercase());
            let url = server.url(&format!("/api/v1{}", fill_path(path, &fx)));
            let parameters = operation["parameters"].as_array().into_iter().flatten();
            let query: Vec<&Value> = parameters.filter(|p| p["in"] == "query").collect();
            for parameter in &query {
                let (field, schema) = (parameter["name"].as_str().unwrap(), &parameter["schema"]);
                let others: Vec<String> = query
                    .iter()
                    .filter(|p| p["required"] == true && p["name"] != field)
                    .map(|p| {
                        let value = sample(&spec, &p["schema"], p["name"].as_str().unwrap(), &fx);
                        let text = value.as_str().map(str::to_owned).unwrap_or_else(|| value.to_string());
                        format!("{}={}", p["name"].as_str().unwrap(), text.replace('+', "%2B"))
                    })
                    .collect();
                let mut beyond = Vec::new();
                if let Some(max) = schema["maxLength"].as_u64() {
                    beyond.push("x".repeat(max as usize + 1));
                }
                if let Some(max) = schema["maximum"].as_i64() {
                    beyond.push((max + 1).to_string());
                }
                if let Some(min) = schema["minimum"].as_i64() {
                    beyond.push((min - 1).to_string());
                }
                for value in beyond {
                    let query = others.iter().cloned().chain([format!("{field}={value}")]).collect::<Vec<_>>();
                    let asked = format!("{url}?{}", query.join("&"));
                    let reply = send(method, &asked, None, &Credential::Bearer(admin.clone())).await;
                    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{name} ?{field}: {:?}", reply.body);
                    assert!(reply.field_error(field).is_some(), "{name} ?{field} not named: {:?}", reply.body);
                    limits_checked += 1;
                }
            }
            // Limits are JSON bodies' (an image upload's are its own test's).
            let json_media = operation["requestBody"]["content"]
                .as_object()
                .and_then(|c| c.iter().find(|(kind, _)| kind.starts_with("application/json")));
            let Some((_, media)) = json_media else {
                continue;
            };
            let credential = if operation["security"] == json!([{"SessionAuth": []}]) {
                browser.clone()
            } else {
                Credential::Bearer(admin.clone())
            };
            // A list body (weekly availability) is checked through its first item.
            let body_schema = resolve(&spec, &media["schema"]);
            let (item_schema, wrap): (&Value, fn(Value) -> Value) = if body_schema["type"] == "array" {
                (&body_schema["items"], |item| json!([item]))
            } else {
                (body_schema, |item| item)
            };
            assert_eq!(resolve(&spec, item_schema)["additionalProperties"], false, "{name}: body schema is not closed");
            let base = sample(&spec, item_schema, "", &fx);

            let with_unknown = wrap(with_value(base.clone(), "unexpected", json!(1)));
            let unknown = send(method, &url, Some(&with_unknown), &credential).await;
            assert_eq!(
                unknown.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{name} with an unknown field: {:?}",
                unknown.body
            );
            assert_eq!(unknown.field_error("unexpected"), Some("is not a known field"), "{name}: {:?}", unknown.body);
            bodies_checked += 1;

            let mut beyond = Vec::new();
            beyond_limits(&spec, item_schema, "", &fx, &mut beyond);
            for (field, value) in beyond {
                let body = wrap(with_value(base.clone(), &field, value.clone()));
                let reply = send(method, &url, Some(&body), &credential).await;
                let shown: String = value.to_string().chars().take(40).collect();
                assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{name} {field}={shown}: {:?}", reply.body);
                let named = if body_schema["type"] == "array" { format!("[0].{field}") } else { field.clone() };
                assert!(reply.field_error(&named).is_some(), "{name} {field}={shown} not named: {:?}", reply.body);
                limits_checked += 1;
            }
        }
    }
    assert!(bodies_checked >= 30 && limits_checked >= 150, "{bodies_checked} bodies, {limits_checked} limits");
    assert_eq!(server.count_rows("appointments"), 1, "nothing refused was written");
}
