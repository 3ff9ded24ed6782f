//! W0415: `host` operations without a port on a service whose ports are not
//! 80/443: Istio compares the whole authority, port included.

use super::scopes;
use crate::diag::Diagnostic;
use crate::ir::{FieldKind, Mesh, RuleBody};

pub fn check(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    for scope in scopes(mesh) {
        let Some(svc) = scope.service else { continue };
        let Some(port) = svc.ports.iter().find(|p| !matches!(p.number.node, 80 | 443)) else {
            continue;
        };
        for rule in &scope.security.rules {
            let RuleBody::Match { to, .. } = &rule.body else {
                continue;
            };
            for f in to.iter().flat_map(|p| &p.fields).filter(|f| f.kind == FieldKind::Host) {
                if let Some(v) = f.values.iter().find(|v| !v.contains(':') && !v.ends_with('*')) {
                    out.push(
                        Diagnostic::warning(
                            "W0415",
                            f.span,
                            format!("`{v}` never matches requests to port {}", port.number.node),
                        )
                        .with_label("no port in the host")
                        .with_secondary(port.span, "clients send the port in the Host header")
                        .with_help(format!(
                            "Istio compares the whole authority: also list `\"{v}:{}\"` or `\"{v}:*\"`",
                            port.number.node
                        )),
                    );
                }
            }
        }
    }
}
