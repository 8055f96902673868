//! Input rules shared by every route: ids, comments, bulk sizes, and JSON bodies whose
//! errors name the field at fault.

use std::collections::HashSet;

use serde::de::DeserializeOwned;

use crate::errors::{FieldError, Invalid};
use crate::limits::{MAX_ENTITY_ID_LEN, MAX_ID_LEN, MAX_NAME_LEN};

/// Why `value` is not an id of at most `max_chars` characters, if it is not one: ids are
/// printable text, without control or bidirectional-override characters. `.` and `..` are
/// refused because no client can put them in a path: URL normalisation removes them.
pub fn id_problem(value: &str, max_chars: usize) -> Option<String> {
    if value.is_empty() {
        Some("must not be empty".to_string())
    } else if value.chars().count() > max_chars {
        Some(format!("must be at most {max_chars} characters"))
    } else if value.chars().any(char::is_control) {
        Some("must not contain control characters".to_string())
    } else if value.chars().any(is_bidi_control) {
        Some(BIDI_MESSAGE.to_string())
    } else if value == "." || value == ".." {
        Some("must not be . or ..".to_string())
    } else {
        None
    }
}

pub fn is_valid_id(value: &str) -> bool {
    id_problem(value, MAX_ID_LEN).is_none()
}

pub fn is_valid_name(value: &str) -> bool {
    !value.is_empty()
        && value != "."
        && value != ".."
        && value.len() <= MAX_NAME_LEN
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'@' | b':'))
}

/// An id taken from the path or the query string.
pub fn check_id(field: &str, id: &str) -> Result<(), Invalid> {
    let mut errors = Errors::default();
    errors.id(field, id);
    errors.into_result()
}

/// Parses a JSON body; unknown fields, wrong types and syntax errors name the JSON path at fault.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, Invalid> {
    if body.is_empty() {
        return Err(Invalid::field("body", "a JSON body is required"));
    }
    // serde would also read a struct from an array of its fields in order: refuse that form.
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(Invalid::field("body", "must be a JSON object"));
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." || path == "?" {
            "body".to_string()
        } else {
            path
        };
        Invalid::field(field, clean_serde_message(&e.inner().to_string()))
    })?;
    de.end()
        .map_err(|e| Invalid::field("body", clean_serde_message(&e.to_string())))?;
    Ok(value)
}

/// serde's messages end with " at line X column Y", which the `field` already says better.
fn clean_serde_message(message: &str) -> String {
    match message.find(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

/// Collects field errors so one answer names every problem of a request.
#[derive(Debug, Default)]
pub struct Errors(Vec<FieldError>);

impl Errors {
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.into(),
            message: message.into(),
        });
    }

    pub fn id(&mut self, field: impl Into<String>, value: &str) {
        if let Some(message) = id_problem(value, MAX_ID_LEN) {
            self.add(field, message);
        }
    }

    /// Another system's reference to the entity an action concerns: a URL, a message id, a path.
    pub fn entity_id(&mut self, field: impl Into<String>, value: &str) {
        if let Some(message) = id_problem(value, MAX_ENTITY_ID_LEN) {
            self.add(field, message);
        }
    }

    pub fn name(&mut self, field: impl Into<String>, value: &str) {
        if !is_valid_name(value) {
            self.add(
                field,
                format!(
                    "must be 1 to {MAX_NAME_LEN} characters of letters, digits and - _ . @ :, and not . or .."
                ),
            );
        }
    }

    pub fn text(&mut self, field: impl Into<String>, value: &str, max: usize) {
        if value.trim().is_empty() {
            self.add(field, "must not be empty");
        } else if value.chars().count() > max {
            self.add(field, format!("must be at most {max} characters"));
        } else if has_control_outside_line_breaks(value) {
            self.add(field, "must not contain control characters");
        } else if value.chars().any(is_bidi_control) {
            self.add(field, BIDI_MESSAGE);
        }
    }

    pub fn optional_text(&mut self, field: impl Into<String>, value: Option<&str>, max: usize) {
        if let Some(v) = value {
            self.text(field, v, max);
        }
    }

    /// A bulk list of ids: 1..=max, each valid, none repeated.
    pub fn id_list(&mut self, field: &str, ids: &[String], max: usize) {
        if ids.is_empty() {
            self.add(field, "must name at least one id");
        } else if ids.len() > max {
            self.add(
                field,
                format!("must name at most {max} ids, got {}", ids.len()),
            );
        }
        let mut seen = HashSet::new();
        for (i, id) in ids.iter().enumerate() {
            self.id(format!("{field}[{i}]"), id);
            if !seen.insert(id) {
                self.add(format!("{field}[{i}]"), "repeats an earlier id");
            }
        }
    }

    pub fn into_result(self) -> Result<(), Invalid> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(Invalid(self.0))
        }
    }
}

/// Free text may hold tabs and line breaks in either convention: a comment pasted from a
/// Windows clipboard ends its lines with CRLF. A carriage return on its own is no line break.
fn has_control_outside_line_breaks(value: &str) -> bool {
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        let allowed = match c {
            '\n' | '\t' => true,
            '\r' => chars.peek() == Some(&'\n'),
            _ => !c.is_control(),
        };
        if !allowed {
            return true;
        }
    }
    false
}

const BIDI_MESSAGE: &str = "must not contain bidirectional embedding, override or isolate characters (U+202A-U+202E, U+2066-U+2069)";

/// The characters that make text display in an order other than the one it is stored in
/// ("Trojan Source", CVE-2021-42574): a comment or reason an analyst reads in the console or the
/// audit history must say what it stores. Marks (U+200E, U+200F) and joiners stay allowed:
/// right-to-left scripts, Indic scripts and emoji need them.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        ids: Vec<String>,
    }

    #[test]
    fn free_text_refuses_bidi_controls_but_keeps_scripts_that_need_marks_and_joiners() {
        for good in [
            "שלום עולם\u{200F} (RLM)",
            "می\u{200C}خواهم",
            "👩\u{200D}💻 checked the device",
            "line one\nline two\tand a tab",
        ] {
            let mut errors = Errors::default();
            errors.text("comment", good, 1000);
            assert!(errors.into_result().is_ok(), "{good:?}");
        }
        for bad in [
            "safe\u{202E}txt.exe",
            "\u{2066}isolated\u{2069}",
            "a\u{202A}b",
        ] {
            let mut errors = Errors::default();
            errors.text("comment", bad, 1000);
            assert!(errors.into_result().is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn ids_are_other_systems_strings() {
        for good in [
            "3f2c-aa.b@contoso.com",
            "o'brien@contoso.com",
            "<CAF=x1@mail.contoso.example>",
            "https://contoso.example/x?y=1#frag",
            "C:\\Users\\carol\\Downloads\\invoice.pdf.exe",
            "a/b",
            "a b",
            "é",
            &"x".repeat(MAX_ID_LEN),
        ] {
            assert!(is_valid_id(good), "{good:?} should be taken");
        }
        for bad in [
            "",
            ".",
            "..",
            "a\nb",
            "a\u{7f}b",
            "safe\u{202E}gpj.exe",
            &"x".repeat(MAX_ID_LEN + 1),
            &"\u{1F600}".repeat(MAX_ID_LEN + 1),
        ] {
            assert!(!is_valid_id(bad), "{bad:?} should be refused");
        }
        // Characters, not bytes: 256 of four bytes each (`store::items::key_id` keys them).
        assert!(is_valid_id(&"\u{1F600}".repeat(MAX_ID_LEN)));
    }

    #[test]
    fn entity_ids_may_be_long_urls() {
        let long = format!("https://contoso.example/{}", "p".repeat(2000));
        let mut errors = Errors::default();
        errors.entity_id("entity.id", &long);
        assert!(errors.0.is_empty(), "{errors:?}");
        let mut errors = Errors::default();
        errors.id("userId", &long);
        assert_eq!(errors.0[0].message, "must be at most 256 characters");
        let mut errors = Errors::default();
        errors.entity_id("entity.id", &"p".repeat(MAX_ENTITY_ID_LEN + 1));
        assert_eq!(errors.0[0].message, "must be at most 2048 characters");
    }

    #[test]
    fn an_error_of_the_whole_body_names_the_body() {
        let missing = parse_json::<Body>(b"{}").expect_err("ids is required");
        assert_eq!(missing.0[0].field, "body");
        assert!(
            missing.0[0].message.contains("missing field"),
            "{missing:?}"
        );
    }

    #[test]
    fn text_may_be_as_long_as_its_limit() {
        let mut errors = Errors::default();
        errors.text("comment", &"x".repeat(10), 10);
        assert!(errors.0.is_empty(), "{errors:?}");
        errors.text("comment", &"x".repeat(11), 10);
        assert_eq!(errors.0[0].message, "must be at most 10 characters");
    }

    #[test]
    fn a_name_outside_the_key_alphabet_is_a_field_error() {
        let mut errors = Errors::default();
        errors.name("riskEventType", "unfamiliarFeatures");
        assert!(errors.0.is_empty());
        errors.name("riskEventType", "a#b");
        assert_eq!(errors.0[0].field, "riskEventType");
    }

    #[test]
    fn names_keep_the_key_alphabet() {
        assert!(is_valid_name("unfamiliarFeatures"));
        assert!(is_valid_name(&"n".repeat(MAX_NAME_LEN)));
        assert!(is_valid_name("..."));
        for bad in [
            "",
            ".",
            "..",
            "a#b",
            "a b",
            "a/b",
            "é",
            &"n".repeat(MAX_NAME_LEN + 1),
        ] {
            assert!(!is_valid_name(bad), "{bad:?} should be refused");
        }
    }

    #[test]
    fn free_text_takes_crlf_but_no_lone_carriage_return() {
        let mut errors = Errors::default();
        errors.text("comment", "line one\r\nline two\r\n", 1000);
        assert!(errors.0.is_empty(), "{errors:?}");
        for bad in ["line one\rline two", "trailing\r", "\r\r\n", "bell\u{7}"] {
            let mut errors = Errors::default();
            errors.text("comment", bad, 1000);
            assert_eq!(errors.0.len(), 1, "{bad:?} should be refused: {errors:?}");
        }
    }

    #[test]
    fn json_errors_name_the_field() {
        let err = parse_json::<Body>(br#"{"ids": [1]}"#).expect_err("wrong type");
        let Invalid(errors) = err;
        assert_eq!(errors[0].field, "ids[0]");
        let err = parse_json::<Body>(br#"{"ids": [], "extra": 1}"#).expect_err("unknown field");
        let Invalid(errors) = err;
        assert!(errors[0].message.contains("unknown field"), "{errors:?}");
    }

    #[test]
    fn lists_must_be_bounded_and_distinct() {
        let mut errors = Errors::default();
        errors.id_list("userIds", &vec!["a".to_string(); 2], 60);
        assert_eq!(errors.0.len(), 1);
        let mut errors = Errors::default();
        errors.id_list("userIds", &[], 60);
        assert_eq!(errors.0[0].message, "must name at least one id");
    }
}
