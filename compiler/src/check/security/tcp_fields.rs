//! E0413: HTTP-only fields on a service with only TCP ports. Istio drops such
//! ALLOW rules (denying everything) and widens such DENY rules (denying
//! everything): refuse them.

use super::scopes;
use crate::diag::Diagnostic;
use crate::ir::{AuthzAction, Mesh, RuleBody};

pub fn check(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    for scope in scopes(mesh) {
        let Some(svc) = scope.service else { continue };
        if svc.ports.is_empty() || svc.ports.iter().any(|p| p.protocol.node.is_http()) {
            continue;
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
            let effect = if rule.action == AuthzAction::Allow {
                "Istio drops ALLOW rules with HTTP fields on TCP traffic, so this would deny every connection"
            } else {
                "Istio ignores HTTP fields on TCP traffic, so this rule would apply to every connection"
            };
            for span in fields.chain(conds) {
                out.push(
                    Diagnostic::error(
                        "E0413",
                        span,
                        format!("HTTP-only field on `{}`, which has only TCP ports", svc.name.node),
                    )
                    .with_label("TCP connections carry no HTTP attributes")
                    .with_secondary(svc.name.span, "no HTTP port")
                    .with_help(format!(
                        "{effect}; match by `port`, `ip` or identity instead, or declare the port as `http`"
                    )),
                );
            }
        }
    }
}
