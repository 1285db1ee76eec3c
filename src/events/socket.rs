//! One live-events connection: forwards the events its principal may see,
//! pings, checks its credential again when it may have ended, and closes
//! on sign-out, on a silent peer or when the server stops.

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use poem::web::websocket::{CloseCode, Message, WebSocketStream};
use tokio::sync::broadcast::{self, error::RecvError};

use crate::App;
use crate::auth::sign_in;
use crate::events::{Admission, Audience, Event};
use crate::http::auth::CredentialKind;
use crate::kit::permissions::{Action, allows};
use crate::kit::principal::{Caller, Role};
use crate::patients::scope::Scope;

/// How long one frame may take to leave before the peer counts as gone
/// (a client that stops reading must not hold the server's memory).
const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// The close code when the credential no longer holds: sign in again.
pub const SIGNED_OUT: u16 = 4401;

pub struct Connection {
    pub app: App,
    pub caller: Caller,
    pub kind: CredentialKind,
    pub secret: String,
    pub ping_every: Duration,
}

/// What the loop does next.
enum Step {
    Send(Message),
    Nothing,
    Close(CloseCode, &'static str),
}

impl Connection {
    pub async fn run(mut self, socket: WebSocketStream, mut events: broadcast::Receiver<Arc<Event>>, held: Admission) {
        let _held = held;
        let (mut sink, mut incoming) = socket.split();
        let mut closing = self.app.events.closing();
        let mut ping = tokio::time::interval(self.ping_every);
        ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ping.tick().await;
        let mut awaiting_pong = false;
        loop {
            let step = tokio::select! {
                received = events.recv() => match received {
                    Ok(event) => self.step_for(&event).await,
                    Err(RecvError::Lagged(_)) => Step::Send(Message::Text(resync_frame(self.app.clock.now()))),
                    Err(RecvError::Closed) => Step::Close(CloseCode::Away, "the server is stopping"),
                },
                message = incoming.next() => match message {
                    None | Some(Err(_)) | Some(Ok(Message::Close(_))) => break,
                    Some(Ok(Message::Pong(_))) => { awaiting_pong = false; Step::Nothing }
                    // What a client sends is not read: the socket only speaks.
                    Some(Ok(_)) => Step::Nothing,
                },
                _ = ping.tick() => {
                    if awaiting_pong {
                        Step::Close(CloseCode::Away, "no answer to the last ping")
                    } else if !self.still_signed_in().await {
                        Step::Close(CloseCode::Reserved(SIGNED_OUT), "signed out")
                    } else {
                        awaiting_pong = true;
                        Step::Send(Message::Ping(Vec::new()))
                    }
                },
                _ = closing.changed() => Step::Close(CloseCode::Restart, "the server is stopping"),
            };
            match step {
                Step::Nothing => {}
                Step::Send(message) => {
                    let sent = tokio::time::timeout(SEND_TIMEOUT, sink.send(message)).await;
                    if !matches!(sent, Ok(Ok(()))) {
                        break;
                    }
                }
                Step::Close(code, reason) => {
                    let close = Message::Close(Some((code, reason.to_owned())));
                    let _ = tokio::time::timeout(SEND_TIMEOUT, sink.send(close)).await;
                    break;
                }
            }
        }
    }

    async fn step_for(&mut self, event: &Event) -> Step {
        if let Audience::Credentials { staff_id, api_key_id } = &event.audience {
            let mine = (staff_id.is_some() && *staff_id == self.caller.staff_id)
                || (api_key_id.is_some() && *api_key_id == self.caller.api_key_id);
            if mine && !self.still_signed_in().await {
                return Step::Close(CloseCode::Reserved(SIGNED_OUT), "signed out");
            }
            return Step::Nothing;
        }
        if self.may_see(&event.audience).await { Step::Send(Message::Text(event.frame())) } else { Step::Nothing }
    }

    /// Checks the credential again without counting it as a use; keeps the
    /// caller it now stands for (a changed role takes effect at once).
    async fn still_signed_in(&mut self) -> bool {
        let context = self.caller.context.clone();
        match sign_in::still_valid(&self.app, self.kind, &self.secret, context).await {
            Ok(caller) => {
                self.caller = caller;
                true
            }
            Err(_) => false,
        }
    }

    async fn may_see(&self, audience: &Audience) -> bool {
        let caller = &self.caller;
        let needs = match audience {
            Audience::Recipient { staff_id } => return caller.staff_id == Some(*staff_id),
            Audience::Credentials { .. } => return false,
            Audience::Appointment { .. } => Action::SchedulingRead,
            Audience::Patient { .. } => Action::PatientRead,
        };
        if caller.must_enrol_mfa || !allows(caller.role, needs) {
            return false;
        }
        if caller.role != Role::Clinician {
            return true;
        }
        let (scoped_caller, booked_with) = (caller.clone(), self.app.patients_booked_with);
        let scope = self.app.db.read(move |conn| Scope::of(conn, &scoped_caller, booked_with)).await;
        let Ok(scope) = scope else { return false };
        match audience {
            Audience::Appointment { clinician_staff_id, patient_ids } => {
                (clinician_staff_id.is_some() && *clinician_staff_id == caller.staff_id)
                    || patient_ids.iter().any(|id| scope.sees(*id))
            }
            Audience::Patient { patient_id } => scope.sees(*patient_id),
            _ => false,
        }
    }
}

/// What a connection that fell behind receives: refetch what you show.
pub fn resync_frame(at: chrono::DateTime<chrono::Utc>) -> String {
    serde_json::json!({
        "type": "resync",
        "id": null,
        "at": at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
        "data": {},
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The loop's lag handling rests on the channel's: a receiver that
    /// falls behind its backlog is told so once, then reads the newest.
    #[tokio::test]
    async fn a_receiver_that_falls_behind_learns_it_and_then_reads_the_newest() {
        let at = chrono::DateTime::parse_from_rfc3339("2026-12-03T09:00:00Z").unwrap().with_timezone(&chrono::Utc);
        let hub = crate::events::Hub::with_backlog(2);
        let mut receiver = hub.subscribe();
        for id in 1..=5 {
            hub.publish(Event {
                id,
                kind: "patient.updated".into(),
                at,
                data: serde_json::json!({ "id": id }),
                audience: Audience::Patient { patient_id: id },
            });
        }
        assert!(matches!(receiver.recv().await, Err(RecvError::Lagged(3))));
        assert_eq!(receiver.recv().await.unwrap().id, 4);
        let resync: serde_json::Value = serde_json::from_str(&resync_frame(at)).unwrap();
        assert_eq!(resync, serde_json::json!({"type": "resync", "id": null, "at": "2026-12-03T09:00:00Z", "data": {}}));
    }
}
