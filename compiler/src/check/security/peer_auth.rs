//! E0419: two ports of a service that share a workload port with different
//! mTLS modes (PeerAuthentication keys port modes by workload port).
//! E0420: workload-level mTLS in the root namespace, which Istio ignores.

use crate::diag::Diagnostic;
use crate::ir::Mesh;

pub fn check(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    for ns in &mesh.namespaces {
        let root = ns.name.node == mesh.root_namespace;
        for svc in &ns.services {
            let port_modes: Vec<_> = svc
                .ports
                .iter()
                .filter_map(|p| p.mtls.as_ref().map(|m| (p, m)))
                .collect();
            if root {
                let first = svc
                    .security
                    .mtls
                    .as_ref()
                    .map(|m| m.span)
                    .or(port_modes.first().map(|(_, m)| m.span));
                if let Some(span) = first {
                    out.push(
                        Diagnostic::error("E0420", span, format!("workload mTLS for `{}` in the root namespace is ignored", svc.name.node))
                            .with_label("Istio ignores this")
                            .with_secondary(ns.name.span, "the root namespace")
                            .with_help("Istio ignores PeerAuthentications with a selector in the root namespace: set the mode in `mesh { }`, or move the service to another namespace"),
                    );
                }
            }
            for (i, (p, m)) in port_modes.iter().enumerate() {
                let clash = port_modes[..i]
                    .iter()
                    .find(|(q, n)| q.workload_port() == p.workload_port() && n.node != m.node);
                if let Some((q, _)) = clash {
                    out.push(
                        Diagnostic::error(
                            "E0419",
                            m.span,
                            format!("workload port {} gets two mTLS modes", p.workload_port()),
                        )
                        .with_label("second mode for the same workload port")
                        .with_secondary(q.span, "this port targets the same workload port")
                        .with_help("mTLS is set per workload port: give both ports the same mode"),
                    );
                }
            }
        }
    }
}
