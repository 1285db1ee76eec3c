//! Rules for questionnaire responses: answers checked against the items,
//! scored and banded once, immutable, and every read audited.

use rusqlite::Connection;

use crate::App;
use crate::audit::{self, Actor};
use crate::db::changes::{self, ChangeOp};
use crate::http::pagination::Page;
use crate::kit::error::{Error, ErrorCode, Result, Validator};
use crate::kit::principal::Caller;
use crate::patients::service::visible;
use crate::records::questionnaires::assignments::{self, NewAssignmentRow};
use crate::records::questionnaires::model::{
    Assignment, AssignmentStatus, NewAssignment, NewQuestionnaire, NewResponse, OutcomePoint, Outcomes, Questionnaire,
    QuestionnaireResponse,
};
use crate::records::questionnaires::store::{self, NewResponseRow};
use crate::records::questionnaires::{builtin, custom};
use crate::scheduling::setup::store::clinic_zone;

/// The built-in questionnaires, then the clinic's own.
pub async fn questionnaires(app: &App) -> Result<Vec<Questionnaire>> {
    let custom = app.db.read(custom::all).await?;
    Ok(builtin::all().into_iter().chain(custom).collect())
}

fn questionnaire(conn: &Connection, id: &str, field: &str) -> Result<Questionnaire> {
    match builtin::find(id) {
        Some(q) => Ok(q),
        None => custom::get(conn, id)?
            .ok_or_else(|| Error::invalid_field(field, "names no questionnaire (see GET /questionnaires)")),
    }
}

/// Adds a clinic's own questionnaire. Audited.
pub async fn add(app: &App, caller: &Caller, input: NewQuestionnaire) -> Result<Questionnaire> {
    let q = custom::build(&input)?;
    let (now, caller) = (app.clock.now(), caller.clone());
    app.db
        .write(move |tx| {
            if custom::get(tx, &q.id)?.is_some() {
                return Err(Error::invalid_field("id", "is taken by another questionnaire"));
            }
            custom::insert(tx, &q, caller.staff_id, now)?;
            let details = serde_json::json!({ "questionnaire": q.id });
            audit::record(tx, now, Actor::from(&caller), "questionnaire.create", "questionnaire", None, Some(details))?;
            Ok(q)
        })
        .await
}

/// Each answer one of its item's scores, one answer per item.
fn check_answers(q: &Questionnaire, answers: &[i64]) -> Result<()> {
    if answers.len() != q.items.len() {
        return Err(Error::invalid_field(
            "answers",
            format!("must have {} answers, one per item of {}", q.items.len(), q.id),
        ));
    }
    let mut v = Validator::new();
    for (i, (answer, item)) in answers.iter().zip(&q.items).enumerate() {
        let scores: Vec<i64> = item.choices.iter().map(|c| c.score).collect();
        if !scores.contains(answer) {
            let (low, high) = (scores.iter().min().copied().unwrap_or(0), scores.iter().max().copied().unwrap_or(0));
            v.add(&format!("answers[{i}]"), format!("must be between {low} and {high} (item {})", item.number));
        }
    }
    v.finish()
}

fn audit_read(tx: &rusqlite::Transaction, app: &App, caller: &Caller, patient_id: i64, ids: &[i64]) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let details = serde_json::json!({ "patient_id": patient_id, "response_ids": ids });
    audit::record(
        tx,
        app.clock.now(),
        Actor::from(caller),
        "questionnaire_response.read",
        "questionnaire_response",
        None,
        Some(details),
    )
}

pub async fn record(app: &App, caller: &Caller, patient_id: i64, input: NewResponse) -> Result<QuestionnaireResponse> {
    let (app2, caller) = (app.clone(), caller.clone());
    app.db
        .write(move |tx| {
            let q = questionnaire(tx, &input.questionnaire, "questionnaire")?;
            check_answers(&q, &input.answers)?;
            let (score, severity, flags) = builtin::score(&q, &input.answers);
            visible(tx, &caller, app2.patients_booked_with, patient_id)?;
            if let Some(appointment) = input.appointment_id {
                let found = crate::scheduling::appointments::store::get_appointment(tx, appointment)?;
                if !found.is_some_and(|a| a.attendees.iter().any(|t| t.patient_id == patient_id)) {
                    return Err(Error::invalid_field("appointment_id", "is not an appointment of this patient"));
                }
            }
            let row = NewResponseRow {
                patient_id,
                questionnaire: &q.id,
                answers: &input.answers,
                score,
                severity: severity.as_deref(),
                flags: &flags,
                appointment_id: input.appointment_id,
                entered_by: caller.staff_id,
            };
            let now = app2.clock.now();
            let id = store::insert(tx, &row, now)?;
            let details = serde_json::json!({ "patient_id": patient_id, "questionnaire": q.id, "flags": flags });
            let actor = Actor::from(&caller);
            audit::record(
                tx,
                now,
                actor,
                "questionnaire_response.create",
                "questionnaire_response",
                Some(id),
                Some(details),
            )?;
            changes::record(tx, now, "questionnaire_response", id, ChangeOp::Create)?;
            let today = now.with_timezone(&clinic_zone(tx)?).date_naive();
            assignments::answered(tx, patient_id, &q.id, id, today)?;
            if flags.iter().any(|f| f == "self_harm_risk") {
                let patient = crate::patients::store::get(tx, patient_id)?;
                let name = patient.map(|p| format!("{} {}", p.given_name, p.family_name)).unwrap_or_default();
                let title = format!("Self-harm risk: {name}");
                let body =
                    format!("{} item 9 was answered above “Not at all”. Follow the clinic’s risk procedure.", q.name);
                crate::notify::store::tell_patients_clinicians(
                    tx,
                    patient_id,
                    "questionnaire.risk",
                    &title,
                    &body,
                    now,
                )?;
            }
            store::get(tx, id)?.ok_or(Error::NotFound { entity: "questionnaire response" })
        })
        .await
}

pub async fn list(
    app: &App,
    caller: &Caller,
    patient_id: i64,
    questionnaire: Option<String>,
    page: Page,
) -> Result<(Vec<QuestionnaireResponse>, i64)> {
    let (app2, caller) = (app.clone(), caller.clone());
    app.db
        .write(move |tx| {
            visible(tx, &caller, app2.patients_booked_with, patient_id)?;
            let (rows, total) = store::list(tx, patient_id, questionnaire.as_deref(), page.limit(), page.offset())?;
            let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
            audit_read(tx, &app2, &caller, patient_id, &ids)?;
            Ok((rows, total))
        })
        .await
}

/// The patient's scores on one questionnaire over time, with its bands.
pub async fn outcomes(app: &App, caller: &Caller, patient_id: i64, questionnaire_id: String) -> Result<Outcomes> {
    let (app2, caller) = (app.clone(), caller.clone());
    app.db
        .write(move |tx| {
            let q = questionnaire(tx, &questionnaire_id, "questionnaire")?;
            visible(tx, &caller, app2.patients_booked_with, patient_id)?;
            let series = store::series(tx, patient_id, &q.id)?;
            let ids: Vec<i64> = series.iter().map(|r| r.id).collect();
            audit_read(tx, &app2, &caller, patient_id, &ids)?;
            Ok(Outcomes {
                questionnaire: q.id.clone(),
                max_score: q.max_score,
                bands: q.bands.clone(),
                points: series
                    .into_iter()
                    .map(|r| OutcomePoint {
                        response_id: r.id,
                        completed_at: r.completed_at,
                        score: r.score,
                        severity: r.severity,
                        flags: r.flags,
                    })
                    .collect(),
            })
        })
        .await
}

fn assignment_not_found() -> Error {
    Error::NotFound { entity: "questionnaire assignment" }
}

fn audit_assignment(
    tx: &rusqlite::Transaction,
    app: &App,
    caller: &Caller,
    action: &str,
    a: &Assignment,
) -> Result<()> {
    let details = serde_json::json!({ "patient_id": a.patient_id, "questionnaire": a.questionnaire });
    let actor = Actor::from(caller);
    audit::record(tx, app.clock.now(), actor, action, "questionnaire_assignment", Some(a.id), Some(details))
}

/// Assigns a questionnaire to a patient, due first on `first_due_on` (today
/// in the clinic's zone unless given). One active assignment per
/// questionnaire and patient (409 `ALREADY_ASSIGNED`).
pub async fn assign(app: &App, caller: &Caller, patient_id: i64, input: NewAssignment) -> Result<Assignment> {
    let (app2, caller) = (app.clone(), caller.clone());
    app.db
        .write(move |tx| {
            visible(tx, &caller, app2.patients_booked_with, patient_id)?;
            let q = questionnaire(tx, &input.questionnaire, "questionnaire")?;
            let now = app2.clock.now();
            let today = now.with_timezone(&clinic_zone(tx)?).date_naive();
            let first_due_on = input.first_due_on.unwrap_or(today);
            if first_due_on < today {
                return Err(Error::invalid_field("first_due_on", "is in the past"));
            }
            if assignments::active_exists(tx, patient_id, &q.id)? {
                return Err(Error::conflict(
                    ErrorCode::AlreadyAssigned,
                    format!("the patient already has {} assigned; end that assignment first", q.name),
                ));
            }
            let row = NewAssignmentRow {
                patient_id,
                questionnaire: &q.id,
                every_days: input.every_days,
                first_due_on,
                assigned_by: caller.staff_id,
            };
            let id = assignments::insert(tx, &row, now)?;
            let assignment = assignments::get(tx, id)?.ok_or_else(assignment_not_found)?;
            audit_assignment(tx, &app2, &caller, "questionnaire_assignment.create", &assignment)?;
            Ok(assignment)
        })
        .await
}

pub async fn assignments_of(app: &App, caller: &Caller, patient_id: i64) -> Result<Vec<Assignment>> {
    let (app2, caller) = (app.clone(), caller.clone());
    app.db
        .read(move |conn| {
            visible(conn, &caller, app2.patients_booked_with, patient_id)?;
            assignments::of_patient(conn, patient_id)
        })
        .await
}

/// Stops an active assignment; 409 `ALREADY_RESOLVED` when it is not active.
pub async fn end_assignment(app: &App, caller: &Caller, id: i64) -> Result<Assignment> {
    let (app2, caller) = (app.clone(), caller.clone());
    app.db
        .write(move |tx| {
            let assignment = assignments::get(tx, id)?.ok_or_else(assignment_not_found)?;
            visible(tx, &caller, app2.patients_booked_with, assignment.patient_id)
                .map_err(|_| assignment_not_found())?;
            if assignment.status != AssignmentStatus::Active {
                return Err(Error::conflict(ErrorCode::AlreadyResolved, "the assignment is no longer active"));
            }
            assignments::end(tx, id, app2.clock.now())?;
            let ended = assignments::get(tx, id)?.ok_or_else(assignment_not_found)?;
            audit_assignment(tx, &app2, &caller, "questionnaire_assignment.end", &ended)?;
            Ok(ended)
        })
        .await
}

/// The most questionnaires listed as due at once.
const DUE_LIMIT: i64 = 500;

/// Assignments due on or before `on` (today in the clinic's zone unless
/// given), for the patients the caller may see.
pub async fn due(app: &App, caller: &Caller, on: Option<chrono::NaiveDate>) -> Result<Vec<Assignment>> {
    let (app2, caller) = (app.clone(), caller.clone());
    app.db
        .read(move |conn| {
            let on = match on {
                Some(date) => date,
                None => app2.clock.now().with_timezone(&clinic_zone(conn)?).date_naive(),
            };
            let scope = crate::patients::scope::Scope::of(conn, &caller, app2.patients_booked_with)?;
            let due = assignments::due(conn, on, DUE_LIMIT)?;
            Ok(due.into_iter().filter(|a| scope.sees(a.patient_id)).collect())
        })
        .await
}
