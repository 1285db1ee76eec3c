//! Telling people: patients by email, SMS or WhatsApp (confirmations,
//! moves, cancellations, reminders), staff in the app. Everything outbound
//! goes through the jobs outbox, so a booking never waits for a mail server
//! and a restart loses nothing.

pub mod api;
pub mod channels;
pub mod messages;
pub mod model;
pub mod plan;
pub mod service;
pub mod store;
pub mod templates;

use crate::jobs::Handlers;

/// The jobs this feature runs: reminders and event messages are written
/// when due, then each message is sent (and retried) on its own.
pub const JOB_HANDLERS: Handlers = &[
    (plan::MESSAGE_JOB, messages::write_messages),
    (plan::REMINDER_JOB, messages::write_messages),
    (messages::SEND_JOB, messages::send_message),
];
