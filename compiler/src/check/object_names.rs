//! E0125: two generated objects would share a kind, namespace and name, so
//! one would silently replace the other in the cluster.

use crate::diag::Diagnostic;
use crate::ir::{AuthzAction, Mesh, ServiceKind};

pub fn check(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    for ns in &mesh.namespaces {
        let is_root = ns.name.node == mesh.root_namespace;
        // The mesh's PeerAuthentication and RequestAuthentication are `default` in the root namespace.
        if is_root {
            let (m, n) = (&mesh.security, &ns.security);
            if let (Some(_), Some(span)) = (&m.mtls, n.mtls.as_ref().map(|x| x.span)) {
                clash(out, span, "PeerAuthentication", "default", "the mesh's `mtls`");
            }
            if let (Some(_), Some(span)) = (m.authenticate.first(), n.authenticate.first().map(|x| x.span)) {
                clash(
                    out,
                    span,
                    "RequestAuthentication",
                    "default",
                    "the mesh's `authenticate`",
                );
            }
        }
        for svc in &ns.services {
            let name = svc.name.node.as_str();
            if name == "default" && svc.egress.is_some() && ns.egress.is_some() {
                clash(
                    out,
                    svc.name.span,
                    "Sidecar",
                    "default",
                    "the namespace's `egress` scope",
                );
            }
            // AuthorizationPolicies are `<service>-allow`, `ns-allow`, `mesh-allow`...
            let scope = match name {
                "ns" => Some(&ns.security),
                "mesh" if is_root => Some(&mesh.security),
                _ => None,
            };
            if let Some(scope) = scope {
                for action in [AuthzAction::Allow, AuthzAction::Deny, AuthzAction::Audit] {
                    let both = |rules: &[crate::ir::AuthzRule]| rules.iter().any(|r| r.action == action);
                    if both(&svc.security.rules) && both(&scope.rules) {
                        clash(
                            out,
                            svc.name.span,
                            "AuthorizationPolicy",
                            &format!("{name}-..."),
                            "the rules of the enclosing scope",
                        );
                        break;
                    }
                }
            }
            if let ServiceKind::External { hosts, .. } = &svc.kind {
                if hosts.len() > 1
                    && (!svc.routes.is_empty()
                        || svc.defaults.timeout.is_some()
                        || svc.defaults.retries.is_some()
                        || svc.policy.tls.is_some())
                {
                    out.push(
                        Diagnostic::error(
                            "E0122",
                            hosts[1].span,
                            format!("external `{name}` has several hosts and routes or TLS settings"),
                        )
                        .with_label("second host")
                        .with_help("Istio routes and originates TLS per host: declare one external per host"),
                    );
                }
            }
        }
    }
}

fn clash(out: &mut Vec<Diagnostic>, span: crate::span::Span, kind: &str, name: &str, other: &str) {
    out.push(
        Diagnostic::error(
            "E0125",
            span,
            format!("this {kind} `{name}` would have the same name as {other}"),
        )
        .with_label("name clash")
        .with_help("meshc names these objects after their scope: rename the service, or state the setting once (the root namespace's scope is the mesh's)"),
    );
}
