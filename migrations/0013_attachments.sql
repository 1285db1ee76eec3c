-- Files kept on a patient's record. The bytes live once under
-- DATA/files/<first two hex digits>/<sha256>; a row names them by hash.
-- Neither the row nor the file is ever removed.
CREATE TABLE attachments (
    id            INTEGER PRIMARY KEY,
    patient_id    INTEGER NOT NULL REFERENCES patients (id),
    note_id       INTEGER REFERENCES clinical_notes (id),
    filename      TEXT    NOT NULL,
    description   TEXT,
    content_type  TEXT    NOT NULL,
    size          INTEGER NOT NULL CHECK (size >= 0),
    sha256        TEXT    NOT NULL CHECK (length(sha256) = 64),
    uploaded_by   INTEGER REFERENCES staff (id),
    created_at    INTEGER NOT NULL
);
CREATE INDEX attachments_by_patient ON attachments (patient_id, id);
CREATE INDEX attachments_by_note ON attachments (note_id);

-- A merge of two patient records may move an attachment; nothing else changes.
CREATE TRIGGER attachments_stay BEFORE UPDATE ON attachments
WHEN NEW.note_id IS NOT OLD.note_id OR NEW.filename IS NOT OLD.filename OR NEW.description IS NOT OLD.description
    OR NEW.content_type IS NOT OLD.content_type OR NEW.size IS NOT OLD.size OR NEW.sha256 IS NOT OLD.sha256
    OR NEW.uploaded_by IS NOT OLD.uploaded_by OR NEW.created_at IS NOT OLD.created_at
BEGIN
    SELECT RAISE(ABORT, 'an attachment cannot change');
END;
CREATE TRIGGER attachments_kept BEFORE DELETE ON attachments
BEGIN
    SELECT RAISE(ABORT, 'attachments are never deleted');
END;
