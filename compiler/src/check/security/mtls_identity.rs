//! E0410: identity sources (`service`, `principal`, `namespace`) where mTLS is
//! disabled never match. W0411: DENY on identities under PERMISSIVE mTLS is
//! bypassed by plaintext requests, which carry no identity.

use super::scopes;
use crate::diag::Diagnostic;
use crate::ir::{AuthzAction, Mesh, MtlsMode, RuleBody};

pub fn check(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    for scope in scopes(mesh) {
        for rule in &scope.security.rules {
            let RuleBody::Match { from, when, .. } = &rule.body else {
                continue;
            };
            let identity = from
                .iter()
                .flat_map(|p| &p.fields)
                .map(|f| (f.kind.needs_mtls(), f.span))
                .chain(when.iter().map(|c| (c.key.needs_mtls(), c.span)))
                .find(|(needs, _)| *needs);
            let Some((_, span)) = identity else { continue };
            match scope.mtls {
                MtlsMode::Disable => {
                    let mut d = Diagnostic::error("E0410", span, format!("peer identity is unknown: mTLS is disabled for {}", scope.describe()))
                        .with_label("never matches without mTLS")
                        .with_help("principals and namespaces come from the client's mTLS certificate; enable `mtls strict` (or permissive), or match by `ip`");
                    if let Some(at) = scope.mtls_span {
                        d = d.with_secondary(at, "mTLS disabled here");
                    }
                    out.push(d);
                }
                MtlsMode::Permissive if rule.action == AuthzAction::Deny => out.push(
                    Diagnostic::warning("W0411", span, format!("plaintext requests bypass this `deny`: mTLS is permissive for {}", scope.describe()))
                        .with_label("plaintext requests have no identity")
                        .with_help("a plaintext client has no principal or namespace, so this rule never matches it; set `mtls strict`"),
                ),
                _ => {}
            }
        }
    }
}
