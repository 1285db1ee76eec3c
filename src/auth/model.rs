use chrono::{DateTime, Utc};
use poem_openapi::Object;
use poem_openapi::types::MaybeUndefined;

use crate::kit::permissions::{Action, allowed_actions};
use crate::kit::principal::Role;

/// A staff account as the API shows it. The password hash never leaves the store.
#[derive(Object, Clone, Debug)]
pub struct StaffMember {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub active: bool,
    #[oai(serialize_with = "crate::kit::time::instant_json")]
    pub created_at: DateTime<Utc>,
    #[oai(serialize_with = "crate::kit::time::instant_json")]
    pub updated_at: DateTime<Utc>,
}

#[derive(Object)]
#[oai(deny_unknown_fields)]
pub struct LoginRequest {
    /// The staff member's email address (case does not matter).
    pub email: String,
    #[oai(write_only)]
    pub password: String,
}

impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRequest").field("email", &self.email).field("password", &"<redacted>").finish()
    }
}

#[derive(Object)]
pub struct TokenPair {
    /// Send as `Authorization: Bearer <access_token>`. Valid for `expires_in` seconds.
    pub access_token: String,
    /// Exchange at `/auth/refresh` for a new pair; each works once.
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    pub expires_in: i64,
    pub user: StaffMember,
}

#[derive(Object)]
#[oai(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

/// A browser session: the cookie carries the secret; `csrf_token` must be
/// sent back as the `X-CSRF-Token` header on every request that changes data.
#[derive(Object)]
pub struct SessionInfo {
    pub user: StaffMember,
    pub csrf_token: String,
    /// What this person may do, from the permission table: the UI shows
    /// only what these allow.
    pub allowed_actions: Vec<Action>,
}

/// The signed-in staff member, and what they may do.
#[derive(Object)]
pub struct Me {
    #[oai(flatten)]
    pub user: StaffMember,
    /// From the permission table, e.g. `patient_write`, `scheduling_setup`.
    pub allowed_actions: Vec<Action>,
}

impl Me {
    pub fn of(user: StaffMember) -> Self {
        let allowed_actions = allowed_actions(user.role);
        Me { user, allowed_actions }
    }
}

#[derive(Object)]
#[oai(deny_unknown_fields)]
pub struct NewStaff {
    pub email: String,
    pub name: String,
    pub role: Role,
    /// 12 to 128 characters.
    #[oai(write_only)]
    pub password: String,
}

#[derive(Object)]
#[oai(deny_unknown_fields)]
pub struct StaffPatch {
    #[oai(deserialize_with = "crate::http::patch::not_null")]
    pub name: Option<String>,
    #[oai(deserialize_with = "crate::http::patch::not_null")]
    pub role: Option<Role>,
    /// Deactivating signs the person out everywhere.
    #[oai(deserialize_with = "crate::http::patch::not_null")]
    pub active: Option<bool>,
    /// Sets a new password (12 to 128 characters) and signs the person out everywhere.
    #[oai(write_only)]
    pub password: MaybeUndefined<String>,
}

#[derive(Object)]
#[oai(deny_unknown_fields)]
pub struct SetupRequest {
    /// The one-time token printed by the server at start.
    pub token: String,
    pub email: String,
    pub name: String,
    #[oai(write_only)]
    pub password: String,
}

#[derive(Object)]
pub struct SetupStatus {
    /// True until the first administrator exists.
    pub needs_setup: bool,
}
