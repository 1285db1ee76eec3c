-- Treatment programmes: a plan of sessions with measures and goals, and the
-- patients enrolled in one with a clinician.
CREATE TABLE programmes (
    id                INTEGER PRIMARY KEY,
    name              TEXT    NOT NULL,
    description       TEXT    NOT NULL DEFAULT '',
    planned_sessions  INTEGER NOT NULL CHECK (planned_sessions BETWEEN 1 AND 200),
    service_id        INTEGER REFERENCES services (id),
    -- JSON ["phq-9", ...]: the questionnaires that track it.
    measures          TEXT    NOT NULL DEFAULT '[]',
    -- JSON ["Walk 30 minutes without pain", ...]: each enrolment starts with these.
    goals             TEXT    NOT NULL DEFAULT '[]',
    created_by        INTEGER REFERENCES staff (id),
    created_at        INTEGER NOT NULL
);

CREATE TABLE enrolments (
    id            INTEGER PRIMARY KEY,
    patient_id    INTEGER NOT NULL REFERENCES patients (id),
    programme_id  INTEGER NOT NULL REFERENCES programmes (id),
    clinician_id  INTEGER NOT NULL REFERENCES clinicians (id),
    start_date    TEXT    NOT NULL,
    status        TEXT    NOT NULL CHECK (status IN ('active', 'completed', 'withdrawn')),
    ended_at      INTEGER,
    end_reason    TEXT,
    enrolled_by   INTEGER REFERENCES staff (id),
    created_at    INTEGER NOT NULL,
    CHECK ((status = 'active') = (ended_at IS NULL))
);
CREATE INDEX enrolments_by_patient ON enrolments (patient_id, id);

CREATE TABLE enrolment_goals (
    id            INTEGER PRIMARY KEY,
    enrolment_id  INTEGER NOT NULL REFERENCES enrolments (id),
    text          TEXT    NOT NULL,
    achieved_at   INTEGER,
    created_at    INTEGER NOT NULL
);
CREATE INDEX enrolment_goals_by_enrolment ON enrolment_goals (enrolment_id, id);

-- Notes on how a goal is going, oldest first; never changed.
CREATE TABLE goal_progress (
    id          INTEGER PRIMARY KEY,
    goal_id     INTEGER NOT NULL REFERENCES enrolment_goals (id),
    note        TEXT    NOT NULL,
    author_id   INTEGER REFERENCES staff (id),
    created_at  INTEGER NOT NULL
);
CREATE INDEX goal_progress_by_goal ON goal_progress (goal_id, id);
CREATE TRIGGER goal_progress_stays BEFORE UPDATE ON goal_progress
BEGIN
    SELECT RAISE(ABORT, 'a progress note cannot change');
END;
