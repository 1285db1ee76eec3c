//! Per-clinician iCalendar feeds (RFC 5545), reached by an unguessable link.

use chrono::{DateTime, Utc};
use icalendar::{Calendar, Component, Event, EventLike, EventStatus};

use crate::secret::SecretKey;

/// `{clinician_id}-{signature}`: checkable by recomputation, so no token is stored.
pub fn token(secret: &SecretKey, clinician_id: i64, generation: i64) -> String {
    let signature = secret.sign(&[b"calendar-feed", &clinician_id.to_be_bytes(), &generation.to_be_bytes()]);
    format!("{clinician_id}-{}", hex::encode(&signature[..20]))
}

/// The clinician a presented token names, when it is their current token.
pub fn verify(secret: &SecretKey, presented: &str, current_generation: impl Fn(i64) -> Option<i64>) -> Option<i64> {
    let (id, _) = presented.split_once('-')?;
    let clinician_id: i64 = id.parse().ok()?;
    let generation = current_generation(clinician_id)?;
    crate::kit::tokens::secrets_match(presented, &token(secret, clinician_id, generation)).then_some(clinician_id)
}

pub fn feed_path(token: &str) -> String {
    format!("/api/v1/calendar/{token}.ics")
}

pub struct FeedEvent {
    pub appointment_id: i64,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub status: String,
    pub service_name: String,
    /// Already shortened unless the clinic shows surnames.
    pub attendees: Vec<String>,
    pub centre: String,
    pub video_url: Option<String>,
    pub updated_at: DateTime<Utc>,
    /// Increases with every change, so calendar apps replace the old copy.
    pub sequence: i64,
}

pub fn build(clinician_name: &str, events: &[FeedEvent], now: DateTime<Utc>) -> String {
    let mut calendar = Calendar::new();
    calendar.name(&format!("{clinician_name} — Clinicbox"));
    for e in events {
        let who = match e.attendees.as_slice() {
            [one] => one.clone(),
            [] => "no attendees".into(),
            many => format!("{} attendees", many.len()),
        };
        let mut description = format!("{} at {}", e.service_name, e.centre);
        if let Some(link) = &e.video_url {
            description.push_str(&format!("\nVideo: {link}"));
        }
        let status = match e.status.as_str() {
            "cancelled" => EventStatus::Cancelled,
            "pending" => EventStatus::Tentative,
            _ => EventStatus::Confirmed,
        };
        let event = Event::new()
            .uid(&format!("appointment-{}@clinicbox", e.appointment_id))
            .summary(&format!("{} — {who}", e.service_name))
            .description(&description)
            .location(&e.centre)
            .starts(e.start)
            .ends(e.end)
            .status(status)
            .timestamp(now)
            .add_property("SEQUENCE", e.sequence.to_string())
            .add_property("LAST-MODIFIED", e.updated_at.format("%Y%m%dT%H%M%SZ").to_string())
            .done();
        calendar.push(event);
    }
    calendar.done().to_string()
}

/// "Ada Lovelace", or "Ada L." when surnames stay out of feeds.
pub fn patient_label(given: &str, family: &str, show_surname: bool) -> String {
    if show_surname {
        format!("{given} {family}")
    } else {
        match family.chars().next() {
            Some(initial) => format!("{given} {initial}."),
            None => given.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_only_for_their_generation() {
        let dir = tempfile::tempdir().unwrap();
        let secret = SecretKey::load_or_create(dir.path()).unwrap();
        let t = token(&secret, 7, 0);
        assert_eq!(verify(&secret, &t, |_| Some(0)), Some(7));
        assert_eq!(verify(&secret, &t, |_| Some(1)), None, "rotated");
        assert_eq!(verify(&secret, &t.replace("7-", "8-"), |_| Some(0)), None);
        assert_eq!(verify(&secret, "garbage", |_| Some(0)), None);
    }

    #[test]
    fn the_feed_is_rfc5545_with_stable_uids_and_cancellations() {
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        let events = [
            FeedEvent {
                appointment_id: 41,
                start: at("2026-11-30T10:00:00Z"),
                end: at("2026-11-30T11:00:00Z"),
                status: "confirmed".into(),
                service_name: "Consultation".into(),
                attendees: vec![patient_label("Ada", "Lovelace", false)],
                centre: "Riverside".into(),
                video_url: None,
                updated_at: at("2026-11-22T09:00:00Z"),
                sequence: 2,
            },
            FeedEvent {
                appointment_id: 42,
                start: at("2026-11-30T12:00:00Z"),
                end: at("2026-11-30T12:30:00Z"),
                status: "cancelled".into(),
                service_name: "Follow-up".into(),
                attendees: vec![],
                centre: "Riverside".into(),
                video_url: None,
                updated_at: at("2026-11-22T09:00:00Z"),
                sequence: 1,
            },
        ];
        let text = build("Dr Osei", &events, at("2026-11-22T10:00:00Z"));
        assert!(text.starts_with("BEGIN:VCALENDAR\r\n"), "{text}");
        assert!(text.contains("VERSION:2.0") && text.contains("PRODID:"));
        assert!(text.contains("UID:appointment-41@clinicbox"));
        assert!(text.contains("DTSTART:20261130T100000Z"));
        assert!(text.contains("STATUS:CANCELLED"));
        assert!(text.contains("Ada L."));
        assert!(!text.contains("Lovelace"));
        assert!(text.trim_end().ends_with("END:VCALENDAR"));
    }
}
