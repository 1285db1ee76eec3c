use poem_openapi::Object;

use crate::search::documents::Kind;

#[derive(Object, Clone, Debug)]
pub struct SearchHit {
    #[oai(rename = "type")]
    pub kind: Kind,
    pub id: i64,
    pub title: String,
    pub subtitle: String,
    pub snippet: String,
    /// Relevance; higher is better. Only comparable within one answer.
    pub score: f32,
}

#[derive(Object, Clone, Debug)]
pub struct SearchResults {
    pub data: Vec<SearchHit>,
}
