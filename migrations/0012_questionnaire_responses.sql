-- Answers to a questionnaire (PHQ-9, GAD-7, mood…), scored when entered.
-- Responses never change; a merge of two patient records may move one.
CREATE TABLE questionnaire_responses (
    id              INTEGER PRIMARY KEY,
    patient_id      INTEGER NOT NULL REFERENCES patients (id),
    questionnaire   TEXT    NOT NULL,
    -- JSON [score of item 1, item 2, …].
    answers         TEXT    NOT NULL,
    score           INTEGER NOT NULL,
    severity        TEXT,
    -- JSON ["self_harm_risk", …].
    flags           TEXT    NOT NULL DEFAULT '[]',
    appointment_id  INTEGER REFERENCES appointments (id),
    entered_by      INTEGER,
    completed_at    INTEGER NOT NULL
);
CREATE INDEX questionnaire_responses_by_patient ON questionnaire_responses (patient_id, questionnaire, completed_at);

CREATE TRIGGER questionnaire_responses_stay BEFORE UPDATE ON questionnaire_responses
WHEN NEW.questionnaire IS NOT OLD.questionnaire OR NEW.answers IS NOT OLD.answers OR NEW.score IS NOT OLD.score
    OR NEW.severity IS NOT OLD.severity OR NEW.flags IS NOT OLD.flags OR NEW.appointment_id IS NOT OLD.appointment_id
    OR NEW.entered_by IS NOT OLD.entered_by OR NEW.completed_at IS NOT OLD.completed_at
BEGIN
    SELECT RAISE(ABORT, 'a questionnaire response cannot change');
END;
CREATE TRIGGER questionnaire_responses_kept BEFORE DELETE ON questionnaire_responses
BEGIN
    SELECT RAISE(ABORT, 'questionnaire responses are never deleted');
END;
