//! Language tags (BCP 47: `en`, `cy`, `pt-BR`, `zh-Hant`) for a patient's
//! language and a template's, read by the ICU parser and written in its
//! canonical case, so `PT-br` and `pt-BR` are one language.

use icu_locale_core::LanguageIdentifier;

/// The longest tag accepted.
pub const MAX_LEN: usize = 35;

/// The tag in canonical form, or why it is not one.
pub fn canonical(tag: &str) -> Result<String, String> {
    let tag = tag.trim();
    if tag.len() > MAX_LEN {
        return Err(format!("must be at most {MAX_LEN} characters"));
    }
    let parsed = LanguageIdentifier::try_from_str(tag)
        .map_err(|_| "is not a language tag such as `en`, `cy` or `pt-BR`".to_owned())?;
    // Five- to eight-letter language subtags are reserved and unused: "english" is a word, not a tag.
    if parsed.language.is_unknown() || parsed.language.as_str().len() > 3 {
        return Err("must name a language, such as `en`, `cy` or `pt-BR`".into());
    }
    Ok(parsed.to_string())
}

/// The tags to try for `tag`, most specific first: `pt-BR` then `pt`.
pub fn fallbacks(tag: &str) -> Vec<String> {
    let Ok(parsed) = LanguageIdentifier::try_from_str(tag) else { return vec![tag.to_owned()] };
    let mut out = vec![parsed.to_string()];
    let language = parsed.language.to_string();
    if !out.contains(&language) {
        out.push(language);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_canonical_and_fall_back_to_their_language() {
        assert_eq!(canonical(" PT-br ").unwrap(), "pt-BR");
        assert_eq!(canonical("zh-hant-tw").unwrap(), "zh-Hant-TW");
        assert_eq!(canonical("cy").unwrap(), "cy");
        for bad in ["", "english", "und", "e", "en_GB!", &"a".repeat(40)] {
            assert!(canonical(bad).is_err(), "{bad:?}");
        }
        assert_eq!(fallbacks("pt-BR"), ["pt-BR", "pt"]);
        assert_eq!(fallbacks("cy"), ["cy"]);
    }
}
