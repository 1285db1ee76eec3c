//! Where a request came from: what the audit log records beside the actor.

use std::net::IpAddr;

#[derive(Clone, Debug, Default)]
pub struct RequestContext {
    pub request_id: String,
    pub client_addr: Option<IpAddr>,
    /// The browser or client that sent it, shortened; shown in the sessions list.
    pub user_agent: Option<String>,
}
