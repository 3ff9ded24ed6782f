//! Traffic-policy statements (`balance`, `sticky`, `limits`, `eject`, `tls`).

use super::env::FrameRef;
use super::{Ctx, Elab};
use crate::diag::Diagnostic;
use crate::ir::{self, Balance, HashAlgorithm, HashKey, LoadBalancer, Policy, Sticky, Tls, TlsFiles};
use crate::span::Sp;
use crate::syntax::ast::{self, Stmt, StmtKind};

impl<'a> Elab<'a> {
    /// Applies one policy statement to `policy`; returns false if `s` is not one.
    pub fn policy_stmt(&mut self, policy: &mut Policy, s: &'a Stmt, frame: &FrameRef) -> bool {
        match &s.kind {
            StmtKind::Balance(name) => {
                let b = match name.node.as_str() {
                    "round_robin" => Balance::RoundRobin,
                    "least_request" => Balance::LeastRequest,
                    "least_conn" => {
                        self.values.least_conn.push(name.span);
                        Balance::LeastRequest
                    }
                    "random" => Balance::Random,
                    "passthrough" => Balance::Passthrough,
                    _ => {
                        self.unknown_value("balance algorithm", name, &super::vocab::BALANCES[..4]);
                        return true;
                    }
                };
                self.set_lb(policy, Sp::new(LoadBalancer::Simple(b), s.span));
            }
            StmtKind::Sticky { key, ring, maglev } => {
                let key = match &**key {
                    ast::HashKey::Cookie { name, ttl, path } => {
                        let Some(name) = self.eval().string(name, frame) else {
                            return true;
                        };
                        let ttl = ttl
                            .as_ref()
                            .and_then(|t| self.eval().duration(t, frame))
                            .map(|t| t.node);
                        let path = path.as_ref().and_then(|p| self.eval().string(p, frame)).map(|p| p.node);
                        HashKey::Cookie {
                            name: name.node,
                            ttl,
                            path,
                        }
                    }
                    ast::HashKey::Header(h) => match self.eval().string(h, frame) {
                        Some(h) => HashKey::Header(h.node),
                        None => return true,
                    },
                    ast::HashKey::Query(q) => match self.eval().string(q, frame) {
                        Some(q) => HashKey::Query(q.node),
                        None => return true,
                    },
                    ast::HashKey::SourceIp => HashKey::SourceIp,
                };
                let algorithm = match (ring, maglev) {
                    (_, Some(m)) => self.eval().int(m, frame).map(|m| HashAlgorithm::Maglev(m.node)),
                    (Some(r), None) => self.eval().int(r, frame).map(|r| HashAlgorithm::Ring(r.node)),
                    (None, None) => None,
                };
                self.set_lb(
                    policy,
                    Sp::new(LoadBalancer::Hash(Box::new(Sticky { key, algorithm })), s.span),
                );
            }
            StmtKind::Limits(body) => {
                let mut l = policy.limits.take().unwrap_or_default();
                for (st, f) in self.flatten(body, frame, Ctx::Limits) {
                    self.limit(&mut l, st, &f);
                }
                // An empty `limits { }` sets nothing, so it leaves no block behind.
                policy.limits = (*l != ir::Limits::default()).then_some(l);
            }
            StmtKind::Eject(body) => {
                let mut e = policy.eject.clone().unwrap_or_default();
                for (st, f) in self.flatten(body, frame, Ctx::Eject) {
                    self.eject(&mut e, st, &f);
                }
                policy.eject = Some(e);
            }
            StmtKind::Tls { mode, options } => {
                if let Some(t) = self.tls(mode, options, frame) {
                    policy.tls = Some(Sp::new(t, s.span));
                }
            }
            _ => return false,
        }
        true
    }

    /// `balance` (other than the default) and `sticky` are one Istio field: refuse both at one level.
    fn set_lb(&mut self, policy: &mut Policy, lb: Sp<LoadBalancer>) {
        if let Some(prev) = &policy.lb {
            let is_default = |l: &LoadBalancer| matches!(l, LoadBalancer::Simple(Balance::LeastRequest));
            let conflict = matches!(
                (&prev.node, &lb.node),
                (LoadBalancer::Simple(_), LoadBalancer::Hash(_)) | (LoadBalancer::Hash(_), LoadBalancer::Simple(_))
            );
            if conflict && !is_default(&prev.node) && !is_default(&lb.node) {
                self.diags.push(
                    Diagnostic::error("E0202", lb.span, "`sticky` and `balance` cannot both be set here")
                        .with_label("conflicts with the other load-balancing statement")
                        .with_secondary(prev.span, "set here")
                        .with_help("Istio's load balancer is either a simple algorithm or a consistent hash: keep one (sticky sessions use a consistent hash)"),
                );
                return;
            }
            if conflict && is_default(&lb.node) {
                return;
            }
        }
        policy.lb = Some(lb);
    }

    fn limit(&mut self, l: &mut ir::Limits, s: &Stmt, frame: &FrameRef) {
        let StmtKind::Setting { key, value } = &s.kind else {
            return;
        };
        let mut ev = self.eval();
        match key.node.as_str() {
            "max_connections" => l.max_connections = ev.int(value, frame).map(|v| v.node),
            "max_pending" => l.max_pending = ev.int(value, frame).map(|v| v.node),
            "max_requests" => l.max_requests = ev.int(value, frame).map(|v| v.node),
            "max_requests_per_connection" => l.max_requests_per_connection = ev.int(value, frame).map(|v| v.node),
            "max_retries" => l.max_retries = ev.int(value, frame).map(|v| v.node),
            "connect_timeout" => l.connect_timeout = ev.duration(value, frame).map(|v| v.node),
            "idle_timeout" => l.idle_timeout = ev.duration(value, frame).map(|v| v.node),
            _ => self.wrong_block(key, "eject", "limits"),
        }
    }

    fn eject(&mut self, e: &mut ir::Eject, s: &Stmt, frame: &FrameRef) {
        let StmtKind::Setting { key, value } = &s.kind else {
            return;
        };
        let mut ev = self.eval();
        match key.node.as_str() {
            "consecutive_5xx" => e.consecutive_5xx = ev.int(value, frame).map(|v| v.node),
            "consecutive_gateway_errors" => e.consecutive_gateway_errors = ev.int(value, frame).map(|v| v.node),
            "interval" => e.interval = ev.duration(value, frame).map(|v| v.node),
            "base_time" => e.base_time = ev.duration(value, frame).map(|v| v.node),
            "max_percent" => e.max_percent = ev.percent(value, frame).map(|v| v.node),
            "min_health" => e.min_health = ev.percent(value, frame).map(|v| v.node),
            _ => self.wrong_block(key, "limits", "eject"),
        }
    }

    fn wrong_block(&mut self, key: &Sp<String>, right: &str, here: &str) {
        self.diags.push(
            Diagnostic::error(
                "E0110",
                key.span,
                format!("`{}` is not allowed in a `{here}` block", key.node),
            )
            .with_label(format!("belongs in `{right} {{ }}`"))
            .with_help(format!("move `{}` into the `{right}` block", key.node)),
        );
    }

    fn tls(&mut self, mode: &Sp<String>, options: &[(Sp<String>, ast::Expr)], frame: &FrameRef) -> Option<Tls> {
        let mut files = TlsFiles::default();
        for (k, v) in options {
            let v = self.eval().string(v, frame)?.node;
            match k.node.as_str() {
                "sni" => files.sni = Some(v),
                "ca" => files.ca = Some(v),
                "san" => files.san.push(v),
                "cert" => files.cert = Some(v),
                "key" => files.key = Some(v),
                _ => files.credential = Some(v),
            }
        }
        match mode.node.as_str() {
            "off" => Some(Tls::Off),
            "mesh" => Some(Tls::Mesh),
            "simple" => Some(Tls::Simple(Box::new(files))),
            "mutual" => Some(Tls::Mutual(Box::new(files))),
            _ => {
                self.unknown_value("TLS mode", mode, &super::vocab::TLS_MODES);
                None
            }
        }
    }
}
