-- Clinical notes: drafts until signed; a signed note never changes and is
-- corrected by addenda, each signed and timestamped.
CREATE TABLE note_templates (
    id          TEXT    PRIMARY KEY,
    name        TEXT    NOT NULL,
    -- JSON [{"key": "subjective", "label": "Subjective"}, ...], in order.
    sections    TEXT    NOT NULL,
    built_in    INTEGER NOT NULL DEFAULT 0 CHECK (built_in IN (0, 1)),
    created_by  INTEGER,
    created_at  INTEGER NOT NULL
);
INSERT INTO note_templates (id, name, sections, built_in, created_at) VALUES
    ('soap', 'SOAP note', '[{"key":"subjective","label":"Subjective"},{"key":"objective","label":"Objective"},{"key":"assessment","label":"Assessment"},{"key":"plan","label":"Plan"}]', 1, 0),
    ('progress', 'Progress note', '[{"key":"text","label":"Progress"},{"key":"goals","label":"Goals"}]', 1, 0),
    ('intake', 'Intake note', '[{"key":"presenting_problem","label":"Presenting problem"},{"key":"history","label":"History"},{"key":"medications","label":"Medications"},{"key":"allergies","label":"Allergies"},{"key":"social","label":"Social circumstances"},{"key":"plan","label":"Plan"}]', 1, 0);

CREATE TABLE clinical_notes (
    id              INTEGER PRIMARY KEY,
    patient_id      INTEGER NOT NULL REFERENCES patients (id),
    appointment_id  INTEGER REFERENCES appointments (id),
    template        TEXT    NOT NULL REFERENCES note_templates (id),
    -- JSON {"section key": "text"}.
    content         TEXT    NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('draft', 'signed', 'discarded')),
    author_id       INTEGER NOT NULL REFERENCES staff (id),
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    signed_at       INTEGER,
    signed_by       INTEGER REFERENCES staff (id),
    discarded_at    INTEGER,
    CHECK ((status = 'signed') = (signed_at IS NOT NULL))
);
CREATE INDEX clinical_notes_by_patient ON clinical_notes (patient_id, id);
CREATE INDEX clinical_notes_by_appointment ON clinical_notes (appointment_id);

-- What is signed stays as it was signed, whatever the application does
-- (a merge of two patient records may move the note to the record kept).
CREATE TRIGGER clinical_notes_signed_stay BEFORE UPDATE ON clinical_notes
WHEN OLD.status = 'signed' AND (NEW.content IS NOT OLD.content OR NEW.template IS NOT OLD.template
    OR NEW.status IS NOT OLD.status OR NEW.author_id IS NOT OLD.author_id OR NEW.signed_at IS NOT OLD.signed_at
    OR NEW.signed_by IS NOT OLD.signed_by OR NEW.appointment_id IS NOT OLD.appointment_id
    OR NEW.created_at IS NOT OLD.created_at)
BEGIN
    SELECT RAISE(ABORT, 'a signed note cannot change');
END;
CREATE TRIGGER clinical_notes_kept BEFORE DELETE ON clinical_notes
BEGIN
    SELECT RAISE(ABORT, 'clinical notes are never deleted');
END;

CREATE TABLE note_addenda (
    id         INTEGER PRIMARY KEY,
    note_id    INTEGER NOT NULL REFERENCES clinical_notes (id),
    text       TEXT    NOT NULL,
    author_id  INTEGER NOT NULL REFERENCES staff (id),
    signed_at  INTEGER NOT NULL
);
CREATE INDEX note_addenda_by_note ON note_addenda (note_id, id);
CREATE TRIGGER note_addenda_no_update BEFORE UPDATE ON note_addenda
BEGIN
    SELECT RAISE(ABORT, 'an addendum cannot change');
END;
CREATE TRIGGER note_addenda_no_delete BEFORE DELETE ON note_addenda
BEGIN
    SELECT RAISE(ABORT, 'an addendum cannot be removed');
END;
