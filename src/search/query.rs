//! Turns what someone typed into a Tantivy query: words match names and
//! emails by prefix and with typos, phone numbers match by digits in any
//! format, dates of birth match as typed.

use chrono::NaiveDate;
use tantivy::Term;
use tantivy::query::{BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, Query, RegexQuery, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::tokenizer::TokenStream;

use crate::search::documents::Kind;
use crate::search::index::{Fields, folded_analyzer};

pub struct SearchRequest<'a> {
    pub text: &'a str,
    pub kinds: &'a [Kind],
    pub include_archived: bool,
    /// Region for reading phone numbers typed without a country code.
    pub phone_region: &'a str,
}

const DATE_FORMATS: &[&str] = &["%Y-%m-%d", "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%d-%m-%Y"];

/// Every date a typed word could mean (`07/03/1984` is 7 March or 3 July).
pub fn date_candidates(word: &str) -> Vec<String> {
    let mut dates: Vec<String> = DATE_FORMATS
        .iter()
        .filter_map(|format| NaiveDate::parse_from_str(word, format).ok())
        .map(|d| d.format("%Y-%m-%d").to_string())
        .collect();
    dates.sort();
    dates.dedup();
    dates
}

/// Allowed typos grow with the word: none under 4 letters, 1 from 4, 2 from 8.
pub fn typo_allowance(word: &str) -> u8 {
    match word.chars().count() {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    }
}

fn analyze(text: &str) -> Vec<String> {
    let mut analyzer = folded_analyzer();
    let mut stream = analyzer.token_stream(text);
    let mut tokens = Vec::new();
    while stream.advance() {
        tokens.push(stream.token().text.clone());
    }
    tokens
}

fn boxed(query: impl Query + 'static, boost: f32) -> Box<dyn Query> {
    Box::new(BoostQuery::new(Box::new(query), boost))
}

/// One word: an exact match ranks first, then a prefix (typing in
/// progress), then a near miss.
fn word_query(fields: &Fields, token: &str) -> Box<dyn Query> {
    let term = Term::from_field_text(fields.words, token);
    let mut alternatives: Vec<(Occur, Box<dyn Query>)> = vec![
        (Occur::Should, boxed(TermQuery::new(term.clone(), IndexRecordOption::WithFreqs), 4.0)),
        (Occur::Should, boxed(FuzzyTermQuery::new_prefix(term.clone(), 0, true), 2.0)),
    ];
    let typos = typo_allowance(token);
    if typos > 0 {
        alternatives.push((Occur::Should, boxed(FuzzyTermQuery::new(term.clone(), typos, true), 1.0)));
        alternatives.push((Occur::Should, boxed(FuzzyTermQuery::new_prefix(term, typos, true), 0.5)));
    }
    Box::new(BooleanQuery::new(alternatives))
}

fn any_of(field: tantivy::schema::Field, values: &[String]) -> Box<dyn Query> {
    Box::new(BooleanQuery::new(
        values
            .iter()
            .map(|v| {
                let q: Box<dyn Query> =
                    Box::new(TermQuery::new(Term::from_field_text(field, v), IndexRecordOption::Basic));
                (Occur::Should, q)
            })
            .collect(),
    ))
}

/// The query for a request, or `None` when the text has nothing to search for.
pub fn build(fields: &Fields, request: &SearchRequest) -> Option<Box<dyn Query>> {
    let mut content: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    let words: Vec<&str> = request.text.split_whitespace().take(8).collect();
    let has_date = words.iter().any(|w| !date_candidates(w).is_empty());
    let (terms, phone_digits) = if has_date {
        (words.iter().map(|w| (*w).to_owned()).collect(), None)
    } else {
        crate::patients::service::interpret_query(request.text, request.phone_region)
    };
    if let Some(digits) = phone_digits {
        // Digits only, so the pattern needs no escaping. Suffixes are
        // indexed, so a prefix of one is any fragment of the number.
        let query = RegexQuery::from_pattern(&format!("{digits}.*"), fields.phones).ok()?;
        content.push((Occur::Must, Box::new(query)));
    }
    for word in &terms {
        let dates = date_candidates(word);
        if !dates.is_empty() {
            content.push((Occur::Must, any_of(fields.dates, &dates)));
            continue;
        }
        for token in analyze(word) {
            content.push((Occur::Must, word_query(fields, &token)));
        }
    }
    if content.is_empty() {
        return None;
    }
    let kinds: Vec<String> = request.kinds.iter().map(|k| k.as_str().to_owned()).collect();
    content.push((Occur::Must, any_of(fields.kind, &kinds)));
    if !request.include_archived {
        let archived = Term::from_field_u64(fields.archived, 1);
        content.push((Occur::MustNot, Box::new(TermQuery::new(archived, IndexRecordOption::Basic))));
    }
    Some(Box::new(BooleanQuery::new(content)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_read_in_every_common_order() {
        assert_eq!(date_candidates("1984-03-07"), ["1984-03-07"]);
        assert_eq!(date_candidates("07/03/1984"), ["1984-03-07", "1984-07-03"]);
        assert_eq!(date_candidates("25/12/1990"), ["1990-12-25"]);
        assert!(date_candidates("smith").is_empty());
    }

    #[test]
    fn typo_allowance_grows_with_length() {
        assert_eq!(typo_allowance("ann"), 0);
        assert_eq!(typo_allowance("jonh"), 1);
        assert_eq!(typo_allowance("smiht"), 1);
        assert_eq!(typo_allowance("christoper"), 2);
    }

    #[test]
    fn words_are_folded_and_lower_cased() {
        assert_eq!(analyze("Zoë O'Brien"), ["zoe", "o", "brien"]);
    }
}
