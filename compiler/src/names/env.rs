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
    fn resolve(&mut self, e: &Expr, frame: &Frame, expected: &str) -> Option<Expr> {
        if let ExprKind::Param(name) = &e.kind {
            if let Some(v) = frame.env.get(name) {
                return Some(v.clone());
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
        Some(e.clone())
    }

    fn mismatch(&mut self, e: &Expr, expected: &str, example: &str) {
        self.diags.push(
            Diagnostic::error(
                "E0104",
                e.span,
                format!("expected {expected}, found {}", kind_name(&e.kind)),
            )
            .with_label(format!("expected {expected}"))
            .with_help(format!("write {expected} such as `{example}`")),
        );
    }

    pub fn duration(&mut self, e: &Expr, frame: &Frame) -> Option<Sp<u64>> {
        let e = self.resolve(e, frame, "a duration")?;
        match e.kind {
            ExprKind::Duration(ns) => {
                let v = Sp::new(ns, e.span);
                self.values.durations.push(v.clone());
                Some(v)
            }
            _ => {
                self.mismatch(&e, "a duration", "2s");
                None
            }
        }
    }

    pub fn int(&mut self, e: &Expr, frame: &Frame) -> Option<Sp<u64>> {
        let e = self.resolve(e, frame, "a number")?;
        match e.kind {
            ExprKind::Int(n) => Some(Sp::new(n, e.span)),
            _ => {
                self.mismatch(&e, "a number", "10");
                None
            }
        }
    }

    /// A number that must fit the given maximum (ports, weights, codes).
    pub fn small(&mut self, e: &Expr, frame: &Frame, max: u64, what: &str) -> Option<Sp<u32>> {
        let n = self.int(e, frame)?;
        if n.node > max {
            self.diags.push(
                Diagnostic::error("E0206", n.span, format!("{what} `{}` is out of range", n.node))
                    .with_label(format!("at most {max}"))
                    .with_help(format!("a {what} is a number from 1 to {max}")),
            );
            return None;
        }
        Some(Sp::new(n.node as u32, n.span))
    }

    pub fn percent(&mut self, e: &Expr, frame: &Frame) -> Option<Sp<f64>> {
        let e = self.resolve(e, frame, "a percentage")?;
        match e.kind {
            ExprKind::Percent(p) => {
                let v = Sp::new(p, e.span);
                self.values.percents.push(v.clone());
                Some(v)
            }
            _ => {
                self.mismatch(&e, "a percentage", "10%");
                None
            }
        }
    }

    pub fn string(&mut self, e: &Expr, frame: &Frame) -> Option<Sp<String>> {
        let e = self.resolve(e, frame, "a string")?;
        match e.kind {
            ExprKind::Str(s) => Some(Sp::new(s, e.span)),
            _ => {
                self.mismatch(&e, "a string", "\"value\"");
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
