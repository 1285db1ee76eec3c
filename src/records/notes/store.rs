//! SQL for notes, their addenda and templates.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};

use crate::kit::error::{Error, Result};
use crate::kit::sql::CachedSql;
use crate::kit::time::{instant, optional_instant, to_millis};
use crate::records::notes::model::{Addendum, Note, NoteStatus, NoteTemplate, TemplateSection};

fn template_from_row(row: &Row) -> rusqlite::Result<NoteTemplate> {
    let sections: String = row.get(2)?;
    Ok(NoteTemplate {
        id: row.get(0)?,
        name: row.get(1)?,
        sections: serde_json::from_str(&sections).unwrap_or_default(),
        built_in: row.get(3)?,
    })
}

pub fn templates(conn: &Connection) -> Result<Vec<NoteTemplate>> {
    let mut stmt =
        conn.prepare_cached("SELECT id, name, sections, built_in FROM note_templates ORDER BY built_in DESC, name")?;
    let rows = stmt.query_map([], template_from_row)?.collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

pub fn template(conn: &Connection, id: &str) -> Result<Option<NoteTemplate>> {
    Ok(conn
        .query_row_cached(
            "SELECT id, name, sections, built_in FROM note_templates WHERE id = ?1",
            [id],
            template_from_row,
        )
        .optional()?)
}

pub fn insert_template(
    tx: &Transaction,
    id: &str,
    name: &str,
    sections: &[TemplateSection],
    by: Option<i64>,
    now: DateTime<Utc>,
) -> Result<()> {
    let sections = serde_json::to_string(sections).map_err(|e| Error::internal_from("template sections", e))?;
    tx.execute_cached(
        "INSERT INTO note_templates (id, name, sections, built_in, created_by, created_at) VALUES (?1, ?2, ?3, 0, ?4, ?5)",
        params![id, name, sections, by, to_millis(now)],
    )?;
    Ok(())
}

const COLUMNS: &str = "id, patient_id, appointment_id, template, content, status, author_id, created_at, updated_at, \
    signed_at, signed_by, discarded_at";

fn note_from_row(row: &Row) -> rusqlite::Result<Note> {
    let content: String = row.get(4)?;
    Ok(Note {
        id: row.get(0)?,
        patient_id: row.get(1)?,
        appointment_id: row.get(2)?,
        template: row.get(3)?,
        content: Some(serde_json::from_str(&content).unwrap_or_default()),
        status: row.get(5)?,
        author_id: row.get(6)?,
        created_at: instant(row, 7)?,
        updated_at: instant(row, 8)?,
        signed_at: optional_instant(row, 9)?,
        signed_by: row.get(10)?,
        discarded_at: optional_instant(row, 11)?,
        addenda: None,
    })
}

fn json(content: &BTreeMap<String, String>) -> Result<String> {
    serde_json::to_string(content).map_err(|e| Error::internal_from("note content", e))
}

pub struct NewNoteRow<'a> {
    pub patient_id: i64,
    pub appointment_id: Option<i64>,
    pub template: &'a str,
    pub content: &'a BTreeMap<String, String>,
    pub author_id: i64,
}

pub fn insert(tx: &Transaction, note: &NewNoteRow, now: DateTime<Utc>) -> Result<i64> {
    tx.execute_cached(
        "INSERT INTO clinical_notes (patient_id, appointment_id, template, content, status, author_id, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, 'draft', ?5, ?6, ?6)",
        params![note.patient_id, note.appointment_id, note.template, json(note.content)?, note.author_id, to_millis(now)],
    )?;
    Ok(tx.last_insert_rowid())
}

pub fn get(conn: &Connection, id: i64) -> Result<Option<Note>> {
    Ok(conn
        .query_row_cached(&format!("SELECT {COLUMNS} FROM clinical_notes WHERE id = ?1"), [id], note_from_row)
        .optional()?)
}

pub fn update_draft(
    tx: &Transaction,
    id: i64,
    content: &BTreeMap<String, String>,
    appointment_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<()> {
    tx.execute_cached(
        "UPDATE clinical_notes SET content = ?2, appointment_id = ?3, updated_at = ?4 WHERE id = ?1 AND status = 'draft'",
        params![id, json(content)?, appointment_id, to_millis(now)],
    )?;
    Ok(())
}

pub fn set_status(tx: &Transaction, id: i64, status: NoteStatus, by: Option<i64>, now: DateTime<Utc>) -> Result<()> {
    let at = to_millis(now);
    let (signed_at, discarded_at) = match status {
        NoteStatus::Signed => (Some(at), None),
        NoteStatus::Discarded => (None, Some(at)),
        NoteStatus::Draft => (None, None),
    };
    tx.execute_cached(
        "UPDATE clinical_notes SET status = ?2, signed_at = ?3, signed_by = ?4, discarded_at = ?5, updated_at = ?6
         WHERE id = ?1 AND status = 'draft'",
        params![id, status.as_str(), signed_at, signed_at.and(by), discarded_at, at],
    )?;
    Ok(())
}

pub struct ListQuery {
    pub patient_id: i64,
    pub appointment_id: Option<i64>,
    /// `None`: drafts and signed notes (discarded ones only when asked for).
    pub status: Option<NoteStatus>,
}

/// A patient's notes, newest first: one page and the total.
pub fn list(conn: &Connection, q: &ListQuery, limit: i64, offset: i64) -> Result<(Vec<Note>, i64)> {
    let condition = "patient_id = ?1 AND (?2 IS NULL OR appointment_id = ?2)
        AND (CASE WHEN ?3 IS NULL THEN status <> 'discarded' ELSE status = ?3 END)";
    let status = q.status.map(|s| s.as_str());
    let total = conn.query_row_cached(
        &format!("SELECT count(*) FROM clinical_notes WHERE {condition}"),
        params![q.patient_id, q.appointment_id, status],
        |r| r.get(0),
    )?;
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM clinical_notes WHERE {condition} ORDER BY id DESC LIMIT ?4 OFFSET ?5"
    ))?;
    let rows = stmt
        .query_map(params![q.patient_id, q.appointment_id, status, limit, offset], note_from_row)?
        .collect::<rusqlite::Result<_>>()?;
    Ok((rows, total))
}

pub fn add_addendum(tx: &Transaction, note_id: i64, text: &str, author_id: i64, now: DateTime<Utc>) -> Result<i64> {
    tx.execute_cached(
        "INSERT INTO note_addenda (note_id, text, author_id, signed_at) VALUES (?1, ?2, ?3, ?4)",
        params![note_id, text, author_id, to_millis(now)],
    )?;
    Ok(tx.last_insert_rowid())
}

/// The addenda of each note, oldest first.
pub fn addenda_of(conn: &Connection, note_ids: &[i64]) -> Result<HashMap<i64, Vec<Addendum>>> {
    let ids = serde_json::to_string(note_ids).map_err(|e| Error::internal_from("note ids", e))?;
    let mut stmt = conn.prepare_cached(
        "SELECT note_id, id, text, author_id, signed_at FROM note_addenda
         WHERE note_id IN (SELECT value FROM json_each(?1)) ORDER BY note_id, id",
    )?;
    let mut by_note: HashMap<i64, Vec<Addendum>> = HashMap::new();
    let rows = stmt.query_map([ids], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            Addendum { id: r.get(1)?, text: r.get(2)?, author_id: r.get(3)?, signed_at: instant(r, 4)? },
        ))
    })?;
    for row in rows {
        let (note, addendum) = row?;
        by_note.entry(note).or_default().push(addendum);
    }
    Ok(by_note)
}

/// For each appointment, whether it has a signed note and the newest draft.
pub fn notes_for_appointments(conn: &Connection, appointment_ids: &[i64]) -> Result<HashMap<i64, (bool, Option<i64>)>> {
    let ids = serde_json::to_string(appointment_ids).map_err(|e| Error::internal_from("appointment ids", e))?;
    let mut stmt = conn.prepare_cached(
        "SELECT appointment_id, max(status = 'signed'), max(CASE WHEN status = 'draft' THEN id END)
         FROM clinical_notes WHERE appointment_id IN (SELECT value FROM json_each(?1)) GROUP BY appointment_id",
    )?;
    let rows = stmt
        .query_map([ids], |r| Ok((r.get::<_, i64>(0)?, (r.get::<_, bool>(1)?, r.get::<_, Option<i64>>(2)?))))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// Notes in id order after `after_id`, for a search index rebuild.
pub fn page_after(conn: &Connection, after_id: i64, limit: i64) -> Result<Vec<Note>> {
    let mut stmt =
        conn.prepare_cached(&format!("SELECT {COLUMNS} FROM clinical_notes WHERE id > ?1 ORDER BY id LIMIT ?2"))?;
    Ok(stmt.query_map(params![after_id, limit], note_from_row)?.collect::<rusqlite::Result<_>>()?)
}

pub fn count(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row_cached("SELECT count(*) FROM clinical_notes", [], |r| r.get(0))?)
}

/// The patient each of these notes is on now.
pub fn patients_of(conn: &Connection, ids: &[i64]) -> Result<HashMap<i64, i64>> {
    let ids = serde_json::to_string(ids).map_err(|e| Error::internal_from("note ids", e))?;
    let mut stmt =
        conn.prepare_cached("SELECT id, patient_id FROM clinical_notes WHERE id IN (SELECT value FROM json_each(?1))")?;
    let rows = stmt.query_map([ids], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
