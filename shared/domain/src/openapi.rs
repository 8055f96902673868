//! What the OpenAPI descriptions of both HTTP functions share (feature `openapi`): paging, and
//! the API's vocabulary of strings as named schemas, so that a field says `Id` or `Comment` and
//! the document states the rule `validate` enforces. Generated clients and contract fuzzers
//! read these rules; Schemathesis, run by `scripts/schemathesis`, checks that the server keeps
//! to them both ways (valid data accepted, invalid data refused).

use crate::limits::{
    MAX_ADDITIONAL_INFO_LEN, MAX_BULK_TARGETS, MAX_COMMENT_LEN, MAX_CURSOR_LEN, MAX_ENTITY_ID_LEN,
    MAX_EVIDENCE_LEN, MAX_EVIDENCE_URL_LEN, MAX_ID_LEN, MAX_NAME_LEN, MAX_TEXT_LEN,
};
use utoipa::openapi::schema::{
    AnyOfBuilder, ArrayBuilder, ObjectBuilder, Schema, SchemaFormat, SchemaType, Type,
};
use utoipa::openapi::RefOr;
use utoipa::{IntoParams, PartialSchema, ToSchema};

/// Paging of every list (SPEC 8).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    /// Items per page, 1 to 500.
    #[param(minimum = 1, maximum = 500, default = 100)]
    pub limit: Option<u32>,
    /// The `nextCursor` of the previous page, as it was sent: a cursor is opaque, and one this
    /// API did not issue (to this tenant, for this list) is refused.
    #[param(value_type = Option<Cursor>)]
    pub cursor: Option<String>,
}

/// `Idempotency-Key`: a retry with the same key and body answers as the first attempt did.
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
pub struct Idempotency {
    #[param(
        rename = "Idempotency-Key",
        nullable = false,
        min_length = 1,
        max_length = 128,
        pattern = "^[!-~]+$"
    )]
    pub idempotency_key: Option<String>,
}

/// Characters no id or text may hold: C0 and C1 controls (`char::is_control`) and the
/// bidirectional embeddings, overrides and isolates (`validate::is_bidi_control`).
const CONTROL_OR_BIDI: &str = r"\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069";
/// Unicode `White_Space`, which `str::trim` removes.
const WHITE_SPACE: &str =
    r"\u0009-\u000D\u0020\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000";

fn id_pattern() -> String {
    format!(r"^(?!\.\.?$)[^{CONTROL_OR_BIDI}]+$")
}

/// Text: something besides white space, no controls but tab, LF and CRLF, no bidi controls.
fn text_pattern() -> String {
    let control_but_tab_lf = r"\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069";
    format!(r"^(?=[\s\S]*[^{WHITE_SPACE}])(?:[^{control_but_tab_lf}]|\r\n)*$")
}

fn string(min: usize, max: usize, pattern: String, description: String) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::String))
        .min_length(Some(min))
        .max_length(Some(max))
        .pattern(Some(pattern))
        .description(Some(description))
        .into()
}

fn text(max: usize) -> RefOr<Schema> {
    string(
        1,
        max,
        text_pattern(),
        format!(
            "Free text of at most {max} characters, not only white space; it may hold tabs and \
             line breaks (LF or CRLF), but no other control characters and no bidirectional \
             embedding, override or isolate characters."
        ),
    )
}

/// A schema named after the Rust type that stands for it in field attributes.
macro_rules! named_schema {
    ($(#[$doc:meta])* $name:ident => $schema:expr) => {
        $(#[$doc])*
        pub struct $name;

        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                $schema
            }
        }

        impl ToSchema for $name {}
    };
}

named_schema!(
    /// SPEC 1's ids of principals, sign-ins, detections, actions and the API's own records.
    Id => string(
        1,
        MAX_ID_LEN,
        id_pattern(),
        format!(
            "Another system's id (a UPN, a GUID, a message id): 1 to {MAX_ID_LEN} characters \
             without control or bidirectional-override \
             characters, and neither `.` nor `..`. In a path it is percent-encoded."
        ),
    )
);

named_schema!(
    /// The entity of a remediation action: a URL, a message id, a file path.
    EntityId => string(
        1,
        MAX_ENTITY_ID_LEN,
        id_pattern(),
        format!(
            "Another system's reference to the entity: 1 to {MAX_ENTITY_ID_LEN} characters, \
             without control or bidirectional-override characters, and neither `.` nor `..`."
        ),
    )
);

named_schema!(
    /// What the service groups by: detection types, sources, action types.
    Name => string(
        1,
        MAX_NAME_LEN,
        r"^(?!\.\.?$)[A-Za-z0-9._@:-]+$".to_string(),
        format!(
            "1 to {MAX_NAME_LEN} letters, digits and `- _ . @ :`, and neither `.` nor `..`."
        ),
    )
);

named_schema!(
    /// A short free-text field: a display name, a location, a title.
    Text => text(MAX_TEXT_LEN)
);

named_schema!(
    /// A comment, a reason, notes.
    Comment => text(MAX_COMMENT_LEN)
);

named_schema!(
    /// Evidence as a sensor reports it, before anything parses it: an address, a hash.
    ShortText => text(MAX_EVIDENCE_LEN)
);

named_schema!(
    /// Graph's `additionalInfo`.
    AdditionalInfo => text(MAX_ADDITIONAL_INFO_LEN)
);

named_schema!(
    /// A URL as a sensor reports it.
    LongText => text(MAX_EVIDENCE_URL_LEN)
);

/// Up to `MAX_BULK_TARGETS` distinct ids, at least `min`.
fn id_list(min: usize) -> RefOr<Schema> {
    ArrayBuilder::new()
        .items(Id::schema())
        .min_items((min > 0).then_some(min))
        .max_items(Some(MAX_BULK_TARGETS))
        .unique_items(true)
        .description(Some(format!("{min} to {MAX_BULK_TARGETS} distinct ids.")))
        .into()
}

named_schema!(
    /// The ids one bulk call names.
    IdList => id_list(1)
);

named_schema!(
    /// A list's paging cursor.
    Cursor => string(
        1,
        MAX_CURSOR_LEN,
        "^[A-Za-z0-9_-]+$".to_string(),
        "An opaque cursor, as a page's `nextCursor` gave it.".to_string(),
    )
);

/// A string enum of some of `values`' names (which `model::names` checks are their JSON
/// names): the values a field takes where a request accepts fewer than the type has (a new
/// detection is never of risk `none`).
pub fn some_of<T: std::fmt::Display>(values: &[T], description: &str) -> RefOr<Schema> {
    let names: Vec<String> = values.iter().map(T::to_string).collect();
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::String))
        .enum_values(Some(names))
        .description(Some(description))
        .into()
}

/// A string in any of these formats.
fn any_format(formats: &[&str], description: &str) -> RefOr<Schema> {
    formats
        .iter()
        .fold(AnyOfBuilder::new(), |any, format| {
            any.item(
                ObjectBuilder::new()
                    .schema_type(SchemaType::Type(Type::String))
                    .format(Some(SchemaFormat::Custom(format.to_string()))),
            )
        })
        .description(Some(description))
        .into()
}

fn hex(len: usize, what: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::String))
        .pattern(Some(format!("^[0-9A-Fa-f]{{{len}}}$")))
        .description(Some(format!("A {what}: {len} hexadecimal digits.")))
        .into()
}

named_schema!(
    /// A file's SHA-256.
    Sha256 => hex(64, "SHA-256")
);

named_schema!(
    /// A file's SHA-1.
    Sha1 => hex(40, "SHA-1")
);

named_schema!(
    /// What `url::Url` parses with an http or https scheme and a host.
    HttpUrl => ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::String))
        .format(Some(SchemaFormat::Custom("uri".to_string())))
        .pattern(Some(format!(
            r"^[Hh][Tt][Tt][Pp][Ss]?://[^{CONTROL_OR_BIDI}\s/?#](?:[^{CONTROL_OR_BIDI}]*[^{CONTROL_OR_BIDI}\s])?$"
        )))
        .description(Some("An absolute http or https URL with a host."))
        .into()
);

named_schema!(
    /// An IPv4 or IPv6 address, as `std::net::IpAddr` parses it.
    IpAddress => any_format(&["ipv4", "ipv6"], "An IPv4 or IPv6 address.")
);

named_schema!(
    /// A DNS name of two labels or more (`indicators::domain`).
    DomainName => ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::String))
        .pattern(Some(
            r"^(?=.{1,253}\.*$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.*$",
        ))
        .description(Some(
            "A domain name of two labels or more, such as contoso.com: letters, digits and inner \
             hyphens, at most 63 characters a label and 253 in all, besides trailing dots.",
        ))
        .into()
);

named_schema!(
    /// A day of a report period: a date, or a time standing for its day.
    DayOrTime => any_format(
        &["date", "date-time"],
        "A date (`2026-12-02`) or an RFC 3339 time, which stands for its day in UTC.",
    )
);

named_schema!(
    /// The ids a submission links to, if any.
    OptionalIdList => id_list(0)
);
