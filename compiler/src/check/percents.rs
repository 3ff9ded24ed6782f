//! E0205: percentages outside 0-100%.

use crate::diag::Diagnostic;
use crate::ir::Mesh;

pub fn check(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
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
