use chrono::{DateTime, NaiveDate, Utc};
use poem_openapi::{Enum, Object};

/// A plan of treatment: how many sessions, of which service, tracked by
/// which questionnaires, towards which goals.
#[derive(Object, Clone, Debug)]
pub struct Programme {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub planned_sessions: i64,
    /// The service its sessions are; any of the clinician's when none.
    pub service_id: Option<i64>,
    /// Questionnaire ids tracking it, e.g. `phq-9`.
    pub measures: Vec<String>,
    /// The goals each enrolment starts with.
    pub goals: Vec<String>,
    #[oai(serialize_with = "crate::kit::time::instant_json")]
    pub created_at: DateTime<Utc>,
}

#[derive(Object, Clone, Debug)]
#[oai(deny_unknown_fields)]
pub struct NewProgramme {
    #[oai(validator(min_length = 1, max_length = 100))]
    pub name: String,
    #[oai(validator(max_length = 2000))]
    pub description: Option<String>,
    #[oai(validator(minimum(value = "1"), maximum(value = "200")))]
    pub planned_sessions: i64,
    #[oai(validator(minimum(value = "1")))]
    pub service_id: Option<i64>,
    /// Questionnaire ids from `GET /questionnaires`.
    #[oai(validator(max_items = 10))]
    pub measures: Option<Vec<String>>,
    #[oai(validator(max_items = 20))]
    pub goals: Option<Vec<String>>,
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename_all = "snake_case")]
pub enum EnrolmentStatus {
    Active,
    Completed,
    /// Stopped before the end (the patient left, or it was not working).
    Withdrawn,
}

crate::kit::sql::text_enum!(EnrolmentStatus {
    Active => "active",
    Completed => "completed",
    Withdrawn => "withdrawn",
});

/// A dated note on how a goal is going.
#[derive(Object, Clone, Debug)]
pub struct GoalProgress {
    pub id: i64,
    pub note: String,
    pub author_id: Option<i64>,
    #[oai(serialize_with = "crate::kit::time::instant_json")]
    pub created_at: DateTime<Utc>,
}

#[derive(Object, Clone, Debug)]
pub struct Goal {
    pub id: i64,
    pub text: String,
    #[oai(serialize_with = "crate::kit::time::instant_json")]
    pub achieved_at: Option<DateTime<Utc>>,
    /// Oldest first.
    pub progress: Vec<GoalProgress>,
}

/// How far an enrolment has come.
#[derive(Object, Clone, Debug)]
pub struct Progress {
    /// The patient's completed appointments with the enrolment's clinician (of the programme's
    /// service, when it names one) from the start date until the enrolment ended.
    pub completed_sessions: i64,
    pub planned_sessions: i64,
    /// `completed_sessions / planned_sessions` as a whole percentage, at most 100.
    pub percent: i64,
}

/// A patient in a programme with a clinician. `goals` is left out for a
/// caller whose role does not read clinical content.
#[derive(Object, Clone, Debug)]
#[oai(skip_serializing_if_is_none)]
pub struct Enrolment {
    pub id: i64,
    pub patient_id: i64,
    pub programme_id: i64,
    pub programme_name: String,
    pub clinician_id: i64,
    pub start_date: NaiveDate,
    pub status: EnrolmentStatus,
    #[oai(serialize_with = "crate::kit::time::instant_json")]
    pub ended_at: Option<DateTime<Utc>>,
    pub end_reason: Option<String>,
    pub progress: Progress,
    pub goals: Option<Vec<Goal>>,
    #[oai(serialize_with = "crate::kit::time::instant_json")]
    pub created_at: DateTime<Utc>,
}

#[derive(Object, Clone, Debug)]
#[oai(deny_unknown_fields)]
pub struct NewEnrolment {
    #[oai(validator(minimum(value = "1")))]
    pub programme_id: i64,
    #[oai(validator(minimum(value = "1")))]
    pub clinician_id: i64,
    /// The clinic's today unless given.
    pub start_date: Option<NaiveDate>,
}

/// Ends an enrolment.
#[derive(Object, Clone, Debug, Default)]
#[oai(deny_unknown_fields)]
pub struct EnrolmentEnd {
    #[oai(validator(max_length = 500))]
    pub reason: Option<String>,
}

#[derive(Object, Clone, Debug)]
#[oai(deny_unknown_fields)]
pub struct NewGoal {
    #[oai(validator(min_length = 1, max_length = 500))]
    pub text: String,
}

#[derive(Object, Clone, Debug)]
#[oai(deny_unknown_fields)]
pub struct NewGoalProgress {
    #[oai(validator(min_length = 1, max_length = 5000))]
    pub note: String,
    /// Marks the goal achieved (it stays so).
    pub achieved: Option<bool>,
}
