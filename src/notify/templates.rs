//! The wording of patients' messages: built in for each event, or the
//! clinic's own, plain text with named placeholders such as
//! `{patient_first_name}`, checked when a manager saves it. A clinic may
//! word an event in several languages; a patient gets the wording in their
//! language (`pt-BR`, else `pt`), else the clinic's usual wording, else the
//! built-in one.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use crate::kit::error::{Result, Validator};
use crate::kit::sql::CachedSql;
use crate::kit::time::to_millis;
use crate::notify::model::{MessageTemplate, MessageTemplateInput};

/// The events a patient hears of.
pub const EVENTS: &[&str] = &["confirmation", "reschedule", "cancellation", "reminder"];

/// The placeholders a template may use.
pub const PLACEHOLDERS: &[&str] = &[
    "patient_first_name",
    "patient_name",
    "start_local",
    "start_date",
    "start_time",
    "clinician",
    "service",
    "centre",
    "location",
    "video_url",
    "manage_url",
    "clinic_name",
    "clinic_phone",
];

/// The built-in wording: (subject, email body, text message body).
fn built_in(event: &str) -> (&'static str, &'static str, &'static str) {
    match event {
        "confirmation" => (
            "Your appointment on {start_local}",
            "Hello {patient_first_name},\n\nYour {service} with {clinician} is booked for {start_local}.\n{location}\n\nTo change it, contact {clinic_name} on {clinic_phone}.\nTo cancel online: {manage_url}\n",
            "{clinic_name}: your {service} with {clinician} is booked for {start_local}. {location}\nTo cancel: {manage_url}",
        ),
        "reschedule" => (
            "Your appointment has moved to {start_local}",
            "Hello {patient_first_name},\n\nYour {service} with {clinician} is now on {start_local}.\n{location}\n\nTo change it, contact {clinic_name} on {clinic_phone}.\nTo cancel online: {manage_url}\n",
            "{clinic_name}: your {service} has moved to {start_local}. {location}\nTo cancel: {manage_url}",
        ),
        "cancellation" => (
            "Your appointment on {start_local} is cancelled",
            "Hello {patient_first_name},\n\nYour {service} with {clinician} on {start_local} is cancelled.\n\nTo book again, contact {clinic_name} on {clinic_phone}.\n",
            "{clinic_name}: your {service} on {start_local} is cancelled.",
        ),
        _ => (
            "Reminder: your appointment on {start_local}",
            "Hello {patient_first_name},\n\nA reminder of your {service} with {clinician} on {start_local}.\n{location}\n\nIf you cannot come, contact {clinic_name} on {clinic_phone}.\nTo cancel online: {manage_url}\n",
            "{clinic_name}: reminder of your {service} on {start_local}. {location}\nTo cancel: {manage_url}",
        ),
    }
}

/// The text with each `{name}` replaced by its value. A line whose
/// placeholders all come out empty is left out, so "To cancel online:
/// {manage_url}" disappears where there is no link, and "{video_url}" for a
/// visit in person.
pub fn render(text: &str, values: &BTreeMap<&str, String>) -> String {
    let value = |name: &str| values.get(name).map(String::as_str).unwrap_or_default();
    let mut lines = Vec::new();
    for line in text.split('\n') {
        let names = used_placeholders(line);
        if !names.is_empty() && names.iter().all(|name| value(name).is_empty()) {
            continue;
        }
        let mut out = line.to_owned();
        for name in names {
            out = out.replace(&format!("{{{name}}}"), value(name));
        }
        lines.push(out);
    }
    lines.join("\n")
}

/// The names in braces a text uses.
fn used_placeholders(text: &str) -> Vec<&str> {
    text.split('{').skip(1).filter_map(|rest| rest.split_once('}').map(|(name, _)| name)).collect()
}

/// The clinic's saved wording of `event` in `language` ('' for its usual wording).
fn stored(conn: &Connection, event: &str, language: &str) -> Result<Option<(String, String, String)>> {
    Ok(conn
        .query_row_cached(
            "SELECT subject, email_body, text_body FROM message_templates WHERE event = ?1 AND language = ?2",
            params![event, language],
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?)),
        )
        .optional()?)
}

/// The languages the clinic has worded `event` in, besides its usual wording.
fn translations(conn: &Connection, event: &str) -> Result<Vec<String>> {
    let mut statement = conn.prepare_cached(
        "SELECT language FROM message_templates WHERE event = ?1 AND language <> '' ORDER BY language",
    )?;
    let languages = statement.query_map([event], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    Ok(languages)
}

/// The wording a patient reading `language` gets for an event (`None`: a
/// patient with no language set): the clinic's in that language or its
/// base language, else the clinic's usual wording, else the built-in one.
pub fn wording(conn: &Connection, event: &str, language: Option<&str>) -> Result<MessageTemplate> {
    let mut found = None;
    for tag in language.map(crate::kit::language::fallbacks).unwrap_or_default() {
        if let Some(own) = stored(conn, event, &tag)? {
            found = Some((Some(tag), own));
            break;
        }
    }
    if found.is_none() {
        found = stored(conn, event, "")?.map(|own| (None, own));
    }
    let custom = found.is_some();
    let (wording_language, (subject, email_body, text_body)) = found.unwrap_or_else(|| {
        let (s, e, t) = built_in(event);
        (None, (s.to_owned(), e.to_owned(), t.to_owned()))
    });
    Ok(MessageTemplate {
        event: event.to_owned(),
        language: language.map(str::to_owned),
        subject,
        email_body,
        text_body,
        custom,
        wording_language,
        translations: translations(conn, event)?,
        placeholders: PLACEHOLDERS.iter().map(|p| (*p).to_owned()).collect(),
    })
}

/// Every placeholder known and no part empty; each problem by field.
pub fn check(input: &MessageTemplateInput) -> Result<()> {
    let mut v = Validator::new();
    for (field, text) in
        [("subject", &input.subject), ("email_body", &input.email_body), ("text_body", &input.text_body)]
    {
        if text.trim().is_empty() {
            v.add(field, "must not be empty");
            continue;
        }
        let unknown: Vec<&str> = used_placeholders(text).into_iter().filter(|p| !PLACEHOLDERS.contains(p)).collect();
        if let Some(first) = unknown.first() {
            v.add(field, format!("uses the unknown placeholder {{{first}}}; known: {}", PLACEHOLDERS.join(", ")));
        }
    }
    v.finish()
}

/// Saves the clinic's wording of `event` in `language` (`None`: its usual wording).
pub fn save(
    tx: &Transaction,
    event: &str,
    language: Option<&str>,
    input: &MessageTemplateInput,
    by: Option<i64>,
    now: DateTime<Utc>,
) -> Result<()> {
    tx.execute_cached(
        "INSERT INTO message_templates (event, language, subject, email_body, text_body, updated_by, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (event, language) DO UPDATE SET subject = excluded.subject, email_body = excluded.email_body,
             text_body = excluded.text_body, updated_by = excluded.updated_by, updated_at = excluded.updated_at",
        params![
            event,
            language.unwrap_or_default(),
            input.subject.trim(),
            input.email_body.trim_end(),
            input.text_body.trim(),
            by,
            to_millis(now)
        ],
    )?;
    Ok(())
}

/// Forgets the clinic's wording of `event` in `language`; whether there was one.
pub fn remove(tx: &Transaction, event: &str, language: Option<&str>) -> Result<bool> {
    let removed = tx.execute_cached(
        "DELETE FROM message_templates WHERE event = ?1 AND language = ?2",
        params![event, language.unwrap_or_default()],
    )?;
    Ok(removed > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_template_uses_only_known_placeholders() {
        for event in EVENTS {
            let (subject, email, text) = built_in(event);
            for part in [subject, email, text] {
                for name in used_placeholders(part) {
                    assert!(PLACEHOLDERS.contains(&name), "{event} uses unknown {{{name}}}");
                }
            }
        }
        let values = BTreeMap::from([("patient_first_name", "Zoë".to_owned()), ("manage_url", String::new())]);
        assert_eq!(render("Hello {patient_first_name}, {patient_first_name}!", &values), "Hello Zoë, Zoë!");
        assert_eq!(render("Hi {patient_first_name}\nTo cancel: {manage_url}\n\nBye", &values), "Hi Zoë\n\nBye");
    }
}
