//! E0304: HTTP-only conditions and options on TCP or TLS routes.

use crate::diag::Diagnostic;
use crate::ir::{Action, Mesh, RouteKind};

pub fn check(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    for svc in super::services(mesh) {
        let tcp_only = !svc.ports.is_empty() && !svc.ports.iter().any(|p| p.protocol.node.is_http());
        if tcp_only {
            let defaults = [
                svc.defaults.timeout.as_ref().map(|t| ("timeout", t.span)),
                svc.defaults.retries.as_ref().map(|r| ("retries", r.span)),
            ];
            for (what, span) in defaults.into_iter().flatten() {
                out.push(
                    Diagnostic::error("E0304", span, format!("`{what}` on a service without HTTP ports"))
                        .with_label("needs HTTP")
                        .with_secondary(svc.name.span, format!("`{}` has only TCP or TLS ports", svc.name.node))
                        .with_help("timeouts and retries apply to HTTP routes only: declare an `http`, `http2` or `grpc` port, or remove it"),
                );
            }
        }
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
                        .with_secondary(
                            svc.name.span,
                            format!("`{}` has no HTTP port for this rule", svc.name.node),
                        )
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
