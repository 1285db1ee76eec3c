//! Finishes the OpenAPI document poem-openapi generates, where it cannot say
//! a thing itself: `security: []` on public operations, standard formats,
//! nullable patch fields, the facts of string fields the services parse,
//! the headers every answer carries, what each list answers and what each
//! error code means. Pure JSON in, JSON out; the server applies it to the
//! document it serves and commits.

use serde_json::{Value, json};

use crate::kit::error::ErrorCode;

/// Facts about string fields that the services check but poem-openapi
/// cannot declare: (schema, property, what to add to its schema).
pub fn field_facts() -> [(&'static str, &'static str, Value); 5] {
    let time_of_day = "^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$";
    [
        ("NewPatient", "date_of_birth", json!({"format": "date"})),
        ("PatientPatch", "date_of_birth", json!({"format": "date"})),
        ("AvailabilityRule", "start", json!({"pattern": time_of_day, "example": "09:00"})),
        ("AvailabilityRule", "end", json!({"pattern": time_of_day, "example": "17:30"})),
        ("AvailabilityRule", "weekday", json!({"minimum": 1, "maximum": 7})),
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
            object.values_mut().for_each(standard_formats);
        }
        Value::Array(items) => items.iter_mut().for_each(standard_formats),
        _ => {}
    }
}

/// Every answer carries `X-Request-Id`; a 429 also says when to try again.
fn declare_headers(operation: &mut serde_json::Map<String, Value>) {
    let Some(responses) = operation.get_mut("responses").and_then(Value::as_object_mut) else { return };
    for (status, response) in responses.iter_mut() {
        let Some(response) = response.as_object_mut() else { continue };
        let headers = response.entry("headers").or_insert_with(|| json!({}));
        let Some(headers) = headers.as_object_mut() else { continue };
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
pub fn finish(generated: &str) -> String {
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
    let list_shapes = list_shapes(&document);
    if let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) {
        for operation in paths.values_mut().filter_map(Value::as_object_mut).flat_map(|item| item.values_mut()) {
            let Some(operation) = operation.as_object_mut() else { continue };
            declare_headers(operation);
            if !operation.contains_key("security") {
                operation.insert("security".into(), json!([]));
            }
            let answer = operation.get("responses").and_then(|r| r.pointer("/200/content")).and_then(Value::as_object);
            let schema = answer.and_then(|c| c.values().next()).and_then(|m| m.pointer("/schema/$ref"));
            if let Some(shape) = schema.and_then(Value::as_str).and_then(|r| list_shapes.get(r)) {
                let described = operation.get("description").and_then(Value::as_str).unwrap_or_default();
                let description =
                    if described.is_empty() { shape.to_string() } else { format!("{described}\n\n{shape}") };
                operation.insert("description".into(), json!(description));
            }
        }
    }
    serde_json::to_string_pretty(&document).unwrap_or_else(|_| generated.to_owned())
}
