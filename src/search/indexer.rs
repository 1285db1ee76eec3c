//! The one task that writes the index: rebuild when needed, then follow the
//! change log, waking on every commit and batching what arrives together.

use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::App;
use crate::kit::error::{Error, Result};
use crate::search::index::BATCH;

/// How long to let a burst of writes gather before one commit.
const GATHER: Duration = Duration::from_millis(100);
const IDLE_CHECK: Duration = Duration::from_secs(5);

async fn blocking<T: Send + 'static>(app: &App, f: impl FnOnce(&App) -> Result<T> + Send + 'static) -> Result<T> {
    let app = app.clone();
    tokio::task::spawn_blocking(move || f(&app)).await.map_err(Error::internal)?
}

pub fn spawn(app: App, mut stop: watch::Receiver<bool>) -> JoinHandle<()> {
    tokio::spawn(async move {
        if let Err(err) = blocking(&app, |app| app.search.acquire_writer()).await {
            tracing::error!(error = %err, "search indexer cannot start");
            app.search.mark_failed(err.public_message());
            return;
        }
        if app.search.needs_rebuild() {
            tracing::info!("rebuilding the search index from the database");
            match blocking(&app, |app| app.search.rebuild(&app.db)).await {
                Ok(()) => tracing::info!(documents = app.search.num_docs(), "search index rebuilt"),
                Err(err) => {
                    tracing::error!(error = %err, "search index rebuild failed");
                    app.search.mark_failed("the rebuild failed; see the server log".into());
                }
            }
        }
        let mut commits = app.db.watch_commits();
        loop {
            let caught_up = blocking(&app, |app| {
                while app.search.catch_up(&app.db)? as i64 >= BATCH {}
                Ok(())
            })
            .await;
            if let Err(err) = caught_up {
                tracing::warn!(error = %err, "search index update failed; retrying");
            }
            tokio::select! {
                changed = commits.changed() => if changed.is_err() { break },
                _ = tokio::time::sleep(IDLE_CHECK) => {},
                _ = stop.changed() => break,
            }
            tokio::select! {
                _ = tokio::time::sleep(GATHER) => {},
                _ = stop.changed() => break,
            }
        }
        let _ = blocking(&app, |app| {
            let _ = app.search.catch_up(&app.db);
            app.search.release_writer();
            Ok(())
        })
        .await;
    })
}
