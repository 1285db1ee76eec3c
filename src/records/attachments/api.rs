use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::{Binary, Json};
use poem_openapi::{ApiResponse, OpenApi};

use crate::App;
use crate::http::ApiTags;
use crate::http::auth::StaffAuth;
use crate::http::operations::Operation;
use crate::http::pagination::{Page, Paginated};
use crate::http::responses::Created;
use crate::kit::error::ErrorCode as C;
use crate::kit::error::{Error, Result};
use crate::kit::permissions::{Access, Action};
use crate::records::attachments::model::{Attachment, AttachmentUpload};
use crate::records::attachments::service;

pub struct AttachmentsApi;

#[derive(ApiResponse)]
enum AttachmentContent {
    /// The file's exact bytes, always as a download.
    #[oai(status = 200)]
    File(
        Binary<poem::Body>,
        #[oai(header = "Content-Type")] String,
        #[oai(header = "Content-Disposition")] String,
        #[oai(header = "Content-Length")] String,
    ),
}

/// Characters of a file name sent as they are in `filename*`.
const NAME_CHARS: &AsciiSet = &NON_ALPHANUMERIC.remove(b'.').remove(b'-').remove(b'_');

/// `attachment` with the name both ways: plain ASCII for old clients and
/// RFC 8187 UTF-8 for the rest.
fn disposition(filename: &str) -> String {
    let ascii: String = filename
        .chars()
        .map(|c| if (c.is_ascii_graphic() && c != '"' && c != '\\') || c == ' ' { c } else { '_' })
        .collect();
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{}", utf8_percent_encode(filename, NAME_CHARS))
}

#[OpenApi(tag = "ApiTags::Records")]
impl AttachmentsApi {
    /// Upload a file to a patient's record
    ///
    /// `multipart/form-data` with `file`, and optionally `description` and `note_id` (one of
    /// the patient's notes). The type is read from the file's bytes: PDF, PNG, JPEG, GIF, WebP,
    /// HEIC, plain text, Word (.docx), Excel (.xlsx) or DICOM; anything else is 415
    /// `UNSUPPORTED_MEDIA_TYPE`. Larger than `max_upload_mb` (25 MiB unless configured) is 413
    /// `PAYLOAD_TOO_LARGE`. Either way nothing is stored. The same bytes uploaded twice are kept
    /// once. Audited.
    #[oai(path = "/patients/:id/attachments", method = "post", operation_id = "upload_attachment")]
    async fn upload(
        &self,
        app: Data<&App>,
        auth: StaffAuth,
        id: Path<i64>,
        body: AttachmentUpload,
    ) -> Result<Created<Attachment>> {
        auth.caller().require(Action::ClinicalWrite)?;
        let attachment = service::upload(&app, auth.caller(), id.0, body).await?;
        Ok(Created::at(format!("/api/v1/attachments/{}/content", attachment.id), attachment))
    }

    /// List a patient's attachments
    ///
    /// Newest first. Roles that read clinical content get each file's name, description and
    /// hash (and the read is audited); others see that a file exists, its type, size and when.
    #[oai(path = "/patients/:id/attachments", method = "get", operation_id = "list_patient_attachments")]
    async fn list(
        &self,
        app: Data<&App>,
        auth: StaffAuth,
        id: Path<i64>,
        #[oai(validator(minimum(value = "1")))] page: Query<Option<i64>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))] page_size: Query<Option<i64>>,
    ) -> Result<Json<Paginated<Attachment>>> {
        auth.caller().require(Action::PatientRead)?;
        let page = Page::from_query(page.0, page_size.0)?;
        let (rows, total) = service::list(&app, auth.caller(), id.0, page).await?;
        Ok(Json(page.wrap(rows, total)))
    }

    /// Download an attachment
    ///
    /// The exact bytes uploaded, with the type they were checked to be, always as a download
    /// (`Content-Disposition: attachment`, never shown inline). The read is recorded in the
    /// audit log.
    #[oai(path = "/attachments/:id/content", method = "get", operation_id = "download_attachment")]
    async fn content(&self, app: Data<&App>, auth: StaffAuth, id: Path<i64>) -> Result<AttachmentContent> {
        auth.caller().require(Action::ClinicalRead)?;
        let (attachment, path) = service::open(&app, auth.caller(), id.0).await?;
        let file = tokio::fs::File::open(&path)
            .await
            .map_err(|e| Error::internal_from(format!("the file of attachment {} cannot be read", attachment.id), e))?;
        let filename = attachment.filename.unwrap_or_default();
        Ok(AttachmentContent::File(
            Binary(poem::Body::from_async_read(file)),
            attachment.content_type,
            disposition(&filename),
            attachment.size.to_string(),
        ))
    }
}

/// Who may call each operation and the error codes that are its own.
pub const OPERATIONS: &[Operation] = &[
    Operation::new("upload_attachment", Access::Requires(&[Action::ClinicalWrite]))
        .errors(&[C::PayloadTooLarge, C::UnsupportedMediaType]),
    Operation::new("list_patient_attachments", Access::Requires(&[Action::PatientRead])),
    Operation::new("download_attachment", Access::Requires(&[Action::ClinicalRead])).errors(&[C::NotFound]),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_download_names_its_file_safely_both_ways() {
        assert_eq!(disposition("scan 1.pdf"), "attachment; filename=\"scan 1.pdf\"; filename*=UTF-8''scan%201.pdf");
        assert_eq!(
            disposition("ré\"sumé.txt"),
            "attachment; filename=\"r__sum_.txt\"; filename*=UTF-8''r%C3%A9%22sum%C3%A9.txt"
        );
    }
}
