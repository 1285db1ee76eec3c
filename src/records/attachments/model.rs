use chrono::{DateTime, Utc};
use poem_openapi::{Multipart, Object};

/// A file on a patient's record. `filename`, `description` and `sha256` are
/// left out for a caller whose role does not read clinical content (they see
/// that a file exists, its type and size, and when it came).
#[derive(Object, Clone, Debug)]
#[oai(skip_serializing_if_is_none)]
pub struct Attachment {
    pub id: i64,
    pub patient_id: i64,
    /// The note it belongs with, if any.
    pub note_id: Option<i64>,
    pub filename: Option<String>,
    pub description: Option<String>,
    /// The type its bytes are (checked when uploaded), e.g. `application/pdf`.
    pub content_type: String,
    /// Bytes.
    pub size: i64,
    /// Hex SHA-256 of the bytes: the same file uploaded twice has the same hash.
    pub sha256: Option<String>,
    #[oai(serialize_with = "crate::kit::time::instant_json")]
    pub created_at: DateTime<Utc>,
    /// Staff id of who uploaded it; `null` for an API key.
    pub uploaded_by: Option<i64>,
}

/// `multipart/form-data` with the file and what it is.
#[derive(Multipart, Debug)]
#[oai(deny_unknown_fields)]
pub struct AttachmentUpload {
    /// The file. Its name is kept; its type is read from its bytes.
    pub file: crate::http::uploads::IncomingFile,
    #[oai(validator(max_length = 500))]
    pub description: Option<String>,
    /// A note of this patient's the file belongs with.
    #[oai(validator(minimum(value = "1")))]
    pub note_id: Option<i64>,
}
