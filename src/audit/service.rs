//! Reading the audit log.

use crate::App;
use crate::audit::model::AuditEntry;
use crate::audit::store::{self, AuditFilter};
use crate::http::pagination::Page;
use crate::kit::error::Result;

/// One page of entries matching `filter`, newest first, and how many match.
pub async fn list(app: &App, filter: AuditFilter, page: Page) -> Result<(Vec<AuditEntry>, i64)> {
    app.db.read(move |conn| store::list(conn, &filter, page.limit(), page.offset())).await
}
