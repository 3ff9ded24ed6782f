//! TLS: the workload identity as static secrets read from files (istio-agent's
//! SDS names `default` and `ROOTCA`), mTLS contexts for mesh traffic, and TLS
//! origination with the program's own files. Never an inlined secret.

use serde_json::{json, Value};

use super::{typed, Cx, CERT_CHAIN, KEY, ROOT_CERT};
use crate::diag::Diagnostic;
use crate::ir::Service;
use crate::span::Span;

const UPSTREAM: &str = "envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext";
const DOWNSTREAM: &str = "envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext";
const SOCKET: &str = "envoy.transport_sockets.tls";

fn params() -> Value {
    json!({"tls_minimum_protocol_version": "TLSv1_2", "tls_maximum_protocol_version": "TLSv1_3"})
}

/// The proxy's certificate (`default`) and the mesh root (`ROOTCA`).
pub fn secrets(cx: &Cx) -> Value {
    let own = format!("{}/{}/{}", cx.certs_dir, cx.me.namespace, cx.me.name.node);
    json!([
        {"name": "ROOTCA", "validation_context": {"trusted_ca": {"filename": format!("{}/{ROOT_CERT}", cx.certs_dir)}}},
        {"name": "default", "tls_certificate": {
            "certificate_chain": {"filename": format!("{own}/{CERT_CHAIN}")},
            "private_key": {"filename": format!("{own}/{KEY}")},
        }},
    ])
}

/// Mesh mTLS to a peer: the workload certificate, the mesh root, and the
/// peer's SPIFFE identity as the only accepted SAN.
pub fn mesh_upstream(sni: &str, peer: &str) -> Value {
    typed(
        SOCKET,
        UPSTREAM,
        json!({
            "sni": sni,
            "common_tls_context": {
                "tls_params": params(),
                "tls_certificate_sds_secret_configs": [{"name": "default"}],
                "combined_validation_context": {
                    "default_validation_context": {"match_typed_subject_alt_names": [san(peer)]},
                    "validation_context_sds_secret_config": {"name": "ROOTCA"},
                },
            },
        }),
    )
}

/// The inbound side of mesh mTLS: a client certificate from the mesh's trust domain is required.
pub fn mesh_downstream(domain: &str, http: bool) -> Value {
    let alpn = if http { json!(["h2", "http/1.1"]) } else { json!([]) };
    typed(
        SOCKET,
        DOWNSTREAM,
        json!({
            "require_client_certificate": true,
            "common_tls_context": {
                "tls_params": params(),
                "alpn_protocols": alpn,
                "tls_certificate_sds_secret_configs": [{"name": "default"}],
                "combined_validation_context": {
                    "default_validation_context": {"match_typed_subject_alt_names": [
                        {"san_type": "URI", "matcher": {"prefix": format!("spiffe://{domain}/")}}
                    ]},
                    "validation_context_sds_secret_config": {"name": "ROOTCA"},
                },
            },
        }),
    )
}

/// TLS origination (`tls simple` / `tls mutual`): the program's CA file or
/// the system's roots, its SANs, and for mutual TLS its client certificate.
pub fn origination(sni: &str, ca: Option<&str>, sans: &[String], pair: Option<(&str, &str)>) -> Value {
    let mut validation = match ca {
        Some(f) => json!({"trusted_ca": {"filename": f}}),
        None => json!({"system_root_certs": {}}),
    };
    if !sans.is_empty() {
        validation["match_typed_subject_alt_names"] = sans.iter().map(|s| san(s)).collect();
    }
    let mut common = json!({"tls_params": params(), "validation_context": validation});
    if let Some((cert, key)) = pair {
        common["tls_certificates"] =
            json!([{"certificate_chain": {"filename": cert}, "private_key": {"filename": key}}]);
    }
    typed(SOCKET, UPSTREAM, json!({"sni": sni, "common_tls_context": common}))
}

/// A SAN matcher: URIs for SPIFFE identities, DNS names otherwise.
fn san(value: &str) -> Value {
    let kind = if value.contains("://") { "URI" } else { "DNS" };
    json!({"san_type": kind, "matcher": {"exact": value}})
}

/// E0502: a Kubernetes secret has no meaning to a standalone proxy.
pub fn credential(svc: &Service, at: Span) -> Diagnostic {
    Diagnostic::error(
        "E0502",
        at,
        format!("`{}` takes its TLS certificate from a Kubernetes secret, which the xDS target cannot read", svc.name.node),
    )
    .with_label("`credential` names a Kubernetes secret")
    .with_help("give the files instead: `tls mutual cert \"/etc/certs/client.pem\" key \"/etc/certs/client-key.pem\" ca \"/etc/certs/ca.pem\"`")
}
