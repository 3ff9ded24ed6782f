//! E0205: percentages outside 0-100%.

use crate::diag::Diagnostic;
use crate::ir::Mesh;

pub fn check(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    for svc in super::services(mesh) {
        for e in super::policies(svc).filter_map(|p| p.eject.as_deref()) {
            for (what, v) in [("max_percent", e.max_percent), ("min_health", e.min_health)] {
                if v.is_some_and(|v| v.fract() != 0.0) {
                    let span = mesh
                        .values
                        .percents
                        .iter()
                        .find(|p| Some(p.node) == v)
                        .map_or(svc.name.span, |p| p.span);
                    out.push(
                        Diagnostic::error("E0205", span, format!("`{what}` must be a whole percentage"))
                            .with_label("fractional")
                            .with_help("Istio takes this percentage as an integer: round it"),
                    );
                }
            }
        }
    }
    for p in &mesh.values.percents {
        if !(0.0..=100.0).contains(&p.node) {
            out.push(
                Diagnostic::error("E0205", p.span, format!("percentage `{}%` is out of range", p.node))
                    .with_label("not between 0% and 100%")
                    .with_help("percentages go from `0%` to `100%`"),
            );
        }
    }
}
