//! Names the fields of a JSON body the framework refused. poem-openapi
//! says only which type failed ("expected Sex, found "f""); with the body
//! and the spec's schemas this finds each bad field and says, in words,
//! what it must be, so a wrong value is a 422 naming its field just as a
//! bad query value is.

use std::sync::OnceLock;

use poem_openapi::error::ParseRequestPayloadError;
use serde_json::Value;

use crate::http::words::{plain_words, rule_in_words};
use crate::kit::error::{Error, FieldErrors};
use crate::kit::time::{InRange, OUT_OF_RANGE};

/// The spec's `components/schemas`, handed over when the server starts.
static SCHEMAS: OnceLock<Value> = OnceLock::new();

pub fn know_schemas(schemas: Value) {
    let _ = SCHEMAS.set(schemas);
}

/// Each operation's body schema: method, path segments (`None` for a
/// parameter) and the schema.
type BodySchemas = Vec<(String, Vec<Option<String>>, Value)>;
static BODY_SCHEMAS: OnceLock<BodySchemas> = OnceLock::new();
/// Every operation's method and path segments, for the `Allow` of a 405.
static METHODS: OnceLock<Vec<(String, Vec<Option<String>>)>> = OnceLock::new();

/// Hands over the spec's operations, so a body can be checked against its
/// operation's schema before the framework reads it.
pub fn know_operations(paths: &Value) {
    let mut bodies = BodySchemas::new();
    let mut methods = Vec::new();
    for (path, item) in paths.as_object().into_iter().flatten() {
        let segments: Vec<Option<String>> = path
            .trim_matches('/')
            .split('/')
            .map(|segment| (!segment.starts_with('{')).then(|| segment.to_owned()))
            .collect();
        for (method, operation) in item.as_object().into_iter().flatten() {
            methods.push((method.to_ascii_uppercase(), segments.clone()));
            let content = operation.pointer("/requestBody/content").and_then(Value::as_object);
            if let Some(schema) = content.and_then(|c| c.values().next()).and_then(|media| media.get("schema")) {
                bodies.push((method.to_ascii_uppercase(), segments.clone(), schema.clone()));
            }
        }
    }
    let _ = BODY_SCHEMAS.set(bodies);
    let _ = METHODS.set(methods);
}

fn same_path(segments: &[Option<String>], parts: &[&str]) -> bool {
    segments.len() == parts.len()
        && segments.iter().zip(parts).all(|(segment, part)| segment.as_deref().is_none_or(|s| s == *part))
}

/// The methods the operations at `path` (below `/api/v1`) accept, for the
/// `Allow` header of a 405, e.g. `GET, PATCH`.
pub fn allowed_methods(path: &str) -> Option<String> {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    let mut found: Vec<&str> =
        METHODS.get()?.iter().filter(|(_, segments)| same_path(segments, &parts)).map(|(m, _)| m.as_str()).collect();
    found.sort_unstable();
    found.dedup();
    (!found.is_empty()).then(|| found.join(", "))
}

/// The body schema of the operation at `method` `path` (below `/api/v1`).
fn body_schema(method: &str, path: &str) -> Option<&'static Value> {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    BODY_SCHEMAS
        .get()?
        .iter()
        .find_map(|(m, segments, schema)| (m == method && same_path(segments, &parts)).then_some(schema))
}

/// Every problem the schema of the operation at `method` `path` shows in
/// `body`: for a body the framework refused, whose message names one rule.
pub fn problems_against_schema(method: &str, path: &str, body: &Value) -> FieldErrors {
    let mut problems = FieldErrors::new();
    if let (Some(schemas), Some(schema)) = (SCHEMAS.get(), body_schema(method, path)) {
        Checker { schemas, types_only: false }.check(schema, body, "", true, &mut problems);
    }
    problems
}

/// Every problem of a JSON `body` against its operation's schema, before
/// the framework reads it: the framework would turn `123` into the text
/// "123" where a name goes; the schema says text, so this says "must be text".
pub fn problems_before_parsing(method: &str, path: &str, body: &Value) -> FieldErrors {
    let mut problems = FieldErrors::new();
    let (Some(schemas), Some(schema)) = (SCHEMAS.get(), body_schema(method, path)) else { return problems };
    Checker { schemas, types_only: true }.check(schema, body, "", true, &mut problems);
    if !problems.is_empty() {
        // Refused anyway: name every problem the schema shows, not just the types.
        Checker { schemas, types_only: false }.check(schema, body, "", true, &mut problems);
    }
    problems
}

/// The schema poem-openapi was parsing the body as: the outermost
/// "(occurred while parsing "X")" of its message that names a schema.
fn body_schema_name<'a>(reason: &'a str, schemas: &Value) -> Option<&'a str> {
    reason
        .split("(occurred while parsing \"")
        .skip(1)
        .filter_map(|part| part.split('"').next())
        .map(|name| name.trim_start_matches("list_"))
        .filter(|name| schemas.get(*name).is_some())
        .last()
}

/// Each problem of `body` against the schema `reason` names; empty when
/// neither can be found (the caller then reports the body as a whole).
pub fn field_problems(reason: &str, body: &Value) -> FieldErrors {
    let mut problems = FieldErrors::new();
    let Some(schemas) = SCHEMAS.get() else { return problems };
    let Some(name) = body_schema_name(reason, schemas) else { return problems };
    let schema = &schemas[name];
    let checker = Checker { schemas, types_only: false };
    match body {
        // A list body (`PUT …/availability`) whose items are the named schema.
        Value::Array(items) if schema.get("type").and_then(Value::as_str) != Some("array") => {
            for (i, item) in items.iter().enumerate() {
                checker.check(schema, item, &format!("[{i}]"), true, &mut problems);
            }
        }
        _ => checker.check(schema, body, "", true, &mut problems),
    }
    problems
}

/// A body that is JSON but not what the operation takes is a 422 naming
/// each bad field; only a body that is not JSON at all stays a 400.
pub fn name_bad_fields(err: poem::Error, body: Option<&[u8]>) -> poem::Error {
    let Some(payload) = err.downcast_ref::<ParseRequestPayloadError>() else { return err };
    let Some(value) = body.and_then(|bytes| serde_json::from_slice::<serde_json::Value>(bytes).ok()) else {
        return err;
    };
    if payload.reason.contains("unknown field `") {
        return err;
    }
    let mut fields = field_problems(&payload.reason, &value);
    if fields.is_empty() {
        // "field `name` verification failed. maxLength(100)": the field and its rule.
        let field = payload.reason.split("field `").nth(1).and_then(|rest| rest.split('`').next());
        match (field, rule_in_words(&payload.reason)) {
            (Some(field), Some(rule)) => fields.insert(field.to_owned(), rule),
            _ => fields.insert("body".into(), plain_words(&payload.reason)),
        };
    }
    Error::Validation(fields).into()
}

struct Checker<'a> {
    schemas: &'a Value,
    /// Only what the framework would coerce (a number read as text): the
    /// rest it checks itself, and the services name every field's problem
    /// at once.
    types_only: bool,
}

impl<'a> Checker<'a> {
    /// `schema` itself, past a `$ref` or the `allOf` wrapping one.
    fn resolve(&self, schema: &'a Value) -> &'a Value {
        let schema = schema.get("allOf").and_then(|all| all.get(0)).unwrap_or(schema);
        match schema.get("$ref").and_then(Value::as_str) {
            Some(reference) => {
                let name = reference.trim_start_matches("#/components/schemas/");
                self.schemas.get(name).map(|s| self.resolve(s)).unwrap_or(schema)
            }
            None => schema,
        }
    }

    fn check(&self, schema: &'a Value, value: &Value, path: &str, required: bool, out: &mut FieldErrors) {
        let nullable = is_nullable(schema);
        let schema = self.resolve(schema);
        let field = if path.is_empty() { "body" } else { path };
        if value.is_null() {
            if required && !nullable {
                out.insert(field.to_owned(), "is required".into());
            }
            return;
        }
        if let Some(problem) = self.problem(schema, value) {
            out.insert(field.to_owned(), problem);
            return;
        }
        match value {
            Value::Object(object) => {
                let properties = schema.get("properties").and_then(Value::as_object);
                let needed: Vec<&str> = schema
                    .get("required")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                // In a patch `null` clears a field; one that cannot be cleared refuses it.
                let is_patch = schema.get("title").and_then(Value::as_str).is_some_and(|t| t.ends_with("Patch"));
                for (name, property) in properties.into_iter().flatten() {
                    let at = if path.is_empty() { name.clone() } else { format!("{path}.{name}") };
                    let required = needed.contains(&name.as_str());
                    match object.get(name) {
                        None if required => {
                            out.insert(at, "is required".into());
                        }
                        None => {}
                        Some(Value::Null) if is_patch && !required && !is_nullable(property) => {
                            out.insert(at, "cannot be cleared; leave it out to keep it".into());
                        }
                        Some(given) => self.check(property, given, &at, required, out),
                    }
                }
            }
            Value::Array(items) => {
                if let Some(item_schema) = schema.get("items") {
                    for (i, item) in items.iter().enumerate() {
                        self.check(item_schema, item, &format!("{path}[{i}]"), true, out);
                    }
                }
            }
            _ => {}
        }
    }

    /// What is wrong with `value` itself (not its fields), in words.
    fn problem(&self, schema: &Value, value: &Value) -> Option<String> {
        if let Some(allowed) = schema.get("enum").and_then(Value::as_array) {
            if allowed.contains(value) {
                return None;
            }
            let names: Vec<&str> = allowed.iter().filter_map(Value::as_str).collect();
            return Some(format!("must be one of {}", names.join(", ")));
        }
        let format = schema.get("format").and_then(Value::as_str);
        match schema.get("type").and_then(Value::as_str) {
            Some("string") => {
                let Some(text) = value.as_str() else { return Some("must be text".into()) };
                if self.types_only {
                    return None;
                }
                match format {
                    Some("date") => match chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
                        Ok(date) => (!date.in_range()).then(|| OUT_OF_RANGE.to_owned()),
                        Err(_) => Some("must be a date written YYYY-MM-DD".into()),
                    },
                    Some("date-time") => match chrono::DateTime::parse_from_rfc3339(text) {
                        Ok(instant) => (!instant.in_range()).then(|| OUT_OF_RANGE.to_owned()),
                        Err(_) => Some("must be an instant in RFC 3339, such as 2026-10-25T09:00:00+01:00".into()),
                    },
                    _ => length_problem(schema, text),
                }
            }
            Some("integer") => {
                let Some(number) = value.as_i64() else { return Some("must be a whole number".into()) };
                if self.types_only { None } else { range_problem(schema, number as f64) }
            }
            Some("number") => match value.as_f64() {
                Some(_) if self.types_only => None,
                Some(number) => range_problem(schema, number),
                None => Some("must be a number".into()),
            },
            Some("boolean") if !value.is_boolean() => Some("must be true or false".into()),
            Some("array") => match value.as_array() {
                None => Some("must be a list".into()),
                Some(_) if self.types_only => None,
                Some(items) => count_problem(schema, items.len() as u64),
            },
            Some("object") if !value.is_object() => Some("must be an object".into()),
            _ => None,
        }
    }
}

fn is_nullable(schema: &Value) -> bool {
    schema.get("nullable").and_then(Value::as_bool).unwrap_or(false)
}

fn length_problem(schema: &Value, text: &str) -> Option<String> {
    if let Some(pattern) = schema.get("pattern").and_then(Value::as_str)
        && regex::Regex::new(pattern).is_ok_and(|pattern| !pattern.is_match(text))
    {
        return Some(format!("must match the pattern {pattern}"));
    }
    let length = text.chars().count() as u64;
    if let Some(max) = schema.get("maxLength").and_then(Value::as_u64).filter(|max| length > *max) {
        return Some(format!("must be at most {max} characters"));
    }
    if let Some(min) = schema.get("minLength").and_then(Value::as_u64).filter(|min| length < *min) {
        return Some(format!("must be at least {min} characters"));
    }
    None
}

fn count_problem(schema: &Value, count: u64) -> Option<String> {
    if let Some(min) = schema.get("minItems").and_then(Value::as_u64).filter(|min| count < *min) {
        return Some(format!("must hold at least {min} entries"));
    }
    if let Some(max) = schema.get("maxItems").and_then(Value::as_u64).filter(|max| count > *max) {
        return Some(format!("may hold at most {max} entries"));
    }
    None
}

fn range_problem(schema: &Value, number: f64) -> Option<String> {
    if let Some(min) = schema.get("minimum").and_then(Value::as_f64).filter(|min| number < *min) {
        return Some(format!("must be at least {min}"));
    }
    if let Some(max) = schema.get("maximum").and_then(Value::as_f64).filter(|max| number > *max) {
        return Some(format!("must be at most {max}"));
    }
    None
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn schemas() -> Value {
        json!({
            "Sex": {"type": "string", "enum": ["female", "male"]},
            "NewPatient": {
                "type": "object",
                "required": ["given_name"],
                "properties": {
                    "given_name": {"type": "string", "maxLength": 5},
                    "sex": {"$ref": "#/components/schemas/Sex"},
                    "date_of_birth": {"type": "string", "format": "date"},
                    "visits": {"type": "integer", "format": "int32", "minimum": 0},
                    "address": {"$ref": "#/components/schemas/Address"},
                }
            },
            "Address": {"type": "object", "properties": {"line1": {"type": "string"}}},
        })
    }

    #[test]
    fn names_every_bad_field_in_words() {
        let checker = Checker { schemas: &schemas(), types_only: false };
        let schema = schemas()["NewPatient"].clone();
        let body = json!({"sex": "f", "date_of_birth": "1990-13-01", "visits": -1, "address": {"line1": 5}});
        let mut problems = FieldErrors::new();
        checker.check(&schema, &body, "", true, &mut problems);
        assert_eq!(problems["given_name"], "is required");
        assert_eq!(problems["sex"], "must be one of female, male");
        assert_eq!(problems["date_of_birth"], "must be a date written YYYY-MM-DD");
        assert_eq!(problems["visits"], "must be at least 0");
        assert_eq!(problems["address.line1"], "must be text");
        assert_eq!(problems.len(), 5);
    }

    #[test]
    fn a_patch_refuses_null_where_a_field_cannot_be_cleared() {
        let schemas = json!({"CentrePatch": {"type": "object", "title": "CentrePatch", "properties": {
            "name": {"type": "string"}, "phone": {"type": "string", "nullable": true}}}});
        let checker = Checker { schemas: &schemas, types_only: false };
        let mut problems = FieldErrors::new();
        checker.check(&schemas["CentrePatch"], &json!({"name": null, "phone": null}), "", true, &mut problems);
        assert_eq!(problems.keys().collect::<Vec<_>>(), ["name"]);
    }

    #[test]
    fn finds_the_schema_the_framework_was_parsing() {
        let reason = "Expected input type \"Sex\", found \"f\". (occurred while parsing \"Sex\") \
                      (occurred while parsing \"NewPatient\")";
        assert_eq!(body_schema_name(reason, &schemas()), Some("NewPatient"));
        assert_eq!(body_schema_name("expected value at line 1", &schemas()), None);
    }
}
