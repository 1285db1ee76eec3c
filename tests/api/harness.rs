#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use clinicbox::config::Config;
use clinicbox::kit::clock::{Clock, ManualClock, SystemClock};
use clinicbox::{App, AppState};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::sync::oneshot;

pub const ADMIN_EMAIL: &str = "admin@clinic.test";
pub const PASSWORD: &str = "correct horse battery staple";

pub struct TestServer {
    pub base: String,
    pub client: reqwest::Client,
    pub app: App,
    /// The server's clock: it stands still until a test moves it.
    pub clock: Arc<ManualClock>,
    pub setup_token: Option<String>,
    dir: Option<TempDir>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Reply {
    /// The `code` of an error envelope.
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or_default()
    }
    pub fn field_error(&self, field: &str) -> Option<&str> {
        self.body["error"]["details"]["fields"][field].as_str()
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl TestServer {
    /// A new server whose clock starts at the present moment.
    pub async fn start() -> Self {
        Self::start_at(SystemClock.now()).await
    }

    /// A new server whose clock starts at `at` (dates pinned in the past or future).
    pub async fn start_at(at: DateTime<Utc>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().to_owned();
        let mut server = Self::start_in_at(&path, at).await;
        server.dir = Some(dir);
        server
    }

    /// Starts on an existing data directory (for restart tests).
    pub async fn start_in(path: &Path) -> Self {
        Self::start_in_at(path, SystemClock.now()).await
    }

    /// A new server on a fresh directory with its configuration changed by `edit`.
    pub async fn start_configured(edit: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::for_data_dir(dir.path());
        edit(&mut config);
        let mut server = Self::start_with(config, SystemClock.now()).await;
        server.dir = Some(dir);
        server
    }

    /// A new server on a fresh directory, its clock at `at`, its configuration changed by `edit`.
    pub async fn start_configured_at(at: DateTime<Utc>, edit: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::for_data_dir(dir.path());
        edit(&mut config);
        let mut server = Self::start_with(config, at).await;
        server.dir = Some(dir);
        server
    }

    /// A server on an existing directory (a restart), its clock at `at`, configured by `edit`.
    pub async fn restart_configured_at(path: &Path, at: DateTime<Utc>, edit: impl FnOnce(&mut Config)) -> Self {
        let mut config = Config::for_data_dir(path);
        edit(&mut config);
        Self::start_with(config, at).await
    }

    async fn start_in_at(path: &Path, at: DateTime<Utc>) -> Self {
        Self::start_with(Config::for_data_dir(path), at).await
    }

    async fn start_with(config: Config, at: DateTime<Utc>) -> Self {
        let clock = Arc::new(ManualClock::new(at));
        let app = AppState::open(config, clock.clone()).unwrap();
        let setup_token = clinicbox::auth::setup::open_if_needed(&app).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = oneshot::channel::<()>();
        let served = app.clone();
        let task = tokio::spawn(async move {
            clinicbox::server::serve(served, listener, None, async {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
        let client = reqwest::Client::builder().cookie_store(true).build().unwrap();
        let server = TestServer {
            base: format!("http://{addr}"),
            client,
            app,
            clock,
            setup_token,
            dir: None,
            shutdown: Some(tx),
            task: Some(task),
        };
        server.wait_until_ready().await;
        server
    }

    /// Waits for `/health/ready` (the search index is built on a new directory).
    pub async fn wait_until_ready(&self) {
        for _ in 0..200 {
            let response = self.client.get(self.url("/health/ready")).send().await.unwrap();
            if response.status() == StatusCode::OK {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("the server did not become ready");
    }

    /// Waits until the search index has applied every change so far.
    pub async fn index_caught_up(&self) {
        let latest = self.count_rows_sql("SELECT coalesce(max(seq), 0) FROM changes");
        self.eventually("the index catches up", || async { self.app.search.applied_seq() >= latest }).await;
    }

    pub fn count_rows_sql(&self, sql: &str) -> i64 {
        let conn = rusqlite::Connection::open(self.app.config.db_path()).unwrap();
        conn.query_row(sql, [], |r| r.get(0)).unwrap()
    }

    /// Polls `check` until it holds, for results that arrive asynchronously
    /// (the index follows the database within a second).
    pub async fn eventually<F, Fut>(&self, what: &str, mut check: F)
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        for _ in 0..100 {
            if check().await {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("not within 5 s: {what}");
    }

    pub fn data_dir(&self) -> PathBuf {
        self.app.config.data_dir.clone()
    }

    /// Stops the server and hands back its data directory.
    pub async fn stop(mut self) -> TempDir {
        self.shut_down().await;
        self.dir.take().expect("server owns its directory")
    }

    /// Stops the server and waits until it has let go of its directory.
    pub async fn shut_down(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap();
        }
    }

    /// Moves the server's clock forward.
    pub fn advance(&self, by: chrono::Duration) {
        self.clock.advance(by);
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn call(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Reply {
        let mut request = self.client.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        into_reply(response).await
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.call(Method::GET, path, Some(token), None).await
    }
    pub async fn post(&self, path: &str, token: &str, body: Value) -> Reply {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }
    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Reply {
        self.call(Method::PATCH, path, Some(token), Some(body)).await
    }

    /// Completes first-run setup with the server's setup token.
    pub async fn setup_admin(&self) {
        let token = self.setup_token.clone().expect("a new server offers setup");
        let reply = self
            .call(
                Method::POST,
                "/api/v1/setup",
                None,
                Some(json!({"token": token, "email": ADMIN_EMAIL, "name": "Ada Admin", "password": PASSWORD})),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    }

    /// Signs the admin in as a browser would; returns `Set-Cookie` and the answer.
    pub async fn open_session(&self) -> (String, Reply) {
        let response = self
            .client
            .post(self.url("/api/v1/auth/session"))
            .json(&json!({"email": ADMIN_EMAIL, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        let set_cookie = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("clinicbox_session="))
            .unwrap()
            .to_owned();
        (set_cookie, into_reply(response).await)
    }

    pub async fn login_reply(&self, email: &str, password: &str) -> Reply {
        self.call(Method::POST, "/api/v1/auth/login", None, Some(json!({"email": email, "password": password}))).await
    }

    pub async fn login(&self, email: &str, password: &str) -> String {
        let reply = self.login_reply(email, password).await;
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
        reply.body["access_token"].as_str().unwrap().to_owned()
    }

    /// A new server with its first admin set up; returns the admin's token.
    pub async fn with_admin() -> (Self, String) {
        Self::with_admin_at(SystemClock.now()).await
    }

    /// Like `with_admin`, with the clock starting at `at`.
    pub async fn with_admin_at(at: DateTime<Utc>) -> (Self, String) {
        let server = Self::start_at(at).await;
        server.setup_admin().await;
        let token = server.login(ADMIN_EMAIL, PASSWORD).await;
        (server, token)
    }

    /// Creates a staff member with `role` and signs them in.
    pub async fn staff_token(&self, admin: &str, role: &str) -> (i64, String) {
        self.staff_member(admin, &format!("{role}-{}@clinic.test", rand_suffix()), role).await
    }

    /// A new member of staff with this email and role, signed in: their id and token.
    pub async fn staff_member(&self, admin: &str, email: &str, role: &str) -> (i64, String) {
        let reply = self
            .post(
                "/api/v1/staff",
                admin,
                json!({"email": email, "name": format!("A {role}"), "role": role, "password": PASSWORD}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
        (reply.body["id"].as_i64().unwrap(), self.login(email, PASSWORD).await)
    }

    pub async fn create_patient(&self, token: &str, body: Value) -> Value {
        let reply = self.post("/api/v1/patients", token, body).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
        reply.body
    }

    /// Counts rows straight from the database file, bypassing the API.
    pub fn count_rows(&self, table: &str) -> i64 {
        let conn = rusqlite::Connection::open(self.app.config.db_path()).unwrap();
        conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0)).unwrap()
    }
}

pub async fn into_reply(response: reqwest::Response) -> Reply {
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("{status}: body is not JSON: {text}"))
    };
    Reply { status, headers, body }
}

pub fn rand_suffix() -> String {
    let mut bytes = [0u8; 4];
    getrandom::fill(&mut bytes).unwrap();
    hex::encode(bytes)
}
