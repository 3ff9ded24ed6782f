//! xDS target: one Envoy v3 bootstrap (static resources only) per sidecar,
//! for a plain Envoy without istiod, istio-agent or iptables.
//!
//! Names follow istiod (`outbound|PORT|SUBSET|FQDN`, `inbound|PORT||`), and so
//! does each feature's lowering (`shared/spec/xds-lowering.md`), except where
//! a standalone proxy needs otherwise; docs/targets.md lists those choices:
//! real listeners (outbound on 127.0.0.1, inbound on 0.0.0.0), clusters with
//! their endpoints inline, static secrets from files instead of SDS.

mod clusters;
mod filters;
mod listeners;
mod rbac;
mod routes;
mod scope;
mod tls;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

use crate::diag::Diagnostic;
use crate::ir::{Duration, Mesh, MtlsMode, Namespace, Port, Service};

/// Where the workload certificates are: `<dir>/root-cert.pem` (the mesh root)
/// and `<dir>/<namespace>/<service>/{cert-chain.pem,key.pem}` per proxy.
pub const ROOT_CERT: &str = "root-cert.pem";
pub const CERT_CHAIN: &str = "cert-chain.pem";
pub const KEY: &str = "key.pem";

/// The services that get a proxy: every Kubernetes service, as (namespace, name).
pub fn proxies(mesh: &Mesh) -> Vec<(&str, &str)> {
    mesh.namespaces
        .iter()
        .flat_map(|n| &n.services)
        .filter(|s| !s.is_external())
        .map(|s| (s.namespace.as_str(), s.name.node.as_str()))
        .collect()
}

/// One bootstrap per proxy (`proxy` alone, or every service), as
/// (`<namespace>/<service>.json`, pretty JSON). Any diagnostic fails the whole
/// lowering: no half-valid bootstrap is ever returned. An unknown `proxy`
/// yields no files (the caller checks names with [`proxies`]).
pub fn lower(
    mesh: &Mesh,
    proxy: Option<(&str, &str)>,
    certs_dir: &str,
) -> Result<Vec<(String, String)>, Vec<Diagnostic>> {
    let hosts = Hosts::new(mesh);
    let mut files = Vec::new();
    let mut diags = Vec::new();
    for ns in &mesh.namespaces {
        for svc in ns.services.iter().filter(|s| !s.is_external()) {
            if proxy.is_some_and(|(n, s)| (n, s) != (svc.namespace.as_str(), svc.name.node.as_str())) {
                continue;
            }
            let mut cx = Cx {
                mesh,
                ns,
                me: svc,
                hosts: &hosts,
                certs_dir: certs_dir.trim_end_matches('/'),
                diags: Vec::new(),
                identity: false,
            };
            let bootstrap = cx.bootstrap();
            if cx.diags.is_empty() {
                let text = serde_json::to_string_pretty(&bootstrap).expect("JSON values serialise");
                files.push((format!("{}/{}.json", svc.namespace, svc.name.node), text + "\n"));
            }
            diags.extend(cx.diags);
        }
    }
    if diags.is_empty() {
        Ok(files)
    } else {
        crate::diag::sort(&mut diags);
        diags.dedup();
        Err(diags)
    }
}

/// Every service and external by each of its hosts.
pub(crate) struct Hosts<'m> {
    by_host: BTreeMap<&'m str, &'m Service>,
}

impl<'m> Hosts<'m> {
    fn new(mesh: &'m Mesh) -> Hosts<'m> {
        let mut by_host = BTreeMap::new();
        for s in mesh.namespaces.iter().flat_map(|n| &n.services) {
            for h in scope::hosts(s) {
                by_host.entry(h).or_insert(s);
            }
        }
        Hosts { by_host }
    }

    pub(crate) fn get(&self, host: &str) -> Option<&'m Service> {
        self.by_host.get(host).copied()
    }
}

/// The lowering of one proxy.
pub(crate) struct Cx<'m> {
    pub mesh: &'m Mesh,
    pub ns: &'m Namespace,
    /// The proxy's own service.
    pub me: &'m Service,
    pub hosts: &'m Hosts<'m>,
    pub certs_dir: &'m str,
    pub diags: Vec<Diagnostic>,
    /// Some listener or cluster uses the workload certificate.
    pub identity: bool,
}

impl<'m> Cx<'m> {
    fn bootstrap(&mut self) -> Value {
        let scope = scope::Scope::of(self);
        let mut clusters = clusters::Set::default();
        let mut listeners = listeners::outbound(self, &scope, &mut clusters);
        listeners.extend(listeners::inbound(self, &mut clusters));
        let mut jwks = BTreeSet::new();
        for p in filters::providers(self) {
            if let Some(url) = p.jwks_uri.as_ref().filter(|_| p.jwks.is_none()) {
                jwks.extend(filters::split_url(&url.node));
            }
        }
        let mut cluster_list = clusters::lower(self, &clusters);
        for (host, port, https) in jwks {
            cluster_list.push(clusters::jwks(&host, port, https));
        }
        let mut resources = json!({
            "listeners": listeners,
            "clusters": cluster_list,
        });
        if self.identity {
            resources["secrets"] = tls::secrets(self);
        }
        let (ns, name, domain) = (&self.me.namespace, &self.me.name.node, &self.mesh.domain);
        json!({
            "node": {
                "id": format!("sidecar~127.0.0.1~{name}.{ns}~{ns}.svc.{domain}"),
                "cluster": format!("{name}.{ns}"),
                "metadata": {"NAMESPACE": ns, "SERVICE_ACCOUNT": self.me.account, "meshc.dev/generated": true},
            },
            "static_resources": resources,
        })
    }

    /// Effective mTLS mode of one of the proxy's ports: port, service,
    /// namespace, then mesh; `None` when no scope sets one.
    pub fn mtls(&self, svc: &Service, port: &Port) -> Option<MtlsMode> {
        let ns = self.mesh.namespaces.iter().find(|n| n.name.node == svc.namespace);
        port.mtls
            .as_ref()
            .or(svc.security.mtls.as_ref())
            .or(ns.and_then(|n| n.security.mtls.as_ref()))
            .or(self.mesh.security.mtls.as_ref())
            .map(|m| m.node)
    }

    /// The proxy's workload identity.
    pub fn spiffe(&self, svc: &Service) -> String {
        format!("spiffe://{}/ns/{}/sa/{}", self.mesh.domain, svc.namespace, svc.account)
    }
}

/// A protobuf JSON duration: `5s`, `0.250s`.
pub(crate) fn duration(ns: Duration) -> String {
    let (secs, nanos) = (ns / 1_000_000_000, ns % 1_000_000_000);
    if nanos == 0 {
        format!("{secs}s")
    } else {
        let frac = format!("{nanos:09}");
        format!("{secs}.{}s", frac.trim_end_matches('0'))
    }
}

/// `{"name": N, "typed_config": {"@type": T, ...config}}`, the shape of every
/// filter and extension (Envoy ≥ 1.37 requires `typed_config` on each).
pub(crate) fn typed(name: &str, type_url: &str, mut config: Value) -> Value {
    let url = format!("type.googleapis.com/{type_url}");
    match &mut config {
        Value::Object(m) => {
            m.insert("@type".into(), Value::String(url));
        }
        _ => config = json!({ "@type": url }),
    }
    json!({ "name": name, "typed_config": config })
}

/// A fraction out of a million for a percentage (`10` → 100000).
pub(crate) fn percent(p: f64) -> Value {
    json!({"numerator": (p * 10_000.0).round() as u64, "denominator": "MILLION"})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_protobuf_json() {
        assert_eq!(duration(0), "0s");
        assert_eq!(duration(5_000_000_000), "5s");
        assert_eq!(duration(250_000_000), "0.25s");
        assert_eq!(duration(1_500_000_000), "1.5s");
        assert_eq!(duration(1), "0.000000001s");
    }

    #[test]
    fn percentages_are_millionths() {
        assert_eq!(percent(10.0), json!({"numerator": 100000, "denominator": "MILLION"}));
        assert_eq!(percent(0.5), json!({"numerator": 5000, "denominator": "MILLION"}));
    }
}
