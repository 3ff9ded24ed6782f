//! Authentication and authorization: mTLS modes, JWT providers and
//! allow/deny/audit rules of one scope (mesh, namespace or service).

use crate::span::{Sp, Span};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MtlsMode {
    Strict,
    Permissive,
    Disable,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum AuthzAction {
    Allow,
    Deny,
    Audit,
}

/// The security statements of one scope.
#[derive(Debug, Clone, Default)]
pub struct Security {
    pub mtls: Option<Sp<MtlsMode>>,
    /// JWT providers (by name) whose tokens this scope validates.
    pub authenticate: Vec<Sp<String>>,
    /// `require jwt`: requests without a valid token are denied.
    pub require_jwt: Option<Span>,
    pub rules: Vec<AuthzRule>,
}

impl Security {
    pub fn is_empty(&self) -> bool {
        self.mtls.is_none() && self.authenticate.is_empty() && self.require_jwt.is_none() && self.rules.is_empty()
    }
}

#[derive(Debug, Clone)]
pub struct AuthzRule {
    pub action: AuthzAction,
    pub span: Span,
    pub body: RuleBody,
}

#[derive(Debug, Clone)]
pub enum RuleBody {
    /// Matches every request.
    All,
    /// An ALLOW policy without rules: denies everything in scope.
    Nothing,
    Match {
        /// Alternatives (OR); an empty list is no constraint.
        from: Vec<Peer>,
        to: Vec<Peer>,
        when: Vec<AuthzCondition>,
    },
}

/// A source (`from`) or an operation (`to`): fields that must all match.
#[derive(Debug, Clone)]
pub struct Peer {
    pub span: Span,
    pub fields: Vec<Field>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FieldKind {
    /// Peer identity `<domain>/ns/<ns>/sa/<account>` (needs mTLS).
    Principal,
    /// Peer namespace (needs mTLS).
    Namespace,
    /// `<issuer>/<subject>` of a validated JWT.
    RequestPrincipal,
    Ip,
    RemoteIp,
    Method,
    Path,
    Host,
    /// Workload (target) port.
    Port,
}

impl FieldKind {
    /// Only HTTP requests carry it.
    pub fn http_only(self) -> bool {
        matches!(
            self,
            FieldKind::RequestPrincipal | FieldKind::Method | FieldKind::Path | FieldKind::Host
        )
    }

    /// Only mTLS connections carry it.
    pub fn needs_mtls(self) -> bool {
        matches!(self, FieldKind::Principal | FieldKind::Namespace)
    }
}

#[derive(Debug, Clone)]
pub struct Field {
    pub kind: FieldKind,
    /// `not`: none of the values may match.
    pub negate: bool,
    pub values: Vec<String>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum AuthzKey {
    /// A claim path (one element, or several for a nested claim).
    Claim(Vec<String>),
    Header(String),
    SourceIp,
    RemoteIp,
    SourceNamespace,
    SourcePrincipal,
    Audience,
    Presenter,
    DestinationPort,
    Sni,
}

impl AuthzKey {
    pub fn http_only(&self) -> bool {
        matches!(
            self,
            AuthzKey::Claim(_) | AuthzKey::Header(_) | AuthzKey::Audience | AuthzKey::Presenter
        )
    }

    pub fn needs_jwt(&self) -> bool {
        matches!(self, AuthzKey::Claim(_) | AuthzKey::Audience | AuthzKey::Presenter)
    }

    pub fn needs_mtls(&self) -> bool {
        matches!(self, AuthzKey::SourceNamespace | AuthzKey::SourcePrincipal)
    }
}

#[derive(Debug, Clone)]
pub struct AuthzCondition {
    pub key: AuthzKey,
    /// `not in`: none of the values may match.
    pub negate: bool,
    pub values: Vec<String>,
    pub span: Span,
}

/// A named JWT issuer and where its tokens are found.
#[derive(Debug, Clone)]
pub struct JwtProvider {
    pub name: Sp<String>,
    pub span: Span,
    pub issuer: Option<Sp<String>>,
    pub jwks_uri: Option<Sp<String>>,
    pub jwks: Option<Sp<String>>,
    pub audiences: Vec<String>,
    /// Header name and optional value prefix.
    pub headers: Vec<(String, Option<String>)>,
    pub params: Vec<String>,
    pub cookies: Vec<String>,
    pub forward_token: bool,
    /// (claim path joined by `.`, header).
    pub claim_headers: Vec<(String, String)>,
    pub payload_header: Option<String>,
}
