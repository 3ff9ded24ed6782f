//! E0306: `tls mutual` needs a client certificate and key, or a credential.

use crate::diag::Diagnostic;
use crate::ir::{Mesh, Tls};

pub fn check(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    for svc in super::services(mesh) {
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
