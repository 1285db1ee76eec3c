//! The tags that group the API's operations in the spec and the docs page.

use poem_openapi::Tags;

#[derive(Tags)]
pub enum ApiTags {
    /// Sign-in, tokens and browser sessions.
    Auth,
    /// Creating the first administrator on a new installation.
    Setup,
    /// One's own account: name, email, password, sign-ins and two-factor sign-in.
    Account,
    /// Staff accounts and roles (administrators).
    Staff,
    /// Keys integrators use as bearer tokens (administrators).
    ApiKeys,
    /// The clinic's security settings (administrators).
    Settings,
    /// Patient records.
    Patients,
    /// The clinical record: notes, files, questionnaires and programmes (clinical roles).
    Records,
    /// The audit log of changes and record reads (administrators).
    Audit,
    /// Finding people across the clinic's records.
    Search,
    /// Snapshots of the data directory (administrators).
    Backups,
    /// In-app notifications, messages to patients and when reminders go.
    Notifications,
    /// Live updates over a WebSocket: what changes, as it changes.
    Events,
    /// Centres, clinicians, services, availability and slots.
    Scheduling,
    /// Booking appointments and following them to completion.
    Appointments,
    /// Endpoints that need no sign-in, for a public booking page.
    Public,
}
