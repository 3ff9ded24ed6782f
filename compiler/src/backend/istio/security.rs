//! security.istio.io/v1: PeerAuthentication, RequestAuthentication and
//! AuthorizationPolicy for one scope (mesh, namespace or service).

use super::{header, object, Sources};
use crate::backend::yaml::Yaml;
use crate::backend::Object;
use crate::ir::{
    AuthzAction, AuthzCondition, AuthzKey, Field, FieldKind, Mesh, MtlsMode, Peer, RuleBody, Security, Service,
};
use crate::span::Span;

pub enum Scope<'a> {
    Mesh,
    Namespace(&'a str),
    Service(&'a Service),
}

impl Scope<'_> {
    fn namespace<'m>(&'m self, mesh: &'m Mesh) -> &'m str {
        match self {
            Scope::Mesh => &mesh.root_namespace,
            Scope::Namespace(ns) => ns,
            Scope::Service(s) => &s.namespace,
        }
    }

    /// `default` for a namespace or the mesh, the service's name for a workload.
    fn name(&self) -> &str {
        match self {
            Scope::Service(s) => &s.name.node,
            _ => "default",
        }
    }

    /// Prefix of AuthorizationPolicy names.
    fn policy_prefix(&self) -> &str {
        match self {
            Scope::Mesh => "mesh",
            Scope::Namespace(_) => "ns",
            Scope::Service(s) => &s.name.node,
        }
    }

    fn selector(&self, y: &mut Yaml) {
        if let Scope::Service(s) = self {
            y.open("selector");
            y.open("matchLabels");
            for l in &s.selector {
                y.str(&l.key.node, &l.value.node);
            }
            y.close();
            y.close();
        }
    }
}

pub fn lower(mesh: &Mesh, sec: &Security, scope: &Scope, sources: &Sources, out: &mut Vec<Object>) {
    peer_authentication(mesh, sec, scope, sources, out);
    request_authentication(mesh, sec, scope, sources, out);
    for action in [AuthzAction::Allow, AuthzAction::Deny, AuthzAction::Audit] {
        authorization_policy(mesh, sec, scope, action, sources, out);
    }
}

fn mode(m: MtlsMode) -> &'static str {
    match m {
        MtlsMode::Strict => "STRICT",
        MtlsMode::Permissive => "PERMISSIVE",
        MtlsMode::Disable => "DISABLE",
    }
}

fn peer_authentication(mesh: &Mesh, sec: &Security, scope: &Scope, sources: &Sources, out: &mut Vec<Object>) {
    // Port-level modes need a selector, so only a workload has them; keyed by workload port.
    let ports: Vec<(u32, MtlsMode, Span)> = match scope {
        Scope::Service(s) => s
            .ports
            .iter()
            .filter_map(|p| p.mtls.as_ref().map(|m| (p.workload_port(), m.node, m.span)))
            .collect(),
        _ => Vec::new(),
    };
    if sec.mtls.is_none() && ports.is_empty() {
        return;
    }
    let span = sec.mtls.as_ref().map_or_else(|| ports[0].2, |m| m.span);
    let (name, namespace) = (scope.name(), scope.namespace(mesh));
    let mut y = Yaml::new();
    header(&mut y, "PeerAuthentication", name, namespace, &sources.location(span));
    y.open("spec");
    scope.selector(&mut y);
    if let Some(m) = &sec.mtls {
        y.open("mtls");
        y.str("mode", mode(m.node));
        y.close();
    }
    if !ports.is_empty() {
        y.open("portLevelMtls");
        let mut ports = ports;
        ports.sort_by_key(|p| p.0);
        // Two service ports may target one workload port (same mode, E0419 otherwise).
        ports.dedup_by_key(|p| p.0);
        for (port, m, _) in ports {
            y.open(&port.to_string());
            y.str("mode", mode(m));
            y.close();
        }
        y.close();
    }
    y.close();
    out.push(object("PeerAuthentication", name, namespace, y));
}

fn request_authentication(mesh: &Mesh, sec: &Security, scope: &Scope, sources: &Sources, out: &mut Vec<Object>) {
    let Some(first) = sec.authenticate.first() else { return };
    let mut providers: Vec<_> = sec
        .authenticate
        .iter()
        .filter_map(|n| mesh.providers.iter().find(|p| p.name.node == n.node))
        .collect();
    // Istio sorts rules by issuer; writing them so keeps the output stable.
    providers.sort_by(|a, b| {
        (a.issuer.as_ref().map(|i| &i.node), &a.name.node).cmp(&(b.issuer.as_ref().map(|i| &i.node), &b.name.node))
    });
    providers.dedup_by(|a, b| a.name.node == b.name.node);
    let (name, namespace) = (scope.name(), scope.namespace(mesh));
    let mut y = Yaml::new();
    header(
        &mut y,
        "RequestAuthentication",
        name,
        namespace,
        &sources.location(first.span),
    );
    y.open("spec");
    scope.selector(&mut y);
    y.open_list("jwtRules");
    for p in providers {
        y.item();
        y.opt_str("issuer", p.issuer.as_ref().map(|i| i.node.as_str()));
        y.str_list("audiences", &p.audiences);
        y.opt_str("jwksUri", p.jwks_uri.as_ref().map(|j| j.node.as_str()));
        y.opt_str("jwks", p.jwks.as_ref().map(|j| j.node.as_str()));
        if !p.headers.is_empty() {
            y.open_list("fromHeaders");
            for (h, prefix) in &p.headers {
                y.item();
                y.str("name", h);
                y.opt_str("prefix", prefix.as_deref());
                y.close();
            }
            y.close();
        }
        y.str_list("fromParams", &p.params);
        y.str_list("fromCookies", &p.cookies);
        if p.forward_token {
            y.bool("forwardOriginalToken", true);
        }
        if !p.claim_headers.is_empty() {
            y.open_list("outputClaimToHeaders");
            for (claim, h) in &p.claim_headers {
                y.item();
                y.str("header", h);
                y.str("claim", claim);
                y.close();
            }
            y.close();
        }
        y.opt_str("outputPayloadToHeader", p.payload_header.as_deref());
        y.close();
    }
    y.close();
    y.close();
    out.push(object("RequestAuthentication", name, namespace, y));
}

fn authorization_policy(
    mesh: &Mesh,
    sec: &Security,
    scope: &Scope,
    action: AuthzAction,
    sources: &Sources,
    out: &mut Vec<Object>,
) {
    let rules: Vec<_> = sec.rules.iter().filter(|r| r.action == action).collect();
    // `require jwt` is a DENY rule for requests without a request principal.
    let require = sec.require_jwt.filter(|_| action == AuthzAction::Deny);
    let Some(span) = rules.first().map(|r| r.span).or(require) else {
        return;
    };
    let (verb, suffix) = match action {
        AuthzAction::Allow => ("ALLOW", "allow"),
        AuthzAction::Deny => ("DENY", "deny"),
        AuthzAction::Audit => ("AUDIT", "audit"),
    };
    let name = format!("{}-{suffix}", scope.policy_prefix());
    let namespace = scope.namespace(mesh);
    let mut y = Yaml::new();
    header(&mut y, "AuthorizationPolicy", &name, namespace, &sources.location(span));
    y.open("spec");
    scope.selector(&mut y);
    y.str("action", verb);
    // `allow nothing` alone is an ALLOW policy without rules; with other rules it adds nothing.
    let matching: Vec<_> = rules.iter().filter(|r| !matches!(r.body, RuleBody::Nothing)).collect();
    if !matching.is_empty() || require.is_some() {
        y.open_list("rules");
        if require.is_some() {
            y.item();
            y.open_list("from");
            y.item();
            y.open("source");
            y.str_list("notRequestPrincipals", &["*"]);
            y.close();
            y.close();
            y.close();
            y.close();
        }
        for r in matching {
            y.item();
            if let RuleBody::Match { from, to, when } = &r.body {
                peers(&mut y, "from", "source", from);
                peers(&mut y, "to", "operation", to);
                conditions(&mut y, when);
            }
            y.close();
        }
        y.close();
    }
    y.close();
    out.push(object("AuthorizationPolicy", &name, namespace, y));
}

fn peers(y: &mut Yaml, key: &str, inner: &str, peers: &[Peer]) {
    if peers.is_empty() {
        return;
    }
    y.open_list(key);
    for p in peers {
        y.item();
        y.open(inner);
        for f in &p.fields {
            field(y, f);
        }
        y.close();
        y.close();
    }
    y.close();
}

fn field(y: &mut Yaml, f: &Field) {
    let name = match f.kind {
        FieldKind::Principal => "principals",
        FieldKind::Namespace => "namespaces",
        FieldKind::RequestPrincipal => "requestPrincipals",
        FieldKind::Ip => "ipBlocks",
        FieldKind::RemoteIp => "remoteIpBlocks",
        FieldKind::Method => "methods",
        FieldKind::Path => "paths",
        FieldKind::Host => "hosts",
        FieldKind::Port => "ports",
    };
    if f.negate {
        let mut negated = String::with_capacity(name.len() + 3);
        negated.push_str("not");
        negated.push(name.as_bytes()[0].to_ascii_uppercase() as char);
        negated.push_str(&name[1..]);
        y.str_list(&negated, &f.values);
    } else {
        y.str_list(name, &f.values);
    }
}

fn conditions(y: &mut Yaml, when: &[AuthzCondition]) {
    if when.is_empty() {
        return;
    }
    y.open_list("when");
    for c in when {
        y.item();
        y.str("key", &key(&c.key));
        y.str_list(if c.negate { "notValues" } else { "values" }, &c.values);
        y.close();
    }
    y.close();
}

/// The attribute name Istio gives a condition key.
fn key(k: &AuthzKey) -> String {
    match k {
        AuthzKey::Claim(path) => {
            let mut s = String::from("request.auth.claims");
            for p in path {
                s.push('[');
                s.push_str(p);
                s.push(']');
            }
            s
        }
        AuthzKey::Header(h) => format!("request.headers[{h}]"),
        AuthzKey::SourceIp => "source.ip".into(),
        AuthzKey::RemoteIp => "remote.ip".into(),
        AuthzKey::SourceNamespace => "source.namespace".into(),
        AuthzKey::SourcePrincipal => "source.principal".into(),
        AuthzKey::Audience => "request.auth.audiences".into(),
        AuthzKey::Presenter => "request.auth.presenter".into(),
        AuthzKey::DestinationPort => "destination.port".into(),
        AuthzKey::Sni => "connection.sni".into(),
    }
}
