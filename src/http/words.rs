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

/// A failed validator of the framework ("verification failed.
/// maximum(100, exclusive: false)") as the rule it stands for, e.g.
/// "must be at most 100"; `None` for any other message.
pub fn rule_in_words(reason: &str) -> Option<String> {
    let rule = reason.split("verification failed. ").nth(1)?;
    let (name, rest) = rule.split_once('(')?;
    let argument = rest.split([',', ')']).next()?.trim();
    Some(match name {
        "maxLength" => format!("must be at most {argument} characters"),
        "minLength" => format!("must be at least {argument} characters"),
        "maximum" => format!("must be at most {argument}"),
        "minimum" => format!("must be at least {argument}"),
        "maxItems" => format!("may hold at most {argument} entries"),
        "minItems" => format!("must hold at least {argument} entries"),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_rule_reads_as_the_rule() {
        let said = |reason: &str| rule_in_words(reason);
        assert_eq!(said("verification failed. maximum(100, exclusive: false)").unwrap(), "must be at most 100");
        assert_eq!(said("verification failed. maxLength(200)").unwrap(), "must be at most 200 characters");
        assert_eq!(said("field `x` verification failed. minimum(1, exclusive: false)").unwrap(), "must be at least 1");
        assert_eq!(said("verification failed. maxItems(20)").unwrap(), "may hold at most 20 entries");
        assert!(said("failed to parse \"integer_int64\": invalid digit").is_none());
    }
}
