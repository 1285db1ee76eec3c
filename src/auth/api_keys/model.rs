use chrono::{DateTime, Utc};
use poem_openapi::Object;

use crate::kit::principal::Role;

/// An API key as listed: never the key itself. It may do what its `role` may.
#[derive(Object, Clone, Debug)]
pub struct ApiKey {
    pub id: i64,
    pub name: String,
    pub role: Role,
    /// The key's first characters, to recognise it.
    pub key_prefix: String,
    /// The staff member who issued it.
    pub created_by: i64,
    #[oai(serialize_with = "crate::kit::time::instant_json")]
    pub created_at: DateTime<Utc>,
    #[oai(serialize_with = "crate::kit::time::instant_json")]
    pub expires_at: Option<DateTime<Utc>>,
    #[oai(serialize_with = "crate::kit::time::instant_json")]
    pub last_used_at: Option<DateTime<Utc>>,
    pub last_used_addr: Option<String>,
    #[oai(serialize_with = "crate::kit::time::instant_json")]
    pub revoked_at: Option<DateTime<Utc>>,
    /// Not revoked and not expired.
    pub active: bool,
}

#[derive(Object)]
#[oai(deny_unknown_fields)]
pub struct NewApiKey {
    /// What the key is for, e.g. "Accounting export". 1 to 100 characters.
    #[oai(validator(max_length = 100))]
    pub name: String,
    pub role: Role,
    /// When the key stops working; none means until revoked.
    #[oai(deserialize_with = "crate::http::bounds::in_range")]
    pub expires_at: Option<DateTime<Utc>>,
}

/// A new key: `key` is shown this once and cannot be read again.
#[derive(Object)]
pub struct CreatedApiKey {
    /// Send as `Authorization: Bearer <key>`.
    pub key: String,
    #[oai(flatten)]
    pub api_key: ApiKey,
}
