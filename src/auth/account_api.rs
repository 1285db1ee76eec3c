use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};

use crate::App;
use crate::auth::account;
use crate::auth::mfa::model::{MfaStatus, PasswordConfirmation, RecoveryCodes, TotpCode, TotpEnrolment};
use crate::auth::mfa::service as mfa;
use crate::auth::model::{AccountPatch, Me, PasswordChange, SignInSummary};
use crate::http::ApiTags;
use crate::http::auth::StaffAuth;
use crate::http::operations::Operation;
use crate::http::pagination::{Page, Paginated};
use crate::kit::error::ErrorCode as C;
use crate::kit::error::Result;
use crate::kit::permissions::Access;

pub struct AccountApi;

#[derive(ApiResponse)]
enum NoContent {
    /// Done.
    #[oai(status = 204)]
    Done,
}

#[OpenApi(tag = "ApiTags::Account")]
impl AccountApi {
    /// The signed-in staff member and what they may do
    ///
    /// Who the credential belongs to, their role, `allowed_actions` from the permission table
    /// (show only what the person may do) and their two-factor state.
    #[oai(path = "/auth/me", method = "get", operation_id = "get_me")]
    async fn me(&self, app: Data<&App>, auth: StaffAuth) -> Result<Json<Me>> {
        Ok(Json(account::me(&app, auth.caller().person()?).await?))
    }

    /// Change one's own name or email
    ///
    /// Send only what changes. A new email needs `current_password`; a wrong one is a 422 naming
    /// `current_password` and counts like a failed sign-in.
    #[oai(path = "/auth/me", method = "patch", operation_id = "update_me")]
    async fn update_me(&self, app: Data<&App>, auth: StaffAuth, body: Json<AccountPatch>) -> Result<Json<Me>> {
        Ok(Json(account::update_me(&app, auth.caller(), body.0).await?))
    }

    /// Change one's own password
    ///
    /// Needs the current password. Every other sign-in of the account ends; this one stays.
    #[oai(path = "/auth/me/password", method = "post", operation_id = "change_password")]
    async fn change_password(&self, app: Data<&App>, auth: StaffAuth, body: Json<PasswordChange>) -> Result<NoContent> {
        account::change_password(&app, auth.caller(), body.0).await?;
        Ok(NoContent::Done)
    }

    /// List one's own sign-ins
    ///
    /// Browser sessions and bearer sign-ins still in force, most recently used first, with where
    /// they were last used from; `current` marks the one this request came with.
    #[oai(path = "/auth/sessions", method = "get", operation_id = "list_sessions")]
    async fn list_sessions(
        &self,
        app: Data<&App>,
        auth: StaffAuth,
        #[oai(validator(minimum(value = "1")))] page: Query<Option<i64>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))] page_size: Query<Option<i64>>,
    ) -> Result<Json<Paginated<SignInSummary>>> {
        let page = Page::from_query(page.0, page_size.0)?;
        let (rows, total) = account::list_sessions(&app, auth.caller(), page).await?;
        Ok(Json(page.wrap(rows, total)))
    }

    /// End one of one's own sign-ins
    ///
    /// Every token of that sign-in stops working at once. Another person's sign-in is not found.
    #[oai(path = "/auth/sessions/:id", method = "delete", operation_id = "end_session")]
    async fn end_session(&self, app: Data<&App>, auth: StaffAuth, id: Path<i64>) -> Result<NoContent> {
        account::end_session(&app, auth.caller(), id.0).await?;
        Ok(NoContent::Done)
    }

    /// Whether two-factor sign-in is on for one's account
    ///
    /// Also whether the clinic requires it for one's role, and how many recovery codes are left.
    #[oai(path = "/auth/mfa", method = "get", operation_id = "get_mfa")]
    async fn get_mfa(&self, app: Data<&App>, auth: StaffAuth) -> Result<Json<MfaStatus>> {
        Ok(Json(mfa::status(&app, auth.caller()).await?))
    }

    /// Start setting up two-factor sign-in (TOTP)
    ///
    /// Answers a new secret, its `otpauth://` URI and that URI as a QR code. Scan it with an
    /// authenticator app, then confirm with the code the app shows. Starting again replaces a
    /// pending secret. 409 `MFA_ALREADY_ENABLED` when it is on.
    #[oai(path = "/auth/mfa/totp", method = "post", operation_id = "start_totp_enrolment")]
    async fn start(&self, app: Data<&App>, auth: StaffAuth) -> Result<Json<TotpEnrolment>> {
        Ok(Json(mfa::start_enrolment(&app, auth.caller()).await?))
    }

    /// Turn two-factor sign-in on with the app's first code
    ///
    /// Answers ten recovery codes, shown this once; each signs in once without the app. From now
    /// on a sign-in asks for a code after the password.
    #[oai(path = "/auth/mfa/totp/confirm", method = "post", operation_id = "confirm_totp_enrolment")]
    async fn confirm(&self, app: Data<&App>, auth: StaffAuth, body: Json<TotpCode>) -> Result<Json<RecoveryCodes>> {
        Ok(Json(mfa::confirm_enrolment(&app, auth.caller(), &body.code).await?))
    }

    /// Turn two-factor sign-in off
    ///
    /// Needs the current password. Refused with 409 `MFA_REQUIRED` when the clinic requires it
    /// for one's role.
    #[oai(path = "/auth/mfa/totp/disable", method = "post", operation_id = "disable_totp")]
    async fn disable(&self, app: Data<&App>, auth: StaffAuth, body: Json<PasswordConfirmation>) -> Result<NoContent> {
        mfa::disable(&app, auth.caller(), body.0.current_password).await?;
        Ok(NoContent::Done)
    }

    /// Replace one's recovery codes
    ///
    /// Needs a current code from the app. The old recovery codes stop working.
    #[oai(path = "/auth/mfa/recovery-codes", method = "post", operation_id = "renew_recovery_codes")]
    async fn renew(&self, app: Data<&App>, auth: StaffAuth, body: Json<TotpCode>) -> Result<Json<RecoveryCodes>> {
        Ok(Json(mfa::renew_recovery_codes(&app, auth.caller(), &body.code).await?))
    }
}

/// Who may call each operation and the error codes that are its own.
pub const OPERATIONS: &[Operation] = &[
    Operation::new("get_me", Access::Person),
    Operation::new("update_me", Access::Person).errors(&[C::EmailTaken, C::TooManyRequests]),
    Operation::new("change_password", Access::Person).errors(&[C::TooManyRequests]),
    Operation::new("list_sessions", Access::Person),
    Operation::new("end_session", Access::Person),
    Operation::new("get_mfa", Access::Person),
    Operation::new("start_totp_enrolment", Access::Person).errors(&[C::MfaAlreadyEnabled]),
    Operation::new("confirm_totp_enrolment", Access::Person).errors(&[C::MfaAlreadyEnabled, C::MfaNotEnabled]),
    Operation::new("disable_totp", Access::Person).errors(&[C::MfaNotEnabled, C::MfaRequired, C::TooManyRequests]),
    Operation::new("renew_recovery_codes", Access::Person).errors(&[C::MfaNotEnabled]),
];
