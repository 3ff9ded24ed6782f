//! E0204: durations below 1ms or finer than 1ms; W0204: `per_try` longer than `timeout`.

use crate::diag::Diagnostic;
use crate::ir::{Mesh, Retry};

const MS: u64 = 1_000_000;
const MAX: u64 = 10 * 365 * 24 * 3600 * 1_000_000_000;

pub fn check(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    for d in &mesh.values.durations {
        if d.node == u64::MAX || d.node > MAX {
            out.push(
                Diagnostic::error("E0204", d.span, "duration is too long")
                    .with_label("more than 10 years")
                    .with_help("Istio durations are at most a few years; write a shorter one"),
            );
        } else if d.node < MS {
            out.push(
                Diagnostic::error("E0204", d.span, "duration is shorter than 1ms")
                    .with_label("too short")
                    .with_help("Istio rejects durations under 1ms; write at least `1ms`"),
            );
        } else if d.node % MS != 0 {
            out.push(
                Diagnostic::error("E0204", d.span, "duration is finer than a millisecond")
                    .with_label("sub-millisecond part")
                    .with_help("Istio keeps durations to the millisecond; round it"),
            );
        }
    }
    for c in super::services(mesh).flat_map(|s| s.routes.iter().filter_map(|r| r.options.cors.as_deref())) {
        if let Some(d) = c.max_age.as_ref().filter(|d| d.node % 1_000_000_000 != 0) {
            out.push(
                Diagnostic::error("E0204", d.span, "CORS `max_age` must be whole seconds")
                    .with_label("sub-second part")
                    .with_help("browsers cache preflights in seconds (Access-Control-Max-Age): round it"),
            );
        }
    }
    let mut seen = std::collections::HashSet::new();
    for svc in super::services(mesh) {
        let defaults = [(svc.defaults.timeout.as_ref(), svc.defaults.retries.as_ref())];
        let routes = svc
            .routes
            .iter()
            .map(|r| (r.options.timeout.as_ref(), r.options.retries.as_ref()));
        for (timeout, retries) in defaults.into_iter().chain(routes) {
            let timeout = timeout.or(svc.defaults.timeout.as_ref());
            let retries = retries
                .or(svc.defaults.retries.as_ref())
                .or(mesh.default_retries.as_ref());
            let (Some(t), Some(rt)) = (timeout, retries) else {
                continue;
            };
            let Retry::On { per_try: Some(p), .. } = &rt.node else {
                continue;
            };
            // Rules that inherit the same pair would repeat the same warning.
            if p.node > t.node && seen.insert((p.span, t.span)) {
                out.push(
                    Diagnostic::warning("W0204", p.span, "`per_try` is longer than the route `timeout`")
                        .with_label("per-try timeout")
                        .with_secondary(t.span, "the whole request times out first")
                        .with_help("the route timeout covers all tries, so no retry can happen; shorten `per_try` or lengthen `timeout`"),
                );
            }
        }
    }
}
