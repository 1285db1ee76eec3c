//! Reading the audit log, and recording reads.

use crate::App;
use crate::audit::model::AuditEntry;
use crate::audit::store::Actor;
use crate::audit::store::{self, AuditFilter};
use crate::http::pagination::Page;
use crate::kit::context::RequestContext;
use crate::kit::error::Result;
use crate::kit::principal::Caller;

/// One page of entries matching `filter`, newest first, and how many match.
pub async fn list(app: &App, filter: AuditFilter, page: Page) -> Result<(Vec<AuditEntry>, i64)> {
    app.db.read(move |conn| store::list(conn, &filter, page.limit(), page.offset())).await
}

/// Records that `actor` read something (a list, a search, an export) and
/// returns once the row is committed: a read is answered only after it is
/// on record.
pub async fn record_access(
    app: &App,
    actor: OwnedActor,
    action: &'static str,
    entity: &'static str,
    entity_id: Option<i64>,
    details: serde_json::Value,
) -> Result<()> {
    let now = app.clock.now();
    app.db
        .write(move |tx| {
            let actor = Actor {
                id: actor.id,
                email: actor.email.as_deref(),
                api_key_id: actor.api_key_id,
                context: &actor.context,
            };
            store::record(tx, now, actor, action, entity, entity_id, Some(details))
        })
        .await
}

/// An [`Actor`] that owns its parts, to hand to the writer.
pub struct OwnedActor {
    pub id: Option<i64>,
    pub email: Option<String>,
    pub api_key_id: Option<i64>,
    pub context: RequestContext,
}

impl From<&Caller> for OwnedActor {
    fn from(caller: &Caller) -> Self {
        OwnedActor {
            id: caller.staff_id,
            email: Some(caller.email.clone()),
            api_key_id: caller.api_key_id,
            context: caller.context.clone(),
        }
    }
}

impl OwnedActor {
    /// Someone not signed in (a calendar app holding a feed link), known by their request.
    pub fn anonymous(context: RequestContext) -> Self {
        OwnedActor { id: None, email: None, api_key_id: None, context }
    }
}
