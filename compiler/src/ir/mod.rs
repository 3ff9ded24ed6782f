//! The mesh model: pure data with source spans, independent of syntax and of
//! any backend. Every backend and analysis reads only this.

mod policy;
mod refs;
mod security;

pub use policy::*;
pub use refs::*;
pub use security::*;

use crate::span::{Sp, Span};

/// Nanoseconds.
pub type Duration = u64;

#[derive(Debug, Clone, Default)]
pub struct Mesh {
    pub domain: String,
    pub root_namespace: String,
    /// Span of the `mesh { }` block, if any.
    pub span: Option<Span>,
    /// Mesh-wide `outbound` (lowered to a root-namespace Sidecar).
    pub outbound: Option<Sp<Outbound>>,
    /// Mesh-wide default retry policy for generated routes that set none.
    pub default_retries: Option<Sp<Retry>>,
    /// Mesh-wide security (lowered into the root namespace).
    pub security: Security,
    /// JWT providers sorted by name.
    pub providers: Vec<JwtProvider>,
    /// Namespaces sorted by name.
    pub namespaces: Vec<Namespace>,
    /// Every duration and percentage written in the program (for range checks).
    pub values: Values,
    /// Every resolved name, sorted (for the IDE layer).
    pub references: Vec<Reference>,
}

#[derive(Debug, Clone, Default)]
pub struct Values {
    pub durations: Vec<Sp<Duration>>,
    pub percents: Vec<Sp<f64>>,
    pub regexes: Vec<Sp<String>>,
    pub hosts: Vec<Sp<String>>,
    /// Names written as values that become Kubernetes names (accounts, the
    /// root namespace); declared names are checked on the model itself.
    pub names: Vec<Sp<String>>,
    /// Where the deprecated `least_conn` was written.
    pub least_conn: Vec<Span>,
}

#[derive(Debug, Clone)]
pub struct Namespace {
    pub name: Sp<String>,
    pub services: Vec<Service>,
    pub egress: Option<Scope>,
    pub security: Security,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outbound {
    AllowAny,
    RegistryOnly,
}

/// Sidecar egress scope of a namespace or one service.
#[derive(Debug, Clone)]
pub struct Scope {
    pub span: Span,
    pub auto: bool,
    /// `ns/host` entries as written (resolved to FQDNs for services and externals).
    pub hosts: Vec<String>,
    pub outbound: Option<Outbound>,
}

#[derive(Debug, Clone)]
pub struct LabelPair {
    pub key: Sp<String>,
    pub value: Sp<String>,
}

#[derive(Debug, Clone)]
pub enum ServiceKind {
    /// A Kubernetes Service in the mesh (the compiler does not create it).
    Kubernetes,
    /// A ServiceEntry.
    External {
        hosts: Vec<Sp<String>>,
        resolution: Sp<Resolution>,
        addresses: Vec<Sp<String>>,
        internal: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    Dns,
    DnsRoundRobin,
    Static,
    None,
}

#[derive(Debug, Clone)]
pub struct Service {
    pub name: Sp<String>,
    pub namespace: String,
    /// The host other resources use: the FQDN, or an external's first host.
    pub host: String,
    pub kind: ServiceKind,
    pub span: Span,
    pub doc: Option<String>,
    pub ports: Vec<Port>,
    pub selector: Vec<LabelPair>,
    pub account: String,
    pub subsets: Vec<Subset>,
    pub endpoints: Vec<Endpoint>,
    pub policy: Policy,
    /// Service-level `timeout` / `retries`: defaults for every rule.
    pub defaults: RouteOptions,
    pub routes: Vec<Route>,
    /// Span of the `route { }` block, if written.
    pub route_span: Option<Span>,
    pub egress: Option<Scope>,
    pub security: Security,
}

impl Service {
    pub fn host(&self) -> &str {
        &self.host
    }

    pub fn port(&self, number: u32) -> Option<&Port> {
        self.ports.iter().find(|p| p.number.node == number)
    }

    pub fn subset(&self, name: &str) -> Option<&Subset> {
        self.subsets.iter().find(|s| s.name.node == name)
    }

    pub fn is_external(&self) -> bool {
        matches!(self.kind, ServiceKind::External { .. })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Http,
    Http2,
    Grpc,
    GrpcWeb,
    Https,
    Tls,
    Tcp,
    Mongo,
    Mysql,
    Redis,
}

impl Protocol {
    pub const ALL: [(&'static str, Protocol); 10] = [
        ("http", Protocol::Http),
        ("http2", Protocol::Http2),
        ("grpc", Protocol::Grpc),
        ("grpc-web", Protocol::GrpcWeb),
        ("https", Protocol::Https),
        ("tls", Protocol::Tls),
        ("tcp", Protocol::Tcp),
        ("mongo", Protocol::Mongo),
        ("mysql", Protocol::Mysql),
        ("redis", Protocol::Redis),
    ];

    pub fn name(self) -> &'static str {
        Protocol::ALL.iter().find(|(_, p)| *p == self).map_or("tcp", |(n, _)| n)
    }

    /// HTTP family: VirtualService `http` routes apply.
    pub fn is_http(self) -> bool {
        matches!(
            self,
            Protocol::Http | Protocol::Http2 | Protocol::Grpc | Protocol::GrpcWeb
        )
    }

    /// Opaque TLS: SNI (`tls`) routes apply.
    pub fn is_tls(self) -> bool {
        matches!(self, Protocol::Https | Protocol::Tls)
    }
}

#[derive(Debug, Clone)]
pub struct Port {
    pub number: Sp<u32>,
    pub protocol: Sp<Protocol>,
    pub target: Option<Sp<u32>>,
    pub policy: Policy,
    /// Port-level mTLS mode (for the workload port).
    pub mtls: Option<Sp<MtlsMode>>,
    pub span: Span,
}

impl Port {
    /// The port the workload listens on.
    pub fn workload_port(&self) -> u32 {
        self.target.as_ref().map_or(self.number.node, |t| t.node)
    }
}

#[derive(Debug, Clone)]
pub struct Subset {
    pub name: Sp<String>,
    pub labels: Vec<LabelPair>,
    pub policy: Policy,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Endpoint {
    pub address: Sp<String>,
    pub port: Option<u32>,
    pub labels: Vec<LabelPair>,
    pub weight: Option<u32>,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteKind {
    Http,
    Tcp,
    Tls,
}

#[derive(Debug, Clone)]
pub struct Route {
    pub kind: RouteKind,
    /// Alternatives (OR); empty for `default`.
    pub matches: Vec<Match>,
    pub action: Action,
    pub options: RouteOptions,
    pub span: Span,
}

impl Route {
    pub fn is_default(&self) -> bool {
        self.matches.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Match {
    pub span: Span,
    pub conditions: Vec<Sp<Condition>>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum StringMatch {
    Exact(String),
    Prefix(String),
    Regex(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    Path {
        m: StringMatch,
        ignore_case: bool,
    },
    /// `m: None` means "present".
    Header {
        name: String,
        m: Option<StringMatch>,
    },
    WithoutHeader {
        name: String,
        m: Option<StringMatch>,
    },
    Query {
        name: String,
        m: Option<StringMatch>,
    },
    Method(Vec<String>),
    Authority(String),
    Port(u32),
    Sni(String),
    /// Traffic from the workloads of a service: their labels, in their namespace.
    SourceWorkload {
        labels: Vec<(String, String)>,
        namespace: String,
    },
    SourceNamespace(String),
}

impl Condition {
    /// Only meaningful for HTTP traffic.
    pub fn http_only(&self) -> bool {
        !matches!(
            self,
            Condition::Port(_) | Condition::Sni(_) | Condition::SourceWorkload { .. } | Condition::SourceNamespace(_)
        )
    }
}

#[derive(Debug, Clone)]
pub enum Action {
    Redirect(Box<Redirect>),
    Forward(Vec<Destination>),
}

#[derive(Debug, Clone, Default)]
pub struct Redirect {
    pub scheme: Option<String>,
    pub authority: Option<String>,
    pub port: Option<u32>,
    pub uri: Option<String>,
    pub code: Option<Sp<u32>>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Destination {
    pub host: String,
    pub subset: Option<String>,
    pub port: Option<Sp<u32>>,
    pub weight: Option<Weight>,
    pub span: Span,
}

impl Destination {
    /// Each destination's share in percent, `rest` (or a missing weight)
    /// taking what the explicit weights leave.
    pub fn weights(ds: &[Destination]) -> Vec<f64> {
        let explicit: f64 = ds
            .iter()
            .filter_map(|d| match d.weight {
                Some(Weight::Percent(p)) => Some(p),
                _ => None,
            })
            .sum();
        ds.iter()
            .map(|d| match d.weight {
                Some(Weight::Percent(p)) => p,
                _ => (100.0 - explicit).max(0.0),
            })
            .collect()
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Weight {
    Percent(f64),
    Rest,
}

#[derive(Debug, Clone, Default)]
pub struct RouteOptions {
    pub timeout: Option<Sp<Duration>>,
    pub retries: Option<Sp<Retry>>,
    // Rare options are boxed: every route carries these fields.
    pub rewrite: Option<Box<Rewrite>>,
    pub delay: Option<(Sp<Duration>, Option<f64>)>,
    pub abort: Option<(Sp<u32>, Option<f64>)>,
    pub mirror: Option<Box<Mirror>>,
    pub request_headers: Option<Box<HeaderOps>>,
    pub response_headers: Option<Box<HeaderOps>>,
    pub cors: Option<Box<Cors>>,
    /// Spans of options that only HTTP routes can carry.
    pub http_only: Vec<Sp<&'static str>>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Retry {
    Off,
    On {
        attempts: u32,
        per_try: Option<Sp<Duration>>,
        on: Vec<String>,
    },
}

#[derive(Debug, Clone, Default)]
pub struct Rewrite {
    pub uri: Option<String>,
    pub uri_regex: Option<(String, String)>,
    pub authority: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Mirror {
    pub host: String,
    pub subset: Option<String>,
    pub port: Option<u32>,
    pub percent: Option<f64>,
}

#[derive(Debug, Clone, Default)]
pub struct HeaderOps {
    pub set: Vec<(String, String)>,
    pub add: Vec<(String, String)>,
    pub remove: Vec<String>,
}

impl HeaderOps {
    pub fn is_empty(&self) -> bool {
        self.set.is_empty() && self.add.is_empty() && self.remove.is_empty()
    }
}

#[derive(Debug, Clone, Default)]
pub struct Cors {
    pub origins: Vec<StringMatch>,
    pub methods: Vec<String>,
    pub headers: Vec<String>,
    pub expose: Vec<String>,
    pub max_age: Option<Sp<Duration>>,
    pub credentials: bool,
}
