use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};

use crate::App;
use crate::auth::api_keys::model::{ApiKey, CreatedApiKey, NewApiKey};
use crate::auth::api_keys::service;
use crate::http::ApiTags;
use crate::http::auth::StaffAuth;
use crate::http::operations::Operation;
use crate::http::pagination::{Page, Paginated};
use crate::kit::error::Result;
use crate::kit::permissions::{Access, Action};

pub struct ApiKeysApi;

#[derive(ApiResponse)]
enum KeyCreated {
    /// The key was issued; `key` is shown only in this answer.
    #[oai(status = 201)]
    Created(Json<CreatedApiKey>, #[oai(header = "Location")] String),
}

#[OpenApi(tag = "ApiTags::ApiKeys")]
impl ApiKeysApi {
    /// List API keys
    ///
    /// Every key issued, active ones first, with its role, last use and whether it is revoked or
    /// expired. The keys themselves cannot be read again; `key_prefix` recognises one.
    #[oai(path = "/api-keys", method = "get", operation_id = "list_api_keys")]
    async fn list(
        &self,
        app: Data<&App>,
        auth: StaffAuth,
        #[oai(validator(minimum(value = "1")))] page: Query<Option<i64>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))] page_size: Query<Option<i64>>,
    ) -> Result<Json<Paginated<ApiKey>>> {
        auth.caller().require(Action::StaffManage)?;
        let page = Page::from_query(page.0, page_size.0)?;
        let (rows, total) = service::list(&app, page).await?;
        Ok(Json(page.wrap(rows, total)))
    }

    /// Issue an API key
    ///
    /// The key (`cbk_…`) is a bearer token with the permissions of `role`: send it as
    /// `Authorization: Bearer <key>`. It is shown once; only its hash is kept. Everything done
    /// with it is audited under the key. Only a staff member issues keys (not another key).
    #[oai(path = "/api-keys", method = "post", operation_id = "create_api_key")]
    async fn create(&self, app: Data<&App>, auth: StaffAuth, body: Json<NewApiKey>) -> Result<KeyCreated> {
        auth.caller().require(Action::StaffManage)?;
        let created = service::create(&app, auth.caller(), body.0).await?;
        let location = format!("/api/v1/api-keys/{}", created.api_key.id);
        Ok(KeyCreated::Created(Json(created), location))
    }

    /// Revoke an API key
    ///
    /// The key stops working at once, for good. Revoking a revoked key changes nothing.
    #[oai(path = "/api-keys/:id", method = "delete", operation_id = "revoke_api_key")]
    async fn revoke(&self, app: Data<&App>, auth: StaffAuth, id: Path<i64>) -> Result<Json<ApiKey>> {
        auth.caller().require(Action::StaffManage)?;
        Ok(Json(service::revoke(&app, auth.caller(), id.0).await?))
    }
}

const MANAGE: Access = Access::Requires(&[Action::StaffManage]);
/// Who may call each operation and the error codes that are its own.
pub const OPERATIONS: &[Operation] = &[
    Operation::new("list_api_keys", MANAGE),
    Operation::new("create_api_key", Access::PersonRequires(&[Action::StaffManage])),
    Operation::new("revoke_api_key", MANAGE),
];
