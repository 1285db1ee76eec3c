-- Two records that may be one person: flagged when staff register a patient
-- despite the duplicate warning, reviewed by a manager who merges them or
-- says they are different people.
CREATE TABLE patient_duplicate_flags (
    id           INTEGER PRIMARY KEY,
    -- The record registered anyway, and the existing one it resembles.
    patient_id   INTEGER NOT NULL REFERENCES patients (id),
    other_id     INTEGER NOT NULL REFERENCES patients (id),
    reason       TEXT    NOT NULL CHECK (reason IN ('name_and_birth_date', 'phone')),
    status       TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'dismissed', 'merged')),
    flagged_by   INTEGER,
    flagged_at   INTEGER NOT NULL,
    resolved_by  INTEGER,
    resolved_at  INTEGER,
    UNIQUE (patient_id, other_id),
    CHECK (patient_id <> other_id)
);
CREATE INDEX patient_duplicate_flags_by_status ON patient_duplicate_flags (status, id);
CREATE INDEX patient_duplicate_flags_by_other ON patient_duplicate_flags (other_id);

-- One record merged into another. Nothing is deleted: the merged record is
-- archived and points at the one kept, and `moved` lists, per kind of
-- record, what was moved onto the kept one, so the merge can be undone.
CREATE TABLE patient_merges (
    id              INTEGER PRIMARY KEY,
    kept_id         INTEGER NOT NULL REFERENCES patients (id),
    merged_id       INTEGER NOT NULL REFERENCES patients (id),
    -- The merged record's status before, given back by an undo.
    merged_status   TEXT    NOT NULL CHECK (merged_status IN ('active', 'archived')),
    moved           TEXT    NOT NULL,
    merged_by       INTEGER,
    merged_at       INTEGER NOT NULL,
    undone_by       INTEGER,
    undone_at       INTEGER,
    CHECK (kept_id <> merged_id)
);
CREATE INDEX patient_merges_by_kept ON patient_merges (kept_id, id);
CREATE INDEX patient_merges_by_merged ON patient_merges (merged_id, id);

ALTER TABLE patients ADD COLUMN merged_into INTEGER REFERENCES patients (id);
