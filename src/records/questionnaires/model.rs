use chrono::{DateTime, Utc};
use poem_openapi::Object;

/// One answer a patient may give, and what it scores.
#[derive(Object, Clone, Debug)]
pub struct Choice {
    pub label: String,
    pub score: i64,
}

#[derive(Object, Clone, Debug)]
pub struct Item {
    /// 1 for the first item.
    pub number: i64,
    pub text: String,
    pub choices: Vec<Choice>,
}

/// A range of total scores and what it means, e.g. 10–14 `moderate`.
#[derive(Object, Clone, Debug)]
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
