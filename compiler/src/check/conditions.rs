//! E0211: header names that are not HTTP tokens. E0303: one match constrains the same request property twice. Istio's match
//! has one slot per property (one `uri`, one `method`, one header of a name),
//! so such a match cannot be written, and could never hold anyway.

use crate::diag::Diagnostic;
use crate::ir::{Condition, Mesh};

pub fn check(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    for svc in super::services(mesh) {
        for m in svc.routes.iter().flat_map(|r| &r.matches) {
            let mut seen: Vec<(String, crate::span::Span)> = Vec::new();
            let mut namespaces: Vec<(String, crate::span::Span)> = Vec::new();
            for c in &m.conditions {
                if let Condition::Header { name, .. } | Condition::WithoutHeader { name, .. } = &c.node {
                    if name.is_empty() || !name.bytes().all(is_token_byte) {
                        out.push(
                            Diagnostic::error("E0211", c.span, format!("`{name}` is not a valid header name"))
                                .with_label("not an HTTP token")
                                .with_help(
                                    "header names are letters, digits and `!#$%&'*+-.^_`|~`, without spaces or colons",
                                ),
                        );
                    }
                }
                // `from service S` also fixes the source namespace (S's own).
                let ns = match &c.node {
                    Condition::SourceWorkload { namespace, .. } | Condition::SourceNamespace(namespace) => {
                        Some(namespace)
                    }
                    _ => None,
                };
                if let Some(ns) = ns {
                    if let Some((other, first)) = namespaces.iter().find(|(n, _)| n != ns) {
                        out.push(
                            Diagnostic::error(
                                "E0303",
                                c.span,
                                format!("this match needs the source in namespace `{ns}` and in `{other}`"),
                            )
                            .with_label("never both")
                            .with_secondary(*first, "first here")
                            .with_help("use `or` for alternatives"),
                        );
                    }
                    namespaces.push((ns.clone(), c.span));
                }
                let Some(slot) = slot(&c.node) else { continue };
                if let Some((_, first)) = seen.iter().find(|(s, _)| *s == slot) {
                    out.push(
                        Diagnostic::error("E0303", c.span, format!("this match tests {slot} twice"))
                            .with_label("second condition on the same property")
                            .with_secondary(*first, "first here")
                            .with_help("`and` requires both, and a request has one value here: use `or` for alternatives, or a regex"),
                    );
                } else {
                    seen.push((slot, c.span));
                }
            }
        }
    }
}

/// The property a condition occupies in Istio's match.
fn slot(c: &Condition) -> Option<String> {
    Some(match c {
        Condition::Path { .. } => "the path".into(),
        Condition::Method(_) => "the method".into(),
        Condition::Authority(_) => "the host".into(),
        Condition::Port(_) => "the port".into(),
        Condition::Header { name, .. } => format!("header `{name}`"),
        Condition::WithoutHeader { name, .. } => format!("the absence of header `{name}`"),
        Condition::Query { name, .. } => format!("query parameter `{name}`"),
        Condition::SourceWorkload { .. } => "the source service".into(),
        Condition::SourceNamespace(_) => "the source namespace".into(),
        Condition::Sni(_) => return None,
    })
}

/// RFC 9110 `tchar`.
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}
