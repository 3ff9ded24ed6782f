//! What one proxy may reach: the nearest egress scope (service, else
//! namespace, else everything) and its outbound mode, as istiod picks the
//! most specific Sidecar.

use super::Cx;
use crate::ir::{Outbound, Service, ServiceKind};

/// Every host a service answers to: the FQDN, or all of an external's hosts.
pub fn hosts(s: &Service) -> Vec<&str> {
    match &s.kind {
        ServiceKind::External { hosts, .. } => hosts.iter().map(|h| h.node.as_str()).collect(),
        ServiceKind::Kubernetes => vec![s.host()],
    }
}

pub struct Scope<'m> {
    /// Visible services, in program order.
    pub services: Vec<&'m Service>,
    pub outbound: Outbound,
}

impl<'m> Scope<'m> {
    pub fn of(cx: &Cx<'m>) -> Scope<'m> {
        // A Sidecar is written for a scope with hosts or an outbound mode (backend::istio::sidecar).
        let written = |s: &&crate::ir::Scope| !s.hosts.is_empty() || s.outbound.is_some();
        let nearest = cx
            .me
            .egress
            .as_ref()
            .filter(written)
            .or(cx.ns.egress.as_ref().filter(written));
        let outbound = nearest
            .and_then(|s| s.outbound)
            .or(cx.mesh.outbound.as_ref().map(|o| o.node))
            .unwrap_or(Outbound::AllowAny);
        let entries: Vec<&str> = nearest
            .map(|s| s.hosts.iter().map(String::as_str).collect())
            .unwrap_or_default();
        let services = cx
            .mesh
            .namespaces
            .iter()
            .flat_map(|n| &n.services)
            .filter(|s| entries.is_empty() || entries.iter().any(|e| admits(e, &cx.me.namespace, s)))
            .collect();
        Scope { services, outbound }
    }
}

/// Whether a Sidecar egress host `ns/host` admits a service.
fn admits(entry: &str, here: &str, s: &Service) -> bool {
    let Some((ns, host)) = entry.split_once('/') else {
        return false;
    };
    let ns_ok = match ns {
        "*" => true,
        "." => s.namespace == here,
        "~" => false,
        n => s.namespace == n,
    };
    ns_ok
        && hosts(s).iter().any(|h| match host.strip_prefix('*') {
            Some("") => true,
            Some(suffix) => h.ends_with(suffix),
            None => *h == host,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check;
    use crate::span::SourceFile;

    fn program(text: &str) -> crate::Compilation {
        let c = check(vec![SourceFile {
            path: "t.mesh".into(),
            text: text.into(),
        }]);
        assert!(!c.has_errors(), "{:?}", c.diagnostics);
        c
    }

    #[test]
    fn entries_match_namespaces_and_hosts() {
        let c = program("namespace a { service x { port 80 http } }\nnamespace b { external y { host \"api.example.com\"\n port 443 https } }\n");
        let x = &c.mesh.namespaces[0].services[0];
        let y = &c.mesh.namespaces[1].services[0];
        assert!(admits("./*", "a", x));
        assert!(!admits("./*", "b", x));
        assert!(admits("*/*", "b", y));
        assert!(admits("b/*.example.com", "a", y));
        assert!(!admits("a/*.example.com", "a", y));
        assert!(admits("a/x.a.svc.cluster.local", "b", x));
        assert!(!admits("~/*", "a", x));
    }
}
