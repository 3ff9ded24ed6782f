//! pest errors -> diagnostics in the user's words (never grammar rule names).

use super::parser::Rule;
use crate::diag::{suggestion, Diagnostic};
use crate::span::{FileId, Span};
use pest::error::{ErrorVariant, InputLocation};

/// E0001: a declaration does not parse.
pub fn syntax_error(file: FileId, text: &str, base: usize, e: &pest::error::Error<Rule>) -> Diagnostic {
    let pos = base
        + match e.location {
            InputLocation::Pos(p) => p,
            InputLocation::Span((s, _)) => s,
        };
    let found = found_at(text, pos);
    let end = pos + found.len().max(if pos < text.len() { 1 } else { 0 });
    let end = (pos..=end.min(text.len()))
        .rev()
        .find(|i| text.is_char_boundary(*i))
        .unwrap_or(pos);
    let span = Span::new(file, pos, end);
    let positives = match &e.variant {
        ErrorVariant::ParsingError { positives, .. } => positives.clone(),
        ErrorVariant::CustomError { .. } => Vec::new(),
    };
    let shown = if found.is_empty() {
        "the end of the line".to_string()
    } else {
        format!("`{found}`")
    };
    let mut d;
    // `setting_stmt` is the last alternative of every statement position.
    if positives.contains(&Rule::setting_key) {
        d = Diagnostic::error("E0001", span, format!("expected a statement, found {shown}"))
            .with_label("not a statement");
        if let Some(s) = suggestion(&found, KEYWORDS.iter().copied()) {
            d = d.with_help(s);
        } else {
            d = d.with_help(
                "statements start with a keyword such as `service`, `port`, `route` or `timeout`; see docs/language.md",
            );
        }
        return d;
    }
    let mut expected: Vec<String> = Vec::new();
    for r in &positives {
        let desc = describe(*r);
        if !desc.is_empty() && !expected.contains(&desc) {
            expected.push(desc);
        }
    }
    if expected.is_empty() {
        expected.push(if base_is_top(text, base) {
            "a declaration (`mesh`, `namespace`, `profile`, `jwt` or `use`)".into()
        } else {
            "a statement".into()
        });
    }
    let list = match expected.len() {
        1 => expected[0].clone(),
        n => format!("{} or {}", expected[..n - 1].join(", "), expected[n - 1]),
    };
    d = Diagnostic::error("E0001", span, format!("expected {list}, found {shown}"))
        .with_label(format!("expected {}", expected[0]));
    if let Some(help) = hint(&positives, &found) {
        d = d.with_help(help);
    }
    d
}

/// Whether the declaration starting at `base` is at the top level (column 0 or first on its line).
fn base_is_top(text: &str, base: usize) -> bool {
    let line_start = text[..base.min(text.len())].rfind('\n').map_or(0, |i| i + 1);
    base == line_start
}

/// The token at `pos`: a word, a quoted string, or one character; empty at a line end.
/// Invisible characters are shown escaped.
fn found_at(text: &str, pos: usize) -> String {
    let rest = text.get(pos..).unwrap_or("");
    let rest = rest.split(['\n', '\r']).next().unwrap_or("");
    if let Some(inner) = rest.strip_prefix('"') {
        let end = inner.find('"').map_or(rest.len(), |i| i + 2);
        return rest[..end].to_string();
    }
    let word: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '%'))
        .collect();
    if !word.is_empty() {
        return word;
    }
    match rest.chars().next() {
        Some(c) if c.is_control() || c == '\u{feff}' => c.escape_unicode().to_string(),
        Some(c) => c.to_string(),
        None => String::new(),
    }
}

fn hint(positives: &[Rule], found: &str) -> Option<String> {
    let first_digit = found.chars().next().is_some_and(|c| c.is_ascii_digit());
    let expects = |rules: &[Rule]| rules.iter().any(|r| positives.contains(r));
    if found.starts_with('"') && (found.len() == 1 || !found[1..].contains('"')) {
        return Some("this string is not closed: end it with `\"` on the same line".into());
    }
    if expects(&[Rule::dur_val, Rule::duration]) && first_digit && found.chars().all(|c| c.is_ascii_digit()) {
        return Some(format!("write a unit: `{found}s` or `{found}ms`"));
    }
    if expects(&[Rule::pct_val, Rule::percent, Rule::weight]) && first_digit && !found.ends_with('%') {
        return Some(format!("percentages end with `%`: `{found}%`"));
    }
    if expects(&[Rule::str_val, Rule::string]) && !found.starts_with('"') && !found.is_empty() {
        return Some(format!("put the value in double quotes: `\"{found}\"`"));
    }
    if positives.contains(&Rule::method) {
        return Some("HTTP methods are upper case, e.g. `GET, POST`".into());
    }
    if positives.contains(&Rule::rbrace) {
        return Some("each statement ends at a newline or `;`; close the block with `}`".into());
    }
    None
}

fn keyword(r: Rule) -> Option<&'static str> {
    let name = format!("{r:?}");
    name.strip_prefix("kw_")?;
    KEYWORDS.iter().copied().find(|k| format!("kw_{k}") == name)
}

fn describe(r: Rule) -> String {
    if let Some(k) = keyword(r) {
        return format!("`{k}`");
    }
    match r {
        Rule::duration | Rule::dur_val => "a duration such as `2s`".into(),
        Rule::int | Rule::int_val => "a number such as `80`".into(),
        Rule::percent | Rule::pct_val => "a percentage such as `10%`".into(),
        Rule::string | Rule::str_val => "a string in double quotes".into(),
        Rule::ident | Rule::param_ref | Rule::service_ref | Rule::profile_path => "a name".into(),
        Rule::egress_item => "a name".into(),
        Rule::method => "an HTTP method such as `GET`".into(),
        Rule::label | Rule::labels | Rule::label_key => "a label such as `app=web`".into(),
        Rule::label_value | Rule::bare_value => "a label value".into(),
        Rule::setting_key => "a setting such as `max_connections`".into(),
        Rule::literal => "a value".into(),
        Rule::lbrace => "`{`".into(),
        Rule::rbrace => "`}`".into(),
        Rule::arrow => "`=>`".into(),
        Rule::eq => "`==`".into(),
        Rule::EOI => "the end of the statement".into(),
        Rule::block => "a `{ ... }` block".into(),
        Rule::condition | Rule::match_alt => "a condition such as `path prefix \"/api\"`".into(),
        Rule::value_match => "`==`, `prefix`, `regex` or `present`".into(),
        Rule::string_match => "a string, `prefix` or `regex`".into(),
        Rule::destination | Rule::destinations | Rule::dest_target => "a destination".into(),
        Rule::weight => "a weight such as `10%` or `rest`".into(),
        Rule::param => "a parameter such as `attempts: int = 3`".into(),
        Rule::param_type => "a type (`int`, `duration`, `percent`, `string` or `name`)".into(),
        Rule::arg => "an argument such as `attempts: 2`".into(),
        Rule::hash_key => "`cookie`, `header`, `source_ip` or `query`".into(),
        Rule::tls_opt | Rule::tls_key => "a TLS option (`sni`, `ca`, `san`, `cert`, `key`, `credential`)".into(),
        Rule::header_op => "`set`, `add` or `remove`".into(),
        Rule::cors_item => "a CORS setting such as `origins`".into(),
        Rule::source | Rule::source_term | Rule::source_field => "a source such as `service web`".into(),
        Rule::operation | Rule::op_term | Rule::op_field => "an operation such as `method GET`".into(),
        Rule::sec_cond | Rule::cond_key => "a condition such as `claim \"groups\"`".into(),
        Rule::cond_op => "`==`, `in`, `not in` or `contains`".into(),
        _ => String::new(),
    }
}

/// Every keyword of the grammar (for suggestions).
pub const KEYWORDS: &[&str] = &[
    "mesh",
    "namespace",
    "profile",
    "jwt",
    "use",
    "std",
    "int",
    "duration",
    "percent",
    "string",
    "name",
    "service",
    "external",
    "port",
    "target",
    "selector",
    "account",
    "subsets",
    "subset",
    "endpoint",
    "labels",
    "weight",
    "host",
    "resolution",
    "address",
    "internal",
    "balance",
    "sticky",
    "cookie",
    "header",
    "source_ip",
    "query",
    "ttl",
    "path",
    "ring",
    "maglev",
    "limits",
    "eject",
    "tls",
    "sni",
    "ca",
    "san",
    "cert",
    "key",
    "credential",
    "timeout",
    "retries",
    "off",
    "per_try",
    "on",
    "route",
    "when",
    "or",
    "and",
    "default",
    "ignore_case",
    "not",
    "method",
    "from",
    "prefix",
    "regex",
    "present",
    "redirect",
    "code",
    "rest",
    "rewrite",
    "fault",
    "delay",
    "abort",
    "mirror",
    "request",
    "response",
    "set",
    "add",
    "remove",
    "cors",
    "origins",
    "methods",
    "headers",
    "expose",
    "max_age",
    "credentials",
    "egress",
    "auto",
    "outbound",
    "mtls",
    "domain",
    "root_namespace",
    "authenticate",
    "require",
    "allow",
    "deny",
    "audit",
    "all",
    "nothing",
    "to",
    "principal",
    "authenticated",
    "ip",
    "remote_ip",
    "claim",
    "source_namespace",
    "source_principal",
    "audience",
    "presenter",
    "destination_port",
    "in",
    "contains",
    "issuer",
    "jwks_uri",
    "jwks",
    "audiences",
    "forward_token",
    "payload",
];
