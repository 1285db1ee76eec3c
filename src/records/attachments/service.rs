//! Rules for attachments: who uploads and reads them, what a file may be and
//! how large, and the audit of every read of one.

use rusqlite::Connection;

use crate::App;
use crate::audit::{self, Actor};
use crate::db::changes::{self, ChangeOp};
use crate::http::pagination::Page;
use crate::kit::error::{Error, ErrorCode, Result};
use crate::kit::permissions::{Action, allows};
use crate::kit::principal::Caller;
use crate::kit::text;
use crate::patients::service::visible;
use crate::records::attachments::kinds::{self, ACCEPTED_NAMES};
use crate::records::attachments::model::{Attachment, AttachmentUpload};
use crate::records::attachments::store::{self, NewAttachmentRow};

/// The longest file name kept; longer ones are shortened, keeping the extension.
const FILENAME_MAX: usize = 200;

fn not_found() -> Error {
    Error::NotFound { entity: "attachment" }
}

fn may_read_content(caller: &Caller) -> bool {
    allows(caller.role, Action::ClinicalRead) && !caller.must_enrol_mfa
}

/// What a role that does not read clinical content sees: that a file is
/// there, its type and size, when and by whom; not its name or what it is.
fn shown(caller: &Caller, mut attachment: Attachment) -> Attachment {
    if !may_read_content(caller) {
        attachment.filename = None;
        attachment.description = None;
        attachment.sha256 = None;
    }
    attachment
}

/// The name a browser sent, without folders or control characters.
pub fn clean_filename(sent: Option<&str>) -> String {
    let base = sent.unwrap_or_default().rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base.chars().filter(|c| !c.is_control()).collect();
    let cleaned = cleaned.trim().trim_start_matches('.');
    if cleaned.is_empty() {
        return "file".to_owned();
    }
    if cleaned.chars().count() <= FILENAME_MAX {
        return cleaned.to_owned();
    }
    let extension = cleaned.rsplit_once('.').map(|(_, e)| e).filter(|e| e.chars().count() <= 10).unwrap_or("");
    let keep = FILENAME_MAX - extension.chars().count() - 1;
    let stem: String = cleaned.chars().take(keep).collect();
    if extension.is_empty() { stem } else { format!("{stem}.{extension}") }
}

fn too_large(size: u64, max: usize) -> Error {
    Error::bad_request(
        ErrorCode::PayloadTooLarge,
        format!("the file is {:.1} MiB; at most {} MiB is accepted", size as f64 / 1048576.0, max >> 20),
    )
}

/// The note a file belongs with: one of this patient's.
fn check_note(conn: &Connection, patient_id: i64, note_id: i64) -> Result<()> {
    let note = crate::records::notes::store::get(conn, note_id)?;
    if note.is_none_or(|n| n.patient_id != patient_id) {
        return Err(Error::invalid_field("note_id", "is not a note of this patient"));
    }
    Ok(())
}

/// Checks the file's type by its first bytes, then keeps it (once per
/// content) and writes the row that names it.
pub async fn upload(app: &App, caller: &Caller, patient_id: i64, input: AttachmentUpload) -> Result<Attachment> {
    let max = app.config.max_upload_bytes();
    let file = input.file;
    if file.size() > max as u64 {
        return Err(too_large(file.size(), max));
    }
    let Some(content_type) = kinds::sniff(file.head()) else {
        return Err(Error::bad_request(
            ErrorCode::UnsupportedMediaType,
            format!("the file is not a type a record keeps; send a {ACCEPTED_NAMES} file"),
        ));
    };
    let description = input.description.as_deref().map(str::trim).filter(|d| !d.is_empty()).map(str::to_owned);
    if let Some(problem) = description.as_deref().and_then(text::multiline_problem) {
        return Err(Error::invalid_field("description", problem));
    }
    let (app2, caller2, note_id) = (app.clone(), caller.clone(), input.note_id);
    app.db
        .read(move |conn| {
            visible(conn, &caller2, app2.patients_booked_with, patient_id)?;
            note_id.map_or(Ok(()), |note| check_note(conn, patient_id, note))
        })
        .await?;
    let filename = clean_filename(file.file_name());
    let (sha256, size) = (file.sha256().to_owned(), file.size());
    let files = app.files.clone();
    // The file is in place before the row that names it commits.
    tokio::task::spawn_blocking(move || files.keep(file.path(), file.sha256())).await??;
    let (app2, caller) = (app.clone(), caller.clone());
    app.db
        .write(move |tx| {
            // The patient may have been merged away while the file was kept.
            visible(tx, &caller, app2.patients_booked_with, patient_id)?;
            let row = NewAttachmentRow {
                patient_id,
                note_id,
                filename: &filename,
                description: description.as_deref(),
                content_type,
                size: i64::try_from(size).unwrap_or(i64::MAX),
                sha256: &sha256,
                uploaded_by: caller.staff_id,
            };
            let now = app2.clock.now();
            let id = store::insert(tx, &row, now)?;
            let details = serde_json::json!({ "patient_id": patient_id, "size": size, "content_type": content_type });
            audit::record(tx, now, Actor::from(&caller), "attachment.upload", "attachment", Some(id), Some(details))?;
            changes::record(tx, now, "attachment", id, ChangeOp::Create)?;
            Ok(shown(&caller, store::get(tx, id)?.ok_or_else(not_found)?))
        })
        .await
}

/// A patient's attachments, newest first; names for the roles that read
/// clinical content (and that read is audited).
pub async fn list(app: &App, caller: &Caller, patient_id: i64, page: Page) -> Result<(Vec<Attachment>, i64)> {
    let (app2, caller) = (app.clone(), caller.clone());
    app.db
        .write(move |tx| {
            visible(tx, &caller, app2.patients_booked_with, patient_id)?;
            let (rows, total) = store::list(tx, patient_id, page.limit(), page.offset())?;
            if may_read_content(&caller) && !rows.is_empty() {
                let ids: Vec<i64> = rows.iter().map(|a| a.id).collect();
                let details = serde_json::json!({ "patient_id": patient_id, "attachment_ids": ids });
                let actor = Actor::from(&caller);
                audit::record(tx, app2.clock.now(), actor, "attachment.list", "attachment", None, Some(details))?;
            }
            Ok((rows.into_iter().map(|a| shown(&caller, a)).collect(), total))
        })
        .await
}

/// The attachment whose bytes are about to be served; the read is audited.
pub async fn open(app: &App, caller: &Caller, id: i64) -> Result<(Attachment, std::path::PathBuf)> {
    let (app2, caller) = (app.clone(), caller.clone());
    let attachment = app
        .db
        .write(move |tx| {
            let attachment = store::get(tx, id)?.ok_or_else(not_found)?;
            visible(tx, &caller, app2.patients_booked_with, attachment.patient_id).map_err(|_| not_found())?;
            let details = serde_json::json!({ "patient_id": attachment.patient_id });
            let actor = Actor::from(&caller);
            audit::record(tx, app2.clock.now(), actor, "attachment.read", "attachment", Some(id), Some(details))?;
            Ok(attachment)
        })
        .await?;
    let sha = attachment.sha256.clone().unwrap_or_default();
    Ok((attachment, app.files.path_of(&sha)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sent_name_loses_its_folders_and_stays_short() {
        assert_eq!(clean_filename(Some("C:\\Users\\rita\\scan 1.pdf")), "scan 1.pdf");
        assert_eq!(clean_filename(Some("../../etc/passwd")), "passwd");
        assert_eq!(clean_filename(Some("..hidden")), "hidden");
        assert_eq!(clean_filename(Some("a\u{0}b\r\n.txt")), "ab.txt");
        assert_eq!(clean_filename(None), "file");
        let long = format!("{}.pdf", "x".repeat(300));
        let kept = clean_filename(Some(&long));
        assert_eq!(kept.chars().count(), FILENAME_MAX);
        assert!(kept.ends_with("xxx.pdf"));
    }
}
