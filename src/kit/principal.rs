//! Who is asking: the principal every service receives, established by the
//! HTTP toolkit from a credential, and its role. What each role may do is
//! the permission table's business (`kit::permissions`).

use poem_openapi::Enum;

use crate::kit::context::RequestContext;

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Manager,
    Clinician,
    FrontDesk,
    Billing,
}

impl Role {
    pub const ALL: &[Role] = &[Role::Admin, Role::Manager, Role::Clinician, Role::FrontDesk, Role::Billing];
}

crate::kit::sql::text_enum!(Role {
    Admin => "admin",
    Manager => "manager",
    Clinician => "clinician",
    FrontDesk => "front_desk",
    Billing => "billing",
});

/// Who is making a request, established from a bearer token, a session or
/// an API key.
#[derive(Clone, Debug)]
pub struct Caller {
    /// The staff member; `None` when the caller is an API key.
    pub staff_id: Option<i64>,
    /// The API key, when the caller is one.
    pub api_key_id: Option<i64>,
    /// The staff member's email, or `api-key:<name>`: what the audit log names.
    pub email: String,
    pub role: Role,
    /// The sign-in this credential belongs to; logout revokes all of it.
    /// Empty for an API key.
    pub token_family: String,
    /// The role requires MFA and this person has not set it up: until they
    /// do, the permission table allows them nothing.
    pub must_enrol_mfa: bool,
    pub context: RequestContext,
}

impl Caller {
    /// The staff member behind the request, for what only a person has (an
    /// account, sign-ins, MFA); an API key is refused.
    pub fn person(&self) -> crate::kit::error::Result<i64> {
        self.staff_id.ok_or_else(|| crate::kit::error::Error::forbidden("an API key has no account of its own"))
    }

    /// Whether the request comes from the person with staff id `id`.
    pub fn is_staff(&self, id: i64) -> bool {
        self.staff_id == Some(id)
    }
}
