//! The one task that runs due jobs: it wakes on every commit (a new job is
//! usually due at once) and when the next job falls due, runs a small batch
//! at a time, and records each outcome.

use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::App;
use crate::jobs::{Handlers, Job, store};

/// Jobs run together at most; each waits on the network, not the CPU.
const BATCH: i64 = 8;
/// How long the worker sleeps at most without a commit: a clock moved by a
/// test, or a due time reached, is noticed within it.
const LONGEST_SLEEP: Duration = Duration::from_millis(500);

pub fn spawn(app: App, handlers: Handlers, mut stop: watch::Receiver<bool>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let now = app.clock.now();
        match app.db.write(move |tx| store::requeue_interrupted(tx, now)).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(jobs = n, "jobs interrupted by the last stop will run again"),
            Err(err) => tracing::error!(error = %err, "cannot requeue interrupted jobs"),
        }
        let mut commits = app.db.watch_commits();
        loop {
            commits.borrow_and_update();
            let ran = run_due(&app, handlers).await;
            if ran >= BATCH as usize {
                continue;
            }
            let wait = match app.db.read(store::next_due).await {
                Ok(Some(due)) => (due - app.clock.now()).to_std().unwrap_or_default().min(LONGEST_SLEEP),
                _ => LONGEST_SLEEP,
            };
            tokio::select! {
                changed = commits.changed() => if changed.is_err() { break },
                _ = tokio::time::sleep(wait) => {},
                _ = stop.changed() => break,
            }
        }
    })
}

/// Runs one batch of due jobs; how many it ran.
async fn run_due(app: &App, handlers: Handlers) -> usize {
    let now = app.clock.now();
    let jobs = match app.db.read(store::next_due).await {
        Ok(Some(due)) if due <= now => match app.db.write(move |tx| store::claim_due(tx, now, BATCH)).await {
            Ok(jobs) => jobs,
            Err(err) => {
                tracing::warn!(error = %err, "cannot take due jobs");
                return 0;
            }
        },
        _ => return 0,
    };
    let count = jobs.len();
    let runs = jobs.into_iter().map(|job| run_one(app.clone(), handlers, job));
    futures_util::future::join_all(runs).await;
    count
}

async fn run_one(app: App, handlers: Handlers, job: Job) {
    let outcome = match handlers.iter().find(|(kind, _)| *kind == job.kind) {
        Some((_, handler)) => handler(app.clone(), job.clone()).await,
        None => Err(crate::kit::error::Error::internal(format!("no handler for jobs of kind {}", job.kind))),
    };
    let now = app.clock.now();
    let recorded = match outcome {
        Ok(()) => app.db.write(move |tx| store::mark_done(tx, job.id, now)).await,
        Err(err) => {
            let error = err.full_message();
            tracing::warn!(job = job.id, kind = %job.kind, attempt = job.attempt, error = %error, "a job failed");
            app.db.write(move |tx| store::mark_failed(tx, &job, &error, now)).await
        }
    };
    if let Err(err) = recorded {
        tracing::error!(error = %err, "cannot record a job's outcome");
    }
}
