use poem::handler;
use poem::http::StatusCode;
use poem::web::{Data, Json};
use serde_json::{Value, json};

use crate::App;

/// Alive: the process answers.
#[handler]
pub fn alive() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// Ready: the database answers. 503 otherwise.
#[handler]
pub async fn ready(app: Data<&App>) -> (StatusCode, Json<Value>) {
    match app.db.ping().await {
        Ok(()) => (StatusCode::OK, Json(json!({ "status": "ok", "checks": { "database": "ok" } }))),
        Err(err) => {
            tracing::error!(error = %err, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "unavailable", "checks": { "database": "unavailable" } })),
            )
        }
    }
}
