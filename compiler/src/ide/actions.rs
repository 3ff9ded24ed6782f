//! Quick fixes: take a "did you mean" suggestion; make `%` weights add up to 100.

use super::{Analysis, TextEdit};
use crate::diag::{suggested, Diagnostic};
use crate::span::Span;
use crate::syntax::ast::{ActionKind, Dest, ExprKind, ItemKind, Stmt, StmtKind, Weight};

#[derive(Debug, Clone, PartialEq)]
pub struct CodeAction {
    pub title: String,
    pub edits: Vec<TextEdit>,
    /// The diagnostic it fixes.
    pub fixes: Diagnostic,
    /// The obvious fix, for "fix all" and keyboard shortcuts.
    pub preferred: bool,
}

pub fn code_actions(a: &Analysis, span: Span) -> Vec<CodeAction> {
    let touches = |d: &&Diagnostic| d.span.file == span.file && d.span.start <= span.end && span.start <= d.span.end;
    let mut out = Vec::new();
    for d in a.compilation.diagnostics.iter().filter(touches) {
        if let Some(name) = d.help.as_deref().and_then(suggested) {
            out.extend(did_you_mean(a, d, name));
        }
        if d.code == "E0301" && d.message.starts_with("weights add up to") {
            out.extend(weights(a, d));
        }
    }
    out
}

fn did_you_mean(a: &Analysis, d: &Diagnostic, name: &str) -> Option<CodeAction> {
    let written = a.text(d.span.file).get(d.span.range())?;
    let mut span = d.span;
    // `NAME.NS` with a misspelt NAME: keep the namespace.
    if let (Some(dot), false) = (written.find('.'), name.contains('.')) {
        span.end = span.start + dot as u32;
    }
    Some(CodeAction {
        title: format!("Change to `{name}`"),
        edits: vec![TextEdit {
            span,
            text: name.to_string(),
        }],
        fixes: d.clone(),
        preferred: true,
    })
}

/// For a split whose percentages miss 100: set the last one to what is left,
/// or let the last destination take the `rest`.
fn weights(a: &Analysis, d: &Diagnostic) -> Vec<CodeAction> {
    let Some(dests) = split_at(a, d.span) else {
        return Vec::new();
    };
    let mut percents = Vec::new();
    for dest in dests {
        match &dest.weight {
            Some(Weight::Percent(e)) => match e.kind {
                ExprKind::Percent(p) => percents.push((p, e.span)),
                _ => return Vec::new(),
            },
            _ => return Vec::new(),
        }
    }
    let Some(&(_, last)) = percents.last() else {
        return Vec::new();
    };
    let others: f64 = percents[..percents.len() - 1].iter().map(|p| p.0).sum();
    let left = 100.0 - others;
    if left <= 0.0 {
        return Vec::new();
    }
    let edit = |text: String| vec![TextEdit { span: last, text }];
    let mut out = Vec::new();
    if left.fract() == 0.0 {
        out.push(CodeAction {
            title: format!("Set the last weight to {left}% so the weights add up to 100%"),
            edits: edit(format!("{left}%")),
            fixes: d.clone(),
            preferred: true,
        });
    }
    out.push(CodeAction {
        title: format!("Give the last destination the rest ({left}%)"),
        edits: edit("rest".into()),
        fixes: d.clone(),
        preferred: false,
    });
    out
}

/// The destinations of the rule whose split spans `span`.
fn split_at(a: &Analysis, span: Span) -> Option<&[Dest]> {
    let module = a.compilation.modules.get(span.file as usize)?;
    let mut stack: Vec<&Stmt> = Vec::new();
    for item in &module.items {
        match &item.kind {
            ItemKind::Namespace { members, .. } => stack.extend(members),
            ItemKind::Profile(p) => stack.extend(&p.body),
            _ => {}
        }
    }
    while let Some(s) = stack.pop() {
        match &s.kind {
            StmtKind::Service { body, .. } | StmtKind::External { body, .. } | StmtKind::Route(body) => {
                stack.extend(body)
            }
            StmtKind::Rule(r) => {
                if let ActionKind::Route(dests) = &r.action.kind {
                    if dests.first().is_some_and(|f| f.span.start == span.start) {
                        return Some(dests);
                    }
                }
            }
            _ => {}
        }
    }
    None
}
