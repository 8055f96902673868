//! What every HTTP function shares: JSON and problem+json responses, bodies, query strings.

pub mod answers;
pub mod graph;
pub mod odata;
pub mod problem;
pub mod router;

// `route!` names it from the functions' crates, which need not depend on it themselves.
#[doc(hidden)]
pub use paste;

pub use problem::HttpError;

use std::collections::HashMap;

use http::{header, HeaderMap, Response, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;

use riskfeedback::errors::Invalid;
use riskfeedback::limits::{DEFAULT_PAGE_SIZE, MAX_BODY_BYTES, MAX_CURSOR_LEN, MAX_PAGE_SIZE};
use riskfeedback::store::{Page, PageRequest};
use riskfeedback::validate::parse_json;

pub type HttpResponse = Response<Vec<u8>>;

pub fn json<T: Serialize>(status: StatusCode, value: &T) -> HttpResponse {
    match serde_json::to_vec(value) {
        Ok(body) => with_body(status, "application/json", body),
        Err(_) => problem(&HttpError::Internal),
    }
}

/// `202 Accepted` for queued work, with a `Location` to watch it.
pub fn accepted<T: Serialize>(location: &str, value: &T) -> HttpResponse {
    with_location(json(StatusCode::ACCEPTED, value), location)
}

/// `201 Created` with the new resource and its `Location`.
pub fn created<T: Serialize>(location: &str, value: &T) -> HttpResponse {
    with_location(json(StatusCode::CREATED, value), location)
}

fn with_location(mut response: HttpResponse, location: &str) -> HttpResponse {
    if let Ok(value) = location.parse() {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

pub fn no_content() -> HttpResponse {
    let mut response = Response::new(Vec::new());
    *response.status_mut() = StatusCode::NO_CONTENT;
    response
}

/// The answer to an error: its problem+json, and the headers its status calls for.
pub fn problem(error: &HttpError) -> HttpResponse {
    let problem = problem::to_problem(error);
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_vec(&problem).unwrap_or_default();
    let mut response = with_body(status, "application/problem+json", body);
    if status == StatusCode::UNAUTHORIZED {
        // RFC 6750: a 401 names the scheme that would have been accepted.
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer"),
        );
    }
    if let Some(seconds) = problem::retry_after(problem.status) {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
    }
    response
}

pub(crate) fn with_body(
    status: StatusCode,
    content_type: &'static str,
    body: Vec<u8>,
) -> HttpResponse {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static(content_type),
    );
    response
}

/// A JSON body: the right content type, a bounded size, and fields named in every error.
pub fn json_body<T: DeserializeOwned>(headers: &HeaderMap, body: &[u8]) -> Result<T, HttpError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let media_type = content_type.split(';').next().unwrap_or_default().trim();
    if !media_type.eq_ignore_ascii_case("application/json") {
        return Err(HttpError::UnsupportedMediaType);
    }
    if body.len() > MAX_BODY_BYTES {
        return Err(HttpError::PayloadTooLarge {
            limit: MAX_BODY_BYTES,
        });
    }
    Ok(parse_json(body)?)
}

/// The query string of one route: only the parameters it knows, each at most once.
#[derive(Debug, Default)]
pub struct Query {
    params: HashMap<String, String>,
}

impl Query {
    /// `pairs` are the decoded parameters; `allowed` the ones the route declares.
    pub fn parse(pairs: &[(String, String)], allowed: &[&str]) -> Result<Query, Invalid> {
        let mut params = HashMap::new();
        for (name, value) in pairs {
            if !allowed.contains(&name.as_str()) {
                return Err(Invalid::field(
                    name.clone(),
                    "is not a parameter of this route",
                ));
            }
            if params.insert(name.clone(), value.clone()).is_some() {
                return Err(Invalid::field(name.clone(), "may be given only once"));
            }
        }
        Ok(Query { params })
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }

    /// An enum-valued parameter, parsed with the same names as in JSON.
    pub fn parsed<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>, Invalid> {
        self.get(name)
            .map(|v| {
                serde_json::from_value(serde_json::Value::String(v.to_string()))
                    .map_err(|_| Invalid::field(name, format!("{v:?} is not a valid value")))
            })
            .transpose()
    }

    pub fn flag(&self, name: &str) -> Result<bool, Invalid> {
        match self.get(name) {
            None | Some("false") => Ok(false),
            Some("true") => Ok(true),
            Some(_) => Err(Invalid::field(name, "must be true or false")),
        }
    }

    pub fn page(&self) -> Result<PageRequest, Invalid> {
        let limit = match self.get("limit") {
            None => DEFAULT_PAGE_SIZE,
            Some(v) => v
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=MAX_PAGE_SIZE).contains(n))
                .ok_or_else(|| {
                    Invalid::field(
                        "limit",
                        format!("must be a whole number from 1 to {MAX_PAGE_SIZE}"),
                    )
                })?,
        };
        let cursor = self.get("cursor").map(str::to_string);
        if cursor
            .as_deref()
            .is_some_and(|c| c.is_empty() || c.len() > MAX_CURSOR_LEN)
        {
            return Err(Invalid::field("cursor", "is not a cursor this API issued"));
        }
        Ok(PageRequest { limit, cursor })
    }
}

/// The list shape of SPEC 8.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListBody<T> {
    pub value: Vec<T>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// `200` with one page of a list.
pub fn list_page<T: Serialize>(page: Page<T>) -> HttpResponse {
    json(
        StatusCode::OK,
        &ListBody {
            value: page.value,
            next_cursor: page.next_cursor,
        },
    )
}

/// Path segments after the leading slash, without empty ones from a trailing slash, each
/// percent-decoded (SPEC 1: an id in a path is percent-encoded, and decoded before use).
pub fn segments(path: &str) -> Result<Vec<String>, Invalid> {
    // Split before decoding, so that an encoded `/` stays inside its id. Decoding is lenient:
    // a `%` not followed by two hex digits stays as it is.
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(|segment| {
            percent_encoding::percent_decode_str(segment)
                .decode_utf8()
                .map(|decoded| decoded.into_owned())
                .map_err(|_| Invalid::field("path", "must be UTF-8 once percent-decoded"))
        })
        .collect()
}
