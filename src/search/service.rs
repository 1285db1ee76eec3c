//! Who may search for what, and running queries off the async runtime.

use std::sync::Arc;

use crate::App;
use crate::audit;
use crate::kit::error::{Error, ErrorCode, Result};
use crate::kit::permissions::Action;
use crate::kit::principal::Caller;
use crate::patients::scope::Scope;
use crate::patients::service::{PageFuture, PatientRanking, RankFuture, RankedPage};
use crate::search::SearchIndex;
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
        // What a note says and what a file is called are clinical content.
        Kind::Note | Kind::Attachment => Action::ClinicalRead,
    };
    caller.require(action).is_ok()
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

async fn run(
    index: Arc<SearchIndex>,
    phone_region: String,
    text: String,
    kinds: Vec<Kind>,
    include_archived: bool,
    limit: usize,
) -> Result<Vec<Hit>> {
    tokio::task::spawn_blocking(move || {
        let request = SearchRequest { text: &text, kinds: &kinds, include_archived, phone_region: &phone_region };
        match query::build(&index.fields, &request) {
            Some(query) => index.search(query.as_ref(), limit),
            None => Ok(Vec::new()),
        }
    })
    .await?
}

pub async fn search(
    app: &App,
    caller: &Caller,
    text: &str,
    types: &[Kind],
    include_archived: bool,
    limit: Option<i64>,
) -> Result<Vec<Hit>> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(Error::invalid_field("limit", format!("must be between 1 and {MAX_LIMIT}")));
    }
    // None asked for means every kind the caller may read.
    let asked = if types.is_empty() { &Kind::ALL[..] } else { types };
    let mut kinds: Vec<Kind> = Vec::new();
    for kind in asked.iter().copied().filter(|k| readable_by(caller, *k)) {
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    if kinds.is_empty() {
        return Ok(Vec::new());
    }
    let state = app.search.state();
    if state != IndexState::Ready {
        return Err(unavailable(state));
    }
    let (index, region) = (app.search.clone(), app.phone_region.get());
    let (scoped_caller, booked_with) = (caller.clone(), app.patients_booked_with);
    let scope = app.db.read(move |conn| Scope::of(conn, &scoped_caller, booked_with)).await?;
    // A clinician limited to their own patients gets the best of what they may see.
    let candidates = if scope == Scope::All { limit as usize } else { LIST_CANDIDATES };
    let found = run(index, region, text.to_owned(), kinds.clone(), include_archived, candidates).await?;
    let hits = app.db.read(move |conn| on_their_patients(conn, &scope, found)).await?;
    let hits: Vec<Hit> = hits.into_iter().take(limit as usize).collect();
    // Who searched for what, and which records they were shown.
    let ids_of = |kind: Kind| hits.iter().filter(|h| h.kind == kind).map(|h| h.id).collect::<Vec<_>>();
    let details = serde_json::json!({
        "q": text,
        "types": kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
        "patient_ids": ids_of(Kind::Patient),
        "staff_ids": ids_of(Kind::Staff),
        "note_ids": ids_of(Kind::Note),
        "attachment_ids": ids_of(Kind::Attachment),
    });
    audit::service::record_access(app, caller.into(), "search", "search", None, details).await?;
    Ok(hits)
}

/// The hits the scope lets the caller see, each record on a patient named
/// with the patient it is on now (a merge may have moved it).
fn on_their_patients(conn: &rusqlite::Connection, scope: &Scope, hits: Vec<Hit>) -> Result<Vec<Hit>> {
    let mut owners = std::collections::HashMap::new();
    for kind in Kind::ALL.into_iter().filter(|k| k.is_on_a_patient()) {
        let ids: Vec<i64> = hits.iter().filter(|h| h.kind == kind).map(|h| h.id).collect();
        if !ids.is_empty() {
            for (id, patient) in crate::search::documents::patients_of(conn, kind, &ids)? {
                owners.insert((kind, id), patient);
            }
        }
    }
    let mut names = std::collections::HashMap::new();
    let mut seen = Vec::with_capacity(hits.len());
    for mut hit in hits {
        if hit.kind == Kind::Patient && !scope.sees(hit.id) {
            continue;
        }
        if hit.kind.is_on_a_patient() {
            let Some(patient) = owners.get(&(hit.kind, hit.id)).copied().filter(|p| scope.sees(*p)) else { continue };
            if let std::collections::hash_map::Entry::Vacant(slot) = names.entry(patient) {
                let found = crate::patients::store::get(conn, patient)?;
                slot.insert(found.map(|p| format!("{} {}", p.given_name, p.family_name)).unwrap_or_default());
            }
            hit.subtitle = format!("{} · {}", names[&patient], hit.subtitle);
            hit.patient_id = Some(patient);
        }
        seen.push(hit);
    }
    Ok(seen)
}

/// One page of matches and how many match in all, off the async runtime.
async fn run_page(
    index: Arc<SearchIndex>,
    phone_region: String,
    text: String,
    include_archived: bool,
    offset: usize,
    limit: usize,
) -> Result<(Vec<Hit>, usize)> {
    tokio::task::spawn_blocking(move || {
        let kinds = [Kind::Patient];
        let request = SearchRequest { text: &text, kinds: &kinds, include_archived, phone_region: &phone_region };
        match query::build(&index.fields, &request) {
            Some(query) => index.search_page(query.as_ref(), offset, limit),
            None => Ok((Vec::new(), 0)),
        }
    })
    .await?
}

/// Ranks the patient list's search-box matches with the index.
pub struct IndexRanking {
    pub index: Arc<SearchIndex>,
    pub phone_region: crate::clinic::region::PhoneRegion,
}

impl PatientRanking for IndexRanking {
    /// `None` while the index is not ready, so the list falls back to a
    /// plain database search.
    fn rank(&self, text: String, include_archived: bool) -> RankFuture {
        let (index, region) = (self.index.clone(), self.phone_region.get());
        Box::pin(async move {
            if !index.is_ready() {
                return Ok(None);
            }
            let hits = run(index, region, text, vec![Kind::Patient], include_archived, LIST_CANDIDATES).await?;
            Ok(Some(hits.into_iter().map(|h| h.id).collect()))
        })
    }

    fn page(&self, text: String, include_archived: bool, offset: usize, limit: usize) -> PageFuture {
        let (index, region) = (self.index.clone(), self.phone_region.get());
        Box::pin(async move {
            if !index.is_ready() {
                return Ok(None);
            }
            let (hits, total) = run_page(index, region, text, include_archived, offset, limit).await?;
            Ok(Some(RankedPage { ids: hits.into_iter().map(|h| h.id).collect(), total: total as i64 }))
        })
    }
}
