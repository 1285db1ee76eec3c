//! The one task that turns the change log into live events: it wakes on
//! every commit, reads the rows after the last it saw, and publishes an
//! event for each that someone may hear of.

use std::time::Duration;

use poem_openapi::types::ToJSON;
use rusqlite::Connection;
use serde_json::json;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::App;
use crate::auth::api_keys::store::ENTITY as API_KEY_ENTITY;
use crate::auth::store::SIGN_INS_ENTITY;
use crate::db::changes::{self, Change};
use crate::events::{Audience, Event};
use crate::kit::error::Result;
use crate::notify::store::{self as notify_store, READS_ENTITY};
use crate::scheduling::{appointments, setup};

/// Change rows read at a time.
const BATCH: i64 = 500;
/// How often to look even without a commit signal.
const IDLE_CHECK: Duration = Duration::from_secs(5);

pub fn spawn(app: App, mut stop: watch::Receiver<bool>) -> JoinHandle<()> {
    tokio::spawn(async move {
        // Events are hints for those connected now: start from the present.
        let mut seen = app.db.read(changes::latest_seq).await.unwrap_or(0);
        let mut commits = app.db.watch_commits();
        loop {
            tokio::select! {
                changed = commits.changed() => if changed.is_err() { break },
                _ = tokio::time::sleep(IDLE_CHECK) => {},
                _ = stop.changed() => break,
            }
            loop {
                match publish_after(&app, seen).await {
                    Ok((last, read)) => {
                        seen = last;
                        if read < BATCH {
                            break;
                        }
                    }
                    Err(err) => {
                        tracing::warn!(error = %err, "live events could not read the change log; retrying");
                        break;
                    }
                }
            }
        }
        app.events.close_all();
    })
}

/// Publishes the events of up to `BATCH` changes after `seen`; answers the
/// last sequence number read and how many rows were.
async fn publish_after(app: &App, seen: i64) -> Result<(i64, i64)> {
    // Read before asking whether anyone listens: whoever subscribes after
    // the answer hears of every change after this point.
    let latest = app.db.read(changes::latest_seq).await?;
    if !app.events.has_listeners() {
        return Ok((latest, 0));
    }
    let (events, last, read) = app
        .db
        .read(move |conn| {
            let rows = changes::after(conn, seen, BATCH)?;
            let last = rows.last().map_or(seen, |c| c.seq);
            let mut events = Vec::new();
            for change in &rows {
                events.extend(event_of(conn, change)?);
            }
            Ok((events, last, rows.len() as i64))
        })
        .await?;
    for event in events {
        app.events.publish(event);
    }
    Ok((last, read))
}

/// The event a change makes, if anyone may hear of it.
pub fn event_of(conn: &Connection, change: &Change) -> Result<Option<Event>> {
    let id = change.entity_id;
    let event = |kind: &str, data: serde_json::Value, audience: Audience| {
        Some(Event { id: change.seq, kind: kind.to_owned(), at: change.at, data, audience })
    };
    Ok(match change.entity.as_str() {
        "appointment" => {
            let Some(appointment) = appointments::store::get_appointment(conn, id)? else { return Ok(None) };
            let kind = match (change.kind.as_deref(), change.op.as_str()) {
                (Some(kind), _) => format!("appointment.{kind}"),
                (None, "create") => "appointment.created".to_owned(),
                (None, _) => "appointment.updated".to_owned(),
            };
            let clinician_staff_id =
                setup::store::get_clinician(conn, appointment.clinician_id)?.and_then(|clinician| clinician.staff_id);
            let patient_ids = appointment.attendees.iter().map(|a| a.patient_id).collect();
            let data = appointment.to_json().unwrap_or_default();
            event(&kind, data, Audience::Appointment { clinician_staff_id, patient_ids })
        }
        "patient" => {
            let kind = match change.op.as_str() {
                "create" => "patient.created",
                "delete" => "patient.deleted",
                _ => "patient.updated",
            };
            event(kind, json!({ "id": id }), Audience::Patient { patient_id: id })
        }
        "notification" => {
            let Some((staff_id, notification)) = notify_store::notification(conn, id)? else { return Ok(None) };
            event("notification.created", notification.to_json().unwrap_or_default(), Audience::Recipient { staff_id })
        }
        READS_ENTITY => {
            let unread = notify_store::unread_count(conn, id)?;
            event("notification.read", json!({ "unread": unread }), Audience::Recipient { staff_id: id })
        }
        SIGN_INS_ENTITY | "staff" => {
            event("", json!(null), Audience::Credentials { staff_id: Some(id), api_key_id: None })
        }
        API_KEY_ENTITY => event("", json!(null), Audience::Credentials { staff_id: None, api_key_id: Some(id) }),
        _ => None,
    })
}
