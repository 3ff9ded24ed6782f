//! Security statements: `mtls`, `authenticate`, `require jwt`, JWT providers
//! and `allow`/`deny`/`audit` rules (resolved once every service is known).

use super::env::FrameRef;
use super::routes::Table;
use super::Elab;
use crate::diag::Diagnostic;
use crate::ir::{self, AuthzAction, AuthzKey, FieldKind, MtlsMode};
use crate::span::{Sp, Span};
use crate::syntax::ast::{self, CondKey, CondOp, JwtSetting, OperationField, PolicyBody, SourceField, Stmt, StmtKind};

use super::vocab::METHODS;

impl<'a> Elab<'a> {
    /// Applies `mtls`, `authenticate` and `require jwt`; defers rules to `rules`.
    /// Returns false if `s` is not a security statement.
    pub fn security_stmt(
        &mut self,
        sec: &mut ir::Security,
        s: &'a Stmt,
        frame: &FrameRef,
        rules: &mut Vec<(&'a Stmt, FrameRef)>,
    ) -> bool {
        match &s.kind {
            StmtKind::Mtls(m) => sec.mtls = self.mtls_mode(m).map(|m| Sp::new(m, s.span)),
            StmtKind::Authenticate(names) => {
                for n in names {
                    if let Some(p) = self.providers.get(n.node.as_str()) {
                        let target = p.name.span;
                        self.refer(ir::RefKind::Provider, n, target);
                        sec.authenticate.push(n.clone());
                    } else {
                        let known: Vec<String> = self.providers.keys().cloned().collect();
                        self.unknown("JWT provider", n, known.iter().map(String::as_str).collect());
                    }
                }
            }
            StmtKind::RequireJwt => sec.require_jwt = Some(s.span),
            StmtKind::Policy(_) => rules.push((s, frame.clone())),
            _ => return false,
        }
        true
    }

    pub fn mtls_mode(&mut self, m: &Sp<String>) -> Option<MtlsMode> {
        match m.node.as_str() {
            "strict" => Some(MtlsMode::Strict),
            "permissive" => Some(MtlsMode::Permissive),
            "disable" => Some(MtlsMode::Disable),
            _ => {
                self.unknown_value("mTLS mode", m, &super::vocab::MTLS_MODES);
                None
            }
        }
    }

    /// A `jwt NAME { }` declaration.
    pub fn provider(&mut self, name: &Sp<String>, body: &'a [Stmt], span: Span) -> ir::JwtProvider {
        let mut p = ir::JwtProvider {
            name: name.clone(),
            span,
            issuer: None,
            jwks_uri: None,
            jwks: None,
            audiences: Vec::new(),
            headers: Vec::new(),
            params: Vec::new(),
            cookies: Vec::new(),
            forward_token: false,
            claim_headers: Vec::new(),
            payload_header: None,
        };
        let top = FrameRef::default();
        for (s, f) in self.flatten(body, &top, super::Ctx::Jwt) {
            let StmtKind::Jwt(setting) = &s.kind else { continue };
            self.check_jwt_setting(setting, &f);
            let mut ev = self.eval();
            match setting {
                JwtSetting::Issuer(e) => p.issuer = ev.string(e, &f),
                JwtSetting::JwksUri(e) => p.jwks_uri = ev.string(e, &f),
                JwtSetting::Jwks(e) => p.jwks = ev.string(e, &f),
                JwtSetting::Audiences(es) => p
                    .audiences
                    .extend(es.iter().filter_map(|e| ev.string(e, &f)).map(|v| v.node)),
                JwtSetting::FromHeader { name, prefix } => {
                    if let Some(n) = ev.string(name, &f) {
                        let prefix = prefix.as_ref().and_then(|e| ev.string(e, &f)).map(|v| v.node);
                        p.headers.push((n.node, prefix));
                    }
                }
                JwtSetting::FromQuery(e) => p.params.extend(ev.string(e, &f).map(|v| v.node)),
                JwtSetting::FromCookie(e) => p.cookies.extend(ev.string(e, &f).map(|v| v.node)),
                JwtSetting::ForwardToken => p.forward_token = true,
                JwtSetting::ClaimToHeader { claim, header } => {
                    if let (Some(c), Some(h)) = (ev.string(claim, &f), ev.string(header, &f)) {
                        p.claim_headers.push((c.node, h.node));
                    }
                }
                JwtSetting::PayloadToHeader(e) => p.payload_header = ev.string(e, &f).map(|v| v.node),
            }
        }
        p
    }

    /// Istio rejects empty values and header names that are not tokens.
    fn check_jwt_setting(&mut self, setting: &JwtSetting, frame: &FrameRef) {
        let (values, headers): (Vec<&ast::Expr>, Vec<&ast::Expr>) = match setting {
            JwtSetting::Issuer(e) | JwtSetting::FromQuery(e) | JwtSetting::FromCookie(e) => (vec![e], vec![]),
            JwtSetting::Audiences(es) => (es.iter().collect(), vec![]),
            JwtSetting::FromHeader { name, .. } => (vec![], vec![name]),
            JwtSetting::ClaimToHeader { claim, header } => (vec![claim], vec![header]),
            JwtSetting::PayloadToHeader(h) => (vec![], vec![h]),
            _ => (vec![], vec![]),
        };
        for e in values {
            if let Some(v) = self.eval().string(e, frame) {
                self.non_empty(&v);
            }
        }
        for e in headers {
            if let Some(v) = self.eval().string(e, frame) {
                if v.node.is_empty()
                    || !v
                        .node
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                {
                    self.diags.push(
                        Diagnostic::error("E0211", v.span, format!("`{}` is not a valid header name", v.node))
                            .with_label("not a header name")
                            .with_help("Istio takes header names of letters, digits, `-` and `_` here"),
                    );
                }
            }
        }
    }

    /// E0421: Istio rejects empty strings in security values.
    fn non_empty(&mut self, v: &Sp<String>) -> bool {
        if !v.node.is_empty() {
            return true;
        }
        self.diags.push(
            Diagnostic::error("E0421", v.span, "empty value")
                .with_label("nothing between the quotes")
                .with_help("Istio rejects empty strings here; write the value, or `*` to mean any"),
        );
        false
    }

    /// One `allow`/`deny`/`audit` statement. `svc` is the workload for
    /// service-scoped rules (ports are mapped to its workload ports).
    pub(super) fn authz_rule(
        &mut self,
        mesh: &ir::Mesh,
        table: &Table,
        here: &str,
        svc: Option<&ir::Service>,
        s: &Stmt,
        frame: &FrameRef,
    ) -> Option<ir::AuthzRule> {
        let StmtKind::Policy(p) = &s.kind else { return None };
        let action = match p.action.node {
            ast::PolicyAction::Allow => AuthzAction::Allow,
            ast::PolicyAction::Deny => AuthzAction::Deny,
            ast::PolicyAction::Audit => AuthzAction::Audit,
        };
        let body = match &p.body {
            PolicyBody::All(_) => ir::RuleBody::All,
            PolicyBody::Nothing(span) => {
                if action != AuthzAction::Allow {
                    self.diags.push(
                        Diagnostic::error(
                            "E0405",
                            *span,
                            format!("`{} nothing` has no meaning", p.action.node.keyword()),
                        )
                        .with_label("only `allow nothing` exists")
                        .with_help("`allow nothing` denies everything in scope; to deny everything write `deny all`"),
                    );
                    return None;
                }
                ir::RuleBody::Nothing
            }
            PolicyBody::Rule { from, to, when } => {
                if from.is_empty() && to.is_empty() && when.is_empty() {
                    let kw = p.action.node.keyword();
                    self.diags.push(
                        Diagnostic::error("E0405", s.span, format!("`{kw}` needs `from`, `to` or `when`"))
                            .with_label("empty rule")
                            .with_help(format!(
                                "write `{kw} all` to match every request, or say whom and what it applies to"
                            )),
                    );
                    return None;
                }
                let mut ok = true;
                let mut sources = Vec::new();
                for alt in from {
                    match self.peer(
                        alt.iter()
                            .map(|t| (t.span, t.node.negate, PeerTerm::Source(&t.node.field))),
                        mesh,
                        table,
                        here,
                        svc,
                        frame,
                    ) {
                        Some(p) => sources.push(p),
                        None => ok = false,
                    }
                }
                let mut ops = Vec::new();
                for alt in to {
                    match self.peer(
                        alt.iter().map(|t| (t.span, t.node.negate, PeerTerm::Op(&t.node.field))),
                        mesh,
                        table,
                        here,
                        svc,
                        frame,
                    ) {
                        Some(p) => ops.push(p),
                        None => ok = false,
                    }
                }
                let mut conds = Vec::new();
                for c in when {
                    match self.condition_of(c, svc, frame) {
                        Some(c) => conds.push(c),
                        None => ok = false,
                    }
                }
                if !ok {
                    return None;
                }
                ir::RuleBody::Match {
                    from: sources,
                    to: ops,
                    when: conds,
                }
            }
        };
        Some(ir::AuthzRule {
            action,
            span: s.span,
            body,
        })
    }

    fn peer<'t>(
        &mut self,
        terms: impl Iterator<Item = (Span, bool, PeerTerm<'t>)>,
        mesh: &ir::Mesh,
        table: &Table,
        here: &str,
        svc: Option<&ir::Service>,
        frame: &FrameRef,
    ) -> Option<ir::Peer> {
        let mut fields: Vec<ir::Field> = Vec::new();
        let mut span: Option<Span> = None;
        for (tspan, negate, term) in terms {
            span = Some(span.map_or(tspan, |s| s.to(tspan)));
            let (kind, values) = self.field_values(term, mesh, table, here, svc, frame)?;
            match fields.iter_mut().find(|f| f.kind == kind && f.negate == negate) {
                // `not a and not b` is `not (a or b)`: one negated list.
                Some(f) if negate => f.values.extend(values),
                Some(f) => {
                    let first = f.span;
                    self.diags.push(
                        Diagnostic::error("E0406", tspan, "this term repeats a field that `and` already constrains")
                            .with_label("same field again")
                            .with_secondary(first, "first here")
                            .with_help("`and` requires both; one peer has one identity, path or method: use `,` to list alternatives, or `or` for another source"),
                    );
                    return None;
                }
                None => fields.push(ir::Field {
                    kind,
                    negate,
                    values,
                    span: tspan,
                }),
            }
        }
        Some(ir::Peer {
            span: span.unwrap_or_default(),
            fields,
        })
    }

    fn field_values(
        &mut self,
        term: PeerTerm,
        mesh: &ir::Mesh,
        table: &Table,
        here: &str,
        svc: Option<&ir::Service>,
        frame: &FrameRef,
    ) -> Option<(FieldKind, Vec<String>)> {
        let strings = |el: &mut Self, es: &[ast::Expr]| -> Option<Vec<Sp<String>>> {
            es.iter().map(|e| el.eval().string(e, frame)).collect()
        };
        Some(match term {
            PeerTerm::Source(SourceField::Service(names)) => {
                let mut values = Vec::new();
                for n in names {
                    let t = self.lookup(mesh, table, here, n)?;
                    if t.is_external() {
                        self.diags.push(
                            Diagnostic::error(
                                "E0101",
                                n.span,
                                format!("`{}` is an external and has no mesh identity", n.node),
                            )
                            .with_label("not a service")
                            .with_help("`from service` names a service of the mesh; match externals' traffic by `ip`"),
                        );
                        return None;
                    }
                    values.push(format!("{}/ns/{}/sa/{}", mesh.domain, t.namespace, t.account));
                }
                (FieldKind::Principal, values)
            }
            PeerTerm::Source(SourceField::Principal(es)) => {
                let vals = strings(self, es)?;
                (FieldKind::Principal, self.filled(vals)?)
            }
            PeerTerm::Source(SourceField::Namespace(names)) => {
                for n in names {
                    self.check_namespace(mesh, n);
                }
                (FieldKind::Namespace, names.iter().map(|n| n.node.clone()).collect())
            }
            PeerTerm::Source(SourceField::Jwt(es)) => {
                let vals = strings(self, es)?;
                (FieldKind::RequestPrincipal, self.filled(vals)?)
            }
            PeerTerm::Source(SourceField::Authenticated) => (FieldKind::RequestPrincipal, vec!["*".into()]),
            PeerTerm::Source(SourceField::Ip(es)) => (FieldKind::Ip, {
                let vals = strings(self, es)?;
                self.cidrs(vals)?
            }),
            PeerTerm::Source(SourceField::RemoteIp(es)) => (FieldKind::RemoteIp, {
                let vals = strings(self, es)?;
                self.cidrs(vals)?
            }),
            PeerTerm::Op(OperationField::Method(ms)) => {
                for m in ms {
                    if !METHODS.contains(&m.node.as_str()) {
                        self.unknown_value("HTTP method", m, &METHODS);
                        return None;
                    }
                }
                (FieldKind::Method, ms.iter().map(|m| m.node.clone()).collect())
            }
            PeerTerm::Op(OperationField::Path(es)) => (FieldKind::Path, {
                let vals = strings(self, es)?;
                self.patterns(vals, "path")?
            }),
            PeerTerm::Op(OperationField::Host(es)) => (FieldKind::Host, {
                let vals = strings(self, es)?;
                self.patterns(vals, "host")?
            }),
            PeerTerm::Op(OperationField::Port(es)) => {
                let mut values = Vec::new();
                for e in es {
                    let p = self.eval().ranged(e, frame, 1..=65535, "port")?;
                    if let Some(svc) = svc {
                        self.check_port(svc, &p);
                    }
                    // Authorization sees the workload port; users write the service port.
                    let workload = svc
                        .and_then(|s| s.port(p.node))
                        .map_or(p.node, |port| port.workload_port());
                    values.push(workload.to_string());
                }
                (FieldKind::Port, values)
            }
        })
    }

    /// An unknown namespace is an error only when it looks like a typo of a
    /// declared one: policies often name namespaces outside the program.
    fn check_namespace(&mut self, mesh: &ir::Mesh, n: &Sp<String>) {
        let known: Vec<&str> = mesh.namespaces.iter().map(|ns| ns.name.node.as_str()).collect();
        if known.contains(&n.node.as_str()) || n.node == mesh.root_namespace {
            return;
        }
        if let Some(s) = crate::diag::did_you_mean(&n.node, known.iter().copied()) {
            self.diags.push(
                Diagnostic::error("E0101", n.span, format!("unknown namespace `{}`", n.node))
                    .with_label("no namespace of this name in the program")
                    .with_help(format!("did you mean `{s}`?")),
            );
        }
    }

    fn filled(&mut self, values: Vec<Sp<String>>) -> Option<Vec<String>> {
        // Count, not `all`: every empty value gets its own diagnostic.
        let ok = values.iter().filter(|v| !self.non_empty(v)).count() == 0;
        ok.then(|| plain(values))
    }

    fn cidrs(&mut self, values: Vec<Sp<String>>) -> Option<Vec<String>> {
        for v in &values {
            if !valid_cidr(&v.node) {
                self.diags.push(
                    Diagnostic::error(
                        "E0407",
                        v.span,
                        format!("`{}` is not an IP address or CIDR block", v.node),
                    )
                    .with_label("malformed")
                    .with_help(
                        "write an address such as `10.1.2.3` or a block such as `10.0.0.0/8` or `2001:db8::/32`",
                    ),
                );
                return None;
            }
        }
        Some(plain(values))
    }

    /// Istio string patterns: exact, `prefix*`, `*suffix` or `*`; never empty.
    fn patterns(&mut self, values: Vec<Sp<String>>, what: &str) -> Option<Vec<String>> {
        for v in &values {
            let inner = v.node.trim_start_matches('*').trim_end_matches('*');
            let bad = v.node.is_empty()
                || inner.contains('*')
                || (v.node.starts_with('*') && v.node.ends_with('*') && v.node != "*");
            if bad {
                self.diags.push(
                    Diagnostic::error("E0408", v.span, format!("`{}` is not a valid {what} pattern", v.node))
                        .with_label("unsupported wildcard")
                        .with_help("Istio matches exact values, a prefix (`/api/*`), a suffix (`*.js`) or presence (`*`); no wildcards in the middle"),
                );
                return None;
            }
        }
        Some(plain(values))
    }

    fn condition_of(
        &mut self,
        c: &Sp<ast::SecCondition>,
        svc: Option<&ir::Service>,
        frame: &FrameRef,
    ) -> Option<ir::AuthzCondition> {
        let key = match &c.node.key.node {
            CondKey::Claim(path) => AuthzKey::Claim(path.iter().map(|p| p.node.clone()).collect()),
            CondKey::Header(h) => AuthzKey::Header(self.eval().string(h, frame)?.node),
            CondKey::SourceIp => AuthzKey::SourceIp,
            CondKey::RemoteIp => AuthzKey::RemoteIp,
            CondKey::SourceNamespace => AuthzKey::SourceNamespace,
            CondKey::SourcePrincipal => AuthzKey::SourcePrincipal,
            CondKey::Audience => AuthzKey::Audience,
            CondKey::Presenter => AuthzKey::Presenter,
            CondKey::DestinationPort => AuthzKey::DestinationPort,
            CondKey::Sni => AuthzKey::Sni,
        };
        let (negate, exprs) = match &c.node.op {
            CondOp::Eq(e) => (false, std::slice::from_ref(e)),
            CondOp::In(es) => (false, es.as_slice()),
            CondOp::NotIn(es) => (true, es.as_slice()),
            CondOp::Contains(e) => {
                if !matches!(key, AuthzKey::Claim(_) | AuthzKey::Audience) {
                    self.diags.push(
                        Diagnostic::error("E0409", c.span, "`contains` applies to claims only")
                            .with_label("not a list-valued claim")
                            .with_help("use `==` or `in` for this key"),
                    );
                    return None;
                }
                (false, std::slice::from_ref(e))
            }
        };
        let values: Vec<Sp<String>> = exprs
            .iter()
            .map(|e| self.eval().string(e, frame))
            .collect::<Option<_>>()?;
        let keys_filled = match &c.node.key.node {
            CondKey::Claim(path) => path.iter().filter(|p| !self.non_empty(p)).count() == 0,
            _ => true,
        };
        let key_ok = match &key {
            AuthzKey::Header(h) if h.is_empty() || h.contains([']', '[']) => {
                self.diags.push(
                    Diagnostic::error("E0211", c.node.key.span, format!("`{h}` is not a valid header name"))
                        .with_label("not a header name")
                        .with_help("write the header's name, e.g. `x-user`"),
                );
                false
            }
            AuthzKey::Claim(path) if path.iter().any(|p| p.contains([']', '['])) => {
                self.diags.push(
                    Diagnostic::error("E0421", c.node.key.span, "claim names cannot contain `[` or `]`")
                        .with_label("unsupported claim name")
                        .with_help("Istio writes nested claims as `[a][b]`, so brackets in a name cannot be expressed"),
                );
                false
            }
            _ => true,
        };
        if !(keys_filled && key_ok && values.iter().filter(|v| !self.non_empty(v)).count() == 0) {
            return None;
        }
        let values = match key {
            AuthzKey::SourceIp | AuthzKey::RemoteIp => self.cidrs(values)?,
            AuthzKey::DestinationPort => {
                let mut mapped = Vec::new();
                for v in &values {
                    let port = v.node.parse::<u32>().ok().filter(|p| (1..=65535).contains(p));
                    if let Some(p) = port {
                        // Like `to port`: written as the service port, compared as the workload port.
                        let workload = svc.and_then(|s| s.port(p)).map_or(p, |port| port.workload_port());
                        mapped.push(workload.to_string());
                        continue;
                    }
                    self.diags.push(
                        Diagnostic::error("E0206", v.span, format!("`{}` is not a port", v.node))
                            .with_label("not between 1 and 65535")
                            .with_help("`destination_port` compares the workload port, e.g. `\"8080\"`"),
                    );
                    return None;
                }
                mapped
            }
            _ => plain(values),
        };
        Some(ir::AuthzCondition {
            key,
            negate,
            values,
            span: c.span,
        })
    }
}

enum PeerTerm<'t> {
    Source(&'t SourceField),
    Op(&'t OperationField),
}

fn plain(values: Vec<Sp<String>>) -> Vec<String> {
    values.into_iter().map(|v| v.node).collect()
}

/// An IPv4/IPv6 address, optionally with a prefix length that fits it.
pub fn valid_cidr(s: &str) -> bool {
    let (addr, len) = match s.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (s, None),
    };
    let max = match addr.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(_)) => 32,
        Ok(std::net::IpAddr::V6(_)) => 128,
        Err(_) => return false,
    };
    len.is_none_or(|l| !l.starts_with('+') && l.parse::<u32>().is_ok_and(|l| l <= max))
}
