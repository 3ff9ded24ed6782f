//! E0304: HTTP-only conditions and options on TCP or TLS routes.

use crate::diag::Diagnostic;
use crate::ir::{Action, Mesh, RouteKind};

pub fn check(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    for svc in super::services(mesh) {
        for r in svc.routes.iter().filter(|r| r.kind != RouteKind::Http) {
            let what = if r.kind == RouteKind::Tls {
                "a TLS (SNI) route"
            } else {
                "a TCP route"
            };
            let help = "these apply to HTTP ports only: declare the port as `http`, `http2` or `grpc`, or drop them";
            for c in r.matches.iter().flat_map(|m| &m.conditions) {
                if c.node.http_only() {
                    out.push(
                        Diagnostic::error("E0304", c.span, format!("HTTP condition in {what}"))
                            .with_label("needs HTTP")
                            .with_secondary(
                                svc.name.span,
                                format!("`{}` has no HTTP port for this rule", svc.name.node),
                            )
                            .with_help(help),
                    );
                }
            }
            for o in &r.options.http_only {
                out.push(
                    Diagnostic::error("E0304", o.span, format!("`{}` in {what}", o.node))
                        .with_label("needs HTTP")
                        .with_help(help),
                );
            }
            if let Action::Redirect(rd) = &r.action {
                out.push(
                    Diagnostic::error("E0304", rd.span, format!("`redirect` in {what}"))
                        .with_label("needs HTTP")
                        .with_help(help),
                );
            }
        }
    }
}
