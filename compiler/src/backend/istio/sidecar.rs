//! Sidecar: egress scopes. Istio never merges Sidecars (a workload's replaces
//! its namespace's, which replaces the root's), so each one generated carries
//! the nearest `outbound` mode explicitly.

use super::{header, object, Sources};
use crate::backend::yaml::Yaml;
use crate::backend::Object;
use crate::ir::{Mesh, Namespace, Outbound, Scope};
use crate::span::Span;

/// The root-namespace default from `mesh { outbound ... }`.
pub fn mesh_default(mesh: &Mesh, sources: &Sources, out: &mut Vec<Object>) {
    // A scope declared for the root namespace itself is that Sidecar (and carries the mode).
    let root_scoped = mesh
        .namespaces
        .iter()
        .any(|n| n.name.node == mesh.root_namespace && n.egress.is_some());
    if let Some(o) = mesh.outbound.as_ref().filter(|_| !root_scoped) {
        let scope = Scope {
            span: o.span,
            auto: false,
            hosts: Vec::new(),
            outbound: Some(o.node),
        };
        write(
            &scope,
            None,
            "default",
            &mesh.root_namespace,
            sources.location(o.span),
            out,
            &[],
        );
    }
}

pub fn lower(mesh: &Mesh, ns: &Namespace, sources: &Sources, out: &mut Vec<Object>) {
    let mesh_mode = mesh.outbound.as_ref().map(|o| o.node);
    let ns_mode = ns.egress.as_ref().and_then(|s| s.outbound).or(mesh_mode);
    if let Some(scope) = &ns.egress {
        let scope = Scope {
            outbound: ns_mode,
            ..scope.clone()
        };
        write(
            &scope,
            None,
            "default",
            &ns.name.node,
            sources.location(scope.span),
            out,
            &[],
        );
    }
    for svc in &ns.services {
        if let Some(scope) = &svc.egress {
            let scope = Scope {
                outbound: scope.outbound.or(ns_mode),
                ..scope.clone()
            };
            let selector: Vec<(String, String)> = svc
                .selector
                .iter()
                .map(|l| (l.key.node.clone(), l.value.node.clone()))
                .collect();
            let loc = sources.location(if scope.span == Span::default() {
                svc.span
            } else {
                scope.span
            });
            write(
                &scope,
                Some(&svc.name.node),
                &svc.name.node,
                &ns.name.node,
                loc,
                out,
                &selector,
            );
        }
    }
}

fn write(
    scope: &Scope,
    workload: Option<&str>,
    name: &str,
    namespace: &str,
    source: String,
    out: &mut Vec<Object>,
    selector: &[(String, String)],
) {
    if scope.hosts.is_empty() && scope.outbound.is_none() {
        return;
    }
    let mut y = Yaml::new();
    header(&mut y, "Sidecar", name, namespace, &source);
    y.open("spec");
    if workload.is_some() && !selector.is_empty() {
        y.open("workloadSelector");
        y.open("labels");
        for (k, v) in selector {
            y.str(k, v);
        }
        y.close();
        y.close();
    }
    if !scope.hosts.is_empty() {
        y.open_list("egress");
        y.item();
        y.str_list("hosts", &scope.hosts);
        y.close();
        y.close();
    }
    if let Some(mode) = scope.outbound {
        y.open("outboundTrafficPolicy");
        y.str(
            "mode",
            match mode {
                Outbound::AllowAny => "ALLOW_ANY",
                Outbound::RegistryOnly => "REGISTRY_ONLY",
            },
        );
        y.close();
    }
    y.close();
    out.push(object("Sidecar", name, namespace, y));
}
