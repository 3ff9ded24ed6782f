//! W0201: `least_conn` is a deprecated alias of `least_request`.

use crate::diag::Diagnostic;
use crate::ir::Mesh;

pub fn check(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    for span in &mesh.values.least_conn {
        out.push(
            Diagnostic::warning("W0201", *span, "`least_conn` is deprecated")
                .with_label("deprecated")
                .with_help("write `balance least_request`: Istio treats `LEAST_CONN` as an alias of it"),
        );
    }
}
