use poem::handler;
use poem::http::StatusCode;
use poem::web::{Data, Json};
use serde_json::{Value, json};

use crate::App;
use crate::search::IndexState;

/// Alive: the process answers.
#[handler]
pub fn alive() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// Ready: the database answers and the search index is built. 503
/// otherwise, with the rebuild's progress while the index is rebuilt.
#[handler]
pub async fn ready(app: Data<&App>) -> (StatusCode, Json<Value>) {
    let database = match app.db.ping().await {
        Ok(()) => json!({ "status": "ok" }),
        Err(err) => {
            tracing::error!(error = %err, "readiness check failed");
            json!({ "status": "unavailable" })
        }
    };
    let index = app.search.state();
    let ready = database["status"] == "ok" && index == IndexState::Ready;
    let mut index = serde_json::to_value(&index).unwrap_or_else(|_| json!({}));
    index["documents"] = json!(app.search.num_docs());
    let status = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let body = json!({
        "status": if ready { "ok" } else { "unavailable" },
        "checks": { "database": database, "index": index },
    });
    (status, Json(body))
}
