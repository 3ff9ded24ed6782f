//! E0413: HTTP-only fields on rules that apply to services with only TCP
//! ports. Istio drops such ALLOW rules (denying everything) and widens such
//! DENY rules (denying everything): refuse them.

use super::scopes;
use crate::diag::Diagnostic;
use crate::ir::{AuthzAction, Mesh, RuleBody, Service};
use crate::span::Span;

pub fn check(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    let tcp_only = |s: &Service| !s.ports.is_empty() && !s.ports.iter().any(|p| p.protocol.node.is_http());
    for scope in scopes(mesh) {
        // The TCP-only services a rule of this scope applies to.
        let targets: Vec<&Service> = match (scope.service, scope.namespace) {
            (Some(s), _) => vec![s],
            (None, Some(ns)) => ns.services.iter().collect(),
            (None, None) => mesh.namespaces.iter().flat_map(|n| &n.services).collect(),
        };
        let Some(svc) = targets.into_iter().find(|s| tcp_only(s)) else {
            continue;
        };
        if let Some(span) = scope.security.require_jwt {
            report(out, span, svc, AuthzAction::Deny, "`require jwt`");
        }
        for rule in &scope.security.rules {
            let RuleBody::Match { from, to, when } = &rule.body else {
                continue;
            };
            let fields = from
                .iter()
                .chain(to)
                .flat_map(|p| &p.fields)
                .filter(|f| f.kind.http_only())
                .map(|f| f.span);
            let conds = when.iter().filter(|c| c.key.http_only()).map(|c| c.span);
            for span in fields.chain(conds) {
                report(out, span, svc, rule.action, "HTTP-only field");
            }
        }
    }
}

fn report(out: &mut Vec<Diagnostic>, span: Span, svc: &Service, action: AuthzAction, what: &str) {
    let effect = if action == AuthzAction::Allow {
        "Istio drops ALLOW rules with HTTP fields on TCP traffic, so this would deny every connection"
    } else {
        "Istio ignores HTTP fields on TCP traffic, so this rule would apply to every connection"
    };
    out.push(
        Diagnostic::error(
            "E0413",
            span,
            format!("{what} on `{}`, which has only TCP ports", svc.name.node),
        )
        .with_label("TCP connections carry no HTTP attributes")
        .with_secondary(svc.name.span, "no HTTP port")
        .with_help(format!(
            "{effect}; match by `port`, `ip` or identity instead, or declare the port as `http`"
        )),
    );
}
