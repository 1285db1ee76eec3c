//! The framework's messages in plain words: its names for types become
//! what a person would say ("a whole number"), and its parsing trail goes.

/// The framework's names for primitive types, in words.
pub fn type_in_words(name: &str) -> Option<&'static str> {
    let name = name.trim_start_matches("optional_").trim_start_matches("list_");
    Some(match name {
        n if n.starts_with("integer") => "a whole number",
        n if n.starts_with("number") => "a number",
        "string_naive-date" | "string_date" => "a date written YYYY-MM-DD",
        "string_date-time" => "an instant in RFC 3339, such as 2026-10-25T09:00:00+01:00",
        "boolean" => "true or false",
        n if n.starts_with("string") => "text",
        _ => return None,
    })
}

/// A framework message with its type names put in words and its
/// "(occurred while parsing …)" trail removed.
pub fn plain_words(reason: &str) -> String {
    let mut text = reason.to_owned();
    while let Some(start) = text.find(" (occurred while parsing \"") {
        let Some(length) = text[start..].find("\")").map(|end| end + 2) else { break };
        text.replace_range(start..start + length, "");
    }
    let mut plain = String::new();
    let mut rest = text.as_str();
    while let Some(open) = rest.find('"') {
        let Some(close) = rest[open + 1..].find('"').map(|c| c + open + 1) else { break };
        let quoted = &rest[open + 1..close];
        plain.push_str(&rest[..open]);
        match type_in_words(quoted) {
            Some(words) => plain.push_str(words),
            None => plain.push_str(&rest[open..=close]),
        }
        rest = &rest[close + 1..];
    }
    plain.push_str(rest);
    plain
}
