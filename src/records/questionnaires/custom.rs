//! A clinic's own questionnaires: items with scored choices and bands,
//! checked whole when a manager adds one, then scored like the built-in ones.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};

use crate::kit::error::{Error, Result, Validator};
use crate::kit::sql::CachedSql;
use crate::kit::text;
use crate::kit::time::to_millis;
use crate::records::questionnaires::builtin;
use crate::records::questionnaires::model::{Band, Choice, Item, NewQuestionnaire, Questionnaire};

/// The questionnaire a manager described, or every problem with it by field.
pub fn build(input: &NewQuestionnaire) -> Result<Questionnaire> {
    let mut v = Validator::new();
    if !text::has_visible(&input.name) {
        v.add("name", "must contain visible characters");
    }
    if let Some(problem) = input.instructions.as_deref().and_then(text::multiline_problem) {
        v.add("instructions", problem);
    }
    if builtin::find(&input.id).is_some() {
        v.add("id", "is a built-in questionnaire's id");
    }
    let mut items = Vec::new();
    for (i, item) in input.items.iter().enumerate() {
        if !text::has_visible(&item.text) {
            v.add(&format!("items[{i}].text"), "must contain visible characters");
        }
        let mut scores = std::collections::BTreeSet::new();
        for (j, choice) in item.choices.iter().enumerate() {
            if !scores.insert(choice.score) {
                v.add(&format!("items[{i}].choices[{j}].score"), "repeats another choice's score in this item");
            }
            if !text::has_visible(&choice.label) {
                v.add(&format!("items[{i}].choices[{j}].label"), "must contain visible characters");
            }
        }
        items.push(Item {
            number: i as i64 + 1,
            text: item.text.trim().to_owned(),
            choices: item.choices.iter().map(|c| Choice { label: c.label.trim().to_owned(), score: c.score }).collect(),
        });
    }
    let max_score: i64 = items.iter().map(|item| item.choices.iter().map(|c| c.score).max().unwrap_or(0)).sum();
    let mut bands: Vec<Band> = Vec::new();
    for (i, band) in input.bands.iter().flatten().enumerate() {
        let field = format!("bands[{i}]");
        if band.min > band.max {
            v.add(&format!("{field}.max"), "must be at least min");
        } else if band.max > max_score {
            v.add(&format!("{field}.max"), format!("is above the highest possible total, {max_score}"));
        } else if let Some(other) = bands.iter().position(|b| band.min <= b.max && b.min <= band.max) {
            v.add(&format!("{field}.min"), format!("overlaps bands[{other}]"));
        }
        bands.push(Band { min: band.min, max: band.max, severity: band.severity.clone() });
    }
    v.finish()?;
    bands.sort_by_key(|b| b.min);
    Ok(Questionnaire {
        id: input.id.clone(),
        name: input.name.trim().to_owned(),
        instructions: input.instructions.as_deref().unwrap_or_default().trim().to_owned(),
        items,
        bands,
        max_score,
        built_in: false,
    })
}

const COLUMNS: &str = "id, name, instructions, items, bands, max_score";

fn from_row(row: &Row) -> rusqlite::Result<Questionnaire> {
    let (items, bands): (String, String) = (row.get(3)?, row.get(4)?);
    Ok(Questionnaire {
        id: row.get(0)?,
        name: row.get(1)?,
        instructions: row.get(2)?,
        items: serde_json::from_str(&items).unwrap_or_default(),
        bands: serde_json::from_str(&bands).unwrap_or_default(),
        max_score: row.get(5)?,
        built_in: false,
    })
}

pub fn all(conn: &Connection) -> Result<Vec<Questionnaire>> {
    let mut stmt = conn.prepare_cached(&format!("SELECT {COLUMNS} FROM custom_questionnaires ORDER BY name, id"))?;
    Ok(stmt.query_map([], from_row)?.collect::<rusqlite::Result<_>>()?)
}

pub fn get(conn: &Connection, id: &str) -> Result<Option<Questionnaire>> {
    Ok(conn
        .query_row_cached(&format!("SELECT {COLUMNS} FROM custom_questionnaires WHERE id = ?1"), [id], from_row)
        .optional()?)
}

fn json(value: &impl serde::Serialize) -> Result<String> {
    serde_json::to_string(value).map_err(|e| Error::internal_from("a questionnaire's parts", e))
}

pub fn insert(tx: &Transaction, q: &Questionnaire, by: Option<i64>, now: DateTime<Utc>) -> Result<()> {
    tx.execute_cached(
        "INSERT INTO custom_questionnaires (id, name, instructions, items, bands, max_score, created_by, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![q.id, q.name, q.instructions, json(&q.items)?, json(&q.bands)?, q.max_score, by, to_millis(now)],
    )?;
    Ok(())
}
