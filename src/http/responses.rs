//! Success responses every feature answers with.

use poem_openapi::ApiResponse;
use poem_openapi::payload::Json;
use poem_openapi::types::ToJSON;

#[derive(ApiResponse)]
pub enum Created<T: ToJSON + Send + Sync> {
    /// Created; `Location` is its address.
    #[oai(status = 201)]
    Created(Json<T>, #[oai(header = "Location")] String),
}

impl<T: ToJSON + Send + Sync> Created<T> {
    pub fn at(location: String, body: T) -> Self {
        Created::Created(Json(body), location)
    }
}

#[derive(ApiResponse)]
pub enum NoContent {
    /// Done.
    #[oai(status = 204)]
    Done,
}
