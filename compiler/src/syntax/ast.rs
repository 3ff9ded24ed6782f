//! The spanned syntax tree. Every block is a list of [`Stmt`]; which statements
//! a block accepts is decided by the name stage, so profiles can carry any of them.

use crate::span::{Sp, Span};

pub type Ident = Sp<String>;

/// One parsed file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Module {
    pub items: Vec<Item>,
    /// Every `#` comment, in source order (the formatter re-attaches them).
    pub comments: Vec<Span>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub kind: ItemKind,
    pub span: Span,
    /// Text of the `##` lines directly above the declaration.
    pub doc: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ItemKind {
    Mesh(Vec<Stmt>),
    Namespace {
        name: Ident,
        members: Vec<Stmt>,
    },
    Profile(Profile),
    Jwt {
        name: Ident,
        body: Vec<Stmt>,
    },
    /// `use std.NAME` at top level.
    Import(Ident),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    pub name: Ident,
    pub params: Vec<Param>,
    pub body: Vec<Stmt>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    pub name: Ident,
    pub ty: Sp<ParamType>,
    pub default: Option<Expr>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamType {
    Int,
    Duration,
    Percent,
    String,
    Name,
}

impl ParamType {
    pub fn describe(self) -> &'static str {
        match self {
            ParamType::Int => "int",
            ParamType::Duration => "duration",
            ParamType::Percent => "percent",
            ParamType::String => "string",
            ParamType::Name => "name",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Int(u64),
    /// Nanoseconds.
    Duration(u64),
    Percent(f64),
    Str(String),
    /// A profile parameter (or, where a name is expected, a bare name).
    Param(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    pub key: Sp<String>,
    pub value: Sp<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Stmt {
    pub kind: StmtKind,
    pub span: Span,
    /// Span of the leading keyword (what "not allowed here" points at).
    pub head: Span,
    pub doc: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum StmtKind {
    Service {
        name: Ident,
        body: Vec<Stmt>,
    },
    External {
        name: Ident,
        body: Vec<Stmt>,
    },
    Port {
        number: Expr,
        protocol: Ident,
        target: Option<Box<Expr>>,
        body: Option<Vec<Stmt>>,
    },
    Selector(Vec<Label>),
    Account(Ident),
    Subsets {
        key: Sp<String>,
        values: Vec<Ident>,
    },
    Subset {
        name: Ident,
        labels: Vec<Label>,
        body: Option<Vec<Stmt>>,
    },
    Endpoint {
        address: Expr,
        port: Option<Box<Expr>>,
        labels: Vec<Label>,
        weight: Option<Box<Expr>>,
    },
    Host(Vec<Expr>),
    Resolution(Ident),
    Address(Vec<Expr>),
    Internal,
    Balance(Ident),
    // Large, rare parts are boxed to keep every statement small.
    Sticky {
        key: Box<HashKey>,
        ring: Option<Expr>,
        maglev: Option<Expr>,
    },
    Limits(Vec<Stmt>),
    Eject(Vec<Stmt>),
    Setting {
        key: Ident,
        value: Expr,
    },
    Tls {
        mode: Ident,
        options: Vec<(Ident, Expr)>,
    },
    Timeout(Expr),
    /// `None` is `retries off`.
    Retries(Option<Box<Retries>>),
    Route(Vec<Stmt>),
    Rule(Box<RouteRule>),
    Rewrite(Rewrite),
    Fault {
        kind: FaultKind,
        percent: Option<Expr>,
    },
    Mirror {
        target: Box<DestTarget>,
        port: Option<Expr>,
        percent: Option<Expr>,
    },
    Header {
        response: bool,
        op: HeaderOp,
        name: Expr,
        value: Option<Expr>,
    },
    Cors(Vec<CorsItem>),
    Egress(Egress),
    Outbound(Ident),
    Mtls(Ident),
    Domain(Expr),
    RootNamespace(Expr),
    Use(Use),
    /// `authenticate jwt A, B`.
    Authenticate(Vec<Ident>),
    /// `require jwt`.
    RequireJwt,
    /// `allow` / `deny` / `audit`.
    Policy(Box<Policy>),
    /// A statement of a `jwt NAME { }` provider.
    Jwt(JwtSetting),
}

impl StmtKind {
    /// The keyword users write for this statement.
    pub fn keyword(&self) -> &'static str {
        match self {
            StmtKind::Service { .. } => "service",
            StmtKind::External { .. } => "external",
            StmtKind::Port { .. } => "port",
            StmtKind::Selector(_) => "selector",
            StmtKind::Account(_) => "account",
            StmtKind::Subsets { .. } => "subsets",
            StmtKind::Subset { .. } => "subset",
            StmtKind::Endpoint { .. } => "endpoint",
            StmtKind::Host(_) => "host",
            StmtKind::Resolution(_) => "resolution",
            StmtKind::Address(_) => "address",
            StmtKind::Internal => "internal",
            StmtKind::Balance(_) => "balance",
            StmtKind::Sticky { .. } => "sticky",
            StmtKind::Limits(_) => "limits",
            StmtKind::Eject(_) => "eject",
            StmtKind::Setting { .. } => "setting",
            StmtKind::Tls { .. } => "tls",
            StmtKind::Timeout(_) => "timeout",
            StmtKind::Retries(_) => "retries",
            StmtKind::Route(_) => "route",
            StmtKind::Rule(r) if r.matches.is_empty() => "default",
            StmtKind::Rule(_) => "when",
            StmtKind::Rewrite(_) => "rewrite",
            StmtKind::Fault { .. } => "fault",
            StmtKind::Mirror { .. } => "mirror",
            StmtKind::Header { response: false, .. } => "request",
            StmtKind::Header { response: true, .. } => "response",
            StmtKind::Cors(_) => "cors",
            StmtKind::Egress(_) => "egress",
            StmtKind::Outbound(_) => "outbound",
            StmtKind::Mtls(_) => "mtls",
            StmtKind::Domain(_) => "domain",
            StmtKind::RootNamespace(_) => "root_namespace",
            StmtKind::Use(_) => "use",
            StmtKind::Authenticate(_) => "authenticate",
            StmtKind::RequireJwt => "require",
            StmtKind::Policy(p) => p.action.node.keyword(),
            StmtKind::Jwt(j) => j.keyword(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum HashKey {
    Cookie {
        name: Expr,
        ttl: Option<Expr>,
        path: Option<Expr>,
    },
    Header(Expr),
    SourceIp,
    Query(Expr),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Retries {
    pub attempts: Expr,
    pub per_try: Option<Expr>,
    pub on: Vec<Ident>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RouteRule {
    /// Alternatives joined by `or`; each is conditions joined by `and`. Empty for `default`.
    pub matches: Vec<Vec<Sp<Cond>>>,
    pub action: Action,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Cond {
    Path { m: StrMatch, ignore_case: bool },
    Header { name: Expr, m: ValueMatch },
    NotHeader { name: Expr, m: Option<ValueMatch> },
    Query { name: Expr, m: ValueMatch },
    Method(Vec<Sp<String>>),
    Host(Expr),
    Port(Expr),
    Sni(Expr),
    FromService(Ident),
    FromNamespace(Ident),
}

#[derive(Debug, Clone, PartialEq)]
pub enum StrMatch {
    Exact(Expr),
    Prefix(Expr),
    Regex(Expr),
}

#[derive(Debug, Clone, PartialEq)]
pub enum ValueMatch {
    Str(StrMatch),
    Present,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Action {
    pub kind: ActionKind,
    /// Options written inline after the destination and those in its block.
    pub options: Vec<Stmt>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ActionKind {
    Redirect { url: Expr, code: Option<Expr> },
    Route(Vec<Dest>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Dest {
    pub target: DestTarget,
    pub port: Option<Expr>,
    pub weight: Option<Weight>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Weight {
    Percent(Expr),
    Rest(Span),
}

#[derive(Debug, Clone, PartialEq)]
pub enum DestTarget {
    /// A bare name: a subset of the enclosing service.
    Subset(Ident),
    /// `service NAME[.NS][:SUBSET]`.
    Service {
        name: Ident,
        subset: Option<Ident>,
    },
    External(Ident),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Rewrite {
    Path(Expr),
    PathRegex(Expr, Expr),
    Host(Expr),
}

#[derive(Debug, Clone, PartialEq)]
pub enum FaultKind {
    Delay(Expr),
    Abort(Expr),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderOp {
    Set,
    Add,
    Remove,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CorsItem {
    Origins(Vec<StrMatch>),
    Methods(Vec<Sp<String>>),
    Headers(Vec<Expr>),
    Expose(Vec<Expr>),
    MaxAge(Expr),
    Credentials(Span),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Egress {
    Auto,
    Namespaces(Vec<Ident>),
    Services(Vec<Ident>),
    Externals(Vec<Ident>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Use {
    /// `std.NAME` or `NAME`.
    pub std: bool,
    pub name: Ident,
    pub args: Vec<Arg>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Arg {
    pub name: Option<Ident>,
    pub value: Expr,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PolicyAction {
    Allow,
    Deny,
    Audit,
}

impl PolicyAction {
    pub fn keyword(self) -> &'static str {
        match self {
            PolicyAction::Allow => "allow",
            PolicyAction::Deny => "deny",
            PolicyAction::Audit => "audit",
        }
    }
}

/// `ACTION all | nothing | [from ...] [to ...] [when ...]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub action: Sp<PolicyAction>,
    pub body: PolicyBody,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PolicyBody {
    All(Span),
    Nothing(Span),
    Rule {
        /// Alternatives joined by `or`; each is terms joined by `and`.
        from: Vec<Vec<Sp<SourceTerm>>>,
        to: Vec<Vec<Sp<OperationTerm>>>,
        when: Vec<Sp<SecCondition>>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct SourceTerm {
    pub negate: bool,
    pub field: SourceField,
}

#[derive(Debug, Clone, PartialEq)]
pub enum SourceField {
    Service(Vec<Ident>),
    Principal(Vec<Expr>),
    Namespace(Vec<Ident>),
    Jwt(Vec<Expr>),
    Authenticated,
    Ip(Vec<Expr>),
    RemoteIp(Vec<Expr>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct OperationTerm {
    pub negate: bool,
    pub field: OperationField,
}

#[derive(Debug, Clone, PartialEq)]
pub enum OperationField {
    Method(Vec<Sp<String>>),
    Path(Vec<Expr>),
    Host(Vec<Expr>),
    Port(Vec<Expr>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct SecCondition {
    pub key: Sp<CondKey>,
    pub op: CondOp,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CondKey {
    /// A claim, or a nested claim as a path of names.
    Claim(Vec<Sp<String>>),
    Header(Expr),
    SourceIp,
    RemoteIp,
    SourceNamespace,
    SourcePrincipal,
    Audience,
    Presenter,
    DestinationPort,
    Sni,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CondOp {
    Eq(Expr),
    In(Vec<Expr>),
    NotIn(Vec<Expr>),
    Contains(Expr),
}

/// Statements of a `jwt NAME { }` block.
#[derive(Debug, Clone, PartialEq)]
pub enum JwtSetting {
    Issuer(Expr),
    JwksUri(Expr),
    Jwks(Expr),
    Audiences(Vec<Expr>),
    FromHeader { name: Expr, prefix: Option<Expr> },
    FromQuery(Expr),
    FromCookie(Expr),
    ForwardToken,
    ClaimToHeader { claim: Expr, header: Expr },
    PayloadToHeader(Expr),
}

impl JwtSetting {
    pub fn keyword(&self) -> &'static str {
        match self {
            JwtSetting::Issuer(_) => "issuer",
            JwtSetting::JwksUri(_) => "jwks_uri",
            JwtSetting::Jwks(_) => "jwks",
            JwtSetting::Audiences(_) => "audiences",
            JwtSetting::FromHeader { .. } | JwtSetting::FromQuery(_) | JwtSetting::FromCookie(_) => "from",
            JwtSetting::ForwardToken => "forward_token",
            JwtSetting::ClaimToHeader { .. } => "claim",
            JwtSetting::PayloadToHeader(_) => "payload",
        }
    }
}
