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
    #[oai(validator(max_length = 254))]
    pub email: String,
    #[oai(write_only)]
    #[oai(validator(max_length = 512))]
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
    /// Always false here: the sign-in is complete.
    pub mfa_required: bool,
}

#[derive(Object)]
#[oai(deny_unknown_fields)]
pub struct RefreshRequest {
    #[oai(validator(max_length = 200))]
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
    pub mfa_enabled: bool,
    pub mfa_required: bool,
    /// Until MFA is set up, only enrolment and the account's own pages work.
    pub mfa_enrolment_required: bool,
}

/// The signed-in staff member, and what they may do.
#[derive(Object)]
pub struct Me {
    #[oai(flatten)]
    pub user: StaffMember,
    /// From the permission table, e.g. `patient_write`, `scheduling_setup`.
    /// Empty while `mfa_enrolment_required`.
    pub allowed_actions: Vec<Action>,
    /// Two-factor sign-in (TOTP) is on for this account.
    pub mfa_enabled: bool,
    /// The clinic requires two-factor sign-in for this role.
    pub mfa_required: bool,
    /// The role requires MFA and it is not on yet: until it is, only MFA
    /// enrolment, this account's own pages and signing out work.
    pub mfa_enrolment_required: bool,
}

/// Whether an account has MFA on and whether its role requires it.
#[derive(Clone, Copy, Debug, Default)]
pub struct MfaState {
    pub enabled: bool,
    pub required: bool,
}

impl Me {
    pub fn of(user: StaffMember, mfa: MfaState) -> Self {
        let must_enrol = mfa.required && !mfa.enabled;
        let allowed_actions = if must_enrol { Vec::new() } else { allowed_actions(user.role) };
        Me {
            user,
            allowed_actions,
            mfa_enabled: mfa.enabled,
            mfa_required: mfa.required,
            mfa_enrolment_required: must_enrol,
        }
    }
}

/// The answer to a password that was right for an account with MFA on:
/// send `mfa_token` with a code to the sign-in's MFA step.
#[derive(Object)]
pub struct MfaChallenge {
    /// Always true here; false on a completed sign-in.
    pub mfa_required: bool,
    /// Good for `expires_in` seconds and a few attempts.
    pub mfa_token: String,
    pub expires_in: i64,
}

/// A bearer sign-in: tokens, or the MFA step first.
#[derive(poem_openapi::Union)]
pub enum LoginAnswer {
    Tokens(TokenPair),
    MfaRequired(MfaChallenge),
}

/// A browser sign-in: the session, or the MFA step first.
#[derive(poem_openapi::Union)]
pub enum SessionAnswer {
    Session(SessionInfo),
    MfaRequired(MfaChallenge),
}

/// The MFA step of a sign-in: the token from the password step and either a
/// code from the authenticator app or one of the recovery codes.
#[derive(Object)]
#[oai(deny_unknown_fields)]
pub struct MfaLogin {
    #[oai(validator(max_length = 200))]
    pub mfa_token: String,
    /// Six digits from the authenticator app.
    #[oai(validator(max_length = 16))]
    pub code: Option<String>,
    /// One of the recovery codes given at enrolment; each works once.
    #[oai(validator(max_length = 64))]
    pub recovery_code: Option<String>,
}

impl std::fmt::Debug for MfaLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MfaLogin { .. }")
    }
}

/// Browser sign-in or bearer sign-in.
#[derive(poem_openapi::Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename_all = "snake_case")]
pub enum SignInKind {
    /// A browser session (cookie).
    Browser,
    /// Bearer tokens from `/auth/login`.
    Tokens,
}

crate::kit::sql::text_enum!(SignInKind {
    Browser => "browser",
    Tokens => "tokens",
});

/// One of the caller's sign-ins that is still in force.
#[derive(Object)]
pub struct SignInSummary {
    pub id: i64,
    pub kind: SignInKind,
    /// This is the sign-in the request came with.
    pub current: bool,
    #[oai(serialize_with = "crate::kit::time::instant_json")]
    pub created_at: DateTime<Utc>,
    /// To the minute.
    #[oai(serialize_with = "crate::kit::time::instant_json")]
    pub last_used_at: DateTime<Utc>,
    /// When it ends at the latest (a browser session ends sooner when idle).
    #[oai(serialize_with = "crate::kit::time::instant_json")]
    pub expires_at: DateTime<Utc>,
    /// The address it was last used from.
    pub client_addr: Option<String>,
    pub user_agent: Option<String>,
}

/// Changes to one's own account. A new email needs the current password.
#[derive(Object)]
#[oai(deny_unknown_fields)]
pub struct AccountPatch {
    #[oai(deserialize_with = "crate::http::patch::not_null")]
    #[oai(validator(max_length = 100))]
    pub name: Option<String>,
    #[oai(deserialize_with = "crate::http::patch::not_null")]
    #[oai(validator(max_length = 254))]
    pub email: Option<String>,
    /// Required with `email`.
    #[oai(write_only)]
    #[oai(validator(max_length = 512))]
    pub current_password: Option<String>,
}

/// A new password for one's own account; the other sign-ins end.
#[derive(Object)]
#[oai(deny_unknown_fields)]
pub struct PasswordChange {
    #[oai(write_only)]
    #[oai(validator(max_length = 512))]
    pub current_password: String,
    /// 12 to 128 characters, not common, not built on your name or email.
    #[oai(write_only)]
    #[oai(validator(max_length = 128))]
    pub new_password: String,
}

#[derive(Object)]
#[oai(deny_unknown_fields)]
pub struct NewStaff {
    #[oai(validator(max_length = 254))]
    pub email: String,
    #[oai(validator(max_length = 100))]
    pub name: String,
    pub role: Role,
    /// 12 to 128 characters.
    #[oai(write_only)]
    #[oai(validator(max_length = 128))]
    pub password: String,
}

#[derive(Object)]
#[oai(deny_unknown_fields)]
pub struct StaffPatch {
    #[oai(deserialize_with = "crate::http::patch::not_null")]
    #[oai(validator(max_length = 100))]
    pub name: Option<String>,
    #[oai(deserialize_with = "crate::http::patch::not_null")]
    pub role: Option<Role>,
    /// Deactivating signs the person out everywhere.
    #[oai(deserialize_with = "crate::http::patch::not_null")]
    pub active: Option<bool>,
    /// Sets a new password (12 to 128 characters) and signs the person out everywhere.
    #[oai(write_only)]
    #[oai(validator(max_length = 128))]
    pub password: MaybeUndefined<String>,
}

#[derive(Object)]
#[oai(deny_unknown_fields)]
pub struct SetupRequest {
    /// The one-time token printed by the server at start.
    #[oai(validator(max_length = 200))]
    pub token: String,
    #[oai(validator(max_length = 254))]
    pub email: String,
    #[oai(validator(max_length = 100))]
    pub name: String,
    #[oai(write_only)]
    #[oai(validator(max_length = 128))]
    pub password: String,
}

#[derive(Object)]
#[oai(skip_serializing_if_is_none)]
pub struct SetupStatus {
    /// True until the first administrator exists.
    pub needs_setup: bool,
    /// With `token`: whether it is the current setup link's, so a stale
    /// link says so before its form is filled in.
    pub token_valid: Option<bool>,
}
