//! What the OpenAPI descriptions of both HTTP functions share (feature `openapi`); the API's
//! types derive their schemas where they are defined.

use utoipa::IntoParams;

/// Paging of every list (SPEC 8).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    /// Items per page, 1 to 500.
    #[param(minimum = 1, maximum = 500, default = 100)]
    pub limit: Option<u32>,
    /// The `nextCursor` of the previous page.
    pub cursor: Option<String>,
}
