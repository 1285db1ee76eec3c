use poem_openapi::Object;

use crate::search::documents::Kind;

#[derive(Object, Clone, Debug)]
#[oai(skip_serializing_if_is_none)]
pub struct SearchHit {
    #[oai(rename = "type")]
    pub kind: Kind,
    pub id: i64,
    pub title: String,
    pub subtitle: String,
    pub snippet: String,
    /// Relevance; higher is better. Only comparable within one answer.
    pub score: f32,
    /// For a note or a file: the patient whose record it is on.
    pub patient_id: Option<i64>,
}

#[derive(Object, Clone, Debug)]
pub struct SearchResults {
    pub data: Vec<SearchHit>,
}
