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

const GIVEN: &[&str] = &[
    "Olivia",
    "Amelia",
    "Isla",
    "Ava",
    "Mia",
    "Ivy",
    "Lily",
    "Isabella",
    "Rosie",
    "Sophia",
    "Grace",
    "Willow",
    "Freya",
    "Florence",
    "Emily",
    "Ella",
    "Poppy",
    "Evie",
    "Elsie",
    "Charlotte",
    "Noah",
    "Oliver",
    "George",
    "Arthur",
    "Muhammad",
    "Leo",
    "Harry",
    "Oscar",
    "Archie",
    "Henry",
    "Theodore",
    "Freddie",
    "Jack",
    "Charlie",
    "Theo",
    "Alfie",
    "Jacob",
    "Thomas",
    "Finley",
    "Arlo",
    "Zoë",
    "Chloé",
    "José",
    "Siobhán",
    "Aoife",
    "Priya",
    "Aarav",
    "Yusuf",
    "Kwame",
    "Mei",
    "Hiroshi",
    "Ingrid",
    "Søren",
    "Björn",
    "Renée",
    "Anaïs",
    "Mateo",
    "Lucía",
];
const FAMILY: &[&str] = &[
    "Smith",
    "Jones",
    "Williams",
    "Taylor",
    "Brown",
    "Davies",
    "Evans",
    "Wilson",
    "Thomas",
    "Johnson",
    "Roberts",
    "Robinson",
    "Thompson",
    "Wright",
    "Walker",
    "White",
    "Edwards",
    "Hughes",
    "Green",
    "Hall",
    "Lewis",
    "Harris",
    "Clarke",
    "Patel",
    "Jackson",
    "Wood",
    "Turner",
    "Martin",
    "Cooper",
    "Hill",
    "Ward",
    "Morris",
    "Moore",
    "Clark",
    "Lee",
    "King",
    "Baker",
    "Harrison",
    "Morgan",
    "Allen",
    "James",
    "Scott",
    "Phillips",
    "Watson",
    "Davis",
    "Parker",
    "Price",
    "Bennett",
    "Young",
    "Griffiths",
    "Mitchell",
    "Kelly",
    "Cook",
    "Carter",
    "Richardson",
    "Bailey",
    "Collins",
    "Bell",
    "Shaw",
    "Murphy",
    "Miller",
    "Cox",
    "Richards",
    "Khan",
    "Marshall",
    "Anderson",
    "Simpson",
    "Ellis",
    "Adams",
    "Singh",
    "Begum",
    "Wilkinson",
    "Foster",
    "Chapman",
    "Powell",
    "Webb",
    "Rogers",
    "Gray",
    "Mason",
    "Ali",
    "Hunt",
    "Hussain",
    "Campbell",
    "Matthews",
    "Owen",
    "Palmer",
    "Holmes",
    "Mills",
    "Barnes",
    "Knight",
    "Lloyd",
    "Butler",
    "Russell",
    "Barker",
    "Fisher",
    "Stevens",
    "Jenkins",
    "Murray",
    "Dixon",
    "Harvey",
    "Okafor",
    "Nguyen",
    "Kowalski",
    "O'Brien",
    "Fernández",
    "Müller",
    "Østergaard",
    "Żukowski",
];

/// A small deterministic generator: the same data on every run.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() as usize) % items.len()]
    }
}

/// One typo of the kinds people make: a swapped pair or a wrong letter.
fn with_typo(word: &str, rng: &mut Lcg) -> String {
    let mut chars: Vec<char> = word.to_lowercase().chars().collect();
    if chars.len() < 4 {
        return chars.into_iter().collect();
    }
    let at = 1 + (rng.next() as usize) % (chars.len() - 2);
    if rng.next().is_multiple_of(2) {
        chars.swap(at, at + 1);
    } else {
        chars[at] = 'x';
    }
    chars.into_iter().collect()
}

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
