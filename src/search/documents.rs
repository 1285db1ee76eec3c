//! What each kind of record looks like in the index. A new kind joins
//! search by adding a variant here and its `load`/`page` mapping.

use rusqlite::Connection;

use crate::auth::model::StaffMember;
use crate::kit::error::Result;
use crate::patients::model::{Patient, PatientStatus};

/// A kind of record search finds.
#[derive(poem_openapi::Enum, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[oai(rename = "SearchKind", rename_all = "snake_case")]
pub enum Kind {
    Patient,
    Staff,
}

impl Kind {
    pub const ALL: [Kind; 2] = [Kind::Patient, Kind::Staff];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Patient => "patient",
            Kind::Staff => "staff",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Kind::ALL.into_iter().find(|k| k.as_str() == value)
    }
}

/// One record as the index sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct SearchDoc {
    pub kind: Kind,
    pub id: i64,
    pub title: String,
    pub subtitle: String,
    pub snippet: String,
    /// Names and email, matched by words with typos and prefixes.
    pub words: String,
    /// Phone numbers as digits (E.164 without `+`).
    pub phones: Vec<String>,
    /// `YYYY-MM-DD`.
    pub dates: Vec<String>,
    pub archived: bool,
}

fn digits(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

pub fn from_patient(p: &Patient) -> SearchDoc {
    let mut subtitle = Vec::new();
    if let Some(born) = p.date_of_birth {
        subtitle.push(format!("born {}", born.format("%Y-%m-%d")));
    }
    if let Some(phone) = &p.phone {
        subtitle.push(phone.clone());
    }
    let words = [Some(&p.given_name), Some(&p.family_name), p.preferred_name.as_ref(), p.email.as_ref()]
        .into_iter()
        .flatten()
        .cloned()
        .collect::<Vec<_>>()
        .join(" ");
    SearchDoc {
        kind: Kind::Patient,
        id: p.id,
        title: format!("{} {}", p.given_name, p.family_name),
        subtitle: subtitle.join(" · "),
        snippet: [p.email.clone(), p.preferred_name.as_ref().map(|n| format!("prefers {n}"))]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" · "),
        words,
        phones: p.phone.iter().map(|phone| digits(phone)).collect(),
        dates: p.date_of_birth.iter().map(|d| d.format("%Y-%m-%d").to_string()).collect(),
        archived: p.status == PatientStatus::Archived,
    }
}

pub fn from_staff(s: &StaffMember) -> SearchDoc {
    SearchDoc {
        kind: Kind::Staff,
        id: s.id,
        title: s.name.clone(),
        subtitle: s.role.as_str().replace('_', " "),
        snippet: s.email.clone(),
        words: format!("{} {}", s.name, s.email),
        phones: Vec::new(),
        dates: Vec::new(),
        archived: !s.active,
    }
}

/// The current document of one record; `None` when there is none.
pub fn load(conn: &Connection, kind: Kind, id: i64) -> Result<Option<SearchDoc>> {
    Ok(match kind {
        Kind::Patient => crate::patients::store::get(conn, id)?.as_ref().map(from_patient),
        Kind::Staff => crate::auth::store::staff_by_id(conn, id)?.as_ref().map(from_staff),
    })
}

/// Documents in id order after `after_id`, for a rebuild.
pub fn page(conn: &Connection, kind: Kind, after_id: i64, limit: i64) -> Result<Vec<SearchDoc>> {
    Ok(match kind {
        Kind::Patient => crate::patients::store::page_after(conn, after_id, limit)?.iter().map(from_patient).collect(),
        Kind::Staff => crate::auth::store::staff_page_after(conn, after_id, limit)?.iter().map(from_staff).collect(),
    })
}

pub fn count(conn: &Connection, kind: Kind) -> Result<i64> {
    match kind {
        Kind::Patient => crate::patients::store::count(conn),
        Kind::Staff => crate::auth::store::count_staff(conn),
    }
}
