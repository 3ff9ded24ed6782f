//! E0412: rules on JWT identities or claims where no `authenticate jwt`
//! validates tokens: Istio would never see a request principal or claim.

use super::scopes;
use crate::diag::Diagnostic;
use crate::ir::{FieldKind, Mesh, RuleBody};

pub fn check(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    for scope in scopes(mesh) {
        if scope.authenticated {
            continue;
        }
        let mut spans = Vec::new();
        if let Some(r) = scope.security.require_jwt {
            spans.push((r, "`require jwt`"));
        }
        for rule in &scope.security.rules {
            let RuleBody::Match { from, when, .. } = &rule.body else {
                continue;
            };
            spans.extend(
                from.iter()
                    .flat_map(|p| &p.fields)
                    .filter(|f| f.kind == FieldKind::RequestPrincipal)
                    .map(|f| (f.span, "a JWT source")),
            );
            spans.extend(
                when.iter()
                    .filter(|c| c.key.needs_jwt())
                    .map(|c| (c.span, "a JWT claim")),
            );
        }
        for (span, what) in spans {
            out.push(
                Diagnostic::error(
                    "E0412",
                    span,
                    format!("{what} on {}, which no `authenticate jwt` covers", scope.describe()),
                )
                .with_label("no token is ever validated here")
                .with_help("add `authenticate jwt PROVIDER` to the service, its namespace or the mesh"),
            );
        }
    }
}
