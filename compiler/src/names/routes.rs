//! Second pass: `route` blocks and `egress` scopes, which name other services.

use std::collections::BTreeMap;

use super::env::FrameRef;
use super::service::Stmts;
use super::{Ctx, Elab};
use crate::diag::Diagnostic;
use crate::ir::{self, Condition, RouteKind, StringMatch};
use crate::span::{Sp, Span};
use crate::syntax::ast::{self, StmtKind};

pub struct Pending<'a> {
    pub ns: usize,
    /// `None`: the namespace's own scope.
    pub svc: Option<usize>,
    pub routes: Stmts<'a>,
    pub egress: Stmts<'a>,
    /// `allow`/`deny`/`audit` statements of the scope.
    pub rules: Stmts<'a>,
}

/// (namespace, name) -> (namespace index, service index).
pub(super) type Table = BTreeMap<(String, String), (usize, usize)>;

use super::vocab::METHODS;

pub fn resolve_all<'a>(el: &mut Elab<'a>, mesh: &mut ir::Mesh, pending: Vec<Pending<'a>>) {
    let mut table = Table::new();
    for (ni, ns) in mesh.namespaces.iter().enumerate() {
        for (si, s) in ns.services.iter().enumerate() {
            table.insert((ns.name.node.clone(), s.name.node.clone()), (ni, si));
        }
    }
    let mut egress_jobs = Vec::new();
    let mut rule_jobs = Vec::new();
    for mut p in pending {
        if !p.rules.is_empty() {
            rule_jobs.push((p.ns, p.svc, std::mem::take(&mut p.rules)));
        }
        if let Some(si) = p.svc {
            for (s, f) in &p.routes {
                if let StmtKind::Route(body) = &s.kind {
                    let routes = {
                        let cx = RouteCx {
                            mesh,
                            table: &table,
                            ns: p.ns,
                            svc: si,
                        };
                        let rules = el.flatten(body, f, Ctx::Route);
                        let mut out = Vec::with_capacity(rules.len());
                        for (rs, rf) in rules {
                            if let StmtKind::Rule(rule) = &rs.kind {
                                if let Some(r) = el.rule(&cx, rule, rs.span, &rf) {
                                    out.push(r);
                                }
                            }
                        }
                        out
                    };
                    mesh.namespaces[p.ns].services[si].routes = routes;
                }
            }
        }
        if !p.egress.is_empty() {
            egress_jobs.push(p);
        }
    }
    // Authorization once every service is known: `from service` may name any of them.
    let mesh_rules = std::mem::take(&mut el.mesh_rules);
    let root = mesh.root_namespace.clone();
    let rules: Vec<ir::AuthzRule> = mesh_rules
        .iter()
        .filter_map(|(s, f)| el.authz_rule(mesh, &table, &root, None, s, f))
        .collect();
    mesh.security.rules = rules;
    for (ni, si, stmts) in rule_jobs {
        let here = mesh.namespaces[ni].name.node.clone();
        let rules: Vec<ir::AuthzRule> = {
            let svc = si.map(|i| &mesh.namespaces[ni].services[i]);
            stmts
                .iter()
                .filter_map(|(s, f)| el.authz_rule(mesh, &table, &here, svc, s, f))
                .collect()
        };
        match si {
            Some(i) => mesh.namespaces[ni].services[i].security.rules = rules,
            None => mesh.namespaces[ni].security.rules = rules,
        }
    }
    // Scopes last: `egress auto` reads the routes and rules resolved above.
    for p in egress_jobs {
        let scope = el.scope(mesh, &table, p.ns, p.svc, &p.egress);
        match p.svc {
            Some(si) => mesh.namespaces[p.ns].services[si].egress = Some(scope),
            None => {
                let outbound = mesh.namespaces[p.ns].egress.as_ref().and_then(|s| s.outbound);
                mesh.namespaces[p.ns].egress = Some(ir::Scope { outbound, ..scope });
            }
        }
    }
    for ns in &mut mesh.namespaces {
        if ns
            .egress
            .as_ref()
            .is_some_and(|s| s.hosts.is_empty() && !s.auto && s.outbound.is_none())
        {
            ns.egress = None;
        }
    }
}

struct RouteCx<'m> {
    mesh: &'m ir::Mesh,
    table: &'m Table,
    ns: usize,
    svc: usize,
}

impl RouteCx<'_> {
    fn service(&self) -> &ir::Service {
        &self.mesh.namespaces[self.ns].services[self.svc]
    }

    fn ns_name(&self) -> &str {
        &self.mesh.namespaces[self.ns].name.node
    }
}

impl<'a> Elab<'a> {
    /// Finds `name` or `name.ns` among the program's services.
    pub(super) fn lookup<'m>(
        &mut self,
        mesh: &'m ir::Mesh,
        table: &Table,
        here: &str,
        name: &Sp<String>,
    ) -> Option<&'m ir::Service> {
        let (svc, ns) = match name.node.split_once('.') {
            Some((s, n)) => (s, n),
            None => (name.node.as_str(), here),
        };
        match table.get(&(ns.to_string(), svc.to_string())) {
            Some((ni, si)) => {
                let svc = &mesh.namespaces[*ni].services[*si];
                self.refer(ir::RefKind::Service, name, svc.name.span);
                Some(svc)
            }
            None => {
                let candidates: Vec<&str> = table.keys().filter(|(n, _)| n == ns).map(|(_, s)| s.as_str()).collect();
                if table.keys().any(|(n, _)| n == ns) {
                    self.unknown("service", name, candidates);
                } else {
                    let namespaces: Vec<&str> = table.keys().map(|(n, _)| n.as_str()).collect();
                    let mut d = Diagnostic::error("E0101", name.span, format!("unknown service `{}`", name.node))
                        .with_label(format!("no namespace `{ns}` in this program"));
                    d = match crate::diag::did_you_mean(ns, namespaces.iter().copied()) {
                        Some(s) => d.with_help(format!("did you mean namespace `{s}`?")),
                        None => d.with_help(format!("declare `namespace {ns} {{ service {svc} {{ ... }} }}`")),
                    };
                    self.diags.push(d);
                }
                None
            }
        }
    }

    fn rule(&mut self, cx: &RouteCx, rule: &'a ast::RouteRule, span: Span, frame: &FrameRef) -> Option<ir::Route> {
        let mut matches = Vec::with_capacity(rule.matches.len());
        for alt in &rule.matches {
            let mut conditions = Vec::with_capacity(alt.len());
            for c in alt {
                if let Some(cond) = self.condition(cx, &c.node, frame) {
                    conditions.push(Sp::new(cond, c.span));
                }
            }
            let mspan = alt.first().map_or(span, |f| f.span.to(alt.last().unwrap().span));
            matches.push(ir::Match {
                span: mspan,
                conditions,
            });
        }
        let action = match &rule.action.kind {
            ast::ActionKind::Redirect { url, code } => {
                ir::Action::Redirect(Box::new(self.redirect(url, code.as_ref(), frame)?))
            }
            ast::ActionKind::Route(dests) => {
                let mut out = Vec::with_capacity(dests.len());
                for d in dests {
                    out.push(self.destination(cx, d, frame)?);
                }
                ir::Action::Forward(out)
            }
        };
        let mut options = ir::RouteOptions::default();
        for (s, f) in self.flatten(&rule.action.options, frame, Ctx::Rule) {
            self.rule_option(cx, &mut options, s, &f);
        }
        let kind = route_kind(cx.service(), &matches);
        Some(ir::Route {
            kind,
            matches,
            action,
            options,
            span,
        })
    }

    fn destination(&mut self, cx: &RouteCx, d: &ast::Dest, frame: &FrameRef) -> Option<ir::Destination> {
        let (target, subset) = self.target(cx, &d.target)?;
        let port = match &d.port {
            Some(p) => {
                let p = self.eval().ranged(p, frame, 1..=65535, "port")?;
                self.check_port(target, &p);
                Some(p)
            }
            None => None,
        };
        let weight = match &d.weight {
            Some(ast::Weight::Percent(e)) => Some(ir::Weight::Percent(self.eval().percent(e, frame)?.node)),
            Some(ast::Weight::Rest(_)) => Some(ir::Weight::Rest),
            None => None,
        };
        Some(ir::Destination {
            host: target.host().to_string(),
            subset,
            port,
            weight,
            span: d.span,
        })
    }

    /// The service a destination or mirror names, and its subset.
    fn target<'m>(&mut self, cx: &RouteCx<'m>, t: &ast::DestTarget) -> Option<(&'m ir::Service, Option<String>)> {
        match t {
            ast::DestTarget::Subset(name) => {
                let svc = &cx.mesh.namespaces[cx.ns].services[cx.svc];
                self.subset_of(svc, name)?;
                Some((svc, Some(name.node.clone())))
            }
            ast::DestTarget::Service { name, subset } => {
                let svc = self.lookup(cx.mesh, cx.table, cx.ns_name(), name)?;
                if let Some(s) = subset {
                    self.subset_of(svc, s)?;
                }
                Some((svc, subset.as_ref().map(|s| s.node.clone())))
            }
            ast::DestTarget::External(name) => {
                let svc = self.lookup(cx.mesh, cx.table, cx.ns_name(), name)?;
                if !svc.is_external() {
                    self.diags.push(
                        Diagnostic::error(
                            "E0101",
                            name.span,
                            format!("`{}` is a service, not an external", name.node),
                        )
                        .with_label("not an external")
                        .with_help(format!("write `service {}`", name.node)),
                    );
                    return None;
                }
                Some((svc, None))
            }
        }
    }

    fn subset_of(&mut self, svc: &ir::Service, name: &Sp<String>) -> Option<()> {
        if let Some(s) = svc.subset(&name.node) {
            self.refer(ir::RefKind::Subset, name, s.name.span);
            return Some(());
        }
        let candidates: Vec<&str> = svc.subsets.iter().map(|s| s.name.node.as_str()).collect();
        let mut d = Diagnostic::error(
            "E0101",
            name.span,
            format!("unknown subset `{}` of service `{}`", name.node, svc.name.node),
        )
        .with_label("no subset of this name")
        .with_secondary(svc.name.span, "service declared here");
        d = match crate::diag::suggestion(&name.node, candidates.iter().copied()) {
            Some(s) => d.with_help(s),
            None if candidates.is_empty() => d.with_help(format!(
                "`{}` declares no subsets: add `subsets version: {}` or `subset {} version={}`",
                svc.name.node, name.node, name.node, name.node
            )),
            None => d.with_help(format!(
                "subsets of `{}`: {}",
                svc.name.node,
                super::backticked(&candidates)
            )),
        };
        self.diags.push(d);
        None
    }

    pub(super) fn check_port(&mut self, svc: &ir::Service, p: &Sp<u32>) {
        if svc.ports.is_empty() || svc.port(p.node).is_some() {
            return;
        }
        let ports: Vec<String> = svc.ports.iter().map(|p| format!("`{}`", p.number.node)).collect();
        self.diags.push(
            Diagnostic::error(
                "E0203",
                p.span,
                format!("service `{}` has no port {}", svc.name.node, p.node),
            )
            .with_label("no such port")
            .with_secondary(svc.name.span, format!("declares {}", ports.join(", ")))
            .with_help(format!(
                "use one of the declared ports, or add `port {} PROTOCOL` to `{}`",
                p.node, svc.name.node
            )),
        );
    }

    fn string_match(&mut self, m: &ast::StrMatch, frame: &FrameRef) -> Option<StringMatch> {
        Some(match m {
            ast::StrMatch::Exact(e) => StringMatch::Exact(self.eval().string(e, frame)?.node),
            ast::StrMatch::Prefix(e) => StringMatch::Prefix(self.eval().string(e, frame)?.node),
            ast::StrMatch::Regex(e) => StringMatch::Regex(self.eval().regex(e, frame)?.node),
        })
    }

    fn value_match(&mut self, m: &ast::ValueMatch, frame: &FrameRef) -> Option<Option<StringMatch>> {
        match m {
            ast::ValueMatch::Present => Some(None),
            ast::ValueMatch::Str(s) => self.string_match(s, frame).map(Some),
        }
    }

    fn methods(&mut self, methods: &[Sp<String>]) -> Option<Vec<String>> {
        let mut out = Vec::new();
        for m in methods {
            if !METHODS.contains(&m.node.as_str()) {
                self.unknown_value("HTTP method", m, &METHODS);
                return None;
            }
            out.push(m.node.clone());
        }
        Some(out)
    }

    fn condition(&mut self, cx: &RouteCx, c: &ast::Cond, frame: &FrameRef) -> Option<Condition> {
        Some(match c {
            ast::Cond::Path { m, ignore_case } => Condition::Path {
                m: self.string_match(m, frame)?,
                ignore_case: *ignore_case,
            },
            ast::Cond::Header { name, m } => Condition::Header {
                name: self.eval().string(name, frame)?.node.to_ascii_lowercase(),
                m: self.value_match(m, frame)?,
            },
            ast::Cond::NotHeader { name, m } => Condition::WithoutHeader {
                name: self.eval().string(name, frame)?.node.to_ascii_lowercase(),
                m: match m {
                    Some(m) => self.value_match(m, frame)?,
                    None => None,
                },
            },
            ast::Cond::Query { name, m } => Condition::Query {
                name: self.eval().string(name, frame)?.node,
                m: self.value_match(m, frame)?,
            },
            ast::Cond::Method(ms) => Condition::Method(self.methods(ms)?),
            ast::Cond::Host(h) => Condition::Authority(self.eval().string(h, frame)?.node),
            ast::Cond::Port(p) => {
                let p = self.eval().ranged(p, frame, 1..=65535, "port")?;
                self.check_port(cx.service(), &p);
                Condition::Port(p.node)
            }
            ast::Cond::Sni(s) => Condition::Sni(self.eval().string(s, frame)?.node),
            ast::Cond::FromService(name) => {
                let svc = self.lookup(cx.mesh, cx.table, cx.ns_name(), name)?;
                Condition::SourceWorkload {
                    labels: svc
                        .selector
                        .iter()
                        .map(|l| (l.key.node.clone(), l.value.node.clone()))
                        .collect(),
                    namespace: svc.namespace.clone(),
                }
            }
            ast::Cond::FromNamespace(n) => Condition::SourceNamespace(n.node.clone()),
        })
    }

    fn redirect(&mut self, url: &ast::Expr, code: Option<&ast::Expr>, frame: &FrameRef) -> Option<ir::Redirect> {
        let u = self.eval().string(url, frame)?;
        let code = match code {
            Some(c) => Some(self.redirect_code(c, frame)?),
            None => None,
        };
        let mut r = ir::Redirect {
            code,
            span: u.span,
            ..Default::default()
        };
        let rest = if let Some((scheme, rest)) = u.node.split_once("://") {
            if scheme != "http" && scheme != "https" {
                self.diags.push(
                    Diagnostic::error("E0121", u.span, format!("redirect scheme `{scheme}` is not supported"))
                        .with_label("not `http` or `https`")
                        .with_help("redirects go to `http://...`, `https://...` or a path such as `/new`"),
                );
                return None;
            }
            r.scheme = Some(scheme.to_string());
            let (auth, path) = match rest.find('/') {
                Some(i) => (&rest[..i], &rest[i..]),
                None => (rest, ""),
            };
            let host = match auth.rsplit_once(':') {
                Some((h, p)) if p.parse::<u32>().is_ok_and(|p| (1..=65535).contains(&p)) => {
                    r.port = p.parse().ok();
                    h
                }
                _ => auth,
            };
            if host.is_empty() {
                self.diags.push(
                    Diagnostic::error("E0121", u.span, "redirect URL has no host")
                        .with_label("expected `scheme://host[/path]`")
                        .with_help("write a full URL such as `https://example.com/new` or a path such as `/new`"),
                );
                return None;
            }
            self.values.hosts.push(Sp::new(host.to_string(), u.span));
            r.authority = Some(host.to_string());
            path
        } else if u.node.starts_with('/') {
            u.node.as_str()
        } else {
            self.diags.push(
                Diagnostic::error("E0121", u.span, format!("`{}` is not a redirect target", u.node))
                    .with_label("expected a URL or a path")
                    .with_help("write a full URL such as `https://example.com/new` or a path such as `/new`"),
            );
            return None;
        };
        if !rest.is_empty() {
            r.uri = Some(rest.to_string());
        }
        Some(r)
    }

    fn redirect_code(&mut self, c: &ast::Expr, frame: &FrameRef) -> Option<Sp<u32>> {
        let code = self.eval().int(c, frame)?;
        if ![301, 302, 303, 307, 308].contains(&code.node) {
            self.diags.push(
                Diagnostic::error("E0206", code.span, "redirect code must be 301, 302, 303, 307 or 308")
                    .with_label("not a redirect code Envoy supports")
                    .with_help("use 301 (moved permanently), 302 (found), 303, 307 or 308; other codes make the route unusable"),
            );
            return None;
        }
        Some(Sp::new(code.node as u32, code.span))
    }

    fn rule_option(&mut self, cx: &RouteCx, o: &mut ir::RouteOptions, s: &ast::Stmt, f: &FrameRef) {
        let kw = s.kind.keyword();
        match &s.kind {
            StmtKind::Timeout(e) => o.timeout = self.eval().duration(e, f),
            StmtKind::Retries(r) => o.retries = self.retries(r.as_deref(), f).map(|r| Sp::new(r, s.span)),
            StmtKind::Rewrite(r) => {
                let rw = o.rewrite.get_or_insert_with(Default::default);
                match r {
                    ast::Rewrite::Path(p) => rw.uri = self.eval().string(p, f).map(|v| v.node),
                    ast::Rewrite::PathRegex(re, sub) => {
                        let re = self.eval().regex(re, f);
                        let sub = self.eval().string(sub, f);
                        if let (Some(re), Some(sub)) = (re, sub) {
                            rw.uri_regex = Some((re.node, sub.node));
                        }
                    }
                    ast::Rewrite::Host(h) => {
                        let h = self.eval().string(h, f);
                        if let Some(h) = &h {
                            self.values.hosts.push(h.clone());
                        }
                        rw.authority = h.map(|v| v.node);
                    }
                }
            }
            StmtKind::Fault { kind, percent } => {
                let pct = match percent {
                    Some(p) => match self.eval().percent(p, f) {
                        Some(p) => Some(p.node),
                        None => return,
                    },
                    None => None,
                };
                match kind {
                    ast::FaultKind::Delay(d) => o.delay = self.eval().duration(d, f).map(|d| (d, pct)),
                    ast::FaultKind::Abort(c) => {
                        o.abort = self.eval().ranged(c, f, 200..=599, "status code").map(|c| (c, pct))
                    }
                }
            }
            StmtKind::Mirror { target, port, percent } => {
                let Some((svc, subset)) = self.target(cx, target) else {
                    return;
                };
                let port = port.as_ref().and_then(|p| self.eval().ranged(p, f, 1..=65535, "port"));
                if let Some(p) = &port {
                    self.check_port(svc, p);
                }
                let percent = percent.as_ref().and_then(|p| self.eval().percent(p, f)).map(|p| p.node);
                o.mirror = Some(Box::new(ir::Mirror {
                    host: svc.host().to_string(),
                    subset,
                    port: port.map(|p| p.node),
                    percent,
                }));
            }
            StmtKind::Header {
                response,
                op,
                name,
                value,
            } => {
                let Some(name) = self.eval().string(name, f) else {
                    return;
                };
                let value = match (op, value) {
                    (ast::HeaderOp::Remove, _) => None,
                    (_, Some(v)) => match self.eval().string(v, f) {
                        Some(v) => Some(v.node),
                        None => return,
                    },
                    (_, None) => {
                        self.diags.push(
                            Diagnostic::error("E0104", s.span, format!("header `{}` needs a value", name.node))
                                .with_label("value missing")
                                .with_help(format!("write `{kw} set header \"{}\" \"VALUE\"`", name.node)),
                        );
                        return;
                    }
                };
                let ops = if *response {
                    o.response_headers.get_or_insert_with(Default::default)
                } else {
                    o.request_headers.get_or_insert_with(Default::default)
                };
                match value {
                    Some(v) if *op == ast::HeaderOp::Set => ops.set.push((name.node, v)),
                    Some(v) => ops.add.push((name.node, v)),
                    None => ops.remove.push(name.node),
                }
            }
            StmtKind::Cors(items) => {
                let mut c = ir::Cors::default();
                for it in items {
                    match it {
                        ast::CorsItem::Origins(os) => {
                            for m in os {
                                if let Some(m) = self.string_match(m, f) {
                                    c.origins.push(m);
                                }
                            }
                        }
                        ast::CorsItem::Methods(ms) => c.methods = self.methods(ms).unwrap_or_default(),
                        ast::CorsItem::Headers(hs) => {
                            c.headers = hs
                                .iter()
                                .filter_map(|h| self.eval().string(h, f))
                                .map(|h| h.node)
                                .collect()
                        }
                        ast::CorsItem::Expose(hs) => {
                            c.expose = hs
                                .iter()
                                .filter_map(|h| self.eval().string(h, f))
                                .map(|h| h.node)
                                .collect()
                        }
                        ast::CorsItem::MaxAge(d) => c.max_age = self.eval().duration(d, f),
                        ast::CorsItem::Credentials(_) => c.credentials = true,
                    }
                }
                o.cors = Some(Box::new(c));
            }
            _ => return,
        }
        o.http_only.push(Sp::new(kw, s.head));
    }
}

/// HTTP unless the rule selects SNI (TLS) or a non-HTTP port, or the service has no HTTP port.
fn route_kind(svc: &ir::Service, matches: &[ir::Match]) -> RouteKind {
    let conds = || matches.iter().flat_map(|m| &m.conditions);
    if conds().any(|c| matches!(c.node, Condition::Sni(_))) {
        return RouteKind::Tls;
    }
    let port_proto = conds().find_map(|c| match c.node {
        Condition::Port(p) => svc.port(p).map(|p| p.protocol.node),
        _ => None,
    });
    match port_proto {
        Some(p) if p.is_http() => RouteKind::Http,
        Some(_) => RouteKind::Tcp,
        None if svc.ports.is_empty() || svc.ports.iter().any(|p| p.protocol.node.is_http()) => RouteKind::Http,
        None => RouteKind::Tcp,
    }
}
