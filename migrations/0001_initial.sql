-- Clinicbox initial schema.
-- Instants are INTEGER milliseconds since the Unix epoch, UTC.
-- Dates (no time of day) are TEXT 'YYYY-MM-DD'.

CREATE TABLE staff (
    id            INTEGER PRIMARY KEY,
    email         TEXT    NOT NULL COLLATE NOCASE UNIQUE,
    name          TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('admin', 'manager', 'clinician', 'front_desk', 'billing')),
    password_hash TEXT    NOT NULL,
    active        INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

-- Bearer access/refresh tokens and browser sessions. Only SHA-256 hashes
-- are stored. A family is one sign-in and every token rotated from it.
CREATE TABLE auth_tokens (
    id          INTEGER PRIMARY KEY,
    staff_id    INTEGER NOT NULL REFERENCES staff (id),
    kind        TEXT    NOT NULL CHECK (kind IN ('access', 'refresh', 'session')),
    token_hash  BLOB    NOT NULL UNIQUE,
    family      TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER,
    revoked_at  INTEGER
);
CREATE INDEX auth_tokens_by_family ON auth_tokens (family);
CREATE INDEX auth_tokens_by_staff ON auth_tokens (staff_id);
CREATE INDEX auth_tokens_by_expiry ON auth_tokens (expires_at);

CREATE TABLE patients (
    id                         INTEGER PRIMARY KEY,
    given_name                 TEXT    NOT NULL,
    family_name                TEXT    NOT NULL,
    preferred_name             TEXT,
    date_of_birth              TEXT,
    sex                        TEXT    CHECK (sex IN ('female', 'male', 'other', 'unknown')),
    phone                      TEXT,
    phone_digits               TEXT,
    email                      TEXT    COLLATE NOCASE,
    address_line1              TEXT,
    address_line2              TEXT,
    address_city               TEXT,
    address_region             TEXT,
    address_postal_code        TEXT,
    address_country            TEXT,
    emergency_contact_name     TEXT,
    emergency_contact_phone    TEXT,
    emergency_contact_relationship TEXT,
    lead_source                TEXT,
    status                     TEXT    NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'archived')),
    created_at                 INTEGER NOT NULL,
    updated_at                 INTEGER NOT NULL
);
CREATE INDEX patients_by_name ON patients (family_name COLLATE NOCASE, given_name COLLATE NOCASE, id);
CREATE INDEX patients_by_created ON patients (created_at, id);
CREATE INDEX patients_by_birth ON patients (date_of_birth, id);
CREATE INDEX patients_by_phone ON patients (phone);
CREATE INDEX patients_by_status ON patients (status);

-- Append-only: the application may insert, never change or remove.
CREATE TABLE audit_log (
    id           INTEGER PRIMARY KEY,
    at           INTEGER NOT NULL,
    actor_id     INTEGER,
    actor_email  TEXT,
    action       TEXT    NOT NULL,
    entity       TEXT    NOT NULL,
    entity_id    INTEGER,
    request_id   TEXT,
    client_addr  TEXT,
    details      TEXT
);
CREATE INDEX audit_by_entity ON audit_log (entity, entity_id, id);
CREATE INDEX audit_by_actor ON audit_log (actor_id, id);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

-- Change log feeding search, notifications and live events.
CREATE TABLE changes (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    at         INTEGER NOT NULL,
    entity     TEXT    NOT NULL,
    entity_id  INTEGER NOT NULL,
    op         TEXT    NOT NULL
);
