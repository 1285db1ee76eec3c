//! Live events: after each commit the change log's new rows become events
//! on one broadcast channel (`publish`), and every WebSocket connection on
//! `GET /api/v1/events` forwards the ones its principal may see
//! (`socket`). Events are hints, never stored: a client that falls behind
//! gets `resync` and refetches what it shows.

pub mod api;
pub mod publish;
mod socket;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use tokio::sync::{broadcast, watch};

use crate::kit::error::{Error, ErrorCode, Result};
use crate::kit::principal::Caller;

/// Events a slow connection may fall behind by before it is told to resync.
const BACKLOG: usize = 256;
/// Connections one member of staff (or one API key) may hold at once: a
/// tab each, with room to spare.
pub const PER_HOLDER: usize = 10;
/// Connections the server holds at once.
pub const IN_ALL: usize = 500;

/// One event as the publisher made it.
#[derive(Debug)]
pub struct Event {
    /// Its place in the change log: later events have larger ids.
    pub id: i64,
    /// e.g. `appointment.created`; empty for what only the server acts on.
    pub kind: String,
    pub at: DateTime<Utc>,
    pub data: serde_json::Value,
    pub audience: Audience,
}

impl Event {
    /// The JSON text a client receives.
    pub fn frame(&self) -> String {
        serde_json::json!({
            "type": self.kind,
            "id": self.id,
            "at": self.at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
            "data": self.data,
        })
        .to_string()
    }
}

/// Who may receive an event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Audience {
    /// Whoever may read the schedule and, under the clinician scope, gives
    /// the appointment or may see one of its patients.
    Appointment { clinician_staff_id: Option<i64>, patient_ids: Vec<i64> },
    /// Whoever may read patients and may see this one.
    Patient { patient_id: i64 },
    /// This member of staff only.
    Recipient { staff_id: i64 },
    /// Nobody: the credentials of this member of staff or this key changed,
    /// so their open connections check theirs again.
    Credentials { staff_id: Option<i64>, api_key_id: Option<i64> },
}

/// The channel the publisher writes and connections read, and the count of
/// open connections.
pub struct Hub {
    sender: broadcast::Sender<Arc<Event>>,
    closing: watch::Sender<bool>,
    open: Mutex<HashMap<Holder, usize>>,
}

#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
enum Holder {
    Staff(i64),
    Key(i64),
}

impl Default for Hub {
    fn default() -> Self {
        Self::with_backlog(BACKLOG)
    }
}

impl Hub {
    pub fn with_backlog(backlog: usize) -> Self {
        Hub { sender: broadcast::channel(backlog).0, closing: watch::channel(false).0, open: Mutex::default() }
    }

    pub fn publish(&self, event: Event) {
        // No receiver means no one is connected: nothing to do.
        let _ = self.sender.send(Arc::new(event));
    }

    /// Whether any connection listens (the publisher skips the work otherwise).
    pub fn has_listeners(&self) -> bool {
        self.sender.receiver_count() > 0
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.sender.subscribe()
    }

    /// Tells every connection to close: the server is stopping.
    pub fn close_all(&self) {
        self.closing.send_replace(true);
    }

    fn closing(&self) -> watch::Receiver<bool> {
        self.closing.subscribe()
    }

    /// A place for one more connection of `caller`, or 429 when they (or
    /// the server) hold as many as allowed. Dropping it frees the place.
    pub fn admit(self: &Arc<Self>, caller: &Caller) -> Result<Admission> {
        let holder = match (caller.staff_id, caller.api_key_id) {
            (Some(id), _) => Holder::Staff(id),
            (None, Some(id)) => Holder::Key(id),
            (None, None) => return Err(Error::internal("a caller with neither a staff id nor a key")),
        };
        let mut open = self.open.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let total: usize = open.values().sum();
        let theirs = open.get(&holder).copied().unwrap_or(0);
        if theirs >= PER_HOLDER || total >= IN_ALL {
            let message = if theirs >= PER_HOLDER {
                format!("at most {PER_HOLDER} live-event connections per person or key; close one first")
            } else {
                format!("the server holds at most {IN_ALL} live-event connections; try again later")
            };
            return Err(Error::Conflict { code: ErrorCode::TooManyConnections, message, details: None });
        }
        *open.entry(holder).or_insert(0) += 1;
        Ok(Admission { hub: self.clone(), holder })
    }
}

/// One admitted connection's place.
pub struct Admission {
    hub: Arc<Hub>,
    holder: Holder,
}

impl Drop for Admission {
    fn drop(&mut self) {
        let mut open = self.hub.open.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(count) = open.get_mut(&self.holder) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.holder);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kit::principal::Role;

    fn staff(id: i64) -> Caller {
        Caller {
            staff_id: Some(id),
            api_key_id: None,
            email: format!("{id}@example.test"),
            role: Role::FrontDesk,
            token_family: String::new(),
            must_enrol_mfa: false,
            context: Default::default(),
        }
    }

    #[test]
    fn a_person_holds_a_bounded_number_of_connections_and_a_closed_one_frees_its_place() {
        let hub = Arc::new(Hub::default());
        let held: Vec<Admission> = (0..PER_HOLDER).map(|_| hub.admit(&staff(1)).unwrap()).collect();
        let refused = hub.admit(&staff(1)).err().expect("one too many");
        assert_eq!(refused.code(), ErrorCode::TooManyConnections);
        // Someone else is not held up by the first person's tabs.
        let other = hub.admit(&staff(2)).unwrap();
        drop(held.into_iter().next());
        assert!(hub.admit(&staff(1)).is_ok());
        drop(other);
        assert!(!hub.open.lock().unwrap().contains_key(&Holder::Staff(2)));
    }

    #[test]
    fn an_event_frame_names_its_type_id_time_and_data() {
        let event = Event {
            id: 7,
            kind: "patient.updated".into(),
            at: DateTime::parse_from_rfc3339("2026-12-03T09:00:00Z").unwrap().with_timezone(&Utc),
            data: serde_json::json!({ "id": 3 }),
            audience: Audience::Patient { patient_id: 3 },
        };
        let frame: serde_json::Value = serde_json::from_str(&event.frame()).unwrap();
        assert_eq!(
            frame,
            serde_json::json!({ "type": "patient.updated", "id": 7, "at": "2026-12-03T09:00:00Z", "data": { "id": 3 } })
        );
    }
}
