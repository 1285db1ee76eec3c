//! SQL for programmes, enrolments, their goals and progress notes.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};

use crate::kit::error::{Error, Result};
use crate::kit::sql::CachedSql;
use crate::kit::time::{date, date_text, instant, optional_instant, to_millis};
use crate::records::programmes::model::{EnrolmentStatus, Goal, GoalProgress, Programme};

fn json(value: &impl serde::Serialize) -> Result<String> {
    serde_json::to_string(value).map_err(|e| Error::internal_from("a programme's lists", e))
}

const PROGRAMME_COLUMNS: &str = "id, name, description, planned_sessions, service_id, measures, goals, created_at";

fn programme_from_row(row: &Row) -> rusqlite::Result<Programme> {
    let (measures, goals): (String, String) = (row.get(5)?, row.get(6)?);
    Ok(Programme {
        id: row.get(0)?,
        name: row.get(1)?,
        description: row.get(2)?,
        planned_sessions: row.get(3)?,
        service_id: row.get(4)?,
        measures: serde_json::from_str(&measures).unwrap_or_default(),
        goals: serde_json::from_str(&goals).unwrap_or_default(),
        created_at: instant(row, 7)?,
    })
}

pub fn insert_programme(tx: &Transaction, p: &Programme, by: Option<i64>) -> Result<i64> {
    tx.execute_cached(
        "INSERT INTO programmes (name, description, planned_sessions, service_id, measures, goals, created_by, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            p.name,
            p.description,
            p.planned_sessions,
            p.service_id,
            json(&p.measures)?,
            json(&p.goals)?,
            by,
            to_millis(p.created_at)
        ],
    )?;
    Ok(tx.last_insert_rowid())
}

pub fn programme(conn: &Connection, id: i64) -> Result<Option<Programme>> {
    Ok(conn
        .query_row_cached(
            &format!("SELECT {PROGRAMME_COLUMNS} FROM programmes WHERE id = ?1"),
            [id],
            programme_from_row,
        )
        .optional()?)
}

pub fn programmes(conn: &Connection) -> Result<Vec<Programme>> {
    let mut stmt = conn.prepare_cached(&format!("SELECT {PROGRAMME_COLUMNS} FROM programmes ORDER BY name, id"))?;
    Ok(stmt.query_map([], programme_from_row)?.collect::<rusqlite::Result<_>>()?)
}

/// An enrolment as stored, before its progress and goals are added.
#[derive(Clone, Debug)]
pub struct EnrolmentRow {
    pub id: i64,
    pub patient_id: i64,
    pub programme_id: i64,
    pub programme_name: String,
    pub planned_sessions: i64,
    pub service_id: Option<i64>,
    pub clinician_id: i64,
    pub start_date: NaiveDate,
    pub status: EnrolmentStatus,
    pub ended_at: Option<DateTime<Utc>>,
    pub end_reason: Option<String>,
    pub created_at: DateTime<Utc>,
}

const ENROLMENT_COLUMNS: &str = "e.id, e.patient_id, e.programme_id, p.name, p.planned_sessions, p.service_id, \
    e.clinician_id, e.start_date, e.status, e.ended_at, e.end_reason, e.created_at";

fn enrolment_from_row(row: &Row) -> rusqlite::Result<EnrolmentRow> {
    Ok(EnrolmentRow {
        id: row.get(0)?,
        patient_id: row.get(1)?,
        programme_id: row.get(2)?,
        programme_name: row.get(3)?,
        planned_sessions: row.get(4)?,
        service_id: row.get(5)?,
        clinician_id: row.get(6)?,
        start_date: date(row, 7)?,
        status: row.get(8)?,
        ended_at: optional_instant(row, 9)?,
        end_reason: row.get(10)?,
        created_at: instant(row, 11)?,
    })
}

pub struct NewEnrolmentRow {
    pub patient_id: i64,
    pub programme_id: i64,
    pub clinician_id: i64,
    pub start_date: NaiveDate,
    pub enrolled_by: Option<i64>,
}

pub fn insert_enrolment(tx: &Transaction, row: &NewEnrolmentRow, now: DateTime<Utc>) -> Result<i64> {
    tx.execute_cached(
        "INSERT INTO enrolments (patient_id, programme_id, clinician_id, start_date, status, enrolled_by, created_at)
         VALUES (?1, ?2, ?3, ?4, 'active', ?5, ?6)",
        params![
            row.patient_id,
            row.programme_id,
            row.clinician_id,
            date_text(row.start_date),
            row.enrolled_by,
            to_millis(now)
        ],
    )?;
    Ok(tx.last_insert_rowid())
}

pub fn enrolment(conn: &Connection, id: i64) -> Result<Option<EnrolmentRow>> {
    Ok(conn
        .query_row_cached(
            &format!("SELECT {ENROLMENT_COLUMNS} FROM enrolments e JOIN programmes p ON p.id = e.programme_id WHERE e.id = ?1"),
            [id],
            enrolment_from_row,
        )
        .optional()?)
}

/// A patient's enrolments, the active ones first, newest first within.
pub fn enrolments_of(conn: &Connection, patient_id: i64) -> Result<Vec<EnrolmentRow>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {ENROLMENT_COLUMNS} FROM enrolments e JOIN programmes p ON p.id = e.programme_id
         WHERE e.patient_id = ?1 ORDER BY e.status = 'active' DESC, e.id DESC LIMIT 100"
    ))?;
    Ok(stmt.query_map([patient_id], enrolment_from_row)?.collect::<rusqlite::Result<_>>()?)
}

pub fn end_enrolment(
    tx: &Transaction,
    id: i64,
    status: EnrolmentStatus,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<()> {
    tx.execute_cached(
        "UPDATE enrolments SET status = ?2, end_reason = ?3, ended_at = ?4 WHERE id = ?1",
        params![id, status, reason, to_millis(now)],
    )?;
    Ok(())
}

pub fn insert_goal(tx: &Transaction, enrolment_id: i64, text: &str, now: DateTime<Utc>) -> Result<i64> {
    tx.execute_cached(
        "INSERT INTO enrolment_goals (enrolment_id, text, created_at) VALUES (?1, ?2, ?3)",
        params![enrolment_id, text, to_millis(now)],
    )?;
    Ok(tx.last_insert_rowid())
}

/// The enrolment a goal belongs to.
pub fn enrolment_of_goal(conn: &Connection, goal_id: i64) -> Result<Option<i64>> {
    Ok(conn
        .query_row_cached("SELECT enrolment_id FROM enrolment_goals WHERE id = ?1", [goal_id], |r| r.get(0))
        .optional()?)
}

pub fn insert_progress(tx: &Transaction, goal_id: i64, note: &str, by: Option<i64>, now: DateTime<Utc>) -> Result<()> {
    tx.execute_cached(
        "INSERT INTO goal_progress (goal_id, note, author_id, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![goal_id, note, by, to_millis(now)],
    )?;
    Ok(())
}

pub fn mark_achieved(tx: &Transaction, goal_id: i64, now: DateTime<Utc>) -> Result<()> {
    tx.execute_cached(
        "UPDATE enrolment_goals SET achieved_at = coalesce(achieved_at, ?2) WHERE id = ?1",
        params![goal_id, to_millis(now)],
    )?;
    Ok(())
}

/// The goals of these enrolments with their progress notes, by enrolment.
pub fn goals_of(conn: &Connection, enrolment_ids: &[i64]) -> Result<HashMap<i64, Vec<Goal>>> {
    let ids = json(&enrolment_ids)?;
    let mut stmt = conn.prepare_cached(
        "SELECT g.enrolment_id, g.id, g.text, g.achieved_at, r.id, r.note, r.author_id, r.created_at
         FROM enrolment_goals g LEFT JOIN goal_progress r ON r.goal_id = g.id
         WHERE g.enrolment_id IN (SELECT value FROM json_each(?1))
         ORDER BY g.id, r.id",
    )?;
    let mut goals: HashMap<i64, Vec<Goal>> = HashMap::new();
    let mut rows = stmt.query([ids])?;
    while let Some(row) = rows.next()? {
        let (enrolment_id, goal_id): (i64, i64) = (row.get(0)?, row.get(1)?);
        let list = goals.entry(enrolment_id).or_default();
        if list.last().is_none_or(|g| g.id != goal_id) {
            list.push(Goal {
                id: goal_id,
                text: row.get(2)?,
                achieved_at: optional_instant(row, 3)?,
                progress: vec![],
            });
        }
        if let (Some(id), Some(goal)) = (row.get::<_, Option<i64>>(4)?, list.last_mut()) {
            goal.progress.push(GoalProgress {
                id,
                note: row.get(5)?,
                author_id: row.get(6)?,
                created_at: instant(row, 7)?,
            });
        }
    }
    Ok(goals)
}
