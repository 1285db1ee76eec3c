//! Text as people type it into forms: trimmed, and for names something
//! visible with no characters that reorder how the rest is displayed.

/// Trims; text that shows nothing (empty, spaces, zero-width characters) becomes absent.
pub fn clean(value: Option<&str>) -> Option<String> {
    value.map(str::trim).filter(|v| has_visible(v)).map(str::to_owned)
}

/// Characters that draw nothing: zero-width spaces and joiners, word
/// joiners, the byte-order mark, the soft hyphen and the direction marks.
/// (Joiners are kept in text, as Persian and Indic names need them; they
/// just do not count as content.)
fn draws_nothing(c: char) -> bool {
    c.is_whitespace()
        || matches!(c, '\u{00AD}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}')
        || changes_direction(c)
}

/// The bidirectional embedding, override and isolate controls: stored in a
/// name, they make the audit log and every list show text in another order
/// than it was typed (a "Trojan Source" display).
pub fn changes_direction(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Whether `text` shows anything at all.
pub fn has_visible(text: &str) -> bool {
    text.chars().any(|c| !draws_nothing(c))
}

/// The problem with `text` as a name or line of text, if any, beyond its
/// length: control characters or direction controls.
pub fn character_problem(text: &str) -> Option<&'static str> {
    if text.chars().any(char::is_control) {
        Some("must not contain control characters")
    } else if text.chars().any(changes_direction) {
        Some("must not contain characters that change the text direction")
    } else {
        None
    }
}

/// The same for text of several lines (a clinical note): line breaks and
/// tabs are allowed, other control characters are not.
pub fn multiline_problem(text: &str) -> Option<&'static str> {
    if text.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        Some("must not contain control characters")
    } else if text.chars().any(changes_direction) {
        Some("must not contain characters that change the text direction")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_width_only_is_not_content_but_joiners_inside_names_are_kept() {
        assert!(!has_visible("\u{200B}\u{200B} \u{FEFF}"));
        assert!(!has_visible("\u{200D}\u{2060}"));
        assert!(has_visible("فاطمه\u{200C}زاده"));
        assert_eq!(character_problem("فاطمه\u{200C}زاده"), None);
        assert!(has_visible("Zoë"));
    }

    #[test]
    fn free_text_that_shows_nothing_is_absent() {
        assert_eq!(clean(Some(" \u{200B}\u{FEFF} ")), None);
        assert_eq!(clean(Some("  ran late ")), Some("ran late".to_owned()));
        assert_eq!(clean(None), None);
    }

    #[test]
    fn direction_and_control_characters_are_named() {
        assert_eq!(
            character_problem("Ann\u{202E}eM"),
            Some("must not contain characters that change the text direction")
        );
        assert_eq!(
            character_problem("Ann\u{2067}x"),
            Some("must not contain characters that change the text direction")
        );
        assert_eq!(character_problem("Ann\u{0007}"), Some("must not contain control characters"));
        assert_eq!(character_problem("Ann-Marie O'Neil"), None);
    }
}
