//! Built-in HTTPS: the binary serves the clinic's network with its own or a
//! generated certificate, prints the fingerprint browsers show, and a
//! stranger's stalled handshake holds up no one.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use sha2::{Digest, Sha256};

use crate::cli::{new_clinic, run, sign_in, wait_ready};

const BIN: &str = env!("CARGO_BIN_EXE_clinicbox");

/// What a starting HTTPS server printed: its address and its fingerprint.
struct Started {
    child: Child,
    base: String,
    fingerprint: String,
}

impl Drop for Started {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(data: &Path, extra: &[&str]) -> Started {
    let mut child = Command::new(BIN)
        .args(["serve", "--data", data.to_str().unwrap(), "--listen", "127.0.0.1:0"])
        .args(extra)
        .env("CLINICBOX_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut base = None;
    let fingerprint = loop {
        let line = lines.next().expect("the server printed its address and fingerprint").unwrap();
        if let Some(start) = line.find(" on https://") {
            base = Some(line[start + 4..].trim().to_owned());
        }
        if line.contains("SHA-256 fingerprint") {
            break lines.next().unwrap().unwrap().trim().to_owned();
        }
    };
    // Keep reading so the server never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    Started { child, base: base.expect("an https address before the fingerprint"), fingerprint }
}

fn client_trusting(cert_pem: &[u8]) -> reqwest::Client {
    reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(cert_pem).unwrap()])
        .tls_info(true)
        .build()
        .unwrap()
}

fn fingerprint_of(der: &[u8]) -> String {
    Sha256::digest(der).iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":")
}

async fn presented_fingerprint(client: &reqwest::Client, base: &str) -> String {
    let response = client.get(format!("{base}/health/live")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let info = response.extensions().get::<reqwest::tls::TlsInfo>().expect("a TLS connection");
    fingerprint_of(info.peer_certificate().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_generated_certificate_serves_https_with_the_printed_fingerprint_across_restarts() {
    let dir = new_clinic();
    let server = start(dir.path(), &["--tls", "on"]);
    let cert = std::fs::read(dir.path().join("tls/self-signed-cert.pem")).unwrap();
    let client = client_trusting(&cert);
    wait_ready(&client, &server.base).await;
    assert_eq!(presented_fingerprint(&client, &server.base).await, server.fingerprint);

    // Signing in over it works, and the session cookie is kept to HTTPS.
    let reply = client
        .post(format!("{}/api/v1/auth/session", server.base))
        .json(&serde_json::json!({"email": "owner@clinic.test", "password": crate::harness::PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::OK);
    let cookie = reply.headers().get("set-cookie").unwrap().to_str().unwrap().to_owned();
    assert!(cookie.contains("Secure"), "{cookie}");
    assert!(!sign_in(&client, &server.base).await.is_empty());

    // A browser that was not told to trust it refuses it; plain HTTP gets no page.
    let stranger = reqwest::Client::builder().tls_certs_only([]).build().unwrap();
    assert!(stranger.get(format!("{}/health/live", server.base)).send().await.is_err());
    let plain = server.base.replacen("https://", "http://", 1);
    let answer = reqwest::get(format!("{plain}/health/live")).await;
    assert!(answer.map(|r| r.status() != StatusCode::OK).unwrap_or(true), "no page over plain HTTP");

    let first = server.fingerprint.clone();
    drop(server);
    let again = start(dir.path(), &["--tls", "on"]);
    assert_eq!(again.fingerprint, first, "browsers that trusted it keep trusting it");
    wait_ready(&client, &again.base).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_clinics_own_certificate_is_served_and_a_wrong_key_is_refused_at_start() {
    let dir = new_clinic();
    let issued = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).unwrap();
    let other = rcgen::KeyPair::generate().unwrap();
    let (cert, key, wrong) = (dir.path().join("c.pem"), dir.path().join("k.pem"), dir.path().join("w.pem"));
    std::fs::write(&cert, issued.cert.pem()).unwrap();
    std::fs::write(&key, issued.signing_key.serialize_pem()).unwrap();
    std::fs::write(&wrong, other.serialize_pem()).unwrap();
    let data = dir.path().to_str().unwrap();

    let (ok, _, stderr) = run(
        &["serve", "--data", data, "--listen", "127.0.0.1:0", "--tls-cert", cert.to_str().unwrap(), "--tls-key"]
            .into_iter()
            .chain([wrong.to_str().unwrap()])
            .collect::<Vec<_>>(),
        None,
    );
    assert!(!ok);
    assert!(stderr.contains("tls_key does not belong to tls_cert"), "{stderr}");
    let (ok, _, stderr) = run(&["serve", "--data", data, "--tls-cert", cert.to_str().unwrap()], None);
    assert!(!ok);
    assert!(stderr.contains("tls_cert and tls_key go together"), "{stderr}");

    let server = start(dir.path(), &["--tls-cert", cert.to_str().unwrap(), "--tls-key", key.to_str().unwrap()]);
    assert_eq!(server.fingerprint, fingerprint_of(issued.cert.der()));
    let client = client_trusting(issued.cert.pem().as_bytes());
    wait_ready(&client, &server.base).await;
    assert_eq!(presented_fingerprint(&client, &server.base).await, server.fingerprint);
    assert!(!dir.path().join("tls").exists(), "nothing generated beside the clinic's own certificate");
}

/// Connections that open and never finish their handshake (a port scanner,
/// a stuck device) do not stop the front desk from being served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_handshakes_do_not_hold_up_a_real_client() {
    let dir = new_clinic();
    let server = start(dir.path(), &["--tls", "on"]);
    let cert = std::fs::read(dir.path().join("tls/self-signed-cert.pem")).unwrap();
    let client = client_trusting(&cert);
    wait_ready(&client, &server.base).await;
    let addr = server.base.trim_start_matches("https://").to_owned();
    let mut stalled = Vec::new();
    for i in 0..50 {
        let mut socket = tokio::net::TcpStream::connect(&addr).await.unwrap();
        if i % 2 == 0 {
            // Half a TLS record header, then silence.
            tokio::io::AsyncWriteExt::write_all(&mut socket, &[0x16, 0x03, 0x01]).await.unwrap();
        }
        stalled.push(socket);
    }
    let started = Instant::now();
    let answer =
        tokio::time::timeout(Duration::from_secs(5), client.get(format!("{}/health/live", server.base)).send())
            .await
            .expect("served while 50 handshakes stall")
            .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    assert!(started.elapsed() < Duration::from_secs(5));
    drop(stalled);
}
