//! Staff accounts: the rules for creating and changing them.

use chrono::{DateTime, Utc};
use email_address::EmailAddress;
use rusqlite::{Connection, Transaction};

use crate::App;
use crate::audit::{self, Actor};
use crate::auth::model::{NewStaff, StaffMember, StaffPatch};
use crate::auth::password;
use crate::auth::store::{self, StaffUpdate};
use crate::db::changes::{self, ChangeOp};
use crate::http::pagination::Page;
use crate::kit::context::RequestContext;
use crate::kit::error::{Error, ErrorCode, Result, Validator};
use crate::kit::principal::{Caller, Role};

const NAME_MAX: usize = 100;

pub fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Checks the fields common to creating staff by the admin and by setup.
pub fn validate_new_account(v: &mut Validator, email: &str, name: &str, password: &str) {
    let email = normalise_email(email);
    validate_email(v, &email);
    validate_name(v, name);
    if let Some(problem) = password::check_policy(password, &[email.as_str(), name]) {
        v.add("password", problem);
    }
}

/// Checks an already normalised email address.
pub fn validate_email(v: &mut Validator, email: &str) {
    if email.is_empty() {
        v.add("email", "is required");
    } else if !EmailAddress::is_valid(email) || email.len() > 254 {
        v.add("email", "is not a valid email address");
    }
}

pub fn validate_name(v: &mut Validator, name: &str) {
    let name = name.trim();
    if !crate::kit::text::has_visible(name) {
        v.add("name", "is required");
    } else if name.chars().count() > NAME_MAX {
        v.add("name", format!("must be at most {NAME_MAX} characters"));
    } else if let Some(problem) = crate::kit::text::character_problem(name) {
        v.add("name", problem);
    }
}

/// A checked new account, ready to be written.
struct AccountToWrite {
    email: String,
    name: String,
    role: Role,
    password_hash: String,
}

impl AccountToWrite {
    /// Validates the fields and hashes the password (on the hashing pool).
    async fn prepare(email: &str, name: &str, role: Role, secret: String) -> Result<Self> {
        let mut v = Validator::new();
        validate_new_account(&mut v, email, name, &secret);
        v.finish()?;
        let password_hash = password::hash(secret).await?;
        Ok(Self { email: normalise_email(email), name: name.trim().to_owned(), role, password_hash })
    }

    /// Writes the account with its audit row (`action`) and change row.
    fn insert(
        &self,
        tx: &Transaction,
        now: DateTime<Utc>,
        by: CreatedBy,
        action: &str,
        details: Option<serde_json::Value>,
    ) -> Result<StaffMember> {
        let member = store::insert_staff(tx, &self.email, &self.name, self.role, &self.password_hash, now)?;
        let actor = match by {
            CreatedBy::Staff(caller) => Actor::from(caller),
            CreatedBy::Itself(context) => {
                Actor { id: Some(member.id), email: Some(&member.email), api_key_id: None, context }
            }
            CreatedBy::CommandLine(context) => Actor { id: None, email: None, api_key_id: None, context },
        };
        audit::record(tx, now, actor, action, "staff", Some(member.id), details)?;
        changes::record(tx, now, "staff", member.id, ChangeOp::Create)?;
        Ok(member)
    }
}

/// Who the audit log names as creating an account.
enum CreatedBy<'a> {
    Staff(&'a Caller),
    /// Setup: the first administrator creates themself.
    Itself(&'a RequestContext),
    CommandLine(&'a RequestContext),
}

pub async fn create_staff(app: &App, caller: &Caller, input: NewStaff) -> Result<StaffMember> {
    let account = AccountToWrite::prepare(&input.email, &input.name, input.role, input.password).await?;
    let now = app.clock.now();
    let caller = caller.clone();
    app.db
        .write(move |tx| {
            let details = serde_json::json!({ "role": account.role.as_str() });
            account.insert(tx, now, CreatedBy::Staff(&caller), "staff.create", Some(details))
        })
        .await
}

/// Creates the first administrator during setup. Checked again inside the
/// transaction: two tabs racing on the setup page must not both create one.
pub async fn create_first_admin(
    app: &App,
    email: &str,
    name: &str,
    secret: String,
    context: RequestContext,
) -> Result<StaffMember> {
    let account = AccountToWrite::prepare(email, name, Role::Admin, secret).await?;
    let now = app.clock.now();
    app.db
        .write(move |tx| {
            if store::count_active_admins(tx)? > 0 {
                return Err(Error::conflict(ErrorCode::AlreadySetUp, "this clinic already has an administrator"));
            }
            account.insert(tx, now, CreatedBy::Itself(&context), "setup.complete", None)
        })
        .await
}

/// `clinicbox admin create`: an administrator written straight to the
/// database, which may be in use by a running server (SQLite serialises the
/// two writers).
pub fn create_admin_offline(
    conn: &mut Connection,
    now: DateTime<Utc>,
    email: &str,
    name: &str,
    secret: &str,
) -> Result<StaffMember> {
    let mut v = Validator::new();
    validate_new_account(&mut v, email, name, secret);
    v.finish()?;
    let password_hash = password::hash_now(secret)?;
    let account = AccountToWrite {
        email: normalise_email(email),
        name: name.trim().to_owned(),
        role: Role::Admin,
        password_hash,
    };
    let context = RequestContext { request_id: "cli".into(), ..Default::default() };
    crate::db::run_in_transaction(conn, |tx| {
        let details = serde_json::json!({"via": "cli"});
        account.insert(tx, now, CreatedBy::CommandLine(&context), "staff.create", Some(details))
    })
}

/// One page of staff accounts, and how many there are.
pub async fn list_staff(app: &App, page: Page) -> Result<(Vec<StaffMember>, i64)> {
    app.db.read(move |conn| store::list_staff(conn, page.limit(), page.offset())).await
}

pub async fn get_staff(app: &App, id: i64) -> Result<StaffMember> {
    app.db.read(move |conn| store::staff_by_id(conn, id)).await?.ok_or(Error::NotFound { entity: "staff member" })
}

pub async fn update_staff(app: &App, caller: &Caller, id: i64, patch: StaffPatch) -> Result<StaffMember> {
    let current = get_staff(app, id).await?;
    let mut v = Validator::new();
    if let Some(name) = &patch.name {
        validate_name(&mut v, name);
    }
    let new_password = match patch.password {
        poem_openapi::types::MaybeUndefined::Value(p) => {
            if let Some(problem) = password::check_policy(&p, &[&current.email, &current.name]) {
                v.add("password", problem);
            }
            Some(p)
        }
        poem_openapi::types::MaybeUndefined::Null => {
            v.add("password", "cannot be removed; give a new password instead");
            None
        }
        poem_openapi::types::MaybeUndefined::Undefined => None,
    };
    v.finish()?;
    let password_hash = match new_password {
        Some(p) => Some(password::hash(p).await?),
        None => None,
    };
    let now = app.clock.now();
    let caller = caller.clone();
    let name = patch.name.map(|n| n.trim().to_owned());
    let (role, active) = (patch.role, patch.active);
    app.db
        .write(move |tx| {
            let current = store::staff_by_id(tx, id)?.ok_or(Error::NotFound { entity: "staff member" })?;
            let stops_being_admin = current.role == Role::Admin
                && current.active
                && (role.is_some_and(|r| r != Role::Admin) || active == Some(false));
            if stops_being_admin && store::count_active_admins(tx)? <= 1 {
                return Err(Error::conflict(
                    ErrorCode::LastAdmin,
                    "the clinic must keep at least one active administrator",
                ));
            }
            let update = StaffUpdate { name: name.as_deref(), role, active, password_hash: password_hash.as_deref() };
            store::update_staff(tx, id, &update, now)?;
            // The role is read on every request, so a new role applies at once;
            // only deactivation and a new password end existing sign-ins.
            let signs_out = active == Some(false) || password_hash.is_some();
            if signs_out {
                store::revoke_all_for_staff(tx, id, now)?;
            }
            let mut changed = Vec::new();
            if name.is_some() {
                changed.push("name");
            }
            if role.is_some() {
                changed.push("role");
            }
            if active.is_some() {
                changed.push("active");
            }
            if password_hash.is_some() {
                changed.push("password");
            }
            let details = serde_json::json!({ "fields": changed });
            audit::record(tx, now, Actor::from(&caller), "staff.update", "staff", Some(id), Some(details))?;
            changes::record(tx, now, "staff", id, ChangeOp::Update)?;
            store::staff_by_id(tx, id)?.ok_or(Error::NotFound { entity: "staff member" })
        })
        .await
}
