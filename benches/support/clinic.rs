//! The clinic the benchmarks book into: one centre in London, one
//! half-hour service, and clinicians working 08:00–18:00 on weekdays.

use rusqlite::{Transaction, params};

/// Writes the centre (id 1), the service (id 1) and clinicians 1 to `clinicians`.
pub fn seed(tx: &Transaction, clinicians: i64) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO centres (name, timezone, active, created_at, updated_at) VALUES ('Main', 'Europe/London', 1, 0, 0)",
        [],
    )?;
    tx.execute(
        "INSERT INTO services (name, duration_minutes, price_amount_minor, price_currency, modality, capacity, active,
                               created_at, updated_at)
         VALUES ('Session', 30, 5000, 'GBP', 'in_person', 1, 1, 0, 0)",
        [],
    )?;
    for clinician in 1..=clinicians {
        tx.execute(
            "INSERT INTO clinicians (id, display_name, active, created_at, updated_at) VALUES (?1, ?2, 1, 0, 0)",
            params![clinician, format!("Clinician {clinician}")],
        )?;
        tx.execute("INSERT INTO clinician_centres VALUES (?1, 1)", [clinician])?;
        tx.execute("INSERT INTO service_clinicians VALUES (1, ?1)", [clinician])?;
        for weekday in 1..=5 {
            tx.execute(
                "INSERT INTO availability_rules (clinician_id, centre_id, weekday, start_minute, end_minute)
                 VALUES (?1, 1, ?2, 480, 1080)",
                [clinician, weekday],
            )?;
        }
    }
    Ok(())
}
