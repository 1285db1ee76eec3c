use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::param::Query;
use poem_openapi::payload::Json;

use crate::App;
use crate::http::ApiTags;
use crate::http::auth::StaffAuth;
use crate::http::operations::Operation;
use crate::kit::error::ErrorCode as C;
use crate::kit::error::Result;
use crate::kit::permissions::Access;
use crate::search::documents::Kind;
use crate::search::model::{SearchHit, SearchResults};
use crate::search::service;

pub struct SearchApi;

#[OpenApi(tag = "ApiTags::Search")]
impl SearchApi {
    /// Search patients, staff, notes and files
    ///
    /// Matches as you type and tolerates typos (one for words of 4+ letters,
    /// two for 8+); phone numbers match by their digits in any format, dates
    /// of birth as typed (`1984-03-07`, `07/03/1984`); accents do not matter.
    /// Only records the caller's role may read are returned: notes (their text
    /// and addenda) and files (their names and descriptions) for the roles that
    /// read clinical content, each with the `patient_id` it is on. Answers 503
    /// `SEARCH_UNAVAILABLE` while the index is being rebuilt.
    #[oai(path = "/search", method = "get", operation_id = "search")]
    async fn search(
        &self,
        app: Data<&App>,
        auth: StaffAuth,
        /// What to look for.
        #[oai(validator(max_length = 200))]
        q: Query<String>,
        /// Comma-separated kinds, e.g. `patient,staff`. Default: all the caller may read.
        #[oai(explode = false, default)]
        types: Query<Vec<Kind>>,
        /// Include archived patients and deactivated staff.
        include_archived: Query<Option<bool>>,
        /// 1 to 100; default 20.
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
        limit: Query<Option<i64>>,
    ) -> Result<Json<SearchResults>> {
        let hits =
            service::search(&app, auth.caller(), &q.0, &types.0, include_archived.0.unwrap_or(false), limit.0).await?;
        let data = hits
            .into_iter()
            .map(|h| SearchHit {
                kind: h.kind,
                id: h.id,
                title: h.title,
                subtitle: h.subtitle,
                snippet: h.snippet,
                score: h.score,
                patient_id: h.patient_id,
            })
            .collect();
        Ok(Json(SearchResults { data }))
    }
}

/// Who may call each operation and the error codes that are its own.
pub const OPERATIONS: &[Operation] = &[Operation::new("search", Access::SignedIn).errors(&[C::SearchUnavailable])];
