//! The `mesh { }` block and namespace members.

use std::collections::HashMap;

use super::env::{Eval, FrameRef};
use super::routes::Pending;
use super::{Ctx, Elab};
use crate::diag::Diagnostic;
use crate::ir;
use crate::span::{Sp, Span};
use crate::syntax::ast::{Stmt, StmtKind};

impl<'a> Elab<'a> {
    pub fn eval(&mut self) -> Eval<'_> {
        Eval {
            diags: &mut self.diags,
            values: &mut self.values,
        }
    }

    pub fn mesh_block(&mut self, body: &'a [Stmt], mesh: &mut ir::Mesh) {
        let top = FrameRef::default();
        for (s, frame) in self.flatten(body, &top, Ctx::Mesh) {
            match &s.kind {
                StmtKind::Domain(e) => {
                    if let Some(v) = self.eval().string(e, &frame) {
                        self.values.hosts.push(v.clone());
                        mesh.domain = v.node;
                    }
                }
                StmtKind::RootNamespace(e) => {
                    if let Some(v) = self.eval().string(e, &frame) {
                        self.values.names.push(v.clone());
                        mesh.root_namespace = v.node;
                    }
                }
                StmtKind::Outbound(m) => {
                    if let Some(o) = self.outbound(m) {
                        mesh.outbound = Some(Sp::new(o, s.span));
                    }
                }
                StmtKind::Retries(r) => {
                    mesh.default_retries = self.retries(r.as_deref(), &frame).map(|r| Sp::new(r, s.span))
                }
                _ => {
                    let mut rules = std::mem::take(&mut self.mesh_rules);
                    self.security_stmt(&mut mesh.security, s, &frame, &mut rules);
                    self.mesh_rules = rules;
                }
            }
        }
    }

    pub fn outbound(&mut self, m: &Sp<String>) -> Option<ir::Outbound> {
        match m.node.as_str() {
            "registry_only" => Some(ir::Outbound::RegistryOnly),
            "allow_any" => Some(ir::Outbound::AllowAny),
            _ => {
                self.unknown_value("outbound mode", m, &super::vocab::OUTBOUND_MODES);
                None
            }
        }
    }

    pub fn unknown_value(&mut self, what: &str, v: &Sp<String>, options: &[&str]) {
        let mut d = Diagnostic::error("E0201", v.span, format!("unknown {what} `{}`", v.node))
            .with_label(format!("not a valid {what}"));
        d = match crate::diag::did_you_mean(&v.node, options.iter().copied()) {
            Some(s) => d.with_help(format!("did you mean `{s}`? (one of {})", super::backticked(options))),
            None => d.with_help(format!("one of {}", super::backticked(options))),
        };
        self.diags.push(d);
    }

    pub fn namespace(
        &mut self,
        ns_index: usize,
        name: &str,
        parts: &[(&'a Sp<String>, &'a [Stmt])],
        pending: &mut Vec<Pending<'a>>,
    ) -> ir::Namespace {
        let ns_name = parts[0].0.clone();
        let mut ns = ir::Namespace {
            name: ns_name,
            services: Vec::new(),
            egress: None,
            security: ir::Security::default(),
        };
        let mut rules = Vec::new();
        let mut declared: HashMap<&str, Span> = HashMap::new();
        let mut egress = Vec::new();
        let mut outbound = None;
        let top = FrameRef::default();
        for (_, members) in parts {
            for (s, frame) in self.flatten(members, &top, Ctx::Namespace) {
                match &s.kind {
                    StmtKind::Service { name: sname, body } | StmtKind::External { name: sname, body } => {
                        if let Some(first) = declared.get(sname.node.as_str()) {
                            let first = *first;
                            self.duplicate("service", sname, first);
                            continue;
                        }
                        declared.insert(&sname.node, sname.span);
                        let external = matches!(s.kind, StmtKind::External { .. });
                        let (svc, later) = self.service(name, sname, body, external, s, &frame);
                        let svc_index = ns.services.len();
                        ns.services.push(svc);
                        pending.push(Pending {
                            ns: ns_index,
                            svc: Some(svc_index),
                            ..later
                        });
                    }
                    StmtKind::Egress(_) => egress.push((s, frame.clone())),
                    StmtKind::Outbound(m) => outbound = self.outbound(m).map(|o| (o, s.span)),
                    _ => {
                        self.security_stmt(&mut ns.security, s, &frame, &mut rules);
                    }
                }
            }
        }
        if !egress.is_empty() || outbound.is_some() || !rules.is_empty() {
            pending.push(Pending {
                ns: ns_index,
                svc: None,
                routes: Vec::new(),
                egress: egress.clone(),
                rules,
            });
        }
        if !egress.is_empty() || outbound.is_some() {
            let span = egress
                .first()
                .map(|(s, _)| s.span)
                .or(outbound.map(|o| o.1))
                .unwrap_or_default();
            ns.egress = Some(ir::Scope {
                span,
                auto: false,
                hosts: Vec::new(),
                outbound: outbound.map(|o| o.0),
            });
        }
        ns
    }
}
