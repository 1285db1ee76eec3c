//! `/settings/clinic`: the clinic profile and its logo.

use poem::web::Data;
use poem_openapi::payload::{Binary, Json};
use poem_openapi::{ApiRequest, ApiResponse, OpenApi};

use crate::App;
use crate::clinic::model::{ClinicProfile, ClinicProfilePatch};
use crate::clinic::service;
use crate::http::ApiTags;
use crate::http::auth::StaffAuth;
use crate::http::operations::Operation;
use crate::kit::error::{ErrorCode as C, Result};
use crate::kit::permissions::{Access, Action};

pub struct ClinicApi;

/// A logo: PNG, JPEG or WebP, at most 256 KiB, its bytes matching its type.
#[derive(ApiRequest)]
enum LogoUpload {
    #[oai(content_type = "image/png")]
    Png(Binary<Vec<u8>>),
    #[oai(content_type = "image/jpeg")]
    Jpeg(Binary<Vec<u8>>),
    #[oai(content_type = "image/webp")]
    Webp(Binary<Vec<u8>>),
}

#[derive(ApiResponse)]
enum LogoImage {
    /// The logo, in the type it was uploaded as.
    #[oai(status = 200)]
    Image(
        Binary<Vec<u8>>,
        #[oai(header = "Content-Type")] String,
        #[oai(header = "Cache-Control")] String,
        #[oai(header = "ETag")] String,
    ),
}

#[derive(ApiResponse)]
enum LogoRemoved {
    /// The logo is removed.
    #[oai(status = 204)]
    Removed,
}

#[OpenApi(tag = "ApiTags::Scheduling")]
impl ClinicApi {
    /// The clinic profile
    ///
    /// The clinic's name, address, contact details, tax number, default currency, phone region
    /// and logo address. `phone_region` is the configured one until a manager chooses one here.
    #[oai(path = "/settings/clinic", method = "get", operation_id = "get_clinic_profile")]
    async fn profile(&self, app: Data<&App>, auth: StaffAuth) -> Result<Json<ClinicProfile>> {
        auth.caller().require(Action::SchedulingRead)?;
        Ok(Json(service::profile(&app).await?))
    }

    /// Change the clinic profile
    ///
    /// Send only what changes; `null` clears `address`, `phone`, `email` or `tax_number`. A new
    /// `phone_region` applies at once to phone numbers typed without a country code (those
    /// already stored keep theirs); `phone` is read in the region sent with it. Audited as
    /// `clinic.update`.
    #[oai(path = "/settings/clinic", method = "patch", operation_id = "update_clinic_profile")]
    async fn update(
        &self,
        app: Data<&App>,
        auth: StaffAuth,
        body: Json<ClinicProfilePatch>,
    ) -> Result<Json<ClinicProfile>> {
        auth.caller().require(Action::SchedulingSetup)?;
        Ok(Json(service::update(&app, auth.caller(), body.0).await?))
    }

    /// The clinic's logo
    ///
    /// The image as uploaded. Its address (`logo_url`) changes with the logo, so it may be cached.
    #[oai(path = "/settings/clinic/logo", method = "get", operation_id = "get_clinic_logo")]
    async fn logo(&self, app: Data<&App>, auth: StaffAuth) -> Result<LogoImage> {
        auth.caller().require(Action::SchedulingRead)?;
        let (bytes, kind, sha) = service::logo(&app).await?;
        Ok(LogoImage::Image(Binary(bytes), kind, "private, max-age=86400".to_owned(), format!("\"{}\"", &sha[..32])))
    }

    /// Upload the clinic's logo
    ///
    /// The body is the image itself, sent as `image/png`, `image/jpeg` or `image/webp`: at most
    /// 256 KiB (413 `PAYLOAD_TOO_LARGE`), and its bytes must be that type (415
    /// `UNSUPPORTED_MEDIA_TYPE` otherwise, nothing stored). Replaces any logo. Audited.
    #[oai(path = "/settings/clinic/logo", method = "put", operation_id = "upload_clinic_logo")]
    async fn upload_logo(&self, app: Data<&App>, auth: StaffAuth, body: LogoUpload) -> Result<Json<ClinicProfile>> {
        auth.caller().require(Action::SchedulingSetup)?;
        let upload = match body {
            LogoUpload::Png(b) => (b.0, "image/png"),
            LogoUpload::Jpeg(b) => (b.0, "image/jpeg"),
            LogoUpload::Webp(b) => (b.0, "image/webp"),
        };
        Ok(Json(service::set_logo(&app, auth.caller(), Some((upload.0, upload.1.to_owned()))).await?))
    }

    /// Remove the clinic's logo
    ///
    /// Pages and printouts show the clinic's name alone again. Audited as `clinic.logo_remove`.
    #[oai(path = "/settings/clinic/logo", method = "delete", operation_id = "delete_clinic_logo")]
    async fn delete_logo(&self, app: Data<&App>, auth: StaffAuth) -> Result<LogoRemoved> {
        auth.caller().require(Action::SchedulingSetup)?;
        service::set_logo(&app, auth.caller(), None).await?;
        Ok(LogoRemoved::Removed)
    }
}

const READ: Access = Access::Requires(&[Action::SchedulingRead]);
const SETUP: Access = Access::Requires(&[Action::SchedulingSetup]);
/// Who may call each operation and the error codes that are its own.
pub const OPERATIONS: &[Operation] = &[
    Operation::new("get_clinic_profile", READ),
    Operation::new("update_clinic_profile", SETUP),
    Operation::new("get_clinic_logo", READ).errors(&[C::NotFound]),
    Operation::new("upload_clinic_logo", SETUP).errors(&[C::PayloadTooLarge, C::UnsupportedMediaType]),
    Operation::new("delete_clinic_logo", SETUP),
];
