//! W0414: `allow nothing` next to `allow` rules of the same scope does nothing.

use super::scopes;
use crate::diag::Diagnostic;
use crate::ir::{AuthzAction, Mesh, RuleBody};

pub fn check(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    for scope in scopes(mesh) {
        let allows = || scope.security.rules.iter().filter(|r| r.action == AuthzAction::Allow);
        let Some(nothing) = allows().find(|r| matches!(r.body, RuleBody::Nothing)) else {
            continue;
        };
        if let Some(other) = allows().find(|r| !matches!(r.body, RuleBody::Nothing)) {
            out.push(
                Diagnostic::warning(
                    "W0414",
                    nothing.span,
                    format!("`allow nothing` has no effect on {}", scope.describe()),
                )
                .with_label("pointless")
                .with_secondary(other.span, "any `allow` rule already makes unmatched requests denied")
                .with_help("remove `allow nothing`: the `allow` rules of this scope are the whole allow-list"),
            );
        }
    }
}
