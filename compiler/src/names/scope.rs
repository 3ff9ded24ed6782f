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
                        if let Some(t) = self.egress_target(mesh, table, &here, n, false) {
                            scope.hosts.push(format!("{}/{}", t.namespace, t.host()));
                        }
                    }
                }
                StmtKind::Egress(Egress::Externals(items)) => {
                    for n in items {
                        if let Some(t) = self.egress_target(mesh, table, &here, n, true) {
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
            scope.hosts.extend(auto_hosts(mesh, ns, svc));
        }
        scope.hosts.sort();
        scope.hosts.dedup();
        scope
    }

    /// A service (or, with `external`, an external) named in an `egress` list.
    fn egress_target<'m>(
        &mut self,
        mesh: &'m ir::Mesh,
        table: &Table,
        here: &str,
        name: &crate::span::Sp<String>,
        external: bool,
    ) -> Option<&'m ir::Service> {
        let t = self.lookup(mesh, table, here, name)?;
        if t.is_external() == external {
            return Some(t);
        }
        let (is, write) = if external {
            ("a service", "service")
        } else {
            ("an external", "external")
        };
        self.diags.push(
            crate::diag::Diagnostic::error("E0101", name.span, format!("`{}` is {is}", name.node))
                .with_label(format!("not {}", if external { "an external" } else { "a service" }))
                .with_help(format!("write `egress {write} {}`", name.node)),
        );
        None
    }
}

/// What `egress auto` derives: the root namespace, every service whose
/// `allow` rules admit the workload(s) by identity, and every service whose
/// routes match traffic `from service` the workload(s), with the services
/// those routes send to or mirror to (the caller's proxy applies them).
fn auto_hosts(mesh: &ir::Mesh, ns: usize, svc: Option<usize>) -> Vec<String> {
    let namespace = &mesh.namespaces[ns];
    let workloads: Vec<&ir::Service> = match svc {
        Some(i) => vec![&namespace.services[i]],
        None => namespace.services.iter().collect(),
    };
    let mut by_host: BTreeMap<&str, &ir::Service> = BTreeMap::new();
    for n in &mesh.namespaces {
        for s in &n.services {
            by_host.insert(s.host(), s);
        }
    }
    let mut hosts = vec![format!("{}/*", mesh.root_namespace)];
    let mut add = |host: &str| {
        if let Some(t) = by_host.get(host) {
            hosts.push(format!("{}/{}", t.namespace, host));
        }
    };
    let principals: Vec<String> = workloads
        .iter()
        .map(|w| format!("{}/ns/{}/sa/{}", mesh.domain, w.namespace, w.account))
        .collect();
    for s in mesh.namespaces.iter().flat_map(|n| &n.services) {
        if admits(s, &principals) {
            add(s.host());
        }
        let called = s
            .routes
            .iter()
            .flat_map(|r| &r.matches)
            .flat_map(|m| &m.conditions)
            .any(|c| matches!(&c.node, Condition::SourceWorkload { labels, namespace } if workloads.iter().any(|w| &w.namespace == namespace && selects(labels, w))));
        if !called {
            continue;
        }
        add(s.host());
        for r in &s.routes {
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
    hosts
}

fn selects(labels: &[(String, String)], w: &ir::Service) -> bool {
    !labels.is_empty()
        && labels
            .iter()
            .all(|(k, v)| w.selector.iter().any(|l| &l.key.node == k && &l.value.node == v))
}

/// Whether an `allow` rule of `s` names one of these principals as a source.
fn admits(s: &ir::Service, principals: &[String]) -> bool {
    s.security
        .rules
        .iter()
        .filter(|r| r.action == ir::AuthzAction::Allow)
        .any(|r| match &r.body {
            ir::RuleBody::Match { from, .. } => from.iter().flat_map(|p| &p.fields).any(|f| {
                f.kind == ir::FieldKind::Principal && !f.negate && f.values.iter().any(|v| principals.contains(v))
            }),
            _ => false,
        })
}
