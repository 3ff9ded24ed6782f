//! Hover: what a name stands for, or what a keyword does (Markdown).

use std::fmt::Write;

use super::index::Hit;
use super::{keywords, Analysis};
use crate::ir::{self, RefKind};
use crate::span::{FileId, Span};
use crate::syntax::ast::{Item, ItemKind, Profile};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hover {
    /// The word hovered.
    pub span: Span,
    pub markdown: String,
}

pub fn hover(a: &Analysis, file: FileId, offset: usize) -> Option<Hover> {
    if let Some(hit) = a.index.at(file, offset) {
        let markdown = entity(a, &hit)?;
        return Some(Hover { span: hit.at, markdown });
    }
    let (span, word) = super::context::word_at(a.text(file), file, offset)?;
    keywords::doc(word).map(|doc| Hover {
        span,
        markdown: doc.to_string(),
    })
}

fn entity(a: &Analysis, hit: &Hit) -> Option<String> {
    let mesh = &a.compilation.mesh;
    let services = || mesh.namespaces.iter().flat_map(|ns| &ns.services);
    match hit.kind {
        RefKind::Service => Some(match services().find(|s| s.name.span == hit.target) {
            Some(svc) => service(svc),
            None => format!("**service** `{}`", a.text(hit.target.file).get(hit.target.range())?),
        }),
        RefKind::Subset => {
            let mut out = String::new();
            for svc in services() {
                if let Some(sub) = svc.subsets.iter().find(|s| s.name.span == hit.target) {
                    let _ = writeln!(
                        out,
                        "**subset** `{}` of `{}.{}`\n\nlabels: {}\n",
                        sub.name.node,
                        svc.name.node,
                        svc.namespace,
                        labels(&sub.labels)
                    );
                }
            }
            (!out.is_empty()).then(|| out.trim_end().to_string())
        }
        RefKind::Profile => {
            let item = profile_item(a, hit.target)?;
            let ItemKind::Profile(p) = &item.kind else { return None };
            Some(profile(a, p, item.doc.as_deref()))
        }
        RefKind::Provider => mesh.providers.iter().find(|p| p.name.span == hit.target).map(provider),
    }
}

fn profile_item(a: &Analysis, target: Span) -> Option<&Item> {
    a.compilation
        .modules
        .get(target.file as usize)?
        .items
        .iter()
        .find(|i| match &i.kind {
            ItemKind::Profile(p) => p.name.span == target,
            _ => false,
        })
}

fn service(svc: &ir::Service) -> String {
    let mut out = String::new();
    match &svc.kind {
        ir::ServiceKind::Kubernetes => {
            let _ = write!(
                out,
                "**service** `{}` in namespace `{}`\n\n`{}`",
                svc.name.node, svc.namespace, svc.host
            );
        }
        ir::ServiceKind::External { hosts, resolution, .. } => {
            let hosts: Vec<String> = hosts.iter().map(|h| format!("`{}`", h.node)).collect();
            let _ = write!(
                out,
                "**external** `{}` in namespace `{}`\n\nhosts: {} (resolution `{}`)",
                svc.name.node,
                svc.namespace,
                hosts.join(", "),
                match resolution.node {
                    ir::Resolution::Dns => "dns",
                    ir::Resolution::DnsRoundRobin => "dns_round_robin",
                    ir::Resolution::Static => "static",
                    ir::Resolution::None => "none",
                }
            );
        }
    }
    if !svc.ports.is_empty() {
        let ports: Vec<String> = svc
            .ports
            .iter()
            .map(|p| match &p.target {
                Some(t) => format!("`{} {}` (target {})", p.number.node, p.protocol.node.name(), t.node),
                None => format!("`{} {}`", p.number.node, p.protocol.node.name()),
            })
            .collect();
        let _ = write!(out, "\n\nports: {}", ports.join(", "));
    }
    if !svc.subsets.is_empty() {
        out.push_str("\n\nsubsets:");
        for s in &svc.subsets {
            let _ = write!(out, "\n- `{}`: {}", s.name.node, labels(&s.labels));
        }
    }
    if let Some(doc) = &svc.doc {
        let _ = write!(out, "\n\n---\n\n{doc}");
    }
    out
}

fn labels(labels: &[ir::LabelPair]) -> String {
    let l: Vec<String> = labels
        .iter()
        .map(|l| format!("`{}={}`", l.key.node, l.value.node))
        .collect();
    if l.is_empty() {
        "none".into()
    } else {
        l.join(", ")
    }
}

/// `profile NAME(p: type = default, ...)` and its doc comment.
fn profile(a: &Analysis, p: &Profile, doc: Option<&str>) -> String {
    let text = a.text(p.name.span.file);
    let params: Vec<String> = p
        .params
        .iter()
        .map(|param| {
            let mut s = format!("{}: {}", param.name.node, param.ty.node.describe());
            if let Some(d) = param.default.as_ref().and_then(|d| text.get(d.span.range())) {
                let _ = write!(s, " = {d}");
            }
            s
        })
        .collect();
    let origin = if a.is_user_file(p.name.span.file) {
        ""
    } else {
        " (standard library)"
    };
    let mut out = format!("```mesh\nprofile {}({})\n```{origin}", p.name.node, params.join(", "));
    if let Some(doc) = doc {
        let _ = write!(out, "\n\n{doc}");
    }
    out
}

fn provider(p: &ir::JwtProvider) -> String {
    let mut out = format!("**jwt provider** `{}`", p.name.node);
    let mut field = |name: &str, v: Option<&str>| {
        if let Some(v) = v {
            let _ = write!(out, "\n\n{name}: `{v}`");
        }
    };
    field("issuer", p.issuer.as_ref().map(|s| s.node.as_str()));
    field("jwks_uri", p.jwks_uri.as_ref().map(|s| s.node.as_str()));
    if !p.audiences.is_empty() {
        let _ = write!(out, "\n\naudiences: `{}`", p.audiences.join("`, `"));
    }
    out
}
