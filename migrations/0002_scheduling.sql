-- Scheduling: centres, clinicians, services, availability, appointments.
-- Instants are INTEGER milliseconds since the Unix epoch, UTC. Weekly rules
-- are local wall time (minutes after midnight) in the centre's IANA zone.

CREATE TABLE centres (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL,
    address     TEXT,
    phone       TEXT,
    email       TEXT,
    timezone    TEXT    NOT NULL,
    active      INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE clinicians (
    id                   INTEGER PRIMARY KEY,
    staff_id             INTEGER UNIQUE REFERENCES staff (id),
    display_name         TEXT    NOT NULL,
    specialties          TEXT    NOT NULL DEFAULT '[]',  -- JSON array of strings
    qualifications       TEXT    NOT NULL DEFAULT '[]',
    languages            TEXT    NOT NULL DEFAULT '[]',
    bio                  TEXT,
    fee_amount_minor     INTEGER CHECK (fee_amount_minor >= 0),
    fee_currency         TEXT,
    active               INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    calendar_token_hash  BLOB UNIQUE,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL
);

CREATE TABLE clinician_centres (
    clinician_id  INTEGER NOT NULL REFERENCES clinicians (id),
    centre_id     INTEGER NOT NULL REFERENCES centres (id),
    PRIMARY KEY (clinician_id, centre_id)
) WITHOUT ROWID;

CREATE TABLE services (
    id                     INTEGER PRIMARY KEY,
    name                   TEXT    NOT NULL,
    duration_minutes       INTEGER NOT NULL CHECK (duration_minutes BETWEEN 5 AND 720),
    price_amount_minor     INTEGER NOT NULL CHECK (price_amount_minor >= 0),
    price_currency         TEXT    NOT NULL,
    buffer_before_minutes  INTEGER NOT NULL DEFAULT 0 CHECK (buffer_before_minutes BETWEEN 0 AND 240),
    buffer_after_minutes   INTEGER NOT NULL DEFAULT 0 CHECK (buffer_after_minutes BETWEEN 0 AND 240),
    modality               TEXT    NOT NULL CHECK (modality IN ('in_person', 'video')),
    capacity               INTEGER NOT NULL DEFAULT 1 CHECK (capacity >= 1),
    colour                 TEXT,
    active                 INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at             INTEGER NOT NULL,
    updated_at             INTEGER NOT NULL
);

CREATE TABLE service_clinicians (
    service_id    INTEGER NOT NULL REFERENCES services (id),
    clinician_id  INTEGER NOT NULL REFERENCES clinicians (id),
    PRIMARY KEY (service_id, clinician_id)
) WITHOUT ROWID;

-- One row: the clinic's booking policy.
CREATE TABLE booking_settings (
    id                         INTEGER PRIMARY KEY CHECK (id = 1),
    min_notice_minutes         INTEGER NOT NULL CHECK (min_notice_minutes >= 0),
    booking_window_days        INTEGER NOT NULL CHECK (booking_window_days >= 1),
    cancellation_notice_hours  INTEGER NOT NULL CHECK (cancellation_notice_hours >= 0),
    updated_at                 INTEGER NOT NULL
);
INSERT INTO booking_settings (id, min_notice_minutes, booking_window_days, cancellation_notice_hours, updated_at)
VALUES (1, 60, 90, 24, 0);

-- Weekly availability in the centre's local wall time.
CREATE TABLE availability_rules (
    id               INTEGER PRIMARY KEY,
    clinician_id     INTEGER NOT NULL REFERENCES clinicians (id),
    centre_id        INTEGER NOT NULL REFERENCES centres (id),
    weekday          INTEGER NOT NULL CHECK (weekday BETWEEN 1 AND 7),  -- ISO 8601, Monday = 1
    start_minute     INTEGER NOT NULL CHECK (start_minute BETWEEN 0 AND 1439),
    end_minute       INTEGER NOT NULL CHECK (end_minute BETWEEN 1 AND 1440),
    effective_from   TEXT,   -- YYYY-MM-DD, inclusive
    effective_until  TEXT,   -- YYYY-MM-DD, inclusive
    CHECK (end_minute > start_minute)
);
CREATE INDEX availability_by_clinician ON availability_rules (clinician_id);

-- Time off, and extra one-off availability, as UTC intervals.
CREATE TABLE availability_exceptions (
    id            INTEGER PRIMARY KEY,
    clinician_id  INTEGER NOT NULL REFERENCES clinicians (id),
    kind          TEXT    NOT NULL CHECK (kind IN ('time_off', 'extra')),
    centre_id     INTEGER REFERENCES centres (id),
    starts_at     INTEGER NOT NULL,
    ends_at       INTEGER NOT NULL,
    reason        TEXT,
    created_at    INTEGER NOT NULL,
    CHECK (ends_at > starts_at),
    CHECK (kind = 'time_off' OR centre_id IS NOT NULL)
);
CREATE INDEX availability_exceptions_by_clinician ON availability_exceptions (clinician_id, starts_at);

CREATE TABLE appointment_series (
    id          INTEGER PRIMARY KEY,
    frequency   TEXT    NOT NULL CHECK (frequency IN ('weekly')),
    interval    INTEGER NOT NULL CHECK (interval >= 1),
    count       INTEGER,
    until       TEXT,
    created_at  INTEGER NOT NULL
);

-- A booked time of one clinician. Individual appointments have one
-- attendee; group sessions (capacity > 1) several.
CREATE TABLE appointments (
    id             INTEGER PRIMARY KEY,
    series_id      INTEGER REFERENCES appointment_series (id),
    service_id     INTEGER NOT NULL REFERENCES services (id),
    clinician_id   INTEGER NOT NULL REFERENCES clinicians (id),
    centre_id      INTEGER NOT NULL REFERENCES centres (id),
    starts_at      INTEGER NOT NULL,
    ends_at        INTEGER NOT NULL,
    -- The time the clinician is taken, buffers included: what overlaps check.
    blocked_from   INTEGER NOT NULL,
    blocked_until  INTEGER NOT NULL,
    capacity       INTEGER NOT NULL DEFAULT 1 CHECK (capacity >= 1),
    status         TEXT    NOT NULL CHECK (status IN ('pending', 'confirmed', 'checked_in', 'completed', 'cancelled', 'no_show')),
    notes          TEXT,
    video_url      TEXT,
    cancel_reason  TEXT,
    cancelled_by   INTEGER,
    cancelled_at   INTEGER,
    created_by     INTEGER,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    CHECK (ends_at > starts_at),
    CHECK (blocked_from <= starts_at AND blocked_until >= ends_at)
);
CREATE INDEX appointments_by_clinician_time ON appointments (clinician_id, blocked_from);
CREATE INDEX appointments_by_centre_time ON appointments (centre_id, starts_at);
CREATE INDEX appointments_by_time ON appointments (starts_at);
CREATE INDEX appointments_by_series ON appointments (series_id);

CREATE TABLE appointment_attendees (
    appointment_id  INTEGER NOT NULL REFERENCES appointments (id),
    patient_id      INTEGER NOT NULL REFERENCES patients (id),
    status          TEXT    NOT NULL CHECK (status IN ('booked', 'waitlisted', 'left')),
    joined_at       INTEGER NOT NULL,
    PRIMARY KEY (appointment_id, patient_id)
) WITHOUT ROWID;
CREATE INDEX appointment_attendees_by_patient ON appointment_attendees (patient_id);

-- What happened to an appointment, oldest first (reschedules, transitions).
CREATE TABLE appointment_history (
    id              INTEGER PRIMARY KEY,
    appointment_id  INTEGER NOT NULL REFERENCES appointments (id),
    at              INTEGER NOT NULL,
    actor_id        INTEGER,
    change          TEXT    NOT NULL,
    details         TEXT
);
CREATE INDEX appointment_history_by_appointment ON appointment_history (appointment_id, id);
