//! E0208 labels, E0209 host names, E0210 object names: Kubernetes and DNS-1123 syntax.

use crate::diag::Diagnostic;
use crate::ir::{LabelPair, Mesh};
use crate::span::Sp;

pub fn check(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    for l in labels(mesh) {
        if let Err(why) = label_key(&l.key.node) {
            out.push(
                Diagnostic::error("E0208", l.key.span, format!("`{}` is not a valid label key: {why}", l.key.node))
                    .with_label("invalid label key")
                    .with_help("a key is `[prefix/]name`: name up to 63 of `a-z A-Z 0-9 - _ .`, starting and ending alphanumeric; prefix a DNS subdomain"),
            );
        }
        if let Err(why) = label_value(&l.value.node) {
            out.push(
                Diagnostic::error(
                    "E0208",
                    l.value.span,
                    format!("`{}` is not a valid label value: {why}", l.value.node),
                )
                .with_label("invalid label value")
                .with_help("a value is empty or up to 63 of `a-z A-Z 0-9 - _ .`, starting and ending alphanumeric"),
            );
        }
    }
    for h in &mesh.values.hosts {
        let name = h.node.strip_prefix("*.").unwrap_or(&h.node);
        if h.node != "*" && !dns_subdomain(name) {
            out.push(
                Diagnostic::error("E0209", h.span, format!("`{}` is not a valid host name", h.node))
                    .with_label("invalid host")
                    .with_help(
                        "host names are lower-case DNS names such as `api.example.com`, optionally starting with `*.`",
                    ),
            );
        }
    }
    for n in names(mesh) {
        if !dns_label(&n.node) {
            let fix = n.node.replace('_', "-");
            out.push(
                Diagnostic::error("E0210", n.span, format!("`{}` is not a valid Kubernetes name", n.node))
                    .with_label("not a DNS-1123 label")
                    .with_help(if dns_label(&fix) {
                        format!("names are up to 63 of `a-z 0-9 -`, starting and ending alphanumeric; e.g. `{fix}`")
                    } else {
                        "names are up to 63 of `a-z 0-9 -`, starting and ending alphanumeric".to_string()
                    }),
            );
        }
    }
}

fn label_name(s: &str) -> Result<(), &'static str> {
    if s.is_empty() {
        return Err("the name part is empty");
    }
    if s.len() > 63 {
        return Err("must be 1 to 63 characters");
    }
    let b = s.as_bytes();
    if !b[0].is_ascii_alphanumeric() || !b[b.len() - 1].is_ascii_alphanumeric() {
        return Err("must start and end with a letter or digit");
    }
    if !b
        .iter()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
    {
        return Err("may only contain letters, digits, `-`, `_` and `.`");
    }
    Ok(())
}

fn label_key(s: &str) -> Result<(), &'static str> {
    match s.split_once('/') {
        Some((prefix, name)) => {
            if prefix.len() > 253 || !dns_subdomain(prefix) {
                return Err("the prefix must be a DNS subdomain");
            }
            label_name(name)
        }
        None => label_name(s),
    }
}

fn label_value(s: &str) -> Result<(), &'static str> {
    if s.is_empty() {
        return Ok(());
    }
    label_name(s)
}

pub fn dns_label(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
}

fn dns_subdomain(s: &str) -> bool {
    !s.is_empty() && s.len() <= 253 && s.split('.').all(dns_label)
}

/// Every label written: selectors, subsets and endpoints.
fn labels(mesh: &Mesh) -> impl Iterator<Item = &LabelPair> {
    super::services(mesh).flat_map(|s| {
        s.selector
            .iter()
            .chain(s.subsets.iter().flat_map(|x| &x.labels))
            .chain(s.endpoints.iter().flat_map(|e| &e.labels))
    })
}

/// Every name that becomes a Kubernetes object or subset name.
fn names(mesh: &Mesh) -> impl Iterator<Item = &Sp<String>> {
    let declared = mesh.namespaces.iter().flat_map(|n| {
        std::iter::once(&n.name).chain(
            n.services
                .iter()
                .flat_map(|s| std::iter::once(&s.name).chain(s.subsets.iter().map(|x| &x.name))),
        )
    });
    declared.chain(&mesh.values.names)
}
