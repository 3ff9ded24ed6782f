//! E0413: HTTP-only fields on rules that apply to TCP ports. Istio drops such
//! ALLOW rules for TCP traffic and strips the HTTP fields from DENY/AUDIT
//! rules, which then match every connection. Refused when a DENY rule (or
//! `require jwt`) covers any TCP port, or an ALLOW rule covers only TCP ports.

use super::scopes;
use crate::diag::Diagnostic;
use crate::ir::{AuthzAction, Mesh, Port, RuleBody, Service};
use crate::span::Span;

pub fn check(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    for scope in scopes(mesh) {
        // The services a rule of this scope applies to.
        let targets: Vec<&Service> = match (scope.service, scope.namespace) {
            (Some(s), _) => vec![s],
            (None, Some(ns)) => ns.services.iter().collect(),
            (None, None) => mesh.namespaces.iter().flat_map(|n| &n.services).collect(),
        };
        if let Some(span) = scope.security.require_jwt {
            if let Some((svc, port)) = targets.iter().find_map(|s| tcp_port(s, &[]).map(|p| (*s, p))) {
                report(out, span, svc, port, AuthzAction::Deny, "`require jwt`");
            }
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
            let spans: Vec<Span> = fields
                .chain(when.iter().filter(|c| c.key.http_only()).map(|c| c.span))
                .collect();
            if spans.is_empty() {
                continue;
            }
            let ports = super::rule_ports(rule);
            let hit = targets.iter().find_map(|s| {
                let tcp = tcp_port(s, &ports)?;
                let only_tcp = !s
                    .ports
                    .iter()
                    .any(|p| super::covers(&ports, p) && p.protocol.node.is_http());
                (rule.action != AuthzAction::Allow || only_tcp).then_some((*s, tcp))
            });
            if let Some((svc, port)) = hit {
                for span in spans {
                    report(out, span, svc, port, rule.action, "HTTP-only field");
                }
            }
        }
    }
}

/// A non-HTTP port of `s` that the rule covers.
fn tcp_port<'s>(s: &'s Service, ports: &[String]) -> Option<&'s Port> {
    s.ports
        .iter()
        .find(|p| super::covers(ports, p) && !p.protocol.node.is_http())
}

fn report(out: &mut Vec<Diagnostic>, span: Span, svc: &Service, port: &Port, action: AuthzAction, what: &str) {
    let effect = if action == AuthzAction::Allow {
        "Istio drops ALLOW rules with HTTP fields on TCP traffic, so this rule would allow no connection there"
    } else {
        "Istio ignores HTTP fields on TCP traffic, so this rule would apply to every connection there"
    };
    out.push(
        Diagnostic::error(
            "E0413",
            span,
            format!("{what} on TCP port {} of `{}`", port.number.node, svc.name.node),
        )
        .with_label("TCP connections carry no HTTP attributes")
        .with_secondary(port.span, "not an HTTP port")
        .with_help(format!(
            "{effect}; restrict the rule to the HTTP ports with `to port`, match by `ip` or identity, or declare the port as `http`"
        )),
    );
}
