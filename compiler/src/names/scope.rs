//! `egress` and `outbound`: the Sidecar scope of a namespace or a service.

use std::collections::BTreeMap;

use super::env::FrameRef;
use super::Elab;
use crate::ir::{self, Action, Condition};
use crate::span::Span;
use crate::syntax::ast::{Egress, Stmt, StmtKind};

use super::routes::Table;

impl<'a> Elab<'a> {
    pub(super) fn scope(
        &mut self,
        mesh: &ir::Mesh,
        table: &Table,
        ns: usize,
        svc: Option<usize>,
        stmts: &[(&'a Stmt, FrameRef)],
    ) -> ir::Scope {
        let here = mesh.namespaces[ns].name.node.clone();
        let mut scope = ir::Scope {
            span: stmts.first().map_or(Span::default(), |(s, _)| s.span),
            auto: false,
            hosts: Vec::new(),
            outbound: None,
        };
        for (s, _) in stmts {
            match &s.kind {
                StmtKind::Outbound(m) => scope.outbound = self.outbound(m),
                StmtKind::Egress(Egress::Auto) => scope.auto = true,
                StmtKind::Egress(Egress::Namespaces(items)) => {
                    for n in items {
                        scope.hosts.push(format!("{}/*", n.node));
                    }
                }
                StmtKind::Egress(Egress::Services(items)) => {
                    for n in items {
                        if let Some(t) = self.lookup(mesh, table, &here, n) {
                            scope.hosts.push(format!("{}/{}", t.namespace, t.host(&self.domain)));
                        }
                    }
                }
                StmtKind::Egress(Egress::Externals(items)) => {
                    for n in items {
                        if let Some(t) = self.lookup(mesh, table, &here, n) {
                            if let ir::ServiceKind::External { hosts, .. } = &t.kind {
                                for h in hosts {
                                    scope.hosts.push(format!("{}/{}", t.namespace, h.node));
                                }
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        if scope.auto {
            scope.hosts.extend(auto_hosts(mesh, ns, svc, &self.domain));
        }
        scope.hosts.sort();
        scope.hosts.dedup();
        scope
    }
}

/// What `egress auto` derives: the root namespace, every service the
/// workload(s) send to through route or mirror destinations, and every
/// service whose rules match traffic `from service` the workload(s).
fn auto_hosts(mesh: &ir::Mesh, ns: usize, svc: Option<usize>, domain: &str) -> Vec<String> {
    let namespace = &mesh.namespaces[ns];
    let workloads: Vec<&ir::Service> = match svc {
        Some(i) => vec![&namespace.services[i]],
        None => namespace.services.iter().collect(),
    };
    let mut hosts = vec![format!("{}/*", mesh.root_namespace)];
    let mut by_host: BTreeMap<String, &ir::Service> = BTreeMap::new();
    for n in &mesh.namespaces {
        for s in &n.services {
            by_host.insert(s.host(domain), s);
        }
    }
    let mut add = |host: &str| {
        if let Some(t) = by_host.get(host) {
            hosts.push(format!("{}/{}", t.namespace, host));
        }
    };
    for w in &workloads {
        for r in &w.routes {
            if let Action::Forward(ds) = &r.action {
                for d in ds {
                    add(&d.host);
                }
            }
            if let Some(m) = &r.options.mirror {
                add(&m.host);
            }
        }
    }
    for n in &mesh.namespaces {
        for s in &n.services {
            let called_by_workload = s
                .routes
                .iter()
                .flat_map(|r| &r.matches)
                .flat_map(|m| &m.conditions)
                .any(|c| matches!(&c.node, Condition::SourceLabels(l) if workloads.iter().any(|w| selects(l, w))));
            if called_by_workload {
                hosts.push(format!("{}/{}", s.namespace, s.host(domain)));
            }
        }
    }
    hosts
}

fn selects(labels: &[(String, String)], w: &ir::Service) -> bool {
    !labels.is_empty()
        && labels
            .iter()
            .all(|(k, v)| w.selector.iter().any(|l| &l.key.node == k && &l.value.node == v))
}
