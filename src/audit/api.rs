use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::param::Query;
use poem_openapi::payload::Json;

use crate::App;
use crate::audit::model::AuditEntry;
use crate::audit::service;
use crate::audit::store::AuditFilter;
use crate::http::ApiTags;
use crate::http::auth::StaffAuth;
use crate::http::operations::Operation;
use crate::http::pagination::{Page, Paginated};
use crate::kit::error::Result;
use crate::kit::permissions::{Access, Action};

pub struct AuditApi;

#[OpenApi(tag = "ApiTags::Audit")]
impl AuditApi {
    /// List audit entries, newest first
    ///
    /// Every change and every read of a patient's record is here. Admins only.
    #[oai(path = "/audit", method = "get", operation_id = "list_audit_entries")]
    async fn list(
        &self,
        app: Data<&App>,
        auth: StaffAuth,
        /// Singular entity name, e.g. `patient` or `staff`.
        #[oai(validator(max_length = 60))]
        entity: Query<Option<String>>,
        entity_id: Query<Option<i64>>,
        /// Staff id of the actor.
        actor: Query<Option<i64>>,
        #[oai(validator(minimum(value = "1")))] page: Query<Option<i64>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))] page_size: Query<Option<i64>>,
    ) -> Result<Json<Paginated<AuditEntry>>> {
        auth.caller().require(Action::AuditRead)?;
        let page = Page::from_query(page.0, page_size.0)?;
        let filter = AuditFilter { entity: entity.0, entity_id: entity_id.0, actor_id: actor.0 };
        let (rows, total) = service::list(&app, filter, page).await?;
        Ok(Json(page.wrap(rows, total)))
    }
}

/// Who may call each operation and the error codes that are its own.
pub const OPERATIONS: &[Operation] = &[Operation::new("list_audit_entries", Access::Requires(&[Action::AuditRead]))];
