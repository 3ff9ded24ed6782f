//! Document symbols (the outline) and folding ranges.

use super::Analysis;
use crate::fmt::lex::{tokens, Kind};
use crate::span::{FileId, Span};
use crate::syntax::ast::{ItemKind, Stmt, StmtKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SymbolKind {
    Mesh,
    Namespace,
    Service,
    External,
    Port,
    Subset,
    Route,
    Profile,
    Provider,
    Import,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Symbol {
    pub name: String,
    pub detail: Option<String>,
    pub kind: SymbolKind,
    /// The whole declaration.
    pub span: Span,
    /// Its name (inside `span`).
    pub selection: Span,
    pub children: Vec<Symbol>,
}

impl Symbol {
    fn new(name: &str, kind: SymbolKind, span: Span, selection: Span) -> Symbol {
        Symbol {
            name: name.to_string(),
            detail: None,
            kind,
            span,
            selection,
            children: Vec::new(),
        }
    }
}

pub fn symbols(a: &Analysis, file: FileId) -> Vec<Symbol> {
    let Some(module) = a.compilation.modules.get(file as usize) else {
        return Vec::new();
    };
    let text = a.text(file);
    let head = |span: Span, len: usize| Span {
        end: (span.start + len as u32).min(span.end),
        ..span
    };
    let mut out = Vec::new();
    for item in &module.items {
        let sym = match &item.kind {
            ItemKind::Mesh(_) => Symbol::new("mesh", SymbolKind::Mesh, item.span, head(item.span, 4)),
            ItemKind::Namespace { name, members } => Symbol {
                children: members.iter().filter_map(|s| member(s, text)).collect(),
                ..Symbol::new(&name.node, SymbolKind::Namespace, item.span, name.span)
            },
            ItemKind::Profile(p) => Symbol {
                detail: text
                    .get(p.name.span.end as usize..signature_end(text, item.span))
                    .map(str::to_string),
                ..Symbol::new(&p.name.node, SymbolKind::Profile, item.span, p.name.span)
            },
            ItemKind::Jwt { name, .. } => Symbol::new(&name.node, SymbolKind::Provider, item.span, name.span),
            ItemKind::Import(name) => {
                Symbol::new(&format!("std.{}", name.node), SymbolKind::Import, item.span, name.span)
            }
        };
        out.push(sym);
    }
    out
}

/// End of `profile NAME(...)`: the `)` before the body.
fn signature_end(text: &str, item: Span) -> usize {
    let r = item.range();
    text.get(r.clone())
        .and_then(|s| s.find(')'))
        .map_or(r.end, |i| r.start + i + 1)
}

fn member(s: &Stmt, text: &str) -> Option<Symbol> {
    let (name, kind, body) = match &s.kind {
        StmtKind::Service { name, body } => (name, SymbolKind::Service, body),
        StmtKind::External { name, body } => (name, SymbolKind::External, body),
        _ => return None,
    };
    let mut sym = Symbol::new(&name.node, kind, s.span, name.span);
    for b in body {
        match &b.kind {
            StmtKind::Port { .. } => {
                let line = text
                    .get(b.span.range())
                    .and_then(|t| t.lines().next())
                    .unwrap_or("port");
                let label = line.trim_end_matches(['{', ' ']).to_string();
                sym.children.push(Symbol::new(&label, SymbolKind::Port, b.span, b.head));
            }
            StmtKind::Subset { name, .. } => {
                sym.children
                    .push(Symbol::new(&name.node, SymbolKind::Subset, b.span, name.span));
            }
            StmtKind::Subsets { values, .. } => {
                for v in values {
                    sym.children
                        .push(Symbol::new(&v.node, SymbolKind::Subset, b.span, v.span));
                }
            }
            StmtKind::Route(_) => sym
                .children
                .push(Symbol::new("route", SymbolKind::Route, b.span, b.head)),
            _ => {}
        }
    }
    Some(sym)
}

/// A foldable region: from the line of `start` to the line of `end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fold {
    pub start: u32,
    pub end: u32,
    pub comment: bool,
}

/// Every block over several lines, and every run of two or more comment lines.
pub fn folds(text: &str) -> Vec<Fold> {
    let toks = tokens(text);
    let mut out = Vec::new();
    let mut open = Vec::new();
    let mut comments: Option<(usize, usize)> = None;
    let mut prev = Kind::Newline;
    for t in &toks {
        match t.kind {
            Kind::Open => open.push(t.start),
            Kind::Close => {
                if let Some(s) = open.pop() {
                    if text[s..t.start].contains('\n') {
                        out.push(Fold {
                            start: s as u32,
                            end: t.start as u32,
                            comment: false,
                        });
                    }
                }
            }
            _ => {}
        }
        match t.kind {
            // A comment on a line of its own.
            Kind::Comment if prev == Kind::Newline => {
                comments = Some(comments.map_or((t.start, t.end), |(s, _)| (s, t.end)));
            }
            Kind::Newline if prev != Kind::Newline => {}
            _ => flush_comments(text, &mut comments, &mut out),
        }
        prev = t.kind;
    }
    flush_comments(text, &mut comments, &mut out);
    out.sort_by_key(|f| (f.start, f.end));
    out
}

fn flush_comments(text: &str, run: &mut Option<(usize, usize)>, out: &mut Vec<Fold>) {
    if let Some((s, e)) = run.take() {
        if text[s..e].contains('\n') {
            out.push(Fold {
                start: s as u32,
                end: e as u32,
                comment: true,
            });
        }
    }
}
