//! The one permission table: which role may do what. Handlers ask it through
//! `Caller::require`; the web UI reads the caller's allowed actions from
//! `/auth/me`; nothing else decides access.

use poem_openapi::Enum;

use crate::kit::error::{Error, ErrorCode, Result};
use crate::kit::principal::{Caller, Role};

/// Something a signed-in person may be allowed to do.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename_all = "snake_case")]
pub enum Action {
    PatientRead,
    PatientWrite,
    PatientMerge,
    ClinicalRead,
    ClinicalWrite,
    ClinicalSetup,
    StaffManage,
    AuditRead,
    BackupManage,
    SchedulingRead,
    SchedulingSetup,
    AppointmentWrite,
}

impl Action {
    pub const ALL: &[Action] = &[
        Action::PatientRead,
        Action::PatientWrite,
        Action::PatientMerge,
        Action::ClinicalRead,
        Action::ClinicalWrite,
        Action::ClinicalSetup,
        Action::StaffManage,
        Action::AuditRead,
        Action::BackupManage,
        Action::SchedulingRead,
        Action::SchedulingSetup,
        Action::AppointmentWrite,
    ];

    pub fn describe(self) -> &'static str {
        match self {
            Action::PatientRead => "read patients",
            Action::PatientWrite => "change patients",
            Action::PatientMerge => "review possible duplicates and merge patient records",
            Action::ClinicalRead => {
                "read clinical content: notes, attachments, questionnaire answers and scores, programme goals"
            }
            Action::ClinicalWrite => {
                "write, sign and amend notes, upload files, enter answers and enrol patients in programmes"
            }
            Action::ClinicalSetup => "add note templates, questionnaires and treatment programmes",
            Action::StaffManage => "manage staff accounts, API keys and security settings",
            Action::AuditRead => "read the audit log",
            Action::BackupManage => "manage backups",
            Action::SchedulingRead => "read the schedule",
            Action::SchedulingSetup => "change centres, clinicians, services and availability",
            Action::AppointmentWrite => "book and change appointments",
        }
    }
}

/// Role × action. Read it as a table: each action lists the roles allowed.
const TABLE: &[(Action, &[Role])] = &[
    (Action::PatientRead, &[Role::Admin, Role::Manager, Role::Clinician, Role::FrontDesk, Role::Billing]),
    (Action::PatientWrite, &[Role::Admin, Role::Manager, Role::Clinician, Role::FrontDesk]),
    (Action::PatientMerge, &[Role::Admin, Role::Manager]),
    // Clinical content is for the clinical roles. Admin is an IT role and
    // billing and front desk see that a note exists, not what it says.
    (Action::ClinicalRead, &[Role::Manager, Role::Clinician]),
    (Action::ClinicalWrite, &[Role::Manager, Role::Clinician]),
    (Action::ClinicalSetup, &[Role::Manager]),
    (Action::StaffManage, &[Role::Admin]),
    (Action::AuditRead, &[Role::Admin]),
    (Action::BackupManage, &[Role::Admin]),
    (Action::SchedulingRead, &[Role::Admin, Role::Manager, Role::Clinician, Role::FrontDesk, Role::Billing]),
    (Action::SchedulingSetup, &[Role::Admin, Role::Manager]),
    (Action::AppointmentWrite, &[Role::Admin, Role::Manager, Role::Clinician, Role::FrontDesk]),
];

/// Who may call an operation: what its `Roles:` line says and the
/// authorization matrix test checks against the running server.
#[derive(Clone, Copy, Debug)]
pub enum Access {
    /// No sign-in: anyone who can reach the server.
    Public,
    /// Any signed-in staff member or API key, whatever the role.
    SignedIn,
    /// A signed-in staff member, whatever the role, about their own account;
    /// an API key has none.
    Person,
    /// A role allowed every one of these actions.
    Requires(&'static [Action]),
    /// A staff member (not an API key) whose role is allowed these actions.
    PersonRequires(&'static [Action]),
    /// A role allowed these actions, or the one person the record is about
    /// (who is named in words).
    RequiresOrOwn(&'static [Action], &'static str),
}

impl Access {
    /// The roles that pass; `None` when no sign-in is needed.
    pub fn roles(self) -> Option<Vec<Role>> {
        let actions = match self {
            Access::Public => return None,
            Access::SignedIn | Access::Person => &[][..],
            Access::Requires(actions) | Access::PersonRequires(actions) | Access::RequiresOrOwn(actions, _) => actions,
        };
        Some(Role::ALL.iter().copied().filter(|role| actions.iter().all(|action| allows(*role, *action))).collect())
    }

    /// The line an operation's description ends with, e.g. `Roles: admin, manager`.
    pub fn roles_line(self) -> String {
        let Some(roles) = self.roles() else { return "Roles: public".to_owned() };
        let names: Vec<&str> = roles.iter().map(|role| role.as_str()).collect();
        match self {
            Access::RequiresOrOwn(_, own) => format!("Roles: {}; also {own}", names.join(", ")),
            Access::Person | Access::PersonRequires(_) => format!("Roles: {}; not API keys", names.join(", ")),
            _ => format!("Roles: {}", names.join(", ")),
        }
    }
}

pub fn allows(role: Role, action: Action) -> bool {
    TABLE.iter().any(|(a, roles)| *a == action && roles.contains(&role))
}

/// Every action `role` may take, in the table's order.
pub fn allowed_actions(role: Role) -> Vec<Action> {
    TABLE.iter().filter(|(_, roles)| roles.contains(&role)).map(|(action, _)| *action).collect()
}

impl Caller {
    pub fn require(&self, action: Action) -> Result<()> {
        if self.must_enrol_mfa {
            return Err(Error::Forbidden {
                code: ErrorCode::MfaEnrolmentRequired,
                message: "your role must use two-factor sign-in: set it up first".into(),
            });
        }
        if allows(self.role, action) {
            Ok(())
        } else {
            Err(Error::forbidden(format!("the {} role may not {}", self.role.as_str(), action.describe())))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn billing_reads_patients_but_does_not_change_them() {
        assert!(allows(Role::Billing, Action::PatientRead));
        assert!(!allows(Role::Billing, Action::PatientWrite));
        assert!(allows(Role::FrontDesk, Action::PatientWrite));
    }

    #[test]
    fn only_admins_manage_staff_and_read_the_audit_log() {
        for role in [Role::Manager, Role::Clinician, Role::FrontDesk, Role::Billing] {
            assert!(!allows(role, Action::StaffManage));
            assert!(!allows(role, Action::AuditRead));
        }
        assert!(allows(Role::Admin, Action::StaffManage));
        assert!(allows(Role::Admin, Action::AuditRead));
    }

    #[test]
    fn every_action_is_in_the_table() {
        for action in Action::ALL {
            assert!(TABLE.iter().any(|(a, _)| a == action), "{action:?}");
        }
    }

    #[test]
    fn an_operations_roles_are_those_allowed_every_action_it_needs() {
        assert_eq!(Access::Public.roles_line(), "Roles: public");
        assert_eq!(Access::SignedIn.roles_line(), "Roles: admin, manager, clinician, front_desk, billing");
        assert_eq!(Access::Requires(&[Action::SchedulingSetup]).roles_line(), "Roles: admin, manager");
        let both = Access::Requires(&[Action::PatientWrite, Action::SchedulingRead]);
        assert_eq!(both.roles(), Some(vec![Role::Admin, Role::Manager, Role::Clinician, Role::FrontDesk]));
        let own = Access::RequiresOrOwn(&[Action::StaffManage], "the person themself");
        assert_eq!(own.roles_line(), "Roles: admin; also the person themself");
    }

    #[test]
    fn allowed_actions_follow_the_table() {
        assert_eq!(allowed_actions(Role::Billing), vec![Action::PatientRead, Action::SchedulingRead]);
        assert!(allowed_actions(Role::Admin).contains(&Action::BackupManage));
        assert!(!allowed_actions(Role::Manager).contains(&Action::StaffManage));
    }
}
