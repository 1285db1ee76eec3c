//! Slot queries at clinic scale: 50 clinicians, a million appointments over
//! three years, then one clinician-week of slots at a time through the same
//! function the API calls.
//!
//! Run: `cargo bench --bench slots` (add `-- 200000` for fewer appointments).

// A measuring program: a failure should stop it loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::disallowed_methods)]

#[path = "support/clinic.rs"]
mod clinic;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{Datelike, TimeZone, Utc};
use clinicbox::config::Config;
use clinicbox::kit::clock::SystemClock;
use clinicbox::scheduling::slots::service::{SlotRequest, find_slots};
use rusqlite::params;

const CLINICIANS: i64 = 50;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    let appointments: i64 = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(1_000_000);
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::for_data_dir(dir.path());
    config.synchronous_full = false;
    config.snapshot_interval_minutes = 0;
    let app = clinicbox::AppState::open(config, Arc::new(SystemClock)).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();

    let tz: chrono_tz::Tz = "Europe/London".parse().unwrap();
    let today = Utc::now().date_naive();
    let first_day = today - chrono::Duration::days(365 * 2);
    let started = Instant::now();
    let inserted = runtime
        .block_on(app.db.write(move |tx| {
            clinic::seed(tx, CLINICIANS)?;
            tx.execute("INSERT INTO patients (given_name, family_name, created_at, updated_at) VALUES ('Bench', 'Patient', 0, 0)", [])?;
            let mut insert = tx.prepare(
                "INSERT INTO appointments (service_id, clinician_id, centre_id, starts_at, ends_at, blocked_from, blocked_until,
                                           capacity, status, created_at, updated_at)
                 VALUES (1, ?1, 1, ?2, ?3, ?2, ?3, 1, ?4, 0, 0)",
            )?;
            // Three years of weekdays, each clinician's 20 half-hour slots filled in turn.
            let mut count = 0i64;
            let mut day = first_day;
            'fill: while count < appointments {
                if day.weekday().number_from_monday() <= 5 {
                    for clinician in 1..=CLINICIANS {
                        for slot in 0..20 {
                            if count >= appointments {
                                break 'fill;
                            }
                            let local = day.and_hms_opt(8, 0, 0).unwrap() + chrono::Duration::minutes(30 * slot);
                            let Some(start) = tz.from_local_datetime(&local).earliest() else { continue };
                            let start = start.timestamp_millis();
                            let status = if count % 17 == 0 { "cancelled" } else { "completed" };
                            insert.execute(params![clinician, start, start + 30 * 60_000, status])?;
                            count += 1;
                        }
                    }
                }
                day = day.succ_opt().unwrap();
            }
            Ok((count, day))
        }))
        .unwrap();
    println!("inserted {} appointments ({} to {}) in {:.1?}", inserted.0, first_day, inserted.1, started.elapsed());

    // Weeks inside the booked span, where every query has to step over bookings.
    let mut weeks = Vec::new();
    let mut monday = today - chrono::Duration::days(today.weekday().num_days_from_monday() as i64);
    if inserted.1 > today + chrono::Duration::days(7) {
        monday += chrono::Duration::days(7);
    }
    for n in 0..10 {
        weeks.push(monday + chrono::Duration::weeks(n));
    }
    let mut times = Vec::new();
    let mut slots_seen = 0;
    for round in 0..4 {
        for clinician in 1..=CLINICIANS {
            for week in &weeks {
                let request = SlotRequest {
                    service_id: 1,
                    clinician_id: Some(clinician),
                    centre_id: None,
                    from: *week,
                    bound_by_policy: true,
                    to: *week + chrono::Duration::days(6),
                };
                let started = Instant::now();
                let slots = runtime.block_on(find_slots(&app, request)).unwrap();
                let took = started.elapsed();
                if round > 0 {
                    times.push(took);
                    slots_seen += slots.len();
                }
            }
        }
    }
    times.sort();
    println!(
        "{} clinician-week slot queries: p50 {:.2?}, p99 {:.2?}, max {:.2?} ({} slots returned)",
        times.len(),
        percentile(&times, 0.50),
        percentile(&times, 0.99),
        times[times.len() - 1],
        slots_seen
    );
}
