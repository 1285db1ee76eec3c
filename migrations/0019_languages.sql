-- The language a patient reads (a BCP 47 tag such as `cy` or `pt-BR`),
-- and a clinic's wording per event and language. `language` '' is the
-- clinic's wording for everyone without one in their own language.
ALTER TABLE patients ADD COLUMN preferred_language TEXT;

CREATE TABLE message_templates_by_language (
    event       TEXT    NOT NULL CHECK (event IN ('confirmation', 'reschedule', 'cancellation', 'reminder')),
    language    TEXT    NOT NULL DEFAULT '',
    subject     TEXT    NOT NULL,
    email_body  TEXT    NOT NULL,
    text_body   TEXT    NOT NULL,
    updated_by  INTEGER REFERENCES staff (id),
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (event, language)
) WITHOUT ROWID;

INSERT INTO message_templates_by_language (event, language, subject, email_body, text_body, updated_by, updated_at)
    SELECT event, '', subject, email_body, text_body, updated_by, updated_at FROM message_templates;
DROP TABLE message_templates;
ALTER TABLE message_templates_by_language RENAME TO message_templates;
