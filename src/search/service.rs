//! Who may search for what, and running queries off the async runtime.

use crate::App;
use crate::auth::Action;
use crate::kit::error::{Error, ErrorCode, Result};
use crate::kit::principal::Caller;
use crate::search::documents::Kind;
use crate::search::index::{Hit, IndexState};
use crate::search::query::{self, SearchRequest};

pub const DEFAULT_LIMIT: i64 = 20;
pub const MAX_LIMIT: i64 = 100;
/// The patient list filters and sorts at most this many best matches.
pub const LIST_CANDIDATES: usize = 1_000;

/// The kinds a role may find: the same rule as reading them directly.
fn readable_by(caller: &Caller, kind: Kind) -> bool {
    let action = match kind {
        Kind::Patient => Action::PatientRead,
        Kind::Staff => Action::StaffManage,
    };
    caller.require(action).is_ok()
}

pub fn parse_types(types: Option<&str>) -> Result<Vec<Kind>> {
    let Some(types) = types.filter(|t| !t.trim().is_empty()) else {
        return Ok(Kind::ALL.to_vec());
    };
    let mut kinds = Vec::new();
    for name in types.split(',').map(str::trim) {
        let kind = Kind::parse(name).ok_or_else(|| {
            let known: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
            Error::invalid_field("types", format!("{name:?} is not one of {}", known.join(", ")))
        })?;
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    Ok(kinds)
}

fn unavailable(state: IndexState) -> Error {
    let message = match state {
        IndexState::Rebuilding { done, total } => {
            format!("the search index is being rebuilt ({done} of {total} records); try again shortly")
        }
        IndexState::Failed { reason } => format!("the search index is unavailable: {reason}"),
        IndexState::Ready => "the search index is not ready".into(),
    };
    Error::Unavailable { code: ErrorCode::SearchUnavailable, message }
}

async fn run(app: &App, text: String, kinds: Vec<Kind>, include_archived: bool, limit: usize) -> Result<Vec<Hit>> {
    let app = app.clone();
    tokio::task::spawn_blocking(move || {
        let request =
            SearchRequest { text: &text, kinds: &kinds, include_archived, phone_region: &app.config.phone_region };
        match query::build(&app.search.fields, &request) {
            Some(query) => app.search.search(query.as_ref(), limit),
            None => Ok(Vec::new()),
        }
    })
    .await
    .map_err(Error::internal)?
}

pub async fn search(
    app: &App,
    caller: &Caller,
    text: &str,
    types: Option<&str>,
    include_archived: bool,
    limit: Option<i64>,
) -> Result<Vec<Hit>> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(Error::invalid_field("limit", format!("must be between 1 and {MAX_LIMIT}")));
    }
    let kinds: Vec<Kind> = parse_types(types)?.into_iter().filter(|k| readable_by(caller, *k)).collect();
    if kinds.is_empty() {
        return Ok(Vec::new());
    }
    let state = app.search.state();
    if state != IndexState::Ready {
        return Err(unavailable(state));
    }
    run(app, text.to_owned(), kinds, include_archived, limit as usize).await
}

/// Patient ids for a search-box query, best first; `None` while the index
/// is not ready, so the caller can fall back to a plain database search.
pub async fn rank_patients(app: &App, text: &str, include_archived: bool) -> Result<Option<Vec<i64>>> {
    if !app.search.is_ready() {
        return Ok(None);
    }
    let hits = run(app, text.to_owned(), vec![Kind::Patient], include_archived, LIST_CANDIDATES).await?;
    Ok(Some(hits.into_iter().map(|h| h.id).collect()))
}
