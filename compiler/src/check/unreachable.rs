//! E0302: rules that can never match (after `default`, or repeating an earlier match).

use crate::diag::Diagnostic;
use crate::ir::{Match, Mesh, RouteKind};

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
                for (j, m) in r.matches.iter().enumerate() {
                    let key = canonical(m);
                    let earlier = routes[..i]
                        .iter()
                        .flat_map(|e| e.matches.iter())
                        .chain(r.matches[..j].iter())
                        .find(|em| canonical(em) == key);
                    if let Some(em) = earlier {
                        out.push(
                            Diagnostic::error(
                                "E0302",
                                m.span,
                                "this match can never be reached: an earlier match has the same conditions",
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

/// The conditions of a match in a fixed order (`and` is commutative).
fn canonical(m: &Match) -> Vec<String> {
    let mut v: Vec<String> = m.conditions.iter().map(|c| format!("{:?}", c.node)).collect();
    v.sort();
    v
}
