//! Finishes the OpenAPI document poem-openapi generates, where it cannot say
//! a thing itself: `security: []` on public operations, standard formats,
//! nullable patch fields, the facts of string fields the services parse,
//! the headers every answer carries, what each list answers and what each
//! error code means. Pure JSON in, JSON out; the server applies it to the
//! document it serves and commits.

use serde_json::{Value, json};

use crate::http::error::status_of_code;
use crate::http::operations::Operation;
use crate::kit::error::ErrorCode;
use crate::kit::permissions::Access;

/// Facts about string fields that the services check but poem-openapi
/// cannot declare: (schema, property, what to add to its schema).
pub fn field_facts() -> [(&'static str, &'static str, Value); 6] {
    let time_of_day = "^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$";
    let facts = |description: &str| json!({"type": "object", "additionalProperties": true, "description": description});
    [
        (
            "HistoryItem",
            "details",
            facts(
                "What changed: `from` and `to` (each `start`, `clinician_id`, `centre_id`) for a move; \
                 `from`, `to` (statuses) and `reason` for a step; `patient_id` (and `status`) for an attendee.",
            ),
        ),
        ("AuditEntry", "details", facts("What the action changed, by field name; never a secret.")),
        ("NewPatient", "date_of_birth", json!({"format": "date"})),
        ("PatientPatch", "date_of_birth", json!({"format": "date"})),
        ("AvailabilityRule", "start", json!({"pattern": time_of_day, "example": "09:00"})),
        ("AvailabilityRule", "end", json!({"pattern": time_of_day, "example": "17:30"})),
    ]
}

/// The fields a patch clears with `null` (poem-openapi's `MaybeUndefined`,
/// which it does not mark): (schema, properties).
pub const CLEARABLE: &[(&str, &[&str])] = &[
    (
        "PatientPatch",
        &["preferred_name", "date_of_birth", "sex", "phone", "email", "address", "emergency_contact", "lead_source"],
    ),
    ("CentrePatch", &["address", "phone", "email"]),
    ("ClinicianPatch", &["staff_id", "bio", "default_fee"]),
    ("ServicePatch", &["colour"]),
    ("ClinicProfilePatch", &["address", "phone", "email", "tax_number"]),
    ("NotePatch", &["appointment_id"]),
];

/// Marks a clearable property `nullable`. A reference is wrapped in `allOf`
/// with the referenced schema's `type`, as OpenAPI 3.0 cannot mark a bare `$ref`.
fn make_nullable(property: &mut serde_json::Map<String, Value>, referenced_type: Option<Value>) {
    if let Some(reference) = property.remove("$ref") {
        property.insert("allOf".into(), json!([{ "$ref": reference }]));
        if let Some(ty) = referenced_type {
            property.insert("type".into(), ty);
        }
    }
    property.insert("nullable".into(), json!(true));
}

/// Standard formats for the ones poem-openapi names its own way: dates are
/// `date`, unsigned integers are integers with `minimum: 0`.
fn standard_formats(value: &mut Value) {
    match value {
        Value::Object(object) => {
            let unsigned = match object.get("format").and_then(Value::as_str) {
                Some("naive-date") => {
                    object.insert("format".into(), json!("date"));
                    None
                }
                Some("uint8" | "uint16" | "uint32") => Some("int32"),
                Some("uint64") => Some("int64"),
                _ => None,
            };
            if let Some(format) = unsigned {
                object.insert("format".into(), json!(format));
                object.entry("minimum").or_insert(json!(0));
            }
            // The framework writes an integer's bounds as floats (`1.0`).
            if object.get("type").and_then(Value::as_str) == Some("integer") {
                for bound in ["minimum", "maximum"] {
                    if let Some(whole) = object.get(bound).and_then(Value::as_f64).filter(|b| b.fract() == 0.0) {
                        object.insert(bound.into(), json!(whole as i64));
                    }
                }
            }
            if matches!(object.get("format").and_then(Value::as_str), Some("date" | "date-time")) {
                let said = object.get("description").and_then(Value::as_str).unwrap_or_default().to_owned();
                let range = "In the years 1900 to 2200.";
                let description = if said.is_empty() { range.to_owned() } else { format!("{said} {range}") };
                object.insert("description".into(), json!(description));
            }
            object.values_mut().for_each(standard_formats);
        }
        Value::Array(items) => items.iter_mut().for_each(standard_formats),
        _ => {}
    }
}

/// The schemas a request body can hold, directly or nested.
fn request_schemas(document: &Value) -> std::collections::BTreeSet<String> {
    fn references(value: &Value, found: &mut Vec<String>) {
        match value {
            Value::Object(object) => {
                if let Some(reference) = object.get("$ref").and_then(Value::as_str) {
                    found.push(reference.trim_start_matches("#/components/schemas/").to_owned());
                }
                object.values().for_each(|v| references(v, found));
            }
            Value::Array(items) => items.iter().for_each(|v| references(v, found)),
            _ => {}
        }
    }
    let mut pending = Vec::new();
    let operations = document.get("paths").and_then(Value::as_object).into_iter().flatten();
    for operation in operations.filter_map(|(_, item)| item.as_object()).flat_map(|item| item.values()) {
        if let Some(body) = operation.get("requestBody") {
            references(body, &mut pending);
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    while let Some(name) = pending.pop() {
        if seen.insert(name.clone())
            && let Some(schema) = document.pointer(&format!("/components/schemas/{name}"))
        {
            references(schema, &mut pending);
        }
    }
    seen
}

/// Every object a body can hold refuses fields it does not list (each is
/// `deny_unknown_fields`, which poem-openapi does not write down).
fn close_request_objects(document: &mut Value) {
    for name in request_schemas(document) {
        let Some(schema) = document.pointer_mut(&format!("/components/schemas/{name}")).and_then(Value::as_object_mut)
        else {
            continue;
        };
        if schema.contains_key("properties") {
            schema.entry("additionalProperties").or_insert(json!(false));
        }
    }
}

/// Every answer carries `X-Request-Id`; a 429 also says when to try again.
fn declare_headers(operation: &mut serde_json::Map<String, Value>) {
    let Some(responses) = operation.get_mut("responses").and_then(Value::as_object_mut) else { return };
    for (status, response) in responses.iter_mut() {
        let Some(response) = response.as_object_mut() else { continue };
        let headers = response.entry("headers").or_insert_with(|| json!({}));
        let Some(headers) = headers.as_object_mut() else { continue };
        // poem-openapi writes declared header names in capitals.
        if let Some(location) = headers.remove("LOCATION") {
            headers.insert("Location".into(), location);
        }
        headers.insert(
            "X-Request-Id".into(),
            json!({"description": "This request's id (the caller's own when it sent a plain one of up to 64 \
                    characters); errors repeat it as `request_id`.", "required": true,
                   "schema": {"type": "string"}}),
        );
        if status == "429" {
            headers.insert(
                "Retry-After".into(),
                json!({"description": "Seconds to wait before trying again.", "required": true,
                       "schema": {"type": "integer", "format": "int64", "minimum": 1}}),
            );
        }
    }
}

/// The codes an operation can answer with: those its shape implies (a body
/// can be malformed, too large or invalid; a query value invalid; an id in
/// the path or body can name nothing; a signed-in operation can be refused)
/// and its own.
fn codes_of(
    operation: &serde_json::Map<String, Value>,
    method: &str,
    facts: &Operation,
    id_bodies: &std::collections::HashSet<String>,
) -> Vec<ErrorCode> {
    let mut codes = Vec::new();
    let parameters = operation.get("parameters").and_then(Value::as_array).cloned().unwrap_or_default();
    let body = operation.get("requestBody");
    if body.is_some() {
        codes.extend([ErrorCode::MalformedRequest, ErrorCode::PayloadTooLarge, ErrorCode::UnsupportedMediaType]);
    }
    if body.is_some() || parameters.iter().any(|p| p["in"] == "query") {
        codes.push(ErrorCode::ValidationFailed);
    }
    if !matches!(facts.access, Access::Public) {
        codes.extend([ErrorCode::Unauthenticated, ErrorCode::TokenExpired]);
        if method != "get" {
            codes.push(ErrorCode::CsrfFailed);
        }
        if !matches!(facts.access, Access::SignedIn) {
            codes.push(ErrorCode::Forbidden);
        }
        if matches!(facts.access, Access::Requires(_) | Access::PersonRequires(_) | Access::RequiresOrOwn(..)) {
            codes.push(ErrorCode::MfaEnrolmentRequired);
        }
    }
    let body_schema = body.and_then(|b| b.get("content")).and_then(Value::as_object).and_then(|c| c.values().next());
    let body_names_an_id = body_schema
        .and_then(|m| m.pointer("/schema/$ref"))
        .and_then(Value::as_str)
        .is_some_and(|r| id_bodies.contains(r));
    let path_or_query_id = parameters
        .iter()
        .any(|p| p["in"] == "path" || (p["in"] == "query" && p["name"].as_str().is_some_and(names_an_id)));
    if path_or_query_id || body_names_an_id {
        codes.push(ErrorCode::NotFound);
    }
    codes.extend(facts.errors.iter().copied());
    codes.push(ErrorCode::Internal);
    let mut seen = std::collections::HashSet::new();
    codes.retain(|code| seen.insert(*code));
    codes
}

/// What each error status means in general, before the codes it lists.
fn status_summary(status: u16) -> &'static str {
    match status {
        400 => "The request could not be read.",
        401 => "Not signed in, or the credential is not valid.",
        403 => "Signed in, but not allowed.",
        404 => "Nothing by that id.",
        409 => "Conflicts with the current state.",
        413 => "The body is too large.",
        415 => "The body is not JSON.",
        422 => "Invalid fields, or against a rule.",
        426 => "Needs a protocol upgrade.",
        429 => "Too many attempts, or too many at once.",
        503 => "Not available right now.",
        _ => "Failed on the server.",
    }
}

/// Replaces the generic error responses with the ones this operation can
/// give, each listing its codes and what they mean.
fn list_error_responses(operation: &mut serde_json::Map<String, Value>, codes: &[ErrorCode]) {
    let Some(responses) = operation.get_mut("responses").and_then(Value::as_object_mut) else { return };
    let envelope = responses
        .iter()
        .find(|(status, _)| status.starts_with('4'))
        .and_then(|(_, response)| response.get("content").cloned());
    responses.retain(|status, _| !status.starts_with('4') && !status.starts_with('5'));
    let Some(content) = envelope else { return };
    let mut by_status: std::collections::BTreeMap<u16, Vec<ErrorCode>> = Default::default();
    for code in codes {
        by_status.entry(status_of_code(*code).as_u16()).or_default().push(*code);
    }
    for (status, codes) in by_status {
        let listed: Vec<String> =
            codes.iter().map(|code| format!("- `{}`: {}", code.as_str(), code.meaning())).collect();
        let description = format!("{}\n\n{}", status_summary(status), listed.join("\n"));
        responses.insert(status.to_string(), json!({"description": description, "content": content}));
    }
}

/// Puts an operation's example request and answer beside their schemas.
fn add_examples(operation: &mut serde_json::Map<String, Value>, example: crate::http::operations::Example) {
    fn media(part: Option<&mut Value>) -> Option<&mut serde_json::Map<String, Value>> {
        part?.get_mut("content")?.as_object_mut()?.values_mut().next()?.as_object_mut()
    }
    if let Some(request) = example.request
        && let Some(body) = media(operation.get_mut("requestBody"))
    {
        body.insert("example".into(), request());
    }
    let success = operation
        .get_mut("responses")
        .and_then(Value::as_object_mut)
        .and_then(|responses| responses.iter_mut().find(|(status, _)| status.starts_with('2')).map(|(_, r)| r));
    if let Some(body) = media(success) {
        body.insert("example".into(), (example.response)());
    }
}

fn append_paragraph(operation: &mut serde_json::Map<String, Value>, paragraph: &str) {
    let described = operation.get("description").and_then(Value::as_str).unwrap_or_default();
    let description = if described.is_empty() { paragraph.to_owned() } else { format!("{described}\n\n{paragraph}") };
    operation.insert("description".into(), json!(description));
}

/// The schemas with a property naming a record by id (`patient_id`,
/// `centre_ids`): a body of one can name a record that does not exist.
fn schemas_naming_ids(document: &Value) -> std::collections::HashSet<String> {
    let schemas = document.pointer("/components/schemas").and_then(Value::as_object);
    schemas
        .into_iter()
        .flatten()
        .filter(|(_, schema)| {
            schema
                .get("properties")
                .and_then(Value::as_object)
                .is_some_and(|properties| properties.keys().any(|name| names_an_id(name)))
        })
        .map(|(name, _)| format!("#/components/schemas/{name}"))
        .collect()
}

fn names_an_id(name: &str) -> bool {
    name.ends_with("_id") || name.ends_with("_ids")
}

/// The document's `components/schemas`.
pub fn schemas(spec: &str) -> Value {
    let document: Value = serde_json::from_str(spec).unwrap_or_default();
    document.pointer("/components/schemas").cloned().unwrap_or_default()
}

/// The document's `paths`.
pub fn paths(spec: &str) -> Value {
    let document: Value = serde_json::from_str(spec).unwrap_or_default();
    document.get("paths").cloned().unwrap_or_default()
}

/// Each enum schema's allowed values, by schema name.
pub fn enum_values(spec: &str) -> std::collections::HashMap<String, Vec<String>> {
    let document: Value = serde_json::from_str(spec).unwrap_or_default();
    let schemas = document.pointer("/components/schemas").and_then(Value::as_object);
    schemas
        .into_iter()
        .flatten()
        .filter_map(|(name, schema)| {
            let values = schema.get("enum")?.as_array()?.iter().filter_map(Value::as_str).map(str::to_owned);
            Some((name.clone(), values.collect()))
        })
        .collect()
}

/// The sentence each list schema adds to the operations answering with it.
fn list_shapes(document: &Value) -> std::collections::HashMap<String, &'static str> {
    let mut shapes = std::collections::HashMap::new();
    let Some(schemas) = document.pointer("/components/schemas").and_then(Value::as_object) else { return shapes };
    for (name, schema) in schemas {
        let properties = schema.get("properties").and_then(Value::as_object);
        let Some(properties) = properties.filter(|p| p.get("data").is_some_and(|d| d["type"] == "array")) else {
            continue;
        };
        let shape = if properties.contains_key("pagination") {
            "Answers one page of the list: `{data, pagination}`; ask for others with `page` and `page_size` \
             (at most 100)."
        } else if properties.len() == 1 {
            "Answers the whole list at once: `{data}`."
        } else {
            continue;
        };
        shapes.insert(format!("#/components/schemas/{name}"), shape);
    }
    shapes
}

/// Completes the generated document where poem-openapi cannot say a thing:
/// an operation that needs no sign-in declares `security: []` rather than
/// nothing, so linters and generated clients know it is public on purpose;
/// formats are the standard ones; string fields the services parse say how.
pub fn finish(generated: &str, operations: &[Operation]) -> String {
    let Ok(mut document) = serde_json::from_str::<Value>(generated) else { return generated.to_owned() };
    standard_formats(&mut document);
    if let Some(codes) = document.pointer_mut("/components/schemas/ErrorCode").and_then(Value::as_object_mut) {
        let listed: Vec<String> =
            ErrorCode::ALL.iter().map(|code| format!("- `{}`: {}", code.as_str(), code.meaning())).collect();
        let intro = codes.get("description").and_then(Value::as_str).unwrap_or_default().to_owned();
        codes.insert("description".into(), json!(format!("{intro}\n\n{}", listed.join("\n"))));
    }
    for (schema, properties) in CLEARABLE {
        for property in *properties {
            let pointer = format!("/components/schemas/{schema}/properties/{property}");
            let referenced_type = document
                .pointer(&pointer)
                .and_then(|field| field["$ref"].as_str())
                .and_then(|r| document.pointer(&format!("{}/type", r.trim_start_matches('#'))))
                .cloned();
            if let Some(Value::Object(field)) = document.pointer_mut(&pointer) {
                make_nullable(field, referenced_type);
            }
        }
    }
    for (schema, property, facts) in field_facts() {
        let field = document.pointer_mut(&format!("/components/schemas/{schema}/properties/{property}"));
        if let (Some(Value::Object(field)), Value::Object(facts)) = (field, facts) {
            field.extend(facts);
        }
    }
    close_request_objects(&mut document);
    let list_shapes = list_shapes(&document);
    let id_bodies = schemas_naming_ids(&document);
    if let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) {
        for (method, operation) in paths.values_mut().filter_map(Value::as_object_mut).flat_map(|item| item.iter_mut())
        {
            let Some(operation) = operation.as_object_mut() else { continue };
            if !operation.contains_key("security") {
                operation.insert("security".into(), json!([]));
            }
            let answer = operation.get("responses").and_then(|r| r.pointer("/200/content")).and_then(Value::as_object);
            let schema = answer.and_then(|c| c.values().next()).and_then(|m| m.pointer("/schema/$ref"));
            if let Some(shape) = schema.and_then(Value::as_str).and_then(|r| list_shapes.get(r)) {
                append_paragraph(operation, shape);
            }
            let id = operation.get("operationId").and_then(Value::as_str).unwrap_or_default();
            if let Some(facts) = operations.iter().find(|facts| facts.id == id) {
                let codes = codes_of(operation, method, facts, &id_bodies);
                list_error_responses(operation, &codes);
                if let Some(example) = facts.example {
                    add_examples(operation, example);
                }
                // Last, so every description ends with who may call it.
                append_paragraph(operation, &facts.access.roles_line());
            }
            declare_headers(operation);
        }
    }
    serde_json::to_string_pretty(&document).unwrap_or_else(|_| generated.to_owned())
}
