//! Values of expressions: profile parameters substituted, types checked.

use std::collections::HashMap;
use std::rc::Rc;

use crate::diag::{suggestion, Diagnostic};
use crate::ir::Values;
use crate::span::{Sp, Span};
use crate::syntax::ast::{Expr, ExprKind, ParamType};

/// Where statements come from: the top level, or a profile `use` with its bindings.
#[derive(Debug, Default)]
pub struct Frame {
    pub env: HashMap<String, Expr>,
    /// The `use` statement that brought these statements in.
    pub use_site: Option<Span>,
    pub depth: u32,
    /// The profile whose body these statements are, and the frame that used it.
    pub profile: Option<String>,
    pub parent: Option<FrameRef>,
}

impl Frame {
    /// Whether `name` is being expanded already (a cycle if used again).
    pub fn expanding(&self, name: &str) -> bool {
        self.profile.as_deref() == Some(name) || self.parent.as_ref().is_some_and(|p| p.expanding(name))
    }
}

pub type FrameRef = Rc<Frame>;

pub fn kind_name(k: &ExprKind) -> &'static str {
    match k {
        ExprKind::Int(_) => "a number",
        ExprKind::Duration(_) => "a duration",
        ExprKind::Percent(_) => "a percentage",
        ExprKind::Str(_) => "a string",
        ExprKind::Param(_) => "a name",
    }
}

pub fn type_matches(ty: ParamType, k: &ExprKind) -> bool {
    matches!(
        (ty, k),
        (ParamType::Int, ExprKind::Int(_))
            | (ParamType::Duration, ExprKind::Duration(_))
            | (ParamType::Percent, ExprKind::Percent(_))
            | (ParamType::String, ExprKind::Str(_))
            | (ParamType::Name, ExprKind::Param(_) | ExprKind::Str(_))
    )
}

/// Evaluates expressions and records every literal for the range checks.
pub struct Eval<'d> {
    pub diags: &'d mut Vec<Diagnostic>,
    pub values: &'d mut Values,
}

impl Eval<'_> {
    /// The value of `e`, and where a parameter was referenced if it was one.
    fn resolve(&mut self, e: &Expr, frame: &Frame, expected: &str) -> Option<(Expr, Option<Span>)> {
        if let ExprKind::Param(name) = &e.kind {
            if let Some(v) = frame.env.get(name) {
                return Some((v.clone(), Some(e.span)));
            }
            let mut d = Diagnostic::error("E0103", e.span, format!("unknown parameter `{name}`"))
                .with_label(format!("expected {expected}"));
            d = match suggestion(name, frame.env.keys().map(String::as_str)) {
                Some(s) => d.with_help(s),
                None => d.with_help(format!(
                    "write {expected} here, or declare `{name}` as a profile parameter"
                )),
            };
            self.diags.push(d);
            return None;
        }
        Some((e.clone(), None))
    }

    fn mismatch(&mut self, (e, via): (Expr, Option<Span>), expected: &str, example: &str) {
        let mut d = Diagnostic::error(
            "E0104",
            e.span,
            format!("expected {expected}, found {}", kind_name(&e.kind)),
        )
        .with_label(format!("expected {expected}"))
        .with_help(format!("write {expected} such as `{example}`"));
        if let Some(at) = via {
            d = d.with_secondary(at, format!("the parameter is used here, where {expected} is needed"));
        }
        self.diags.push(d);
    }

    pub fn duration(&mut self, e: &Expr, frame: &Frame) -> Option<Sp<u64>> {
        let (e, via) = self.resolve(e, frame, "a duration")?;
        match e.kind {
            ExprKind::Duration(ns) => {
                let v = Sp::new(ns, e.span);
                self.values.durations.push(v.clone());
                Some(v)
            }
            _ => {
                self.mismatch((e, via), "a duration", "2s");
                None
            }
        }
    }

    pub fn int(&mut self, e: &Expr, frame: &Frame) -> Option<Sp<u64>> {
        let (e, via) = self.resolve(e, frame, "a number")?;
        match e.kind {
            ExprKind::Int(n) => Some(Sp::new(n, e.span)),
            _ => {
                self.mismatch((e, via), "a number", "10");
                None
            }
        }
    }

    /// A number within `range` (ports, weights, status codes).
    pub fn ranged(
        &mut self,
        e: &Expr,
        frame: &Frame,
        range: std::ops::RangeInclusive<u32>,
        what: &str,
    ) -> Option<Sp<u32>> {
        let n = self.int(e, frame)?;
        if n.node < u64::from(*range.start()) || n.node > u64::from(*range.end()) {
            let shown = if n.node == u64::MAX {
                "too large".to_string()
            } else {
                format!("`{}`", n.node)
            };
            self.diags.push(
                Diagnostic::error("E0206", n.span, format!("{what} {shown} is out of range"))
                    .with_label(format!("not between {} and {}", range.start(), range.end()))
                    .with_help(format!(
                        "a {what} is a number from {} to {}",
                        range.start(),
                        range.end()
                    )),
            );
            return None;
        }
        Some(Sp::new(n.node as u32, n.span))
    }

    pub fn percent(&mut self, e: &Expr, frame: &Frame) -> Option<Sp<f64>> {
        let (e, via) = self.resolve(e, frame, "a percentage")?;
        match e.kind {
            ExprKind::Percent(p) => {
                let v = Sp::new(p, e.span);
                self.values.percents.push(v.clone());
                Some(v)
            }
            _ => {
                self.mismatch((e, via), "a percentage", "10%");
                None
            }
        }
    }

    pub fn string(&mut self, e: &Expr, frame: &Frame) -> Option<Sp<String>> {
        let (e, via) = self.resolve(e, frame, "a string")?;
        match e.kind {
            // A bare name can only get here as the value of a `name` parameter.
            ExprKind::Str(s) | ExprKind::Param(s) => Some(Sp::new(s, e.span)),
            _ => {
                self.mismatch((e, via), "a string", "\"value\"");
                None
            }
        }
    }

    pub fn regex(&mut self, e: &Expr, frame: &Frame) -> Option<Sp<String>> {
        let s = self.string(e, frame)?;
        self.values.regexes.push(s.clone());
        Some(s)
    }
}
