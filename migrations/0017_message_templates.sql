-- A clinic's own wording of a message, per event; the built-in wording
-- applies to events without a row.
CREATE TABLE message_templates (
    event       TEXT    PRIMARY KEY CHECK (event IN ('confirmation', 'reschedule', 'cancellation', 'reminder')),
    subject     TEXT    NOT NULL,
    email_body  TEXT    NOT NULL,
    text_body   TEXT    NOT NULL,
    updated_by  INTEGER REFERENCES staff (id),
    updated_at  INTEGER NOT NULL
);
