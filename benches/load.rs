//! The server under load over HTTP, at clinic scale: seeds 50 clinicians,
//! 100,000 patients and 1,000,000 appointments, starts the release binary
//! with `synchronous=full` (every read audited), and drives it with
//! concurrent clients on loopback, phase by phase: sign-in, booking (each
//! request a distinct free slot), a clinician-week of slots, a patient list
//! page (first and deep), a typo search. For each: throughput, p50 and p99,
//! and the server's resident memory during and after.
//!
//! Run: `cargo bench --bench load` (add `-- --seconds 10 --clients 16
//! --patients 100000 --appointments 1000000` to change them).

// A measuring program: a failure should stop it loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::disallowed_methods)]

#[path = "support/clinic.rs"]
mod clinic;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::{Datelike, NaiveDate, TimeZone, Utc};
use clinicbox::db::{Db, DbOptions};
use clinicbox::patients::store::{self, PatientFields};
use rusqlite::params;
use serde_json::{Value, json};

#[path = "support/people.rs"]
mod people;
use people::{FAMILY, GIVEN, Lcg, with_typo};

const CLINICIANS: i64 = 50;
const BIN: &str = env!("CARGO_BIN_EXE_clinicbox");
const EMAIL: &str = "load@clinic.test";
const PASSWORD: &str = "correct horse battery staple";
/// Working hours 08:00–18:00 on weekdays: twenty half-hour slots a day.
const SLOTS_PER_DAY: i64 = 20;

struct Options {
    seconds: u64,
    clients: usize,
    patients: usize,
    appointments: i64,
}

fn options() -> Options {
    let args: Vec<String> = std::env::args().collect();
    let value = |name: &str| args.windows(2).find(|w| w[0] == name).and_then(|w| w[1].parse::<u64>().ok());
    Options {
        seconds: value("--seconds").unwrap_or(10),
        clients: value("--clients").unwrap_or(16) as usize,
        patients: value("--patients").unwrap_or(100_000) as usize,
        appointments: value("--appointments").unwrap_or(1_000_000) as i64,
    }
}

/// Fills a new data directory; answers the first day free of bookings.
fn seed(data: &std::path::Path, options: &Options) -> NaiveDate {
    let created = Command::new(BIN)
        .args(["admin", "create", "--data", data.to_str().unwrap(), "--email", EMAIL, "--name", "Load"])
        .arg("--password-stdin")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .and_then(|mut child| {
            writeln!(child.stdin.take().unwrap(), "{PASSWORD}")?;
            child.wait()
        })
        .unwrap();
    assert!(created.success());
    let db = Db::open(&data.join("clinicbox.db"), DbOptions { synchronous_full: false }).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let (patients, appointments) = (options.patients, options.appointments);
    let started = Instant::now();
    let first_free = runtime
        .block_on(db.write(move |tx| {
            clinic::seed(tx, CLINICIANS)?;
            // No minimum notice, a year ahead: the booking phase books from tomorrow on.
            tx.execute("UPDATE booking_settings SET min_notice_minutes = 0, booking_window_days = 730", [])?;
            let mut rng = Lcg(42);
            let now = Utc::now();
            for _ in 0..patients {
                let seed = rng.next();
                let fields = PatientFields {
                    given_name: rng.pick(GIVEN).to_owned(),
                    family_name: rng.pick(FAMILY).to_owned(),
                    date_of_birth: NaiveDate::from_ymd_opt(1930 + (seed % 90) as i32, 1 + (seed % 12) as u32, 1 + (seed % 28) as u32),
                    phone: Some(format!("+447{:09}", seed % 1_000_000_000)),
                    ..Default::default()
                };
                store::insert(tx, &fields, now)?;
            }
            let mut appointment = tx.prepare(
                "INSERT INTO appointments (service_id, clinician_id, centre_id, starts_at, ends_at, blocked_from, blocked_until,
                                           capacity, status, created_at, updated_at)
                 VALUES (1, ?1, 1, ?2, ?3, ?2, ?3, 1, ?4, 0, 0)",
            )?;
            let mut attendee = tx.prepare(
                "INSERT INTO appointment_attendees (appointment_id, patient_id, status, joined_at)
                 VALUES (last_insert_rowid(), ?1, 'booked', 0)",
            )?;
            // Weekdays up to today, each clinician's slots filled in turn.
            let tz: chrono_tz::Tz = "Europe/London".parse().unwrap();
            let days = appointments / (CLINICIANS * SLOTS_PER_DAY) * 7 / 5 + 2;
            let today = Utc::now().date_naive();
            let mut day = today - chrono::Duration::days(days);
            let mut count = 0i64;
            while count < appointments && day <= today {
                if day.weekday().number_from_monday() <= 5 {
                    for clinician in 1..=CLINICIANS {
                        for slot in 0..SLOTS_PER_DAY {
                            let local = day.and_hms_opt(8, 0, 0).unwrap() + chrono::Duration::minutes(30 * slot);
                            let Some(start) = tz.from_local_datetime(&local).earliest() else { continue };
                            let start = start.timestamp_millis();
                            let status = if count % 17 == 0 { "cancelled" } else { "completed" };
                            appointment.execute(params![clinician, start, start + 30 * 60_000, status])?;
                            attendee.execute([1 + count % patients as i64])?;
                            count += 1;
                        }
                    }
                }
                day = day.succ_opt().unwrap();
            }
            Ok(today + chrono::Duration::days(1))
        }))
        .unwrap();
    println!(
        "seeded {} patients and {} appointments in {:.1?}",
        options.patients,
        options.appointments,
        started.elapsed()
    );
    drop(db);
    // The index from the database, as after a restore.
    let reindexed = Command::new(BIN).args(["reindex", "--data", data.to_str().unwrap()]).output().unwrap();
    assert!(reindexed.status.success(), "{}", String::from_utf8_lossy(&reindexed.stderr));
    first_free
}

fn serve(data: &std::path::Path) -> (Child, String) {
    let mut child = Command::new(BIN)
        .args(["serve", "--data", data.to_str().unwrap(), "--listen", "127.0.0.1:0", "--synchronous", "full"])
        .env("CLINICBOX_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let base = loop {
        let line = lines.next().expect("the server printed its address").unwrap();
        if let Some(start) = line.find(" on http://") {
            break line[start + 4..].trim().to_owned();
        }
    };
    (child, base)
}

fn resident_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}

struct Measured {
    name: String,
    requests: usize,
    failures: usize,
    seconds: f64,
    p50: Duration,
    p99: Duration,
    peak_mib: f64,
    after_mib: f64,
}

/// `clients` loops sending `request(n)` (n counts up across all of them)
/// for `seconds`, with the server's memory sampled throughout: as fast as
/// answers come back, or at `rate` requests a second in all (each client
/// keeping its share of a fixed schedule, so latency is measured at a
/// load the server is not saturated by).
async fn phase<F, Fut>(name: &'static str, pid: u32, options: &Options, rate: Option<f64>, request: F) -> Measured
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let request = Arc::new(request);
    let counter = Arc::new(AtomicU64::new(0));
    let running = Arc::new(AtomicBool::new(true));
    let sampler = {
        let running = running.clone();
        tokio::spawn(async move {
            let mut peak: f64 = 0.0;
            while running.load(Ordering::Relaxed) {
                peak = peak.max(resident_mib(pid));
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            peak
        })
    };
    let deadline = Instant::now() + Duration::from_secs(options.seconds);
    let started = Instant::now();
    let mut clients = Vec::new();
    let clients_count = options.clients;
    for client in 0..options.clients {
        let (request, counter) = (request.clone(), counter.clone());
        clients.push(tokio::spawn(async move {
            let (mut times, mut failures) = (Vec::new(), 0);
            let mut round = 0u64;
            while Instant::now() < deadline {
                if let Some(rate) = rate {
                    let due = (round as f64 * clients_count as f64 + client as f64) / rate;
                    tokio::time::sleep_until((started + Duration::from_secs_f64(due)).into()).await;
                    round += 1;
                }
                let n = counter.fetch_add(1, Ordering::Relaxed);
                let sent = Instant::now();
                let ok = request(n).await;
                times.push(sent.elapsed());
                if !ok {
                    failures += 1;
                }
            }
            (times, failures)
        }));
    }
    let (mut times, mut failures) = (Vec::new(), 0);
    for client in clients {
        let (t, f) = client.await.unwrap();
        times.extend(t);
        failures += f;
    }
    let seconds = started.elapsed().as_secs_f64();
    running.store(false, Ordering::Relaxed);
    let peak_mib = sampler.await.unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    times.sort();
    let at = |p: f64| times[((times.len() as f64 - 1.0) * p).round() as usize];
    let name = match rate {
        Some(rate) => format!("{name} at {rate:.0}/s"),
        None => format!("{name}, as fast as it answers"),
    };
    Measured {
        name,
        requests: times.len(),
        failures,
        seconds,
        p50: at(0.50),
        p99: at(0.99),
        peak_mib,
        after_mib: resident_mib(pid),
    }
}

fn main() {
    let options = options();
    let dir = tempfile::tempdir().unwrap();
    let first_free = seed(dir.path(), &options);
    let (mut child, base) = serve(dir.path());
    let pid = child.id();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let results = runtime.block_on(async {
        let client = reqwest::Client::builder().pool_max_idle_per_host(options.clients).build().unwrap();
        for _ in 0..200 {
            if client.get(format!("{base}/health/ready")).send().await.is_ok_and(|r| r.status().is_success()) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let login = json!({"email": EMAIL, "password": PASSWORD});
        let tokens: Value =
            client.post(format!("{base}/api/v1/auth/login")).json(&login).send().await.unwrap().json().await.unwrap();
        let token = Arc::new(tokens["access_token"].as_str().unwrap().to_owned());
        println!("idle: {:.0} MiB resident", resident_mib(pid));

        let (c, b, t) = (client.clone(), base.clone(), token.clone());
        let get = move |path: String| {
            let (client, base, token) = (c.clone(), b.clone(), t.clone());
            async move {
                let reply = client.get(format!("{base}/api/v1{path}")).bearer_auth(token.as_str()).send().await;
                reply.is_ok_and(|r| r.status().is_success())
            }
        };
        let mut results = Vec::new();

        let (c, b) = (client.clone(), base.clone());
        results.push(
            phase("sign-in", pid, &options, None, move |_| {
                let (client, base, login) = (c.clone(), b.clone(), login.clone());
                async move {
                    let reply = client.post(format!("{base}/api/v1/auth/login")).json(&login).send().await;
                    reply.is_ok_and(|r| r.status().is_success())
                }
            })
            .await,
        );

        // Each booking a distinct free slot: slot n of the free weekdays from tomorrow.
        let weekdays: Vec<NaiveDate> = (0..1000)
            .map(|d| first_free + chrono::Duration::days(d))
            .filter(|d| d.weekday().number_from_monday() <= 5)
            .collect();
        let weekdays = Arc::new(weekdays);
        let tz: chrono_tz::Tz = "Europe/London".parse().unwrap();
        let (c, b, t, patients) = (client.clone(), base.clone(), token.clone(), options.patients as u64);
        results.push(
            phase("booking", pid, &options, None, move |n| {
                let per_day = (CLINICIANS * SLOTS_PER_DAY) as u64;
                let day = weekdays[(n / per_day) as usize];
                let clinician = 1 + (n % CLINICIANS as u64);
                let slot = (n % per_day) / CLINICIANS as u64;
                let local = day.and_hms_opt(8, 0, 0).unwrap() + chrono::Duration::minutes(30 * slot as i64);
                let start = tz.from_local_datetime(&local).earliest().unwrap().to_rfc3339();
                let body =
                    json!({"patient_id": 1 + n % patients, "service_id": 1, "clinician_id": clinician, "start": start});
                let (client, base, token) = (c.clone(), b.clone(), t.clone());
                async move {
                    let reply =
                        client.post(format!("{base}/api/v1/appointments")).bearer_auth(token.as_str()).json(&body);
                    reply.send().await.is_ok_and(|r| r.status().as_u16() == 201)
                }
            })
            .await,
        );

        let monday = first_free - chrono::Duration::days(first_free.weekday().num_days_from_monday() as i64);
        let deep = (options.patients / 20 / 2).max(1);
        let mut rng = Lcg(7);
        let queries: Arc<Vec<String>> = Arc::new((0..500).map(|_| with_typo(rng.pick(FAMILY), &mut rng)).collect());
        // Each read as fast as it is answered, then at the rate a busy clinic might ask.
        for rate in [None, Some(200.0)] {
            let g = get.clone();
            let week_of_slots = move |n: u64| {
                let week = monday + chrono::Duration::weeks((n % 8) as i64);
                let to = week + chrono::Duration::days(6);
                g(format!("/slots?service_id=1&clinician_id={}&from={week}&to={to}", 1 + n % CLINICIANS as u64))
            };
            results.push(phase("clinician-week of slots", pid, &options, rate, week_of_slots).await);
        }
        for rate in [None, Some(1000.0)] {
            let g = get.clone();
            results.push(
                phase("patient list, first page", pid, &options, rate, move |_| g("/patients?page=1".into())).await,
            );
            let g = get.clone();
            let page = move |_| g(format!("/patients?page={deep}"));
            results.push(phase("patient list, deep page", pid, &options, rate, page).await);
        }
        for rate in [None, Some(500.0)] {
            let (g, queries) = (get.clone(), queries.clone());
            let search = move |n: u64| g(format!("/search?q={}", queries[(n as usize) % queries.len()]));
            results.push(phase("typo search", pid, &options, rate, search).await);
        }
        results
    });
    // The WAL is checkpointed off the writer thread; it must not have grown with the run.
    let wal_mib =
        std::fs::metadata(dir.path().join("clinicbox.db-wal")).map(|m| m.len() as f64 / 1048576.0).unwrap_or(0.0);
    child.kill().unwrap();
    child.wait().unwrap();

    println!(
        "\n{} clients, {} s a phase, {} patients, {} appointments, synchronous=full, every read audited\n",
        options.clients, options.seconds, options.patients, options.appointments
    );
    println!("write-ahead log at the end: {wal_mib:.1} MiB\n");
    println!("| phase | requests/s | p50 | p99 | failed | resident during (peak) | after |");
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    for m in results {
        println!(
            "| {} | {:.0} | {:.2?} | {:.2?} | {} | {:.0} MiB | {:.0} MiB |",
            m.name,
            m.requests as f64 / m.seconds,
            m.p50,
            m.p99,
            m.failures,
            m.peak_mib,
            m.after_mib
        );
    }
}
