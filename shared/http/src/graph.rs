//! The edge of the Graph-compatible surface (SPEC 8a): Graph's error envelope, made from the
//! same mapping as problem+json, and Graph's collection shape with its absolute
//! `@odata.nextLink`. What a Graph SDK needs of a server, so that scripts written for Entra
//! work by changing their base URL.

use chrono::{SecondsFormat, Utc};
use http::{header, HeaderMap, StatusCode};
use serde::Serialize;

use riskfeedback::errors::Invalid;
use riskfeedback::limits::MAX_PAGE_SIZE;
use riskfeedback::store::{Page, PageRequest};

use crate::odata::{Allowed, Filter};
use crate::problem::{retry_after, to_problem};
use crate::router::Call;
use crate::{with_body, HttpError, HttpResponse};

/// Where the surface lives: `/graph/v1.0/...` and `/graph/beta/...`.
pub const GRAPH_ROOT: &str = "graph";

/// Graph's `$count` segment: what `GET .../{collection}/$count` names where an id would stand.
/// API Gateway routes it to the collection's `{id}` route, and so does the router.
pub const COUNT: &str = "$count";

/// Whether `path` is on the Graph surface. Graph SDKs join paths with a slash of their own, so
/// empty segments (`//graph/v1.0//...`) are ignored here as by the router.
pub fn is_graph_path(path: &str) -> bool {
    path.split('/').find(|s| !s.is_empty()) == Some(GRAPH_ROOT)
}

/// Graph's error code for an answer's status: the codes Graph documents for its errors.
fn code(status: u16) -> &'static str {
    match status {
        400 | 413 | 415 | 422 => "invalidRequest",
        401 => "unauthenticated",
        403 => "accessDenied",
        404 => "itemNotFound",
        405 => "notSupported",
        409 => "notAllowed",
        429 => "activityLimitReached",
        503 => "serviceNotAvailable",
        _ => "generalException",
    }
}

/// Graph's error envelope: `{"error": {...}}`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Serialize)]
pub struct GraphError {
    pub error: GraphErrorDetail,
}

/// What went wrong: Graph's `code` (by status: `invalidRequest`, `unauthenticated`,
/// `accessDenied`, `itemNotFound`, `notSupported`, `notAllowed`, `activityLimitReached`,
/// `serviceNotAvailable`, `generalException`), a message in the API's words naming each field at
/// fault, those fields one by one in `details`, and `innerError`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GraphErrorDetail {
    pub code: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<GraphErrorField>,
    pub inner_error: InnerError,
}

/// One field at fault: its `target`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Serialize)]
pub struct GraphErrorField {
    pub code: &'static str,
    pub message: String,
    pub target: String,
}

/// Which answer it was: Graph's `request-id` and `date`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Serialize)]
pub struct InnerError {
    #[serde(rename = "request-id")]
    pub request_id: String,
    pub date: String,
}

/// Graph's error envelope for an error: the status, `Retry-After` and `WWW-Authenticate` of its
/// problem, and a [`GraphError`] for a body.
pub fn error(error: &HttpError) -> HttpResponse {
    let problem = to_problem(error);
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let code = code(problem.status);
    let mut message = problem.detail.clone();
    for e in &problem.errors {
        message.push_str(&format!("; {}: {}", e.field, e.message));
    }
    let body = GraphError {
        error: GraphErrorDetail {
            code,
            message,
            details: problem
                .errors
                .into_iter()
                .map(|e| GraphErrorField {
                    code,
                    message: e.message,
                    target: e.field,
                })
                .collect(),
            inner_error: InnerError {
                request_id: uuid::Uuid::new_v4().to_string(),
                date: Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true),
            },
        },
    };
    let mut response = with_body(
        status,
        "application/json",
        serde_json::to_vec(&body).unwrap_or_default(),
    );
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer"),
        );
    }
    if let Some(seconds) = retry_after(problem.status) {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
    }
    response
}

/// The answer to an error on `path`: Graph's envelope on the Graph surface, problem+json
/// elsewhere.
pub fn error_for(path: &str, failure: &HttpError) -> HttpResponse {
    if is_graph_path(path) {
        error(failure)
    } else {
        crate::problem(failure)
    }
}

/// The scheme and host the caller called, from which Graph's links are absolute: a Graph SDK
/// follows `@odata.nextLink` as it is, and refuses a relative one. API Gateway passes the
/// scheme on as `X-Forwarded-Proto`.
pub fn origin(headers: &HeaderMap) -> String {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let scheme = text("x-forwarded-proto")
        .and_then(|p| p.split(',').next())
        .map(str::trim)
        .filter(|p| matches!(*p, "http" | "https"))
        .unwrap_or("https");
    let host = text("host").unwrap_or("localhost");
    format!("{scheme}://{host}")
}

/// A Graph list's query options: `$filter`, `$orderby` (only the list's own order), `$top` (1 to 500; the API's default page
/// otherwise) and `$skiptoken`, the cursor of the previous page's `@odata.nextLink`.
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct ListOptions {
    /// OData: clauses joined by `and`, each `property eq 'text'` (also `ne`, and
    /// `startswith(property, 'text')` where the list says), or a time compared with `ge`, `gt`,
    /// `le` or `lt`. Each list names the properties it filters on.
    #[cfg_attr(feature = "openapi", param(rename = "$filter", value_type = Option<riskfeedback::openapi::Text>))]
    pub filter: Filter,
    /// Items per page, 1 to 500.
    #[cfg_attr(feature = "openapi", param(rename = "$top", value_type = Option<u32>, minimum = 1, maximum = 500))]
    pub top: Option<u32>,
    /// From the previous page's `@odata.nextLink`, as it was given.
    #[cfg_attr(feature = "openapi", param(rename = "$skiptoken", value_type = Option<riskfeedback::openapi::Cursor>))]
    pub skiptoken: Option<String>,
}

/// `$orderby` where a list takes it: risky users and risky service principals, which always
/// list newest `riskLastUpdatedDateTime` first, take that order and no other (`ListOptions::of`).
#[cfg(feature = "openapi")]
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NewestFirst {
    /// Only `riskLastUpdatedDateTime desc`, the order the list always has.
    #[param(rename = "$orderby", pattern = "^riskLastUpdatedDateTime (desc|DESC)$")]
    pub orderby: Option<String>,
}

impl ListOptions {
    /// The options of `call`, its `$filter` checked against what the list allows, and its
    /// `$orderby` against the time the list is sorted by, newest first (`newest_first`).
    pub fn of(
        call: &Call,
        allowed: &Allowed<'_>,
        newest_first: Option<&str>,
    ) -> Result<ListOptions, Invalid> {
        let query = &call.query;
        if let Some(text) = query.get("$orderby") {
            check_order(text, newest_first)?;
        }
        let filter = match query.get("$filter") {
            Some(text) => Filter::parse(text, allowed)?,
            None => Filter::default(),
        };
        let top = query
            .get("$top")
            .map(|v| {
                v.parse::<u32>()
                    .ok()
                    .filter(|n| (1..=MAX_PAGE_SIZE).contains(n))
                    .ok_or_else(|| {
                        Invalid::field(
                            "$top",
                            format!("must be a whole number from 1 to {MAX_PAGE_SIZE}"),
                        )
                    })
            })
            .transpose()?;
        Ok(ListOptions {
            filter,
            top,
            skiptoken: query.get("$skiptoken").map(str::to_string),
        })
    }

    /// The page of the store to read, with the paging rules of the API's own lists.
    pub fn page(&self) -> Result<PageRequest, Invalid> {
        let mut pairs = Vec::new();
        if let Some(top) = self.top {
            pairs.push(("limit".to_string(), top.to_string()));
        }
        if let Some(cursor) = &self.skiptoken {
            pairs.push(("cursor".to_string(), cursor.clone()));
        }
        crate::Query::parse(&pairs, &["limit", "cursor"])?
            .page()
            .map_err(|invalid| {
                Invalid(
                    invalid
                        .0
                        .into_iter()
                        .map(|mut e| {
                            e.field = if e.field == "limit" {
                                "$top"
                            } else {
                                "$skiptoken"
                            }
                            .into();
                            e
                        })
                        .collect(),
                )
            })
    }

    /// The page as a Graph collection of `path`'s resource (`context`, after
    /// `$metadata#`): the items that satisfy the whole filter, and the link to the next page.
    pub fn collection<T: Serialize>(
        &self,
        call: &Call,
        context: &str,
        page: Page<T>,
    ) -> Result<HttpResponse, HttpError> {
        let origin = origin(&call.headers);
        let mut value = Vec::with_capacity(page.value.len());
        for item in page.value {
            let json = serde_json::to_value(&item).map_err(|_| HttpError::Internal)?;
            if self.filter.holds(&json) {
                value.push(json);
            }
        }
        let options: Vec<(&str, &str)> = ["$filter", "$orderby", "$top"]
            .into_iter()
            .filter_map(|name| call.query.get(name).map(|v| (name, v)))
            .collect();
        let next_link = page
            .next_cursor
            .map(|cursor| next_link(&origin, &call.path, &options, &cursor));
        Ok(ok(&Collection {
            context: metadata(&origin, &call.path, context),
            value,
            next_link,
        }))
    }
}

/// A list is always in its own order: `$orderby` may only name it.
fn check_order(text: &str, newest_first: Option<&str>) -> Result<(), Invalid> {
    let words: Vec<&str> = text.split_whitespace().collect();
    match (newest_first, words.as_slice()) {
        (Some(order), [property, direction])
            if *property == order && direction.eq_ignore_ascii_case("desc") =>
        {
            Ok(())
        }
        (Some(order), _) => Err(Invalid::field(
            "$orderby",
            format!("may only be `{order} desc`: the list is always newest first"),
        )),
        (None, _) => Err(Invalid::field(
            "$orderby",
            "is not taken by this list, which has one order only",
        )),
    }
}

/// `@odata.context`: the service root of the path called (`/graph/v1.0`), `$metadata#`, and
/// what the answer is.
pub fn metadata(origin: &str, path: &str, what: &str) -> String {
    let root: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).take(2).collect();
    format!("{origin}/{}/$metadata#{what}", root.join("/"))
}

/// One Graph object, with its `@odata.context`.
#[derive(Debug, Serialize)]
pub struct Entity<T> {
    #[serde(rename = "@odata.context")]
    pub context: String,
    #[serde(flatten)]
    pub item: T,
}

/// `200` with one object of `what` (`identityProtection/riskyUsers/$entity`).
pub fn entity<T: Serialize>(call: &Call, what: &str, item: T) -> HttpResponse {
    let context = metadata(&origin(&call.headers), &call.path, what);
    ok(&Entity { context, item })
}

/// A Graph collection: `@odata.context`, `value` and, while more remain, `@odata.nextLink`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Serialize)]
pub struct Collection<T> {
    #[serde(rename = "@odata.context")]
    pub context: String,
    pub value: Vec<T>,
    #[serde(rename = "@odata.nextLink", skip_serializing_if = "Option::is_none")]
    pub next_link: Option<String>,
}

/// `200` with a collection's size as text, as Graph answers `$count`.
pub fn count(size: u64) -> HttpResponse {
    with_body(StatusCode::OK, "text/plain", size.to_string().into_bytes())
}

/// `200` with a Graph object or collection.
fn ok<T: Serialize>(value: &T) -> HttpResponse {
    crate::json(StatusCode::OK, value)
}

/// `204`, as Graph answers its actions, with a `Location` naming the feedback that carries
/// the work out, so that nothing is hidden.
pub fn accepted_as_no_content(location: &str) -> HttpResponse {
    let mut response = crate::no_content();
    if let Ok(value) = location.parse() {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// The link to the next page: this path on the caller's origin, with the caller's own query
/// options and the page's cursor as `$skiptoken`.
pub fn next_link(origin: &str, path: &str, options: &[(&str, &str)], cursor: &str) -> String {
    let encode = |v: &str| {
        percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC).to_string()
    };
    let mut query: Vec<String> = options
        .iter()
        .filter(|(name, _)| *name != "$skiptoken")
        .map(|(name, value)| format!("{name}={}", encode(value)))
        .collect();
    query.push(format!("$skiptoken={}", encode(cursor)));
    let path: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    format!("{origin}/{}?{}", path.join("/"), query.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use riskfeedback::auth::AuthError;
    use riskfeedback::errors::Invalid;
    use riskfeedback::store::StoreError;
    use serde_json::Value;

    fn body(response: &HttpResponse) -> Value {
        serde_json::from_slice(response.body()).unwrap_or_default()
    }

    #[test]
    fn graph_paths_are_told_apart_whatever_the_slashes() {
        assert!(is_graph_path("/graph/v1.0/identityProtection/riskyUsers"));
        assert!(is_graph_path("//graph//beta/auditLogs/signIns/confirmSafe"));
        assert!(!is_graph_path("/risky-users"));
        assert!(!is_graph_path("/graphs"));
        assert!(!is_graph_path("/"));
    }

    #[test]
    fn an_error_is_graphs_envelope_with_its_problems_status_and_fields() {
        let invalid = error(&Invalid::field("$filter", "is not understood").into());
        assert_eq!(invalid.status(), StatusCode::BAD_REQUEST);
        let b = body(&invalid);
        assert_eq!(b["error"]["code"], "invalidRequest");
        assert_eq!(b["error"]["details"][0]["target"], "$filter");
        assert!(b["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("$filter: is not understood")));
        assert!(b["error"]["innerError"]["request-id"].is_string());
        assert!(b["error"]["innerError"]["date"].is_string());
        assert_eq!(
            invalid
                .headers()
                .get(header::CONTENT_TYPE)
                .map(|v| v.as_bytes()),
            Some(&b"application/json"[..])
        );

        let throttled = error(&StoreError::Throttled.into());
        assert_eq!(throttled.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(body(&throttled)["error"]["code"], "activityLimitReached");
        assert!(throttled.headers().contains_key(header::RETRY_AFTER));

        let unauthenticated = error(&AuthError::Unauthenticated.into());
        assert_eq!(body(&unauthenticated)["error"]["code"], "unauthenticated");
        assert!(unauthenticated
            .headers()
            .contains_key(header::WWW_AUTHENTICATE));
        assert!(body(&unauthenticated)["error"].get("details").is_none());
    }

    #[test]
    fn each_status_has_graphs_code() {
        for (status, expected) in [
            (400, "invalidRequest"),
            (401, "unauthenticated"),
            (403, "accessDenied"),
            (404, "itemNotFound"),
            (405, "notSupported"),
            (409, "notAllowed"),
            (413, "invalidRequest"),
            (415, "invalidRequest"),
            (422, "invalidRequest"),
            (429, "activityLimitReached"),
            (500, "generalException"),
            (503, "serviceNotAvailable"),
        ] {
            assert_eq!(code(status), expected, "{status}");
        }
    }

    #[test]
    fn off_the_surface_an_error_stays_problem_json() {
        let answer = error_for("/risky-users", &HttpError::Internal);
        assert_eq!(
            answer
                .headers()
                .get(header::CONTENT_TYPE)
                .map(|v| v.as_bytes()),
            Some(&b"application/problem+json"[..])
        );
        let on = error_for("/graph/v1.0/x", &HttpError::Internal);
        assert_eq!(body(&on)["error"]["code"], "generalException");
    }

    #[test]
    fn orderby_may_only_name_the_lists_own_order() {
        let order = Some("riskLastUpdatedDateTime");
        for text in [
            "riskLastUpdatedDateTime desc",
            "riskLastUpdatedDateTime DESC",
            " riskLastUpdatedDateTime  desc ",
        ] {
            assert_eq!(check_order(text, order), Ok(()), "{text}");
        }
        for text in [
            "riskLastUpdatedDateTime",
            "riskLastUpdatedDateTime asc",
            "riskLevel desc",
            "riskLastUpdatedDateTime desc, id",
            "",
        ] {
            let refused = check_order(text, order).unwrap_err();
            assert_eq!(refused.0[0].field, "$orderby", "{text}");
            assert!(refused.0[0]
                .message
                .contains("riskLastUpdatedDateTime desc"));
        }
        let refused = check_order("riskLastUpdatedDateTime desc", None).unwrap_err();
        assert!(refused.0[0].message.contains("not taken"));
    }

    #[test]
    fn the_next_link_is_absolute_on_the_callers_origin_with_its_options() {
        let mut headers = HeaderMap::new();
        headers.insert("host", header::HeaderValue::from_static("127.0.0.1:8080"));
        headers.insert(
            "x-forwarded-proto",
            header::HeaderValue::from_static("http"),
        );
        let origin = origin(&headers);
        assert_eq!(origin, "http://127.0.0.1:8080");
        let link = next_link(
            &origin,
            "//graph/v1.0//identityProtection/riskyUsers",
            &[
                ("$top", "2"),
                ("$filter", "riskLevel eq 'high'"),
                ("$skiptoken", "old"),
            ],
            "abc_-1",
        );
        assert_eq!(
            link,
            "http://127.0.0.1:8080/graph/v1.0/identityProtection/riskyUsers?$top=2&$filter=riskLevel%20eq%20%27high%27&$skiptoken=abc%5F%2D1"
        );
        assert_eq!(super::origin(&HeaderMap::new()), "https://localhost");
    }
}
