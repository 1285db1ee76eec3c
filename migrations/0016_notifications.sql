-- How each patient agreed to be contacted: email only unless they say otherwise.
ALTER TABLE patients ADD COLUMN contact_email INTEGER NOT NULL DEFAULT 1 CHECK (contact_email IN (0, 1));
ALTER TABLE patients ADD COLUMN contact_sms INTEGER NOT NULL DEFAULT 0 CHECK (contact_sms IN (0, 1));
ALTER TABLE patients ADD COLUMN contact_whatsapp INTEGER NOT NULL DEFAULT 0 CHECK (contact_whatsapp IN (0, 1));

-- The outbox: work a change causes outside the database (a message, a
-- reminder due later), written in the change's own transaction.
CREATE TABLE jobs (
    id            INTEGER PRIMARY KEY,
    kind          TEXT    NOT NULL,
    -- JSON, as the job's kind reads it.
    payload       TEXT    NOT NULL,
    due_at        INTEGER NOT NULL,
    status        TEXT    NOT NULL CHECK (status IN ('queued', 'running', 'done', 'dead', 'cancelled')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    max_attempts  INTEGER NOT NULL DEFAULT 6,
    last_error    TEXT,
    -- One job per key, e.g. reminder:12:7:24 (appointment, patient, lead).
    dedupe_key    TEXT    UNIQUE,
    -- The appointment a job is about, so moving or cancelling it finds its reminders.
    appointment_id INTEGER,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX jobs_due ON jobs (due_at) WHERE status = 'queued';
CREATE INDEX jobs_by_appointment ON jobs (appointment_id) WHERE appointment_id IS NOT NULL;

-- Every message sent, or to be sent, to someone outside the clinic.
CREATE TABLE outbound_messages (
    id              INTEGER PRIMARY KEY,
    patient_id      INTEGER REFERENCES patients (id),
    appointment_id  INTEGER REFERENCES appointments (id),
    channel         TEXT    NOT NULL CHECK (channel IN ('email', 'sms', 'whatsapp')),
    template        TEXT    NOT NULL,
    recipient       TEXT    NOT NULL,
    subject         TEXT,
    body            TEXT    NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('queued', 'sent', 'failed', 'dead')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    sent_at         INTEGER
);
CREATE INDEX outbound_messages_by_patient ON outbound_messages (patient_id, id);
CREATE INDEX outbound_messages_by_status ON outbound_messages (status, id);

-- In-app notifications, each to one member of staff.
CREATE TABLE notifications (
    id          INTEGER PRIMARY KEY,
    staff_id    INTEGER NOT NULL REFERENCES staff (id),
    type        TEXT    NOT NULL,
    title       TEXT    NOT NULL,
    body        TEXT    NOT NULL DEFAULT '',
    link        TEXT,
    created_at  INTEGER NOT NULL,
    read_at     INTEGER
);
CREATE INDEX notifications_by_staff ON notifications (staff_id, id);
CREATE INDEX notifications_unread ON notifications (staff_id) WHERE read_at IS NULL;

-- When reminders go: hours before the appointment, and the hours in which
-- no message is sent (the centre's local time).
CREATE TABLE notification_settings (
    id                      INTEGER PRIMARY KEY CHECK (id = 1),
    reminder_hours_before   TEXT    NOT NULL DEFAULT '[24,2]',
    quiet_start             TEXT,
    quiet_end               TEXT,
    updated_at              INTEGER NOT NULL DEFAULT 0
);
INSERT INTO notification_settings (id) VALUES (1);
