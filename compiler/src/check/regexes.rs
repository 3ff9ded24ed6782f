//! E0207: regular expressions that RE2 (Istio's and Envoy's engine) would reject.

use crate::diag::Diagnostic;
use crate::ir::Mesh;

pub fn check(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    for r in &mesh.values.regexes {
        // regex-syntax accepts the RE2 dialect: no look-around, no back-references.
        if let Err(e) = regex_syntax::Parser::new().parse(&r.node) {
            let reason = match &e {
                regex_syntax::Error::Parse(p) => p.kind().to_string(),
                regex_syntax::Error::Translate(t) => t.kind().to_string(),
                _ => "invalid regular expression".to_string(),
            };
            out.push(
                Diagnostic::error(
                    "E0207",
                    r.span,
                    format!("regular expression does not compile: {reason}"),
                )
                .with_label("invalid RE2 syntax")
                .with_help("Istio uses RE2: no look-around or back-references; escape `\\` as written in the string"),
            );
        }
    }
}
