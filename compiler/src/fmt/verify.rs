//! The formatter's guard: its output must be the same program as its input.
//!
//! Two checks, both cheap: the same tokens and comments in the same order
//! (only blanks, line breaks and `;` may differ), and the same syntax tree
//! once positions are left out. Doc comments are compared as comments: a
//! statement split off a shared line may lose a `##` block that was never
//! directly above it.

use super::lex::{tokens, Kind, Token};
use crate::syntax::ast::Module;

/// `Err` says how `after` differs from `before`.
pub fn same_program(before: &str, before_module: &Module, after: &str) -> Result<(), String> {
    same_tokens(before, after)?;
    let (after_module, diags) = crate::syntax::parse_file(0, after);
    if let Some(d) = diags.first() {
        return Err(format!("the output does not parse: {} ({})", d.message, d.code));
    }
    if shape(before_module) != shape(&after_module) {
        return Err("the output parses to a different program".into());
    }
    Ok(())
}

fn same_tokens(before: &str, after: &str) -> Result<(), String> {
    let a = tokens(before);
    let b = tokens(after);
    let mut a = a.iter().filter_map(|t| content(before, t));
    let mut b = b.iter().filter_map(|t| content(after, t));
    loop {
        match (a.next(), b.next()) {
            (None, None) => return Ok(()),
            (x, y) if x == y => {}
            (x, y) => {
                let show = |t: Option<(_, &str)>| t.map_or("the end".to_string(), |(_, s)| format!("`{s}`"));
                return Err(format!("the output has {} where the input has {}", show(y), show(x)));
            }
        }
    }
}

fn content<'t>(text: &'t str, t: &Token) -> Option<(Kind, &'t str)> {
    t.kind.is_content().then(|| (t.kind, text[t.start..t.end].trim_end()))
}

/// The tree as text, without spans and docs.
fn shape(m: &Module) -> String {
    let mut m = m.clone();
    m.comments.clear();
    for item in &mut m.items {
        item.doc = None;
        if let crate::syntax::ast::ItemKind::Namespace { members, .. } = &mut item.kind {
            for s in members {
                s.doc = None;
            }
        }
    }
    strip_spans(&format!("{:?}", m.items))
}

/// Removes every `Span { .. }` outside string literals of a `Debug` rendering.
fn strip_spans(debug: &str) -> String {
    const SPAN: &str = "Span { ";
    let mut out = String::with_capacity(debug.len() / 2);
    let mut rest = debug;
    while let Some(c) = rest.chars().next() {
        if c == '"' {
            let end = string_literal_len(rest);
            out.push_str(&rest[..end]);
            rest = &rest[end..];
        } else if rest.starts_with(SPAN) {
            let end = rest.find('}').map_or(rest.len(), |i| i + 1);
            rest = &rest[end..];
        } else {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

/// Length of the `Debug` string literal at the start of `s`.
fn string_literal_len(s: &str) -> usize {
    let b = s.as_bytes();
    let mut i = 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_go_but_strings_stay() {
        let d = r#"Sp { node: "a \"Span { x }\"", span: Span { file: 0, start: 1, end: 2 } }"#;
        assert_eq!(strip_spans(d), r#"Sp { node: "a \"Span { x }\"", span:  }"#);
    }

    #[test]
    fn a_changed_program_is_caught() {
        let before = "namespace a {\n  service b {\n    port 80 http\n  }\n}\n";
        let m = crate::syntax::parse_file(0, before).0;
        assert!(same_program(before, &m, before).is_ok());
        let moved = "namespace a {\n  service b {\n    port 80\n    http\n  }\n}\n";
        assert!(same_program(before, &m, moved).is_err());
        let renamed = "namespace a {\n  service c {\n    port 80 http\n  }\n}\n";
        assert!(same_program(before, &m, renamed).is_err());
    }
}
