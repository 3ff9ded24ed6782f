//! E0410: identity sources (`service`, `principal`, `namespace`) on workload
//! ports where mTLS is disabled: no request there carries an identity.
//! W0411: a DENY on identities where mTLS is PERMISSIVE: plaintext requests
//! carry no identity and are not denied.

use super::{scopes, ScopeRef};
use crate::diag::Diagnostic;
use crate::ir::{AuthzAction, AuthzRule, Mesh, MtlsMode, RuleBody};
use crate::span::Span;

pub fn check(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    let all = scopes(mesh);
    for scope in &all {
        for rule in &scope.security.rules {
            let Some(identity) = identity(rule) else { continue };
            let modes = covered(&all, scope, rule);
            if let Some((_, at)) = modes.iter().find(|(m, _)| *m == MtlsMode::Disable) {
                let mut d = Diagnostic::error(
                    "E0410",
                    identity.span,
                    format!("peer identity is unknown: mTLS is disabled for {}", scope.describe()),
                )
                .with_label("never matches without mTLS")
                .with_help("principals and namespaces come from the client's mTLS certificate; enable `mtls strict` (or permissive), or match by `ip`");
                if let Some(at) = at {
                    d = d.with_secondary(*at, "mTLS disabled here");
                }
                out.push(d);
            } else if rule.action == AuthzAction::Deny
                && identity.positive
                && modes.iter().any(|(m, _)| *m == MtlsMode::Permissive)
            {
                out.push(
                        Diagnostic::warning(
                            "W0411",
                            identity.span,
                            format!("plaintext requests bypass this `deny`: mTLS is permissive for {}", scope.describe()),
                        )
                        .with_label("plaintext requests have no identity")
                        .with_help("a plaintext client has no principal or namespace, so this rule never matches it; set `mtls strict` (or deny with `not namespace ...`, which plaintext does match)"),
                    );
            }
        }
    }
}

struct Identity {
    span: Span,
    /// A positive field (plaintext never matches it), not a `not ...` one.
    positive: bool,
}

/// The first identity field or condition of a rule, preferring positive ones.
fn identity(rule: &AuthzRule) -> Option<Identity> {
    let RuleBody::Match { from, when, .. } = &rule.body else {
        return None;
    };
    let fields = from
        .iter()
        .flat_map(|p| &p.fields)
        .filter(|f| f.kind.needs_mtls())
        .map(|f| Identity {
            span: f.span,
            positive: !f.negate,
        });
    let conds = when.iter().filter(|c| c.key.needs_mtls()).map(|c| Identity {
        span: c.span,
        positive: !c.negate,
    });
    let all: Vec<Identity> = fields.chain(conds).collect();
    let first_positive = all.iter().position(|i| i.positive);
    all.into_iter().nth(first_positive.unwrap_or(0))
}

/// The effective mTLS modes of the workload ports a rule applies to (Istio
/// precedence: port > service > namespace > mesh > PERMISSIVE), with where
/// each was set.
fn covered(all: &[ScopeRef], scope: &ScopeRef, rule: &AuthzRule) -> Vec<(MtlsMode, Option<Span>)> {
    let ports = super::rule_ports(rule);
    let workloads: Vec<&ScopeRef> = match (scope.service, scope.namespace) {
        (Some(_), _) => vec![scope],
        (None, Some(ns)) => all
            .iter()
            .filter(|s| s.service.is_some() && s.namespace.is_some_and(|n| n.name.node == ns.name.node))
            .collect(),
        (None, None) => all.iter().filter(|s| s.service.is_some()).collect(),
    };
    if workloads.is_empty() {
        return vec![(scope.mtls, scope.mtls_span)];
    }
    let mut modes = Vec::new();
    for w in workloads {
        let Some(svc) = w.service else { continue };
        let selected: Vec<_> = svc.ports.iter().filter(|p| super::covers(&ports, p)).collect();
        if selected.is_empty() {
            modes.push((w.mtls, w.mtls_span));
        }
        for p in selected {
            modes.push(
                p.mtls
                    .as_ref()
                    .map_or((w.mtls, w.mtls_span), |m| (m.node, Some(m.span))),
            );
        }
    }
    modes
}
