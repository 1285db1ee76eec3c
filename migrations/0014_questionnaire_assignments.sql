-- A clinic's own questionnaires, beside the built-in ones (which live in
-- the code, with their published scoring).
CREATE TABLE custom_questionnaires (
    id            TEXT    PRIMARY KEY,
    name          TEXT    NOT NULL,
    instructions  TEXT    NOT NULL DEFAULT '',
    -- JSON [{"number", "text", "choices": [{"label", "score"}]}], in order.
    items         TEXT    NOT NULL,
    -- JSON [{"min", "max", "severity"}].
    bands         TEXT    NOT NULL DEFAULT '[]',
    max_score     INTEGER NOT NULL,
    created_by    INTEGER REFERENCES staff (id),
    created_at    INTEGER NOT NULL
);

-- A questionnaire a patient is to fill in: once, or every so many days.
CREATE TABLE questionnaire_assignments (
    id                 INTEGER PRIMARY KEY,
    patient_id         INTEGER NOT NULL REFERENCES patients (id),
    questionnaire      TEXT    NOT NULL,
    every_days         INTEGER CHECK (every_days IS NULL OR every_days BETWEEN 1 AND 365),
    -- The clinic's local date it is next due; NULL once done or ended.
    next_due_on        TEXT,
    status             TEXT    NOT NULL CHECK (status IN ('active', 'completed', 'ended')),
    last_response_id   INTEGER REFERENCES questionnaire_responses (id),
    assigned_by        INTEGER REFERENCES staff (id),
    created_at         INTEGER NOT NULL,
    ended_at           INTEGER,
    CHECK ((status = 'active') = (next_due_on IS NOT NULL))
);
CREATE INDEX questionnaire_assignments_by_patient ON questionnaire_assignments (patient_id, status);
CREATE INDEX questionnaire_assignments_due ON questionnaire_assignments (next_due_on) WHERE status = 'active';
