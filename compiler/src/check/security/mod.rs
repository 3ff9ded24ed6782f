//! Security checks: policies that Istio would accept but that would not
//! protect what they say (or not at all).

pub mod allow_nothing;
pub mod host_port;
pub mod jwt_coverage;
pub mod mtls_identity;
pub mod peer_auth;
pub mod providers;
pub mod tcp_fields;

use crate::ir::{AuthzRule, FieldKind, Mesh, MtlsMode, Namespace, Port, RuleBody, Security, Service};
use crate::span::{Sp, Span};

/// One place security statements stand, with what it inherits.
pub struct ScopeRef<'m> {
    pub security: &'m Security,
    pub namespace: Option<&'m Namespace>,
    pub service: Option<&'m Service>,
    /// Effective mTLS mode (Istio precedence: service > namespace > mesh > PERMISSIVE).
    pub mtls: MtlsMode,
    /// Where that mode was set, if anywhere.
    pub mtls_span: Option<Span>,
    /// Some `authenticate jwt` covers the workloads of this scope.
    pub authenticated: bool,
}

impl ScopeRef<'_> {
    pub fn describe(&self) -> String {
        match (self.service, self.namespace) {
            (Some(s), _) => format!("service `{}`", s.name.node),
            (None, Some(n)) => format!("namespace `{}`", n.name.node),
            _ => "the mesh".to_string(),
        }
    }
}

pub fn scopes(mesh: &Mesh) -> Vec<ScopeRef<'_>> {
    let set = |m: &Option<Sp<MtlsMode>>, outer: (MtlsMode, Option<Span>)| {
        m.as_ref().map_or(outer, |m| (m.node, Some(m.span)))
    };
    let mesh_mode = set(&mesh.security.mtls, (MtlsMode::Permissive, None));
    let mesh_auth = !mesh.security.authenticate.is_empty();
    let mut out = vec![ScopeRef {
        security: &mesh.security,
        namespace: None,
        service: None,
        mtls: mesh_mode.0,
        mtls_span: mesh_mode.1,
        authenticated: mesh_auth,
    }];
    for ns in &mesh.namespaces {
        let ns_mode = set(&ns.security.mtls, mesh_mode);
        let ns_auth = mesh_auth || !ns.security.authenticate.is_empty();
        out.push(ScopeRef {
            security: &ns.security,
            namespace: Some(ns),
            service: None,
            mtls: ns_mode.0,
            mtls_span: ns_mode.1,
            authenticated: ns_auth,
        });
        for s in &ns.services {
            out.push(ScopeRef {
                security: &s.security,
                namespace: Some(ns),
                service: Some(s),
                mtls: set(&s.security.mtls, ns_mode).0,
                mtls_span: set(&s.security.mtls, ns_mode).1,
                authenticated: ns_auth || !s.security.authenticate.is_empty(),
            });
        }
    }
    out
}

/// Workload ports a rule restricts itself to (`to port`); empty means all.
pub fn rule_ports(rule: &AuthzRule) -> Vec<String> {
    match &rule.body {
        RuleBody::Match { to, .. } => to
            .iter()
            .flat_map(|p| &p.fields)
            .filter(|f| f.kind == FieldKind::Port && !f.negate)
            .flat_map(|f| f.values.clone())
            .collect(),
        _ => Vec::new(),
    }
}

/// Whether a port is among those a rule covers.
pub fn covers(ports: &[String], p: &Port) -> bool {
    ports.is_empty() || ports.contains(&p.workload_port().to_string())
}
