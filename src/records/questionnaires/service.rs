//! Rules for questionnaire responses: answers checked against the items,
//! scored and banded once, immutable, and every read audited.

use crate::App;
use crate::audit::{self, Actor};
use crate::db::changes::{self, ChangeOp};
use crate::http::pagination::Page;
use crate::kit::error::{Error, Result, Validator};
use crate::kit::principal::Caller;
use crate::patients::service::visible;
use crate::records::questionnaires::builtin;
use crate::records::questionnaires::model::{
    NewResponse, OutcomePoint, Outcomes, Questionnaire, QuestionnaireResponse,
};
use crate::records::questionnaires::store::{self, NewResponseRow};

pub fn questionnaires() -> Vec<Questionnaire> {
    builtin::all()
}

fn questionnaire(id: &str, field: &str) -> Result<Questionnaire> {
    builtin::find(id).ok_or_else(|| Error::invalid_field(field, "names no questionnaire (see GET /questionnaires)"))
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
    let q = questionnaire(&input.questionnaire, "questionnaire")?;
    check_answers(&q, &input.answers)?;
    let (score, severity, flags) = builtin::score(&q, &input.answers);
    let (app2, caller) = (app.clone(), caller.clone());
    app.db
        .write(move |tx| {
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
    let q = questionnaire(&questionnaire_id, "questionnaire")?;
    let (app2, caller) = (app.clone(), caller.clone());
    app.db
        .write(move |tx| {
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
