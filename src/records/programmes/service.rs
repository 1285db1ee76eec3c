//! Rules for treatment programmes: what a programme names must exist, one
//! active enrolment per programme and patient, progress counted from the
//! appointments actually completed, goals for clinical roles only.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use rusqlite::{Connection, Transaction};

use crate::App;
use crate::audit::{self, Actor};
use crate::kit::error::{Error, ErrorCode, Result, Validator};
use crate::kit::permissions::{Action, allows};
use crate::kit::principal::Caller;
use crate::kit::text;
use crate::patients::service::visible;
use crate::records::programmes::model::{
    Enrolment, EnrolmentEnd, EnrolmentStatus, NewEnrolment, NewGoal, NewGoalProgress, NewProgramme, Programme, Progress,
};
use crate::records::programmes::store::{self, EnrolmentRow, NewEnrolmentRow};
use crate::scheduling::appointments::store::completed_count;
use crate::scheduling::setup::store::{self as setup, clinic_zone};

fn enrolment_not_found() -> Error {
    Error::NotFound { entity: "enrolment" }
}

fn may_read_content(caller: &Caller) -> bool {
    allows(caller.role, Action::ClinicalRead) && !caller.must_enrol_mfa
}

fn today(conn: &Connection, now: DateTime<Utc>) -> Result<NaiveDate> {
    Ok(now.with_timezone(&clinic_zone(conn)?).date_naive())
}

pub async fn programmes(app: &App) -> Result<Vec<Programme>> {
    app.db.read(store::programmes).await
}

/// Adds a programme; the service and each measure must exist. Audited.
pub async fn add_programme(app: &App, caller: &Caller, input: NewProgramme) -> Result<Programme> {
    let mut v = Validator::new();
    if !text::has_visible(&input.name) {
        v.add("name", "must contain visible characters");
    }
    if let Some(problem) = input.description.as_deref().and_then(text::multiline_problem) {
        v.add("description", problem);
    }
    for (i, goal) in input.goals.iter().flatten().enumerate() {
        if !text::has_visible(goal) || goal.chars().count() > 500 {
            v.add(&format!("goals[{i}]"), "must be visible text of at most 500 characters");
        }
    }
    v.finish()?;
    let (app2, caller) = (app.clone(), caller.clone());
    app.db
        .write(move |tx| {
            let mut v = Validator::new();
            if let Some(service) = input.service_id
                && setup::get_service(tx, service)?.is_none()
            {
                v.add("service_id", "names no service");
            }
            let measures = input.measures.unwrap_or_default();
            for (i, measure) in measures.iter().enumerate() {
                let known = crate::records::questionnaires::builtin::find(measure).is_some()
                    || crate::records::questionnaires::custom::get(tx, measure)?.is_some();
                if !known {
                    v.add(&format!("measures[{i}]"), "names no questionnaire (see GET /questionnaires)");
                }
            }
            v.finish()?;
            let now = app2.clock.now();
            let mut programme = Programme {
                id: 0,
                name: input.name.trim().to_owned(),
                description: input.description.as_deref().unwrap_or_default().trim().to_owned(),
                planned_sessions: input.planned_sessions,
                service_id: input.service_id,
                measures,
                goals: input.goals.unwrap_or_default().iter().map(|g| g.trim().to_owned()).collect(),
                created_at: now,
            };
            programme.id = store::insert_programme(tx, &programme, caller.staff_id)?;
            let details = serde_json::json!({ "name": programme.name });
            audit::record(
                tx,
                now,
                Actor::from(&caller),
                "programme.create",
                "programme",
                Some(programme.id),
                Some(details),
            )?;
            Ok(programme)
        })
        .await
}

/// The enrolment with its progress, and its goals for a role that reads them.
fn complete(conn: &Connection, caller: &Caller, rows: Vec<EnrolmentRow>) -> Result<Vec<Enrolment>> {
    let zone = clinic_zone(conn)?;
    let mut goals = match may_read_content(caller) {
        true => Some(store::goals_of(conn, &rows.iter().map(|r| r.id).collect::<Vec<_>>())?),
        false => None,
    };
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let from = row.start_date.and_time(NaiveTime::MIN).and_local_timezone(zone).earliest();
        let from = from.map(|t| t.with_timezone(&Utc)).unwrap_or(row.created_at);
        let done = completed_count(conn, row.patient_id, row.clinician_id, row.service_id, from, row.ended_at)?;
        out.push(Enrolment {
            id: row.id,
            patient_id: row.patient_id,
            programme_id: row.programme_id,
            programme_name: row.programme_name,
            clinician_id: row.clinician_id,
            start_date: row.start_date,
            status: row.status,
            ended_at: row.ended_at,
            end_reason: row.end_reason,
            progress: Progress {
                completed_sessions: done,
                planned_sessions: row.planned_sessions,
                percent: (done * 100 / row.planned_sessions.max(1)).min(100),
            },
            goals: goals.as_mut().map(|g| g.remove(&row.id).unwrap_or_default()),
            created_at: row.created_at,
        });
    }
    Ok(out)
}

fn audit_enrolment(tx: &Transaction, app: &App, caller: &Caller, action: &str, row: &EnrolmentRow) -> Result<()> {
    let details = serde_json::json!({ "patient_id": row.patient_id, "programme_id": row.programme_id });
    audit::record(tx, app.clock.now(), Actor::from(caller), action, "enrolment", Some(row.id), Some(details))
}

fn one(tx: &Transaction, caller: &Caller, id: i64) -> Result<Enrolment> {
    let row = store::enrolment(tx, id)?.ok_or_else(enrolment_not_found)?;
    complete(tx, caller, vec![row])?.pop().ok_or_else(enrolment_not_found)
}

/// Enrols a patient with a clinician, starting with the programme's goals.
/// 409 `ALREADY_ENROLLED` while the patient is active in it. Audited.
pub async fn enrol(app: &App, caller: &Caller, patient_id: i64, input: NewEnrolment) -> Result<Enrolment> {
    let (app2, caller) = (app.clone(), caller.clone());
    app.db
        .write(move |tx| {
            visible(tx, &caller, app2.patients_booked_with, patient_id)?;
            let programme = store::programme(tx, input.programme_id)?
                .ok_or_else(|| Error::invalid_field("programme_id", "names no programme"))?;
            if !setup::get_clinician(tx, input.clinician_id)?.is_some_and(|c| c.active) {
                return Err(Error::invalid_field("clinician_id", "names no active clinician"));
            }
            let now = app2.clock.now();
            let start_date = input.start_date.unwrap_or(today(tx, now)?);
            let active = store::enrolments_of(tx, patient_id)?
                .into_iter()
                .any(|e| e.programme_id == programme.id && e.status == EnrolmentStatus::Active);
            if active {
                return Err(Error::conflict(
                    ErrorCode::AlreadyEnrolled,
                    format!("the patient is already enrolled in {}", programme.name),
                ));
            }
            let row = NewEnrolmentRow {
                patient_id,
                programme_id: programme.id,
                clinician_id: input.clinician_id,
                start_date,
                enrolled_by: caller.staff_id,
            };
            let id = store::insert_enrolment(tx, &row, now)?;
            for goal in &programme.goals {
                store::insert_goal(tx, id, goal, now)?;
            }
            let stored = store::enrolment(tx, id)?.ok_or_else(enrolment_not_found)?;
            audit_enrolment(tx, &app2, &caller, "enrolment.create", &stored)?;
            one(tx, &caller, id)
        })
        .await
}

/// A patient's enrolments; reading their goals is audited.
pub async fn enrolments_of(app: &App, caller: &Caller, patient_id: i64) -> Result<Vec<Enrolment>> {
    let (app2, caller) = (app.clone(), caller.clone());
    app.db
        .write(move |tx| {
            visible(tx, &caller, app2.patients_booked_with, patient_id)?;
            let rows = store::enrolments_of(tx, patient_id)?;
            if may_read_content(&caller) && !rows.is_empty() {
                let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
                let details = serde_json::json!({ "patient_id": patient_id, "enrolment_ids": ids });
                audit::record(
                    tx,
                    app2.clock.now(),
                    Actor::from(&caller),
                    "enrolment.list",
                    "enrolment",
                    None,
                    Some(details),
                )?;
            }
            complete(tx, &caller, rows)
        })
        .await
}

/// The enrolment, or 404 when there is none or its patient is not the caller's to see.
fn visible_enrolment(conn: &Connection, app: &App, caller: &Caller, id: i64) -> Result<EnrolmentRow> {
    let row = store::enrolment(conn, id)?.ok_or_else(enrolment_not_found)?;
    visible(conn, caller, app.patients_booked_with, row.patient_id).map_err(|_| enrolment_not_found())?;
    Ok(row)
}

fn active_enrolment(conn: &Connection, app: &App, caller: &Caller, id: i64) -> Result<EnrolmentRow> {
    let row = visible_enrolment(conn, app, caller, id)?;
    if row.status != EnrolmentStatus::Active {
        return Err(Error::conflict(ErrorCode::AlreadyResolved, "the enrolment has ended"));
    }
    Ok(row)
}

/// Completes or withdraws an active enrolment. Audited.
pub async fn end(
    app: &App,
    caller: &Caller,
    id: i64,
    status: EnrolmentStatus,
    input: EnrolmentEnd,
) -> Result<Enrolment> {
    let reason = input.reason.as_deref().map(str::trim).filter(|r| !r.is_empty()).map(str::to_owned);
    if let Some(problem) = reason.as_deref().and_then(text::multiline_problem) {
        return Err(Error::invalid_field("reason", problem));
    }
    let (app2, caller) = (app.clone(), caller.clone());
    app.db
        .write(move |tx| {
            let row = active_enrolment(tx, &app2, &caller, id)?;
            store::end_enrolment(tx, id, status, reason.as_deref(), app2.clock.now())?;
            let action = if status == EnrolmentStatus::Completed { "enrolment.complete" } else { "enrolment.withdraw" };
            audit_enrolment(tx, &app2, &caller, action, &row)?;
            one(tx, &caller, id)
        })
        .await
}

/// Adds a goal to an active enrolment. Audited.
pub async fn add_goal(app: &App, caller: &Caller, id: i64, input: NewGoal) -> Result<Enrolment> {
    if !text::has_visible(&input.text) {
        return Err(Error::invalid_field("text", "must contain visible characters"));
    }
    let (app2, caller) = (app.clone(), caller.clone());
    app.db
        .write(move |tx| {
            let row = active_enrolment(tx, &app2, &caller, id)?;
            store::insert_goal(tx, id, input.text.trim(), app2.clock.now())?;
            audit_enrolment(tx, &app2, &caller, "enrolment.goal_add", &row)?;
            one(tx, &caller, id)
        })
        .await
}

/// Writes how a goal is going (and marks it achieved when asked). Audited.
pub async fn add_progress(app: &App, caller: &Caller, goal_id: i64, input: NewGoalProgress) -> Result<Enrolment> {
    let problem = match text::has_visible(&input.note) {
        true => text::multiline_problem(&input.note),
        false => Some("must contain visible characters"),
    };
    if let Some(problem) = problem {
        return Err(Error::invalid_field("note", problem));
    }
    let (app2, caller) = (app.clone(), caller.clone());
    app.db
        .write(move |tx| {
            let not_found = || Error::NotFound { entity: "goal" };
            let enrolment = store::enrolment_of_goal(tx, goal_id)?.ok_or_else(not_found)?;
            let row = active_enrolment(tx, &app2, &caller, enrolment).map_err(|e| match e {
                Error::NotFound { .. } => not_found(),
                other => other,
            })?;
            let now = app2.clock.now();
            store::insert_progress(tx, goal_id, input.note.trim(), caller.staff_id, now)?;
            if input.achieved == Some(true) {
                store::mark_achieved(tx, goal_id, now)?;
            }
            audit_enrolment(tx, &app2, &caller, "enrolment.goal_progress", &row)?;
            one(tx, &caller, enrolment)
        })
        .await
}
