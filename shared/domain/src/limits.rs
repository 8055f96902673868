//! The limits the API enforces on what it is sent, in one place: the parsers enforce them, the
//! OpenAPI document states them, and the tests probe them.

/// Ids are other systems' strings (SPEC 1): UPNs, URLs, message ids, file paths.
pub const MAX_ID_LEN: usize = 256;
/// An entity of a remediation action may be a long URL or a file path.
pub const MAX_ENTITY_ID_LEN: usize = 2048;
/// Names the service groups by (detection types, sources, action types) and the tenant, which
/// prefixes every key, keep a narrow alphabet that holds no key separator (`#`).
pub const MAX_NAME_LEN: usize = 128;
/// Comments and reasons.
pub const MAX_COMMENT_LEN: usize = 1000;
/// Users or sign-ins one feedback names (SPEC 3).
pub const MAX_BULK_TARGETS: usize = 60;
/// Detections one ingestion call carries.
pub const MAX_DETECTIONS_PER_CALL: usize = 100;
/// Short free text: titles, notes, display names.
pub const MAX_TEXT_LEN: usize = 256;
/// Evidence as a sensor reports it, before anything parses it: an address, a hash.
pub const MAX_EVIDENCE_LEN: usize = 64;
/// A URL as a sensor reports it.
pub const MAX_EVIDENCE_URL_LEN: usize = 2048;
/// Graph's `additionalInfo`: JSON text of a user agent, an alert URL, related locations.
pub const MAX_ADDITIONAL_INFO_LEN: usize = 4096;
/// Credentials one service principal's detection names (`keyIds`).
pub const MAX_KEY_IDS: usize = 100;
/// A cursor carries a DynamoDB key, up to four attributes of ids, in base64.
pub const MAX_CURSOR_LEN: usize = 6144;
/// An `Idempotency-Key`.
pub const MAX_IDEMPOTENCY_KEY_LEN: usize = 128;
/// A whole investigation undone in one call reaches at most this many actions.
pub const MAX_INVESTIGATION_ACTIONS: usize = 500;
/// Actions one ingestion call may carry.
pub const MAX_ACTIONS_PER_CALL: usize = 100;
/// Longest period one report covers.
pub const MAX_QUALITY_DAYS: i64 = 366;
/// The period a report covers when the caller names no start.
pub const DEFAULT_QUALITY_DAYS: i64 = 30;
/// Larger bodies are refused before parsing. An ingestion's record holds its detections in one
/// DynamoDB item (400 KB at most), which this bound keeps it under; 100 detections in Graph's
/// shape take about 150 KB.
pub const MAX_BODY_BYTES: usize = 256 * 1024;
/// Items a page holds when the caller names no `limit`.
pub const DEFAULT_PAGE_SIZE: u32 = 100;
/// The largest `limit` of a page.
pub const MAX_PAGE_SIZE: u32 = 500;

/// How long confirming a user safe puts the user in learning mode, unless `LEARNING_DAYS` says
/// otherwise (SPEC 3a), and the most it may say.
pub const DEFAULT_LEARNING_DAYS: u32 = 14;
pub const MAX_LEARNING_DAYS: u32 = 365;

/// How long a familiar context lives after it was last learned, unless `FAMILIAR_CONTEXT_DAYS`
/// says otherwise (SPEC 3a), and the most it may say.
pub const DEFAULT_FAMILIAR_CONTEXT_DAYS: u32 = 90;
pub const MAX_FAMILIAR_CONTEXT_DAYS: u32 = 730;

/// How long a pending remediation action waits for a decision before it expires, unless
/// `PENDING_ACTION_DAYS` says otherwise (SPEC 3b), and the most it may say.
pub const DEFAULT_PENDING_ACTION_DAYS: u32 = 7;
pub const MAX_PENDING_ACTION_DAYS: u32 = 90;
