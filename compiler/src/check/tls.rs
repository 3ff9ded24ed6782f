//! E0306: `tls mutual` needs a client certificate and key, or a credential.

use crate::diag::Diagnostic;
use crate::ir::{Mesh, Tls};

pub fn check(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    for svc in super::services(mesh) {
        if let Some(t) = &svc.policy.tls {
            if svc.is_external() && !svc.ports.is_empty() && svc.ports.iter().all(|p| p.protocol.node.is_tls()) {
                out.push(
                    Diagnostic::warning("W0306", t.span, format!("`tls` on `{}` applies to no port", svc.name.node))
                        .with_label("ignored")
                        .with_secondary(svc.ports[0].span, "the application already speaks TLS on this port")
                        .with_help("TLS origination is for ports the app speaks plaintext on: add e.g. `port 80 http target 443`, or remove `tls`"),
                );
            }
        }
        for p in super::policies(svc) {
            let Some(t) = &p.tls else { continue };
            if let Tls::Mutual(f) = &t.node {
                if f.credential.is_none() && (f.cert.is_none() || f.key.is_none()) {
                    let missing = match (&f.cert, &f.key) {
                        (None, None) => "`cert` and `key`",
                        (None, _) => "`cert`",
                        _ => "`key`",
                    };
                    out.push(
                        Diagnostic::error("E0306", t.span, format!("`tls mutual` is missing {missing}"))
                            .with_label("client certificate incomplete")
                            .with_help("write `tls mutual cert \"/certs/client.pem\" key \"/certs/key.pem\"`, or `credential \"secret-name\"`"),
                    );
                }
            }
        }
    }
}
