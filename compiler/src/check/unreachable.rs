//! E0302: rules that can never match (after `default`, or repeating an earlier match).

use crate::diag::Diagnostic;
use crate::ir::{Mesh, RouteKind};
use crate::span::line_col;

pub fn check(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    for svc in super::services(mesh) {
        for kind in [RouteKind::Http, RouteKind::Tcp, RouteKind::Tls] {
            let routes: Vec<_> = svc.routes.iter().filter(|r| r.kind == kind).collect();
            let mut default = None;
            for (i, r) in routes.iter().enumerate() {
                if let Some(d) = default {
                    out.push(
                        Diagnostic::error("E0302", r.span, "this rule can never match: it comes after `default`")
                            .with_label("unreachable")
                            .with_secondary(d, "`default` matches every request first")
                            .with_help("rules are tried top to bottom; move `default` to the end"),
                    );
                    continue;
                }
                if r.is_default() {
                    default = Some(r.span);
                    continue;
                }
                for m in &r.matches {
                    let earlier = routes[..i]
                        .iter()
                        .flat_map(|e| e.matches.iter().map(move |em| (e, em)))
                        .find(|(_, em)| {
                            em.conditions
                                .iter()
                                .map(|c| &c.node)
                                .eq(m.conditions.iter().map(|c| &c.node))
                        });
                    if let Some((_, em)) = earlier {
                        let _ = line_col;
                        out.push(
                            Diagnostic::error(
                                "E0302",
                                m.span,
                                "this match can never be reached: an earlier rule has the same conditions",
                            )
                            .with_label("duplicate match")
                            .with_secondary(em.span, "same conditions matched first here")
                            .with_help("remove the duplicate, or make the conditions differ"),
                        );
                    }
                }
            }
        }
    }
}
