-- Sign-ins, MFA, API keys, clinic security settings and the audit chain.

-- One row per sign-in (a token family): what the sessions list shows, what
-- the browser's idle timeout reads, and the absolute end of a sign-in that
-- rotating refresh tokens cannot extend.
CREATE TABLE sign_ins (
    id            INTEGER PRIMARY KEY,
    family        TEXT    NOT NULL UNIQUE,
    staff_id      INTEGER NOT NULL REFERENCES staff (id),
    kind          TEXT    NOT NULL CHECK (kind IN ('browser', 'tokens')),
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    client_addr   TEXT,
    user_agent    TEXT,
    revoked_at    INTEGER
);
CREATE INDEX sign_ins_by_staff ON sign_ins (staff_id, id);

INSERT INTO sign_ins (family, staff_id, kind, created_at, last_used_at, expires_at, revoked_at)
SELECT family, min(staff_id),
       CASE WHEN max(kind = 'session') = 1 THEN 'browser' ELSE 'tokens' END,
       min(created_at), max(created_at), max(expires_at),
       CASE WHEN min(revoked_at IS NOT NULL) = 1 THEN max(revoked_at) END
FROM auth_tokens GROUP BY family;

-- A staff member's TOTP authenticator. `confirmed_at` is NULL while the
-- enrolment waits for its first code; `last_step` is the time step of the
-- last accepted code, so no code is accepted twice.
CREATE TABLE staff_totp (
    staff_id      INTEGER PRIMARY KEY REFERENCES staff (id),
    secret        TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    confirmed_at  INTEGER,
    last_step     INTEGER NOT NULL DEFAULT 0
);

-- Single-use recovery codes, stored as hashes.
CREATE TABLE recovery_codes (
    id          INTEGER PRIMARY KEY,
    staff_id    INTEGER NOT NULL REFERENCES staff (id),
    code_hash   BLOB    NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL,
    used_at     INTEGER
);
CREATE INDEX recovery_codes_by_staff ON recovery_codes (staff_id);

-- The second step of a sign-in with MFA: a short-lived token handed out
-- after the password, good for a few code attempts.
CREATE TABLE mfa_challenges (
    id           INTEGER PRIMARY KEY,
    token_hash   BLOB    NOT NULL UNIQUE,
    staff_id     INTEGER NOT NULL REFERENCES staff (id),
    kind         TEXT    NOT NULL CHECK (kind IN ('browser', 'tokens')),
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    failures     INTEGER NOT NULL DEFAULT 0,
    used_at      INTEGER
);
CREATE INDEX mfa_challenges_by_expiry ON mfa_challenges (expires_at);

-- Keys integrators use as bearer tokens, each with a role. Only the hash is
-- stored; the prefix lets a person recognise a key in the list.
CREATE TABLE api_keys (
    id              INTEGER PRIMARY KEY,
    name            TEXT    NOT NULL,
    role            TEXT    NOT NULL CHECK (role IN ('admin', 'manager', 'clinician', 'front_desk', 'billing')),
    key_hash        BLOB    NOT NULL UNIQUE,
    key_prefix      TEXT    NOT NULL,
    created_by      INTEGER NOT NULL REFERENCES staff (id),
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER,
    last_used_at    INTEGER,
    last_used_addr  TEXT,
    revoked_at      INTEGER
);

-- The clinic's security settings: one row.
CREATE TABLE security_settings (
    id                   INTEGER PRIMARY KEY CHECK (id = 1),
    mfa_required_roles   TEXT    NOT NULL DEFAULT '[]',
    clinician_scope      TEXT    NOT NULL DEFAULT 'all' CHECK (clinician_scope IN ('all', 'own')),
    updated_at           INTEGER NOT NULL DEFAULT 0
);
INSERT INTO security_settings (id) VALUES (1);

-- Patients shared explicitly with a clinician when clinicians see only
-- their own patients.
CREATE TABLE patient_shares (
    patient_id  INTEGER NOT NULL REFERENCES patients (id),
    staff_id    INTEGER NOT NULL REFERENCES staff (id),
    shared_by   INTEGER,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (patient_id, staff_id)
) WITHOUT ROWID;

-- Each audit row carries the hash of its own content and of the row before
-- it, so a row changed or removed outside Clinicbox breaks the chain that
-- `clinicbox check` verifies. Rows written before this migration stay
-- unchained; the chain starts at the first row that has a hash.
ALTER TABLE audit_log ADD COLUMN api_key_id INTEGER;
ALTER TABLE audit_log ADD COLUMN hash BLOB;
