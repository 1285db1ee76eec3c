use chrono::{DateTime, NaiveDate, Utc};
use poem_openapi::{Enum, Object};

/// One answer a patient may give, and what it scores.
#[derive(Object, Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Choice {
    pub label: String,
    pub score: i64,
}

#[derive(Object, Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Item {
    /// 1 for the first item.
    pub number: i64,
    pub text: String,
    pub choices: Vec<Choice>,
}

/// A range of total scores and what it means, e.g. 10–14 `moderate`.
#[derive(Object, Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Band {
    pub min: i64,
    pub max: i64,
    pub severity: String,
}

#[derive(Object, Clone, Debug)]
pub struct Questionnaire {
    /// `phq-9`, `gad-7`, `mood`.
    pub id: String,
    pub name: String,
    /// What the patient is asked, before the items.
    pub instructions: String,
    pub items: Vec<Item>,
    /// The severity of a total score; none for a plain rating.
    pub bands: Vec<Band>,
    pub max_score: i64,
    /// Comes with Clinicbox (with its published scoring); otherwise the clinic's own.
    pub built_in: bool,
}

/// One answer a clinic's questionnaire offers.
#[derive(Object, Clone, Debug)]
#[oai(deny_unknown_fields)]
pub struct NewChoice {
    #[oai(validator(min_length = 1, max_length = 100))]
    pub label: String,
    #[oai(validator(minimum(value = "0"), maximum(value = "100")))]
    pub score: i64,
}

#[derive(Object, Clone, Debug)]
#[oai(deny_unknown_fields)]
pub struct NewItem {
    #[oai(validator(min_length = 1, max_length = 500))]
    pub text: String,
    /// Two to eleven answers, each with its own score.
    #[oai(validator(min_items = 2, max_items = 11))]
    pub choices: Vec<NewChoice>,
}

/// A band of a clinic's questionnaire: totals `min`–`max` (inclusive) are `severity`.
#[derive(Object, Clone, Debug)]
#[oai(deny_unknown_fields)]
pub struct NewBand {
    #[oai(validator(minimum(value = "0"), maximum(value = "5000")))]
    pub min: i64,
    #[oai(validator(minimum(value = "0"), maximum(value = "5000")))]
    pub max: i64,
    /// Lower-case words joined by `_`, e.g. `high_strain`.
    #[oai(validator(pattern = "^[a-z][a-z0-9_]{0,39}$"))]
    pub severity: String,
}

/// A clinic's own questionnaire, scored as the sum of the chosen answers.
#[derive(Object, Clone, Debug)]
#[oai(deny_unknown_fields)]
pub struct NewQuestionnaire {
    /// Lower-case letters, digits and dashes, e.g. `knee-function`; not a built-in id.
    #[oai(validator(pattern = "^[a-z0-9][a-z0-9-]{1,39}$"))]
    pub id: String,
    #[oai(validator(min_length = 1, max_length = 100))]
    pub name: String,
    #[oai(validator(max_length = 1000))]
    pub instructions: Option<String>,
    #[oai(validator(min_items = 1, max_items = 50))]
    pub items: Vec<NewItem>,
    /// Bands that do not overlap, within 0 and the highest possible total.
    #[oai(validator(max_items = 10))]
    pub bands: Option<Vec<NewBand>>,
}

/// Answers entered for a patient, one score per item in order.
#[derive(Object, Clone, Debug)]
#[oai(deny_unknown_fields)]
pub struct NewResponse {
    #[oai(validator(max_length = 40))]
    pub questionnaire: String,
    /// The score chosen for each item, in order (for PHQ-9, nine values 0–3).
    #[oai(validator(max_items = 100))]
    pub answers: Vec<i64>,
    #[oai(validator(minimum(value = "1")))]
    pub appointment_id: Option<i64>,
}

#[derive(Object, Clone, Debug)]
#[oai(skip_serializing_if_is_none)]
pub struct QuestionnaireResponse {
    pub id: i64,
    pub patient_id: i64,
    pub questionnaire: String,
    pub answers: Vec<i64>,
    pub score: i64,
    /// The band the score falls in (`moderate`…); none for a plain rating.
    pub severity: Option<String>,
    /// Answers that need a clinician's attention now, e.g. `self_harm_risk`
    /// (PHQ-9 item 9 answered above 0).
    pub flags: Vec<String>,
    pub appointment_id: Option<i64>,
    /// Staff id of who entered it.
    pub entered_by: Option<i64>,
    #[oai(serialize_with = "crate::kit::time::instant_json")]
    pub completed_at: DateTime<Utc>,
}

/// One score in a patient's series.
#[derive(Object, Clone, Debug)]
#[oai(skip_serializing_if_is_none)]
pub struct OutcomePoint {
    pub response_id: i64,
    #[oai(serialize_with = "crate::kit::time::instant_json")]
    pub completed_at: DateTime<Utc>,
    pub score: i64,
    pub severity: Option<String>,
    pub flags: Vec<String>,
}

/// A patient's scores on one questionnaire over time, oldest first, with its bands: for a chart.
#[derive(Object, Clone, Debug)]
pub struct Outcomes {
    pub questionnaire: String,
    pub max_score: i64,
    pub bands: Vec<Band>,
    pub points: Vec<OutcomePoint>,
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename_all = "snake_case")]
pub enum AssignmentStatus {
    /// Waiting for the patient's next answers.
    Active,
    /// A one-off assignment whose answers came in.
    Completed,
    /// Stopped by staff.
    Ended,
}

crate::kit::sql::text_enum!(AssignmentStatus {
    Active => "active",
    Completed => "completed",
    Ended => "ended",
});

/// A questionnaire a patient is to fill in, once or every `every_days`.
#[derive(Object, Clone, Debug)]
#[oai(skip_serializing_if_is_none)]
pub struct Assignment {
    pub id: i64,
    pub patient_id: i64,
    pub questionnaire: String,
    /// Repeats this many days after each completion; none for a one-off.
    pub every_days: Option<i64>,
    /// The clinic's local date it is next due; none once completed or ended.
    pub next_due_on: Option<NaiveDate>,
    pub status: AssignmentStatus,
    /// The response that last completed it.
    pub last_response_id: Option<i64>,
    pub assigned_by: Option<i64>,
    #[oai(serialize_with = "crate::kit::time::instant_json")]
    pub created_at: DateTime<Utc>,
    #[oai(serialize_with = "crate::kit::time::instant_json")]
    pub ended_at: Option<DateTime<Utc>>,
    /// In the list of what is due: the patient's given and family name.
    pub patient_name: Option<String>,
}

#[derive(Object, Clone, Debug)]
#[oai(deny_unknown_fields)]
pub struct NewAssignment {
    /// A questionnaire id from `GET /questionnaires`.
    #[oai(validator(max_length = 40))]
    pub questionnaire: String,
    /// Repeat this many days after each completion (e.g. 14 for PHQ-9 every two weeks).
    #[oai(validator(minimum(value = "1"), maximum(value = "365")))]
    pub every_days: Option<i64>,
    /// When it is first due, in the clinic's time zone: today unless given; not in the past.
    pub first_due_on: Option<NaiveDate>,
}
