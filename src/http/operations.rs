//! What each operation declares beyond what poem-openapi derives: who may
//! call it and which error codes are its own. The spec turns these into
//! the `Roles:` line of its description and the codes listed under each
//! error response; the authorization matrix test holds the running server
//! to both.

use crate::kit::error::ErrorCode;
use crate::kit::permissions::Access;

#[derive(Clone, Copy, Debug)]
pub struct Operation {
    /// The `operation_id` it has in the spec.
    pub id: &'static str,
    pub access: Access,
    /// The codes particular to this operation (rules, conflicts, sign-in),
    /// besides those its shape implies: a body can be malformed or invalid,
    /// a path id can name nothing, a signed-in operation can be refused.
    pub errors: &'static [ErrorCode],
    /// A request body and the answer it gets, for the docs; a test sends
    /// the request to a real server and compares the answer.
    pub example: Option<Example>,
}

#[derive(Clone, Copy, Debug)]
pub struct Example {
    /// The body sent, if the operation takes one.
    pub request: Option<fn() -> serde_json::Value>,
    /// The success body it answers with.
    pub response: fn() -> serde_json::Value,
}

impl Operation {
    pub const fn new(id: &'static str, access: Access) -> Self {
        Operation { id, access, errors: &[], example: None }
    }

    pub const fn errors(self, errors: &'static [ErrorCode]) -> Self {
        Operation { errors, ..self }
    }

    pub const fn example(
        self,
        request: Option<fn() -> serde_json::Value>,
        response: fn() -> serde_json::Value,
    ) -> Self {
        Operation { example: Some(Example { request, response }), ..self }
    }
}
