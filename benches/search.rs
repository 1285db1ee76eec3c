//! Search at clinic scale: index 100,000 generated patients, then time
//! typo-laden queries the way reception types them.
//!
//! Run: `cargo bench --bench search` (add `-- 20000` for another size).

// A measuring program: a failure should stop it loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::disallowed_methods)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{NaiveDate, Utc};
use clinicbox::db::{Db, DbOptions};
use clinicbox::patients::store::{self, PatientFields};
use clinicbox::search::SearchIndex;
use clinicbox::search::documents::Kind;
use clinicbox::search::query::{self, SearchRequest};

#[path = "support/people.rs"]
mod people;
use people::{FAMILY, GIVEN, Lcg, with_typo};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    let count: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(100_000);
    let dir = tempfile::tempdir().unwrap();
    let db = Arc::new(Db::open(&dir.path().join("clinicbox.db"), DbOptions { synchronous_full: false }).unwrap());
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();

    let mut rng = Lcg(42);
    let mut people = Vec::with_capacity(count);
    for _ in 0..count {
        people.push((rng.pick(GIVEN).to_owned(), rng.pick(FAMILY).to_owned(), rng.next()));
    }
    let started = Instant::now();
    let rows = people.clone();
    runtime
        .block_on(db.write(move |tx| {
            let now = Utc::now();
            for (given, family, seed) in &rows {
                let fields = PatientFields {
                    given_name: given.clone(),
                    family_name: family.clone(),
                    date_of_birth: NaiveDate::from_ymd_opt(1930 + (seed % 90) as i32, 1 + (seed % 12) as u32, 1 + (seed % 28) as u32),
                    phone: Some(format!("+447{:09}", seed % 1_000_000_000)),
                    ..Default::default()
                };
                store::insert(tx, &fields, now)?;
                tx.execute("INSERT INTO changes (at, entity, entity_id, op) VALUES (0, 'patient', last_insert_rowid(), 'create')", [])?;
            }
            Ok(())
        }))
        .unwrap();
    println!("inserted {count} patients into SQLite in {:.1?}", started.elapsed());

    let index = SearchIndex::open(&dir.path().join("index")).unwrap();
    index.acquire_writer().unwrap();
    let started = Instant::now();
    index.rebuild(&db).unwrap();
    let took = started.elapsed();
    println!(
        "indexed {} documents in {:.2?}: {:.0} documents/s",
        index.num_docs(),
        took,
        count as f64 / took.as_secs_f64()
    );

    let mut queries = Vec::new();
    for (given, family, _) in people.iter().step_by((count / 1000).max(1)).take(1000) {
        queries.push(format!("{} {}", with_typo(given, &mut rng), with_typo(family, &mut rng)));
    }
    for (given, _, _) in people.iter().skip(7).step_by((count / 500).max(1)).take(500) {
        // A prefix with a typo, as typed so far.
        let partial: String = with_typo(given, &mut rng).chars().take(4).collect();
        queries.push(partial);
    }
    let kinds = [Kind::Patient];
    for q in queries.iter().take(100) {
        let request = SearchRequest { text: q, kinds: &kinds, include_archived: false, phone_region: "GB" };
        let built = query::build(&index.fields, &request).unwrap();
        index.search(built.as_ref(), 20).unwrap(); // warm up
    }
    let mut times = Vec::with_capacity(queries.len());
    let mut found = 0;
    for q in &queries {
        let started = Instant::now();
        let request = SearchRequest { text: q, kinds: &kinds, include_archived: false, phone_region: "GB" };
        let built = query::build(&index.fields, &request).unwrap();
        let hits = index.search(built.as_ref(), 20).unwrap();
        times.push(started.elapsed());
        found += usize::from(!hits.is_empty());
    }
    times.sort();
    println!(
        "{} typo queries (top 20): p50 {:.2?}, p99 {:.2?}, max {:.2?}; {} found something",
        times.len(),
        percentile(&times, 0.50),
        percentile(&times, 0.99),
        times[times.len() - 1],
        found
    );
    index.release_writer();
}
