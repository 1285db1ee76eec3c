//! Dates and instants in a body are parsed and held to the years the API
//! accepts before any service sees them, so no date arithmetic anywhere
//! meets one that overflows. `#[oai(deserialize_with = "crate::http::bounds::in_range")]`.

use poem_openapi::types::{ParseError, ParseFromJSON, ParseResult};
use serde_json::Value;

use crate::kit::time::{InRange, OUT_OF_RANGE};

pub fn in_range<T: ParseFromJSON + InRange>(value: Option<Value>) -> ParseResult<T> {
    let parsed = T::parse_from_json(value).map_err(ParseError::propagate)?;
    if parsed.in_range() { Ok(parsed) } else { Err(ParseError::custom(OUT_OF_RANGE)) }
}
