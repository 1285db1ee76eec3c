use chrono::{DateTime, Utc};
use poem_openapi::Object;

#[derive(Object, Clone, Debug)]
#[oai(skip_serializing_if_is_none)]
pub struct AuditEntry {
    pub id: i64,
    #[oai(serialize_with = "crate::kit::time::instant_json")]
    pub at: DateTime<Utc>,
    /// The staff account that acted; absent for actions taken before sign-in
    /// and for API keys.
    pub actor_id: Option<i64>,
    pub actor_email: Option<String>,
    /// For example `patient.create`, `patient.read`, `staff.update`, `auth.login`.
    pub action: String,
    /// Singular entity name, e.g. `patient`, `staff`.
    pub entity: String,
    pub entity_id: Option<i64>,
    pub request_id: Option<String>,
    pub client_addr: Option<String>,
    /// Extra facts, such as the names of the fields a change touched (never their values).
    pub details: Option<serde_json::Value>,
    /// The API key that acted, when one did.
    pub api_key_id: Option<i64>,
}
