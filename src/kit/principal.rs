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

/// Who is making a request, established from a bearer token or a session.
#[derive(Clone, Debug)]
pub struct Caller {
    pub staff_id: i64,
    pub email: String,
    pub role: Role,
    /// The sign-in this credential belongs to; logout revokes all of it.
    pub token_family: String,
    pub context: RequestContext,
}
