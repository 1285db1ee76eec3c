//! SQL for patients. Plain functions on a connection or transaction.

use crate::kit::sql::CachedSql;
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params, params_from_iter};

use crate::db::counts::CountCache;
use crate::kit::error::Result;
use crate::kit::phone::digits_of;
use crate::kit::sql::named_row;
use crate::kit::time::{instant, optional_date, to_millis};
use crate::patients::model::{
    Address, ContactPreferences, DuplicateMatch, EmergencyContact, FacetCount, Patient, PatientFacets, PatientStatus,
    Sex, SortOrder,
};

/// Validated, normalised values of a patient's editable fields.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PatientFields {
    pub given_name: String,
    pub family_name: String,
    pub preferred_name: Option<String>,
    pub date_of_birth: Option<NaiveDate>,
    pub sex: Option<Sex>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Address,
    pub emergency_contact: EmergencyContact,
    pub lead_source: Option<String>,
    pub contact_preferences: ContactPreferences,
    pub preferred_language: Option<String>,
}

const COLUMNS: &str = "id, given_name, family_name, preferred_name, date_of_birth, sex, phone, email, \
    address_line1, address_line2, address_city, address_region, address_postal_code, address_country, \
    emergency_contact_name, emergency_contact_phone, emergency_contact_relationship, lead_source, status, \
    created_at, updated_at, merged_into, contact_email, contact_sms, contact_whatsapp, preferred_language";

fn from_row(row: &Row) -> rusqlite::Result<Patient> {
    named_row("patients", row, read_patient)
}

fn read_patient(row: &Row) -> rusqlite::Result<Patient> {
    let address = Address {
        line1: row.get(8)?,
        line2: row.get(9)?,
        city: row.get(10)?,
        region: row.get(11)?,
        postal_code: row.get(12)?,
        country: row.get(13)?,
    };
    let emergency_contact = EmergencyContact { name: row.get(14)?, phone: row.get(15)?, relationship: row.get(16)? };
    Ok(Patient {
        id: row.get(0)?,
        given_name: row.get(1)?,
        family_name: row.get(2)?,
        preferred_name: row.get(3)?,
        date_of_birth: optional_date(row, 4)?,
        sex: row.get(5)?,
        phone: row.get(6)?,
        // Added as the patient leaves the API, in the clinic's region.
        phone_display: None,
        email: row.get(7)?,
        address: (address != Address::default()).then_some(address),
        emergency_contact: (emergency_contact != EmergencyContact::default()).then_some(emergency_contact),
        lead_source: row.get(17)?,
        status: row.get(18)?,
        created_at: instant(row, 19)?,
        updated_at: instant(row, 20)?,
        merged_into_id: row.get(21)?,
        contact_preferences: ContactPreferences { email: row.get(22)?, sms: row.get(23)?, whatsapp: row.get(24)? },
        preferred_language: row.get(25)?,
    })
}

fn field_values(f: &PatientFields) -> Vec<Value> {
    let text = |v: &Option<String>| v.clone().map(Value::Text).unwrap_or(Value::Null);
    vec![
        Value::Text(f.given_name.clone()),
        Value::Text(f.family_name.clone()),
        text(&f.preferred_name),
        text(&f.date_of_birth.map(|d| d.format("%Y-%m-%d").to_string())),
        text(&f.sex.map(|s| s.as_str().to_owned())),
        text(&f.phone),
        text(&f.phone.as_deref().map(digits_of)),
        text(&f.email),
        text(&f.address.line1),
        text(&f.address.line2),
        text(&f.address.city),
        text(&f.address.region),
        text(&f.address.postal_code),
        text(&f.address.country),
        text(&f.emergency_contact.name),
        text(&f.emergency_contact.phone),
        text(&f.emergency_contact.relationship),
        text(&f.lead_source),
        Value::Integer(f.contact_preferences.email.into()),
        Value::Integer(f.contact_preferences.sms.into()),
        Value::Integer(f.contact_preferences.whatsapp.into()),
        text(&f.preferred_language),
    ]
}

const FIELD_COLUMNS: &[&str] = &[
    "given_name",
    "family_name",
    "preferred_name",
    "date_of_birth",
    "sex",
    "phone",
    "phone_digits",
    "email",
    "address_line1",
    "address_line2",
    "address_city",
    "address_region",
    "address_postal_code",
    "address_country",
    "emergency_contact_name",
    "emergency_contact_phone",
    "emergency_contact_relationship",
    "lead_source",
    "contact_email",
    "contact_sms",
    "contact_whatsapp",
    "preferred_language",
];

pub fn insert(tx: &Transaction, fields: &PatientFields, now: DateTime<Utc>) -> Result<i64> {
    let mut values = field_values(fields);
    values.push(Value::Integer(to_millis(now)));
    let placeholders: Vec<String> = (1..=FIELD_COLUMNS.len()).map(|i| format!("?{i}")).collect();
    let n = FIELD_COLUMNS.len() + 1;
    tx.execute_cached(
        &format!(
            "INSERT INTO patients ({}, status, created_at, updated_at) VALUES ({}, 'active', ?{n}, ?{n})",
            FIELD_COLUMNS.join(", "),
            placeholders.join(", ")
        ),
        params_from_iter(values),
    )?;
    Ok(tx.last_insert_rowid())
}

pub fn update(tx: &Transaction, id: i64, fields: &PatientFields, now: DateTime<Utc>) -> Result<()> {
    let mut values = field_values(fields);
    let assignments: Vec<String> =
        FIELD_COLUMNS.iter().enumerate().map(|(i, column)| format!("{column} = ?{}", i + 1)).collect();
    let n = FIELD_COLUMNS.len();
    values.push(Value::Integer(to_millis(now)));
    values.push(Value::Integer(id));
    tx.execute_cached(
        &format!("UPDATE patients SET {}, updated_at = ?{} WHERE id = ?{}", assignments.join(", "), n + 1, n + 2),
        params_from_iter(values),
    )?;
    Ok(())
}

pub fn set_status(tx: &Transaction, id: i64, status: PatientStatus, now: DateTime<Utc>) -> Result<()> {
    tx.execute_cached(
        "UPDATE patients SET status = ?2, updated_at = ?3 WHERE id = ?1",
        params![id, status.as_str(), to_millis(now)],
    )?;
    Ok(())
}

pub fn get(conn: &Connection, id: i64) -> Result<Option<Patient>> {
    Ok(conn.query_row_cached(&format!("SELECT {COLUMNS} FROM patients WHERE id = ?1"), [id], from_row).optional()?)
}

/// Records that look like the same person: same name and date of birth,
/// or same phone number.
pub fn find_duplicates(conn: &Connection, fields: &PatientFields) -> Result<Vec<DuplicateMatch>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, given_name, family_name, date_of_birth, phone, status,
                CASE WHEN ?3 IS NOT NULL AND date_of_birth = ?3
                          AND given_name = ?1 COLLATE NOCASE AND family_name = ?2 COLLATE NOCASE
                     THEN 'name_and_birth_date' ELSE 'phone' END
         FROM patients
         WHERE (?3 IS NOT NULL AND date_of_birth = ?3
                AND given_name = ?1 COLLATE NOCASE AND family_name = ?2 COLLATE NOCASE)
            OR (?4 IS NOT NULL AND phone = ?4)
         ORDER BY id LIMIT 10",
    )?;
    let birth = fields.date_of_birth.map(|d| d.format("%Y-%m-%d").to_string());
    let rows = stmt
        .query_map(params![fields.given_name, fields.family_name, birth, fields.phone], |row| {
            Ok(DuplicateMatch {
                id: row.get(0)?,
                given_name: row.get(1)?,
                family_name: row.get(2)?,
                date_of_birth: optional_date(row, 3)?,
                phone: row.get(4)?,
                status: row.get(5)?,
                reason: row.get(6)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

impl SortOrder {
    fn sql(self) -> &'static str {
        match self {
            SortOrder::FamilyName => "family_name COLLATE NOCASE, given_name COLLATE NOCASE, id",
            SortOrder::FamilyNameDesc => "family_name COLLATE NOCASE DESC, given_name COLLATE NOCASE DESC, id DESC",
            SortOrder::CreatedAt => "created_at, id",
            SortOrder::CreatedAtDesc => "created_at DESC, id DESC",
            SortOrder::DateOfBirth => "date_of_birth IS NULL, date_of_birth, id",
            SortOrder::DateOfBirthDesc => "date_of_birth IS NULL, date_of_birth DESC, id DESC",
        }
    }
}

pub struct ListQuery {
    /// The patients the caller may see; `None` for all.
    pub within: Option<Vec<i64>>,
    /// Search-index matches, best first. With no explicit sort the list
    /// keeps this order.
    pub ranked_ids: Option<Vec<i64>>,
    /// Words that must each match the start of a name or the email.
    pub terms: Vec<String>,
    /// Digits that must appear in the phone number (a phone-shaped query).
    pub phone_digits: Option<String>,
    pub status: Option<PatientStatus>,
    pub lead_source: Option<String>,
    /// `None`: by relevance when ranked, else by family name.
    pub sort: Option<SortOrder>,
}

fn like_prefix(term: &str) -> String {
    let escaped = term.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("{escaped}%")
}

/// Builds the WHERE clause: every term must match the start of a name or
/// the email, or (3+ digits) appear in the phone number.
fn where_clause(query: &ListQuery) -> (String, Vec<Value>) {
    let mut conditions = vec!["1 = 1".to_owned()];
    let mut values = Vec::new();
    if let Some(ids) = &query.within {
        values.push(Value::Text(serde_json::to_string(ids).unwrap_or_else(|_| "[]".into())));
        conditions.push(format!("id IN (SELECT value FROM json_each(?{}))", values.len()));
    }
    if let Some(ids) = &query.ranked_ids {
        values.push(Value::Text(serde_json::to_string(ids).unwrap_or_else(|_| "[]".into())));
        conditions.push(format!("id IN (SELECT value FROM json_each(?{}))", values.len()));
    }
    if let Some(status) = query.status {
        values.push(Value::Text(status.as_str().into()));
        conditions.push(format!("status = ?{}", values.len()));
    }
    if let Some(source) = &query.lead_source {
        values.push(Value::Text(source.clone()));
        conditions.push(format!("lead_source = ?{} COLLATE NOCASE", values.len()));
    }
    if let Some(digits) = &query.phone_digits {
        values.push(Value::Text(format!("%{digits}%")));
        conditions.push(format!("phone_digits LIKE ?{}", values.len()));
    }
    for term in query.terms.iter().take(6) {
        values.push(Value::Text(like_prefix(term)));
        let t = values.len();
        let mut alternatives = vec![
            format!("given_name LIKE ?{t} ESCAPE '\\'"),
            format!("family_name LIKE ?{t} ESCAPE '\\'"),
            format!("preferred_name LIKE ?{t} ESCAPE '\\'"),
            format!("email LIKE ?{t} ESCAPE '\\'"),
        ];
        let digits = digits_of(term);
        if digits.len() >= 3 {
            values.push(Value::Text(format!("%{digits}%")));
            alternatives.push(format!("phone_digits LIKE ?{}", values.len()));
        }
        conditions.push(format!("({})", alternatives.join(" OR ")));
    }
    (conditions.join(" AND "), values)
}

pub fn list(
    conn: &Connection,
    query: &ListQuery,
    limit: i64,
    offset: i64,
    counts: &CountCache,
) -> Result<(Vec<Patient>, i64)> {
    let (condition, values) = where_clause(query);
    if let (Some(ranked), None) = (&query.ranked_ids, query.sort) {
        // Relevance order: at most a thousand candidates, ordered here.
        let mut stmt = conn.prepare_cached(&format!("SELECT {COLUMNS} FROM patients WHERE {condition}"))?;
        let mut rows: Vec<Patient> =
            stmt.query_map(params_from_iter(values.iter()), from_row)?.collect::<rusqlite::Result<_>>()?;
        let rank: std::collections::HashMap<i64, usize> = ranked.iter().enumerate().map(|(i, id)| (*id, i)).collect();
        rows.sort_by_key(|p| rank.get(&p.id).copied().unwrap_or(usize::MAX));
        let total = rows.len() as i64;
        let page = rows.into_iter().skip(offset.max(0) as usize).take(limit.max(0) as usize).collect();
        return Ok((page, total));
    }
    let total =
        counts.count(conn, &["patient"], &format!("SELECT count(*) FROM patients WHERE {condition}"), &values)?;
    // The filter's ids in order are remembered until a patient changes, so
    // a deep page costs what the first does: its slice, then those rows.
    let sort = query.sort.unwrap_or(SortOrder::FamilyName).sql();
    let order = format!("SELECT id FROM patients WHERE {condition} ORDER BY {sort}");
    let ids = counts.ordered_ids(conn, &["patient"], &order, &values)?;
    let start = (offset.max(0) as usize).min(ids.len());
    let page = &ids[start..(start + limit.max(0) as usize).min(ids.len())];
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM patients WHERE id IN (SELECT value FROM json_each(?1)) ORDER BY {sort}"
    ))?;
    let page = serde_json::to_string(page).unwrap_or_else(|_| "[]".into());
    let rows = stmt.query_map([page], from_row)?.collect::<rusqlite::Result<_>>()?;
    Ok((rows, total))
}

/// Counts by status and lead source, of the patients `within` (all when `None`).
pub fn facets(conn: &Connection, within: Option<&[i64]>) -> Result<PatientFacets> {
    let within = within.map(|ids| serde_json::json!(ids).to_string());
    let count = |sql: &str| -> Result<Vec<FacetCount>> {
        let mut stmt = conn.prepare_cached(sql)?;
        let rows = stmt
            .query_map([&within], |row| Ok(FacetCount { value: row.get(0)?, count: row.get(1)? }))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    };
    Ok(PatientFacets {
        status: count(
            "SELECT status, count(*) FROM patients WHERE ?1 IS NULL OR id IN (SELECT value FROM json_each(?1))
             GROUP BY status ORDER BY status",
        )?,
        lead_source: count(
            "SELECT coalesce(lead_source, 'unknown') AS source, count(*) AS n FROM patients
             WHERE ?1 IS NULL OR id IN (SELECT value FROM json_each(?1))
             GROUP BY source ORDER BY n DESC, source",
        )?,
    })
}

/// Patients in id order after `after_id`, for rebuilding derived data.
pub fn page_after(conn: &Connection, after_id: i64, limit: i64) -> Result<Vec<Patient>> {
    let mut stmt =
        conn.prepare_cached(&format!("SELECT {COLUMNS} FROM patients WHERE id > ?1 ORDER BY id LIMIT ?2"))?;
    let rows = stmt.query_map(params![after_id, limit], from_row)?.collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

pub fn count(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row_cached("SELECT count(*) FROM patients", [], |r| r.get(0))?)
}

/// Given and family names of patients, by id: for other features that show
/// who a record is about without reading it (no audit row).
pub fn names(conn: &Connection, ids: &[i64]) -> Result<std::collections::HashMap<i64, (String, String)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, given_name, family_name FROM patients WHERE id IN (SELECT value FROM json_each(?1))",
    )?;
    let json = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
    let rows = stmt
        .query_map([json], |r| Ok((r.get::<_, i64>(0)?, (r.get::<_, String>(1)?, r.get::<_, String>(2)?))))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}
