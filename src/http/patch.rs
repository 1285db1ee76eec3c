//! Patch fields: absent leaves a field as it is, `null` clears it where the
//! schema says `nullable` (`MaybeUndefined`). A field that cannot be
//! cleared refuses `null` with a 422 naming it, instead of reading it as
//! "leave as it is", which a client meaning "clear" would never notice.

use poem_openapi::types::{ParseError, ParseFromJSON, ParseResult};
use serde_json::Value;

/// For `#[oai(deserialize_with = "crate::http::patch::not_null")]` on a
/// patch's `Option` field.
pub fn not_null<T: ParseFromJSON>(value: Option<Value>) -> ParseResult<Option<T>> {
    match value {
        None => Ok(None),
        Some(Value::Null) => Err(ParseError::custom("must not be null: this field cannot be cleared")),
        Some(value) => T::parse_from_json(Some(value)).map(Some).map_err(ParseError::propagate),
    }
}
