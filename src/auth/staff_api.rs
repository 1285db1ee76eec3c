use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};

use crate::App;
use crate::auth::mfa::service as mfa;
use crate::auth::model::{NewStaff, StaffMember, StaffPatch};
use crate::auth::service;
use crate::auth::settings::{self, SecuritySettings};
use crate::http::ApiTags;
use crate::http::auth::StaffAuth;
use crate::http::operations::Operation;
use crate::http::pagination::{Page, Paginated};
use crate::kit::error::ErrorCode as C;
use crate::kit::error::Result;
use crate::kit::permissions::{Access, Action};

pub struct StaffApi;

#[derive(ApiResponse)]
enum StaffCreated {
    /// The account was created.
    #[oai(status = 201)]
    Created(Json<StaffMember>, #[oai(header = "Location")] String),
}

#[OpenApi(tag = "ApiTags::Staff")]
impl StaffApi {
    /// List staff accounts
    ///
    /// Every staff account, active or not, with its role.
    #[oai(path = "/staff", method = "get", operation_id = "list_staff")]
    async fn list(
        &self,
        app: Data<&App>,
        auth: StaffAuth,
        #[oai(validator(minimum(value = "1")))] page: Query<Option<i64>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))] page_size: Query<Option<i64>>,
    ) -> Result<Json<Paginated<StaffMember>>> {
        auth.caller().require(Action::StaffManage)?;
        let page = Page::from_query(page.0, page_size.0)?;
        let (rows, total) = service::list_staff(&app, page).await?;
        Ok(Json(page.wrap(rows, total)))
    }

    /// Create a staff account
    ///
    /// The person signs in with this email and password (at least 12 characters). Answers 409
    /// `EMAIL_TAKEN` when another account has the email.
    #[oai(path = "/staff", method = "post", operation_id = "create_staff")]
    async fn create(&self, app: Data<&App>, auth: StaffAuth, body: Json<NewStaff>) -> Result<StaffCreated> {
        auth.caller().require(Action::StaffManage)?;
        let member = service::create_staff(&app, auth.caller(), body.0).await?;
        let location = format!("/api/v1/staff/{}", member.id);
        Ok(StaffCreated::Created(Json(member), location))
    }

    /// Get one staff account
    ///
    /// One staff account with its role and whether it is active.
    #[oai(path = "/staff/:id", method = "get", operation_id = "get_staff")]
    async fn get(&self, app: Data<&App>, auth: StaffAuth, id: Path<i64>) -> Result<Json<StaffMember>> {
        auth.caller().require(Action::StaffManage)?;
        Ok(Json(service::get_staff(&app, id.0).await?))
    }

    /// Change a staff account: name, role, active, or a password reset
    ///
    /// Deactivating an account or resetting its password revokes all its
    /// tokens and sessions. The last active administrator cannot be demoted
    /// or deactivated (409 `LAST_ADMIN`).
    #[oai(path = "/staff/:id", method = "patch", operation_id = "update_staff")]
    async fn update(
        &self,
        app: Data<&App>,
        auth: StaffAuth,
        id: Path<i64>,
        body: Json<StaffPatch>,
    ) -> Result<Json<StaffMember>> {
        auth.caller().require(Action::StaffManage)?;
        Ok(Json(service::update_staff(&app, auth.caller(), id.0, body.0).await?))
    }

    /// Reset a staff member's two-factor sign-in
    ///
    /// For a lost phone: removes their authenticator and recovery codes, so they sign in with the
    /// password alone and set it up again (at once, when their role requires it). Audited.
    #[oai(path = "/staff/:id/mfa", method = "delete", operation_id = "reset_staff_mfa")]
    async fn reset_mfa(&self, app: Data<&App>, auth: StaffAuth, id: Path<i64>) -> Result<NoContent> {
        auth.caller().require(Action::StaffManage)?;
        mfa::reset(&app, auth.caller(), id.0).await?;
        Ok(NoContent::Done)
    }

    /// The clinic's security settings
    ///
    /// Which roles must use two-factor sign-in, and whether clinicians see every patient or only
    /// their own.
    #[oai(
        path = "/settings/security",
        method = "get",
        operation_id = "get_security_settings",
        tag = "ApiTags::Settings"
    )]
    async fn get_settings(&self, app: Data<&App>, auth: StaffAuth) -> Result<Json<SecuritySettings>> {
        auth.caller().require(Action::StaffManage)?;
        Ok(Json(settings::get(&app).await?))
    }

    /// Change the clinic's security settings
    ///
    /// Send the whole settings object. A role newly required to use two-factor sign-in sets it
    /// up at its members' next request; until then they can do nothing else. Audited.
    #[oai(
        path = "/settings/security",
        method = "put",
        operation_id = "put_security_settings",
        tag = "ApiTags::Settings"
    )]
    async fn put_settings(
        &self,
        app: Data<&App>,
        auth: StaffAuth,
        body: Json<SecuritySettings>,
    ) -> Result<Json<SecuritySettings>> {
        auth.caller().require(Action::StaffManage)?;
        Ok(Json(settings::put(&app, auth.caller(), body.0).await?))
    }
}

#[derive(ApiResponse)]
enum NoContent {
    /// Done.
    #[oai(status = 204)]
    Done,
}

const MANAGE: Access = Access::Requires(&[Action::StaffManage]);
/// Who may call each operation and the error codes that are its own.
pub const OPERATIONS: &[Operation] = &[
    Operation::new("list_staff", MANAGE),
    Operation::new("create_staff", MANAGE).errors(&[C::EmailTaken]),
    Operation::new("get_staff", MANAGE),
    Operation::new("update_staff", MANAGE).errors(&[C::LastAdmin]),
    Operation::new("reset_staff_mfa", MANAGE).errors(&[C::MfaNotEnabled]),
    Operation::new("get_security_settings", MANAGE),
    Operation::new("put_security_settings", MANAGE),
];
