//! The outbox: work a change causes outside the database (a message now, a
//! reminder later) is a row in `jobs`, written in the change's own
//! transaction, so a crash loses none of it. One worker runs what is due,
//! retries failures with backoff, and marks each done or dead.

pub mod store;
pub mod worker;

use std::future::Future;
use std::pin::Pin;

use crate::App;
use crate::kit::error::Result;

pub use store::{Job, NewJob};

/// Runs one job of a kind; an error retries it later (the job says which attempt this is).
pub type Handler = fn(App, Job) -> Pin<Box<dyn Future<Output = Result<()>> + Send>>;

/// What the worker runs, by job kind: handed to it by the features that enqueue.
pub type Handlers = &'static [(&'static str, Handler)];
