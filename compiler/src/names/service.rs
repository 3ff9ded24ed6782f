//! `service` and `external` blocks -> IR services (routes are resolved later,
//! once every service of the program is known).

use std::collections::HashMap;

use super::env::FrameRef;
use super::routes::Pending;
use super::vocab::{language_retry_name, RETRY_ON};
use super::{Ctx, Elab};
use crate::diag::Diagnostic;
use crate::ir::{self, LabelPair, Policy, Protocol, Resolution, ServiceKind};
use crate::span::{Sp, Span};
use crate::syntax::ast::{self, Stmt, StmtKind};

pub type Stmts<'a> = Vec<(&'a Stmt, FrameRef)>;

impl<'a> Elab<'a> {
    pub fn labels(&mut self, labels: &[ast::Label]) -> Vec<LabelPair> {
        let out: Vec<LabelPair> = labels
            .iter()
            .map(|l| LabelPair {
                key: l.key.clone(),
                value: l.value.clone(),
            })
            .collect();
        out
    }

    #[allow(clippy::type_complexity)]
    pub fn service(
        &mut self,
        namespace: &str,
        name: &Sp<String>,
        body: &'a [Stmt],
        external: bool,
        decl: &Stmt,
        frame: &FrameRef,
    ) -> (ir::Service, Pending<'a>) {
        let mut svc = ir::Service {
            name: name.clone(),
            namespace: namespace.to_string(),
            host: format!("{}.{}.svc.{}", name.node, namespace, self.domain),
            kind: ServiceKind::Kubernetes,
            span: decl.span,
            doc: decl.doc.clone(),
            ports: Vec::new(),
            selector: Vec::new(),
            account: name.node.clone(),
            subsets: Vec::new(),
            endpoints: Vec::new(),
            policy: Policy::default(),
            defaults: ir::RouteOptions::default(),
            routes: Vec::new(),
            route_span: None,
            egress: None,
            security: ir::Security::default(),
        };
        let mut rules = Vec::new();
        let mut hosts = Vec::new();
        let mut resolution = Sp::new(Resolution::Dns, name.span);
        let mut addresses = Vec::new();
        let mut internal = false;
        let mut routes = Vec::new();
        let mut egress = Vec::new();
        let mut explicit_selector = false;
        let ctx = if external { Ctx::External } else { Ctx::Service };
        for (s, f) in self.flatten(body, frame, ctx) {
            if self.policy_stmt(&mut svc.policy, s, &f) {
                continue;
            }
            match &s.kind {
                StmtKind::Port {
                    number,
                    protocol,
                    target,
                    body,
                } => {
                    if let Some(p) = self.port(number, protocol, target.as_deref(), body.as_deref(), s.span, &f) {
                        match svc.port(p.number.node) {
                            Some(first) => {
                                let first = first.number.span;
                                self.diags.push(
                                    Diagnostic::error(
                                        "E0102",
                                        p.number.span,
                                        format!("port {} is declared twice", p.number.node),
                                    )
                                    .with_label("declared again here")
                                    .with_secondary(first, "first declared here")
                                    .with_help("remove one of them; settings for a port go in its `{ }` block"),
                                );
                            }
                            None => svc.ports.push(p),
                        }
                    }
                }
                StmtKind::Selector(l) => {
                    explicit_selector = true;
                    svc.selector = self.labels(l);
                }
                StmtKind::Account(a) => {
                    self.values.names.push(a.clone());
                    svc.account = a.node.clone();
                }
                StmtKind::Subsets { key, values } => {
                    for v in values {
                        let labels = vec![LabelPair {
                            key: key.clone(),
                            value: v.clone(),
                        }];
                        self.add_subset(&mut svc, v.clone(), labels, Policy::default(), v.span);
                    }
                }
                StmtKind::Subset { name, labels, body } => {
                    let labels = self.labels(labels);
                    let mut policy = Policy::default();
                    for (ps, pf) in self.flatten(body.as_deref().unwrap_or(&[]), &f, Ctx::Subset) {
                        self.policy_stmt(&mut policy, ps, &pf);
                    }
                    self.add_subset(&mut svc, name.clone(), labels, policy, s.span);
                }
                StmtKind::Endpoint {
                    address,
                    port,
                    labels,
                    weight,
                } => {
                    let Some(address) = self.eval().string(address, &f) else {
                        continue;
                    };
                    let port = port
                        .as_ref()
                        .and_then(|p| self.eval().ranged(p, &f, 1..=65535, "port"))
                        .map(|p| p.node);
                    let weight = weight
                        .as_ref()
                        .and_then(|w| self.eval().ranged(w, &f, 0..=u32::MAX, "weight"));
                    let labels = self.labels(labels);
                    svc.endpoints.push(ir::Endpoint {
                        address,
                        port,
                        labels,
                        weight: weight.map(|w| w.node),
                        span: s.span,
                    });
                }
                StmtKind::Host(values) => {
                    for v in values {
                        if let Some(h) = self.eval().string(v, &f) {
                            self.values.hosts.push(h.clone());
                            hosts.push(h);
                        }
                    }
                }
                StmtKind::Address(values) => {
                    for v in values {
                        if let Some(a) = self.eval().string(v, &f) {
                            addresses.push(a);
                        }
                    }
                }
                StmtKind::Resolution(r) => {
                    let v = match r.node.as_str() {
                        "dns" => Resolution::Dns,
                        "dns_round_robin" => Resolution::DnsRoundRobin,
                        "static" => Resolution::Static,
                        "none" => Resolution::None,
                        _ => {
                            self.unknown_value("resolution", r, &super::vocab::RESOLUTIONS);
                            continue;
                        }
                    };
                    resolution = Sp::new(v, r.span);
                }
                StmtKind::Internal => internal = true,
                StmtKind::Timeout(e) => svc.defaults.timeout = self.eval().duration(e, &f),
                StmtKind::Retries(r) => {
                    svc.defaults.retries = self.retries(r.as_deref(), &f).map(|r| Sp::new(r, s.span))
                }
                StmtKind::Route(_) => {
                    if let Some(first) = svc.route_span {
                        self.diags.push(
                            Diagnostic::error(
                                "E0102",
                                s.head,
                                format!("service `{}` has two `route` blocks", name.node),
                            )
                            .with_label("second `route` block")
                            .with_secondary(first, "first `route` block")
                            .with_help(
                                "put all rules of a service in one `route { }` block; they are tried top to bottom",
                            ),
                        );
                        continue;
                    }
                    svc.route_span = Some(s.span);
                    routes.push((s, f.clone()));
                }
                StmtKind::Egress(_) | StmtKind::Outbound(_) => egress.push((s, f.clone())),
                _ => {
                    self.security_stmt(&mut svc.security, s, &f, &mut rules);
                }
            }
        }
        if external {
            if hosts.is_empty() {
                self.diags.push(
                    Diagnostic::error("E0120", name.span, format!("external `{}` has no `host`", name.node))
                        .with_label("needs at least one host")
                        .with_help("add `host \"api.example.com\"` to say which names this external stands for"),
                );
            }
            if svc.ports.is_empty() {
                self.diags.push(
                    Diagnostic::error("E0120", name.span, format!("external `{}` has no `port`", name.node))
                        .with_label("needs at least one port")
                        .with_help("add a port such as `port 443 https`"),
                );
            }
            svc.host = hosts.first().map(|h| h.node.clone()).unwrap_or_default();
            svc.kind = ServiceKind::External {
                hosts,
                resolution,
                addresses,
                internal,
            };
        } else if !explicit_selector {
            svc.selector = vec![LabelPair {
                key: Sp::new("app".into(), name.span),
                value: name.clone(),
            }];
        }
        // Services are many and their lists short: drop the doubling slack.
        svc.selector.shrink_to_fit();
        svc.ports.shrink_to_fit();
        svc.subsets.shrink_to_fit();
        svc.endpoints.shrink_to_fit();
        let later = Pending {
            ns: 0,
            svc: None,
            routes,
            egress,
            rules,
        };
        (svc, later)
    }

    fn add_subset(
        &mut self,
        svc: &mut ir::Service,
        name: Sp<String>,
        labels: Vec<LabelPair>,
        policy: Policy,
        span: Span,
    ) {
        if let Some(first) = svc.subset(&name.node) {
            let first = first.name.span;
            self.duplicate("subset", &name, first);
            return;
        }
        svc.subsets.push(ir::Subset {
            name,
            labels,
            policy,
            span,
        });
    }

    fn port(
        &mut self,
        number: &ast::Expr,
        protocol: &Sp<String>,
        target: Option<&ast::Expr>,
        body: Option<&'a [Stmt]>,
        span: Span,
        frame: &FrameRef,
    ) -> Option<ir::Port> {
        let number = self.eval().ranged(number, frame, 1..=65535, "port")?;
        let target = match target {
            Some(t) => Some(self.eval().ranged(t, frame, 1..=65535, "port")?),
            None => None,
        };
        let proto = match Protocol::ALL.iter().find(|(n, _)| *n == protocol.node) {
            Some((_, p)) => *p,
            None => {
                let names: Vec<&str> = Protocol::ALL.iter().map(|(n, _)| *n).collect();
                self.unknown_value("protocol", protocol, &names);
                return None;
            }
        };
        let mut policy = Policy::default();
        let mut mtls = None;
        for (s, f) in self.flatten(body.unwrap_or(&[]), frame, Ctx::Port) {
            if !self.policy_stmt(&mut policy, s, &f) {
                if let StmtKind::Mtls(m) = &s.kind {
                    mtls = self.mtls_mode(m).map(|m| Sp::new(m, s.span));
                }
            }
        }
        Some(ir::Port {
            number,
            protocol: Sp::new(proto, protocol.span),
            target,
            policy,
            mtls,
            span,
        })
    }

    pub fn retries(&mut self, r: Option<&ast::Retries>, frame: &FrameRef) -> Option<ir::Retry> {
        let Some(r) = r else { return Some(ir::Retry::Off) };
        let attempts = self
            .eval()
            .ranged(&r.attempts, frame, 0..=i32::MAX as u32, "retry count")?;
        let per_try = match &r.per_try {
            Some(p) => Some(self.eval().duration(p, frame)?),
            None => None,
        };
        let mut on = Vec::new();
        let mut seen: HashMap<&str, Span> = HashMap::new();
        for c in &r.on {
            let token = c.node.replace('_', "-");
            let token = if token == "server-error" {
                "5xx".to_string()
            } else {
                token
            };
            if !RETRY_ON.contains(&token.as_str()) {
                let opts: Vec<String> = RETRY_ON.iter().map(|t| language_retry_name(t)).collect();
                let opts: Vec<&str> = opts.iter().map(String::as_str).collect();
                self.unknown_value("retry condition", c, &opts);
                continue;
            }
            if seen.insert(c.node.as_str(), c.span).is_none() {
                on.push(token);
            }
        }
        Some(ir::Retry::On {
            attempts: attempts.node,
            per_try,
            on,
        })
    }
}
