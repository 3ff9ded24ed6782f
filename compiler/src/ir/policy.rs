//! Traffic policy (balancing, limits, ejection, TLS) and how levels combine.

use super::Duration;
use crate::span::Sp;

/// One level of traffic policy (service, port or subset). Unset fields inherit.
/// Blocks are boxed: most levels set none, and programs have thousands of levels.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Policy {
    pub lb: Option<Sp<LoadBalancer>>,
    pub limits: Option<Box<Limits>>,
    pub eject: Option<Box<Eject>>,
    pub tls: Option<Sp<Tls>>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum LoadBalancer {
    Simple(Balance),
    Hash(Box<Sticky>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Balance {
    RoundRobin,
    LeastRequest,
    Random,
    Passthrough,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Sticky {
    pub key: HashKey,
    pub algorithm: Option<HashAlgorithm>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum HashKey {
    Cookie {
        name: String,
        ttl: Option<Duration>,
        path: Option<String>,
    },
    Header(String),
    SourceIp,
    Query(String),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum HashAlgorithm {
    Ring(u64),
    Maglev(u64),
}

/// Connection-pool limits; each field is independent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Limits {
    pub max_connections: Option<u64>,
    pub connect_timeout: Option<Duration>,
    pub idle_timeout: Option<Duration>,
    pub max_pending: Option<u64>,
    pub max_requests: Option<u64>,
    pub max_requests_per_connection: Option<u64>,
    pub max_retries: Option<u64>,
}

/// Outlier detection; present once written, even if empty (Istio defaults then apply).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Eject {
    pub consecutive_5xx: Option<u64>,
    pub consecutive_gateway_errors: Option<u64>,
    pub interval: Option<Duration>,
    pub base_time: Option<Duration>,
    pub max_percent: Option<f64>,
    pub min_health: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Tls {
    Off,
    Mesh,
    Simple(Box<TlsFiles>),
    Mutual(Box<TlsFiles>),
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct TlsFiles {
    pub sni: Option<String>,
    pub ca: Option<String>,
    pub san: Vec<String>,
    pub cert: Option<String>,
    pub key: Option<String>,
    pub credential: Option<String>,
}

macro_rules! overlay_fields {
    ($base:expr, $top:expr, $($f:ident),*) => {
        $( if $top.$f.is_some() { $base.$f = $top.$f.clone(); } )*
    };
}

impl Policy {
    pub fn is_empty(&self) -> bool {
        *self == Policy::default()
    }

    /// `self` with every field that `top` sets replaced, field by field
    /// (the language's rule for subset and port blocks).
    pub fn overlay(&self, top: &Policy) -> Policy {
        let mut out = self.clone();
        overlay_fields!(out, top, lb, tls);
        out.limits = merge(&self.limits, &top.limits, |l, t| {
            overlay_fields!(
                l,
                t,
                max_connections,
                connect_timeout,
                idle_timeout,
                max_pending,
                max_requests,
                max_requests_per_connection,
                max_retries
            );
        });
        out.eject = merge(&self.eject, &top.eject, |e, t| {
            overlay_fields!(
                e,
                t,
                consecutive_5xx,
                consecutive_gateway_errors,
                interval,
                base_time,
                max_percent,
                min_health
            );
        });
        out
    }
}

/// Field-by-field merge of two optional blocks.
fn merge<T: Clone>(base: &Option<Box<T>>, top: &Option<Box<T>>, fields: impl Fn(&mut T, &T)) -> Option<Box<T>> {
    match (base, top) {
        (Some(b), Some(t)) => {
            let mut out = b.clone();
            fields(&mut out, t);
            Some(out)
        }
        (b, t) => t.clone().or_else(|| b.clone()),
    }
}
