//! Checks and records every part of scheduling writes the same way.

use chrono::{DateTime, Utc};

use crate::audit::{self, Actor};
use crate::db::changes::{self, ChangeOp};
use crate::kit::error::{Error, Result, Validator};
use crate::kit::principal::Caller;
use crate::kit::text;

const NAME_MAX: usize = 100;

pub fn check_name(v: &mut Validator, field: &str, value: &str) -> String {
    let value = value.trim().to_owned();
    if !text::has_visible(&value) {
        v.add(field, "is required");
    } else if value.chars().count() > NAME_MAX {
        v.add(field, format!("must be at most {NAME_MAX} characters"));
    } else if let Some(problem) = text::character_problem(&value) {
        v.add(field, problem);
    }
    value
}

pub fn check_list(v: &mut Validator, field: &str, items: &[String]) -> Vec<String> {
    if items.len() > 20 {
        v.add(field, "may hold at most 20 entries");
    }
    let cleaned: Vec<String> = items.iter().map(|i| i.trim().to_owned()).filter(|i| !i.is_empty()).collect();
    if cleaned.iter().any(|i| i.chars().count() > 60) {
        v.add(field, "entries must be at most 60 characters");
    } else if let Some(problem) = cleaned.iter().find_map(|i| text::character_problem(i)) {
        v.add(field, format!("entries: {problem}"));
    }
    cleaned
}

pub fn audit_change(
    tx: &rusqlite::Transaction,
    now: DateTime<Utc>,
    caller: &Caller,
    action: &str,
    entity: &str,
    id: i64,
    op: ChangeOp,
) -> Result<()> {
    audit::record(tx, now, Actor::from(caller), action, entity, Some(id), None)?;
    changes::record(tx, now, entity, id, op)?;
    Ok(())
}

pub fn not_found(entity: &'static str) -> Error {
    Error::NotFound { entity }
}
