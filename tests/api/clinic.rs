//! The clinic profile: its fields, the phone region it sets for every
//! later phone number (and across a restart), and the logo upload checks.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::harness::{ADMIN_EMAIL, PASSWORD, TestServer};

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

async fn put_logo(
    server: &TestServer,
    token: &str,
    content_type: &str,
    bytes: Vec<u8>,
) -> (StatusCode, serde_json::Value) {
    let reply = server
        .client
        .put(server.url("/api/v1/settings/clinic/logo"))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(bytes)
        .send()
        .await
        .unwrap();
    let status = reply.status();
    (status, reply.json().await.unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_profile_is_kept_and_its_phone_region_reads_later_numbers_even_after_a_restart() {
    let (mut server, admin) = TestServer::with_admin().await;
    let fresh = server.get("/api/v1/settings/clinic", &admin).await;
    assert_eq!(fresh.status, StatusCode::OK);
    assert_eq!(fresh.body["name"], "");
    assert_eq!(fresh.body["currency"], "GBP");
    assert_eq!(fresh.body["phone_region"], "GB", "the configured region until one is chosen");
    assert!(fresh.body.get("logo_url").is_none());

    let body = json!({"name": "Riverside Physio", "address": "1 River St, London", "phone": "020 7946 0000",
        "tax_number": "GB123456789", "currency": "EUR", "email": "desk@riverside.test"});
    let saved = server.patch("/api/v1/settings/clinic", &admin, body).await;
    assert_eq!(saved.status, StatusCode::OK, "{:?}", saved.body);
    assert_eq!(saved.body["phone"], "+442079460000");
    assert_eq!(saved.body["currency"], "EUR");
    assert_eq!(saved.body["tax_number"], "GB123456789");

    // Bad values are refused by name and change nothing.
    for (body, field) in [
        (json!({"phone_region": "ZZ"}), "phone_region"),
        (json!({"currency": "eur"}), "currency"),
        (json!({"email": "not an email"}), "email"),
        (json!({"name": "   "}), "name"),
        (json!({"phone": "12"}), "phone"),
        (json!({"motto": "we care"}), "motto"),
    ] {
        let refused = server.patch("/api/v1/settings/clinic", &admin, body.clone()).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {:?}", refused.body);
        assert!(refused.field_error(field).is_some(), "{body}: {:?}", refused.body);
    }
    let unchanged = server.get("/api/v1/settings/clinic", &admin).await;
    assert_eq!(unchanged.body, saved.body);

    // A US clinic: numbers typed without a country code are American from now on.
    let us = server.patch("/api/v1/settings/clinic", &admin, json!({"phone_region": "us", "address": null})).await;
    assert_eq!(us.body["phone_region"], "US", "{:?}", us.body);
    assert!(us.body.get("address").is_none(), "null clears");
    let patient = server
        .create_patient(&admin, json!({"given_name": "Ann", "family_name": "Lee", "phone": "(202) 555-0143"}))
        .await;
    assert_eq!(patient["phone"], "+12025550143");
    assert_eq!(patient["phone_display"], "(202) 555-0143", "shown as an American clinic writes it");

    let dir = server.data_dir();
    server.shut_down().await;
    let restarted = TestServer::start_in(&dir).await;
    let admin = restarted.login(ADMIN_EMAIL, PASSWORD).await;
    let patient = restarted
        .create_patient(&admin, json!({"given_name": "Bo", "family_name": "Ray", "phone": "(415) 555-0100"}))
        .await;
    assert_eq!(patient["phone"], "+14155550100", "the chosen region outlives a restart");

    let (_, desk) = restarted.staff_token(&admin, "front_desk").await;
    assert_eq!(restarted.get("/api/v1/settings/clinic", &desk).await.body["name"], "Riverside Physio");
    let refused = restarted.patch("/api/v1/settings/clinic", &desk, json!({"name": "Mine"})).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let audit = restarted.get("/api/v1/audit?entity=clinic", &admin).await;
    assert_eq!(audit.body["data"][0]["action"], "clinic.update");
}

#[tokio::test]
async fn a_logo_must_be_a_small_image_that_is_what_it_claims() {
    let (server, admin) = TestServer::with_admin().await;
    let (status, profile) = put_logo(&server, &admin, "image/png", PNG.to_vec()).await;
    assert_eq!(status, StatusCode::OK, "{profile:?}");
    let url = profile["logo_url"].as_str().unwrap().to_owned();
    assert!(url.starts_with("/api/v1/settings/clinic/logo?v="), "{url}");
    let served = server.client.get(server.url(&url)).bearer_auth(&admin).send().await.unwrap();
    assert_eq!(served.status(), StatusCode::OK);
    assert_eq!(served.headers()["content-type"], "image/png");
    assert!(served.headers().contains_key("etag"));
    assert_eq!(served.bytes().await.unwrap().as_ref(), PNG);

    // Markup sent as a PNG, a PNG sent as a JPEG, HTML, and an oversized
    // image are all refused, and the logo stays the first one.
    for (content_type, bytes, expected) in [
        (
            "image/png",
            b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        ("image/jpeg", PNG.to_vec(), StatusCode::UNSUPPORTED_MEDIA_TYPE),
        ("text/html", b"<p>hi</p>".to_vec(), StatusCode::UNSUPPORTED_MEDIA_TYPE),
        ("image/png", [PNG, &vec![0u8; 300 * 1024]].concat(), StatusCode::PAYLOAD_TOO_LARGE),
    ] {
        let (status, body) = put_logo(&server, &admin, content_type, bytes).await;
        assert_eq!(status, expected, "{content_type}: {body:?}");
        assert!(body["error"]["code"].is_string(), "the error envelope: {body:?}");
    }
    assert_eq!(server.get("/api/v1/settings/clinic", &admin).await.body["logo_url"], url.as_str());

    let (_, manager) = server.staff_token(&admin, "manager").await;
    let (_, desk) = server.staff_token(&admin, "front_desk").await;
    assert_eq!(put_logo(&server, &desk, "image/png", PNG.to_vec()).await.0, StatusCode::FORBIDDEN);
    let removed = server.call(Method::DELETE, "/api/v1/settings/clinic/logo", Some(&manager), None).await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    assert_eq!(server.get("/api/v1/settings/clinic/logo", &admin).await.status, StatusCode::NOT_FOUND);
    assert!(server.get("/api/v1/settings/clinic", &admin).await.body.get("logo_url").is_none());
}
