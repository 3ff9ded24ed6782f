//! E0305: externals whose resolution cannot work with their hosts and endpoints.

use crate::diag::Diagnostic;
use crate::ir::{Mesh, Resolution, ServiceKind};

pub fn check(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    for svc in super::services(mesh) {
        let ServiceKind::External { hosts, resolution, .. } = &svc.kind else {
            continue;
        };
        match resolution.node {
            Resolution::Static if svc.endpoints.is_empty() => out.push(
                Diagnostic::error(
                    "E0305",
                    resolution.span,
                    format!(
                        "external `{}` uses `static` resolution but has no endpoints",
                        svc.name.node
                    ),
                )
                .with_label("nothing to resolve to")
                .with_help("add `endpoint \"10.0.0.1\"` lines, or use `resolution dns`"),
            ),
            Resolution::Dns | Resolution::DnsRoundRobin if svc.endpoints.is_empty() => {
                for h in hosts.iter().filter(|h| h.node.starts_with('*')) {
                    out.push(
                        Diagnostic::error("E0305", h.span, "a wildcard host cannot be resolved by DNS")
                            .with_label("wildcard host")
                            .with_secondary(resolution.span, "DNS resolution (the default for externals)")
                            .with_help("use `resolution none` for wildcard hosts, or list concrete hosts"),
                    );
                }
            }
            Resolution::None if !svc.endpoints.is_empty() => out.push(
                Diagnostic::error(
                    "E0305",
                    svc.endpoints[0].span,
                    "endpoints are not allowed with `resolution none`",
                )
                .with_label("ignored by `none`")
                .with_secondary(resolution.span, "resolution set here")
                .with_help("use `resolution static` for IP endpoints or `dns` for host names"),
            ),
            _ => {}
        }
    }
}
