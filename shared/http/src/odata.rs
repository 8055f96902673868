//! OData's `$filter` as far as Graph's identityProtection lists take it (SPEC 8a): clauses
//! joined by `and`, each `field eq|ne|ge|gt|le|lt value` or `startswith(field, 'text')`, a
//! value being quoted text (`'high'`, `''` for a quote) or an unquoted time
//! (`2026-12-01T00:00:00Z`). Each list says which fields and operators it takes; a filter is then
//! evaluated on the JSON of each item, so that it means the same on every list.

use chrono::{DateTime, Utc};
use serde_json::Value;

use riskfeedback::errors::Invalid;

const FIELD: &str = "$filter";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Ge,
    Gt,
    Le,
    Lt,
    StartsWith,
}

impl Op {
    fn parse(word: &str) -> Option<Op> {
        Some(match word.to_ascii_lowercase().as_str() {
            "eq" => Op::Eq,
            "ne" => Op::Ne,
            "ge" => Op::Ge,
            "gt" => Op::Gt,
            "le" => Op::Le,
            "lt" => Op::Lt,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Op::Eq => "eq",
            Op::Ne => "ne",
            Op::Ge => "ge",
            Op::Gt => "gt",
            Op::Le => "le",
            Op::Lt => "lt",
            Op::StartsWith => "startswith",
        }
    }

    /// The comparisons, which take a time.
    pub const RANGE: [Op; 4] = [Op::Ge, Op::Gt, Op::Le, Op::Lt];
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Literal {
    Text(String),
    Time(DateTime<Utc>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clause {
    pub field: String,
    pub op: Op,
    pub value: Literal,
}

/// What one list's `$filter` may say: each field, with the operators it takes. Text fields
/// take `eq`, `ne` (and `startswith` where listed); time fields the comparisons.
pub struct Allowed<'a> {
    pub text: &'a [(&'a str, &'a [Op])],
    pub times: &'a [&'a str],
}

/// A parsed `$filter`: every clause must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub clauses: Vec<Clause>,
}

impl Filter {
    /// `text` parsed, and checked against what the list allows.
    pub fn parse(text: &str, allowed: &Allowed<'_>) -> Result<Filter, Invalid> {
        let clauses = split_and(text)?
            .into_iter()
            .map(|part| clause(part).and_then(|c| check(c, allowed)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Filter { clauses })
    }

    /// The text an `eq` clause gives `field`, if one does: what a list can ask its store for.
    pub fn equals(&self, field: &str) -> Option<&str> {
        self.clauses.iter().find_map(|c| match (&c.value, c.op) {
            (Literal::Text(text), Op::Eq) if c.field == field => Some(text.as_str()),
            _ => None,
        })
    }

    /// Whether an item, as its JSON, satisfies every clause. Text compares ignoring case, as
    /// Graph's directory does; a missing field satisfies only `ne`.
    pub fn holds(&self, item: &Value) -> bool {
        self.clauses.iter().all(|c| c.holds(item))
    }
}

impl Clause {
    fn holds(&self, item: &Value) -> bool {
        let found = item.get(&self.field).and_then(Value::as_str);
        match (&self.value, found) {
            (Literal::Text(want), Some(have)) => {
                let (want, have) = (want.to_lowercase(), have.to_lowercase());
                match self.op {
                    Op::Eq => have == want,
                    Op::Ne => have != want,
                    Op::StartsWith => have.starts_with(&want),
                    _ => false,
                }
            }
            (Literal::Time(bound), Some(have)) => {
                let Ok(have) = DateTime::parse_from_rfc3339(have) else {
                    return false;
                };
                let have = have.with_timezone(&Utc);
                match self.op {
                    Op::Eq => have == *bound,
                    Op::Ne => have != *bound,
                    Op::Ge => have >= *bound,
                    Op::Gt => have > *bound,
                    Op::Le => have <= *bound,
                    Op::Lt => have < *bound,
                    Op::StartsWith => false,
                }
            }
            (_, None) => self.op == Op::Ne,
        }
    }
}

fn refused(message: impl Into<String>) -> Invalid {
    Invalid::field(FIELD, message)
}

/// The clauses of `text`, split at each `and` outside quotes.
fn split_and(text: &str) -> Result<Vec<&str>, Invalid> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut quoted = false;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\'' => quoted = !quoted,
            b' ' if !quoted => {
                // Compared as bytes: the five after a space need not end on a character.
                let rest = &bytes[i..];
                if rest.len() >= 5 && rest[..5].eq_ignore_ascii_case(b" and ") {
                    parts.push(&text[start..i]);
                    i += 5;
                    start = i;
                    continue;
                }
            }
            _ => {}
        }
        i += 1;
    }
    if quoted {
        return Err(refused("has a quote that is not closed"));
    }
    parts.push(&text[start..]);
    if parts.iter().any(|p| p.trim().is_empty()) {
        return Err(refused("has an empty clause"));
    }
    Ok(parts)
}

/// One clause: `field op value` or `startswith(field, 'text')`, in parentheses or not.
fn clause(text: &str) -> Result<Clause, Invalid> {
    let mut text = text.trim();
    while let Some(inner) = text.strip_prefix('(').and_then(|t| t.strip_suffix(')')) {
        text = inner.trim();
    }
    let lower = text.to_ascii_lowercase();
    if let Some(args) = lower
        .starts_with("startswith(")
        .then(|| &text["startswith(".len()..])
    {
        let args = args
            .strip_suffix(')')
            .ok_or_else(|| refused("startswith( is not closed"))?;
        let (field, value) = args
            .split_once(',')
            .ok_or_else(|| refused("startswith takes a field and a text"))?;
        return Ok(Clause {
            field: name(field)?,
            op: Op::StartsWith,
            value: Literal::Text(quoted(value.trim())?),
        });
    }
    let mut words = text.splitn(3, ' ');
    let (Some(field), Some(op), Some(value)) = (words.next(), words.next(), words.next()) else {
        return Err(refused(format!(
            "{text:?} is not a clause such as riskLevel eq 'high'"
        )));
    };
    let op = Op::parse(op).ok_or_else(|| {
        refused(format!(
            "{op:?} is not an operator this API takes: eq, ne, ge, gt, le, lt, startswith"
        ))
    })?;
    Ok(Clause {
        field: name(field)?,
        op,
        value: literal(value.trim())?,
    })
}

fn name(text: &str) -> Result<String, Invalid> {
    let text = text.trim();
    if text.is_empty() || !text.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(refused(format!("{text:?} is not a property name")));
    }
    Ok(text.to_string())
}

/// Quoted text (`'it''s'`), or an unquoted time.
fn literal(text: &str) -> Result<Literal, Invalid> {
    if text.starts_with('\'') {
        return quoted(text).map(Literal::Text);
    }
    DateTime::parse_from_rfc3339(text)
        .map(|t| Literal::Time(t.with_timezone(&Utc)))
        .map_err(|_| {
            refused(format!(
                "{text:?} is neither quoted text nor an RFC 3339 time"
            ))
        })
}

fn quoted(text: &str) -> Result<String, Invalid> {
    let inner = text
        .strip_prefix('\'')
        .and_then(|t| t.strip_suffix('\''))
        .filter(|_| text.len() >= 2)
        .ok_or_else(|| refused(format!("{text:?} is not quoted text")))?;
    let mut out = String::new();
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\'' && chars.next() != Some('\'') {
            return Err(refused(format!("{text:?} has a quote not doubled")));
        }
        out.push(c);
    }
    Ok(out)
}

fn check(clause: Clause, allowed: &Allowed<'_>) -> Result<Clause, Invalid> {
    let is_time = allowed.times.contains(&clause.field.as_str());
    let text_ops = allowed
        .text
        .iter()
        .find(|(field, _)| *field == clause.field)
        .map(|(_, ops)| *ops);
    let fits = match (&clause.value, text_ops) {
        (Literal::Time(_), _) => is_time && clause.op != Op::StartsWith,
        (Literal::Text(_), Some(ops)) => ops.contains(&clause.op),
        (Literal::Text(_), None) => false,
    };
    if fits {
        return Ok(clause);
    }
    let mut fields: Vec<String> = allowed
        .text
        .iter()
        .map(|(field, ops)| {
            let ops: Vec<&str> = ops.iter().map(|op| op.name()).collect();
            format!("{field} ({})", ops.join(", "))
        })
        .collect();
    fields.extend(
        allowed
            .times
            .iter()
            .map(|field| format!("{field} (eq, ne, ge, gt, le, lt, with a time)")),
    );
    Err(refused(format!(
        "cannot filter on {} {}; this list filters on {}",
        clause.field,
        clause.op.name(),
        fields.join(", ")
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const USERS: Allowed<'static> = Allowed {
        text: &[
            ("riskLevel", &[Op::Eq, Op::Ne]),
            ("userPrincipalName", &[Op::Eq, Op::Ne, Op::StartsWith]),
        ],
        times: &["detectedDateTime"],
    };

    fn parse(text: &str) -> Result<Filter, Invalid> {
        Filter::parse(text, &USERS)
    }

    fn time(text: &str) -> Literal {
        Literal::Time(
            DateTime::parse_from_rfc3339(text)
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_default(),
        )
    }

    #[test]
    fn clauses_join_with_and_in_any_case_and_in_parentheses() {
        let filter = parse(
            "(riskLevel eq 'high') AND startswith(userPrincipalName, 'o''brien') and detectedDateTime ge 2026-12-01T00:00:00Z",
        );
        assert_eq!(
            filter.map(|f| f.clauses),
            Ok(vec![
                Clause {
                    field: "riskLevel".into(),
                    op: Op::Eq,
                    value: Literal::Text("high".into())
                },
                Clause {
                    field: "userPrincipalName".into(),
                    op: Op::StartsWith,
                    value: Literal::Text("o'brien".into())
                },
                Clause {
                    field: "detectedDateTime".into(),
                    op: Op::Ge,
                    value: time("2026-12-01T00:00:00Z")
                },
            ])
        );
    }

    #[test]
    fn a_refusal_says_what_the_list_filters_on() {
        let said = |text: &str| {
            parse(text)
                .err()
                .map(|e| e.0[0].message.clone())
                .unwrap_or_default()
        };
        let unknown = said("riskState eq 'atRisk'");
        assert!(
            unknown.contains("riskLevel (eq, ne)")
                && unknown.contains("userPrincipalName (eq, ne, startswith)")
                && unknown.contains("detectedDateTime (eq, ne, ge, gt, le, lt, with a time)"),
            "{unknown}"
        );
        assert!(said("user-id eq 'x'").contains("is not a property name"));
        assert!(said("riskLevel has 'x'").contains("not an operator"));
    }

    #[test]
    fn equals_gives_the_text_of_that_fields_eq_clause_only() {
        let filter = parse("riskLevel ne 'low' and userPrincipalName eq 'ada@contoso.com'")
            .unwrap_or_default();
        assert_eq!(filter.equals("userPrincipalName"), Some("ada@contoso.com"));
        assert_eq!(filter.equals("riskLevel"), None);
    }

    #[test]
    fn and_inside_quotes_is_text() {
        let filter = parse("userPrincipalName eq 'sand and sea@contoso.com'");
        assert_eq!(
            filter
                .ok()
                .and_then(|f| f.equals("userPrincipalName").map(String::from)),
            Some("sand and sea@contoso.com".to_string())
        );
    }

    #[test]
    fn what_a_list_does_not_take_is_refused_naming_the_filter() {
        for bad in [
            "",
            "riskLevel",
            "riskLevel eq high",
            "riskLevel eq 'high",
            "riskLevel eq 'it's'",
            "riskLevel has 'high'",
            "riskState eq 'atRisk'",
            "riskLevel ge 'high'",
            "startswith(riskLevel, 'h')",
            "startswith(userPrincipalName 'o')",
            "startswith(userPrincipalName, 'o'",
            "detectedDateTime ge 'yesterday'",
            "detectedDateTime ge 2026-13-01T00:00:00Z",
            "riskLevel eq 'high' and",
            "user-id eq 'x'",
            "\u{e5}v0 \u{f1}\r\nG",
            "riskLevel \u{e5}\u{e5} 'high'",
            "riskLevel eq 2026-12-01T00:00:00Z",
        ] {
            match parse(bad) {
                Err(invalid) => assert_eq!(invalid.0[0].field, "$filter", "{bad}"),
                Ok(f) => panic!("{bad:?} taken as {f:?}"),
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn any_text_parses_or_is_refused_naming_the_filter(text in "\\PC{0,40}( [aA][nN][dD] \\PC{0,8}){0,3}") {
            if let Err(invalid) = parse(&text) {
                proptest::prop_assert_eq!(&invalid.0[0].field, "$filter");
            }
        }
    }

    #[test]
    fn a_filter_holds_on_the_items_json() {
        let item = json!({
            "riskLevel": "high",
            "userPrincipalName": "Olack@Adatum.com",
            "detectedDateTime": "2026-12-01T10:00:00.5Z"
        });
        for (text, holds) in [
            ("riskLevel eq 'HIGH'", true),
            ("riskLevel ne 'high'", false),
            ("riskLevel ne 'low'", true),
            ("detectedDateTime gt 2026-12-01T10:00:00Z", true),
            ("detectedDateTime lt 2026-12-01T11:00:00Z", true),
            ("detectedDateTime lt 2026-12-01T10:00:00.5Z", false),
            ("startswith(userPrincipalName, 'olack')", true),
            ("startswith(userPrincipalName, 'bob')", false),
            ("userPrincipalName eq 'olack@adatum.com'", true),
            ("detectedDateTime ge 2026-12-01T10:00:00Z", true),
            ("detectedDateTime gt 2026-12-01T10:00:00.5Z", false),
            ("detectedDateTime le 2026-12-01T10:00:00.5Z", true),
            ("detectedDateTime lt 2026-12-01T10:00:00Z", false),
            ("detectedDateTime eq 2026-12-01T11:00:00.5+01:00", true),
            ("detectedDateTime ne 2026-12-01T10:00:00.5Z", false),
            (
                "riskLevel eq 'high' and detectedDateTime lt 2026-12-01T00:00:00Z",
                false,
            ),
        ] {
            let filter = parse(text).unwrap_or_else(|e| panic!("{text}: {e:?}"));
            assert_eq!(filter.holds(&item), holds, "{text}");
        }
        let missing = json!({});
        assert!(!parse("riskLevel eq 'high'")
            .unwrap_or_default()
            .holds(&missing));
        assert!(parse("riskLevel ne 'high'")
            .unwrap_or_default()
            .holds(&missing));
        let not_a_time = json!({"detectedDateTime": "soon"});
        assert!(!parse("detectedDateTime ge 2026-12-01T00:00:00Z")
            .unwrap_or_default()
            .holds(&not_a_time));
    }
}
