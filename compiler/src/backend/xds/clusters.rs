//! Clusters: one per (service, port) and per (service, port, subset) a route
//! uses or whose endpoints are known, with the policy merged field by field
//! (service ⊕ port ⊕ subset), Istio's defaults written out, and endpoints
//! inline (a standalone proxy has no EDS).

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::{duration, scope, tls, typed, Cx};
use crate::diag::Diagnostic;
use crate::ir::{
    Balance, Eject, HashAlgorithm, HashKey, LoadBalancer, Policy, Port, Protocol, Resolution, Service, ServiceKind,
    Subset, Tls,
};
use crate::span::Span;

/// Istio's default connect timeout (meshConfig `connectTimeout`).
const CONNECT_TIMEOUT: &str = "10s";
/// Istio's "unlimited" circuit-breaker threshold.
const UNLIMITED: u64 = 4_294_967_295;

/// The clusters one proxy needs, collected while its routes are built.
#[derive(Default)]
pub struct Set<'m> {
    services: BTreeMap<&'m str, &'m Service>,
    /// Subsets a route sends or mirrors to: (host, subset) → the destination's span.
    wanted: BTreeMap<(String, String), Span>,
    /// Workload ports of the proxy's own service, with their protocols.
    pub inbound: Vec<(u32, Protocol)>,
    pub passthrough: bool,
}

impl<'m> Set<'m> {
    pub fn service(&mut self, svc: &'m Service) {
        self.services.insert(svc.host(), svc);
    }

    /// The cluster a route destination names, recorded for emission.
    /// `port` is the destination's own, else the listener's if the service
    /// has it, else the service's first port.
    pub fn destination(
        &mut self,
        svc: &'m Service,
        subset: Option<&str>,
        port: Option<u32>,
        listener: u32,
        span: Span,
    ) -> String {
        self.service(svc);
        if let Some(s) = subset {
            self.wanted
                .entry((svc.host().to_string(), s.to_string()))
                .or_insert(span);
        }
        let port = port
            .or_else(|| svc.port(listener).map(|_| listener))
            .or_else(|| svc.ports.first().map(|p| p.number.node))
            .unwrap_or(listener);
        name(port, subset.unwrap_or(""), svc.host())
    }
}

pub fn name(port: u32, subset: &str, host: &str) -> String {
    format!("outbound|{port}|{subset}|{host}")
}

/// The merged policy of a port (and subset): service ⊕ port ⊕ subset. An
/// external's service-level `tls` applies only to ports that are not already
/// TLS (as in the Istio backend).
pub fn policy(svc: &Service, port: &Port, subset: Option<&Subset>) -> Policy {
    let mut top = svc.policy.clone();
    let moved = if svc.is_external() { top.tls.take() } else { None };
    let mut own = port.policy.clone();
    if own.tls.is_none() && !port.protocol.node.is_tls() {
        own.tls = moved;
    }
    let merged = top.overlay(&own);
    match subset {
        Some(s) => merged.overlay(&s.policy),
        None => merged,
    }
}

/// The consistent-hash key of a destination cluster, if it balances by one.
pub fn hash_key(p: &Policy) -> Option<&HashKey> {
    match p.lb.as_ref().map(|l| &l.node) {
        Some(LoadBalancer::Hash(s)) => Some(&s.key),
        _ => None,
    }
}

pub fn lower(cx: &mut Cx, set: &Set) -> Vec<Value> {
    let mut out = Vec::new();
    for svc in set.services.values() {
        for port in &svc.ports {
            for host in scope::hosts(svc) {
                out.push(outbound(cx, svc, port, host, None));
            }
            for sub in &svc.subsets {
                let wanted = set.wanted.get(&(svc.host().to_string(), sub.name.node.clone()));
                match (resolvable(svc, sub), wanted) {
                    (true, _) => out.push(outbound(cx, svc, port, svc.host(), Some(sub))),
                    (false, Some(&at)) => cx.diags.push(unresolved(svc, sub, at)),
                    (false, None) => {}
                }
            }
        }
    }
    for &(port, proto) in &set.inbound {
        let name = format!("inbound|{port}||");
        let mut c = json!({
            "name": name,
            "type": "STATIC",
            "connect_timeout": CONNECT_TIMEOUT,
            "lb_policy": "ROUND_ROBIN",
            "circuit_breakers": thresholds(&Policy::default()),
            "load_assignment": assignment(&name, &[endpoint("127.0.0.1", port, None, &[])]),
        });
        if let Some(opts) = protocol_options(proto, &Policy::default()) {
            c["typed_extension_protocol_options"] =
                json!({ "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": opts });
        }
        out.push(c);
    }
    if set.passthrough {
        out.push(passthrough());
    }
    out.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    out
}

/// `allow_any` without iptables: the original destination of a connection
/// to the proxy is the proxy itself, so unknown hosts are resolved from the
/// request's `:authority` by Envoy's dynamic forward proxy instead.
fn passthrough() -> Value {
    json!({
        "name": "PassthroughCluster",
        "connect_timeout": CONNECT_TIMEOUT,
        "lb_policy": "CLUSTER_PROVIDED",
        "cluster_type": typed(
            "envoy.clusters.dynamic_forward_proxy",
            "envoy.extensions.clusters.dynamic_forward_proxy.v3.ClusterConfig",
            json!({"dns_cache_config": dns_cache()}),
        ),
    })
}

/// The DNS cache shared by the passthrough cluster and its HTTP filter.
pub fn dns_cache() -> Value {
    json!({"name": "passthrough_dns_cache", "dns_lookup_family": "V4_PREFERRED"})
}

/// The STRICT_DNS cluster a `jwks_uri` is fetched through (TLS for `https`).
pub fn jwks(host: &str, port: u32, https: bool) -> Value {
    let name = jwks_name(host, port);
    let mut c = json!({
        "name": name,
        "type": "STRICT_DNS",
        "connect_timeout": CONNECT_TIMEOUT,
        "lb_policy": "ROUND_ROBIN",
        "dns_lookup_family": "V4_PREFERRED",
        "load_assignment": assignment(&name, &[endpoint(host, port, None, &[])]),
    });
    if https {
        c["transport_socket"] = tls::origination(host, None, &[], None);
    }
    c
}

pub fn jwks_name(host: &str, port: u32) -> String {
    format!("jwks|{port}||{host}")
}

/// A subset can be resolved if it has no labels or a declared endpoint carries them all.
fn resolvable(svc: &Service, sub: &Subset) -> bool {
    sub.labels.is_empty() || svc.endpoints.iter().any(|e| selects(sub, e))
}

fn selects(sub: &Subset, e: &crate::ir::Endpoint) -> bool {
    sub.labels.iter().all(|l| {
        e.labels
            .iter()
            .any(|el| el.key.node == l.key.node && el.value.node == l.value.node)
    })
}

fn unresolved(svc: &Service, sub: &Subset, at: Span) -> Diagnostic {
    let labels: Vec<String> = sub
        .labels
        .iter()
        .map(|l| format!("{}={}", l.key.node, l.value.node))
        .collect();
    let labels = labels.join(", ");
    let why = if svc.endpoints.is_empty() {
        format!("`{}` declares no endpoints", svc.name.node)
    } else {
        format!("no endpoint of `{}` has the labels {labels}", svc.name.node)
    };
    Diagnostic::error(
        "E0501",
        sub.span,
        format!("subset `{}` of `{}` cannot be resolved to endpoints for the xDS target", sub.name.node, svc.name.node),
    )
    .with_label(why)
    .with_secondary(at, "traffic is sent to the subset here")
    .with_help(format!(
        "a standalone Envoy has no Kubernetes to select pods by label: declare the subset's workloads, e.g. `endpoint \"10.0.0.1\" labels {labels}`"
    ))
}

fn outbound(cx: &mut Cx, svc: &Service, port: &Port, host: &str, subset: Option<&Subset>) -> Value {
    let p = policy(svc, port, subset);
    let sub = subset.map_or("", |s| s.name.node.as_str());
    let name = name(port.number.node, sub, host);
    let passthrough = matches!(
        p.lb.as_ref().map(|l| &l.node),
        Some(LoadBalancer::Simple(Balance::Passthrough))
    );
    let (kind, eps) = endpoints(svc, port, host, subset);
    let kind = if passthrough { "ORIGINAL_DST" } else { kind };
    let mut c = json!({
        "name": name,
        "type": kind,
        "connect_timeout": p.limits.as_ref().and_then(|l| l.connect_timeout).map_or(CONNECT_TIMEOUT.to_string(), duration),
        "circuit_breakers": thresholds(&p),
    });
    balance(&mut c, &p, kind);
    if kind != "ORIGINAL_DST" {
        c["load_assignment"] = assignment(&name, &eps);
    }
    if matches!(kind, "STRICT_DNS" | "LOGICAL_DNS") {
        c["dns_lookup_family"] = json!("V4_PREFERRED");
    }
    if let Some(e) = &p.eject {
        c["outlier_detection"] = outlier(e);
        c["common_lb_config"] = json!({"healthy_panic_threshold": {"value": e.min_health.unwrap_or(0.0)}});
    }
    if let Some(opts) = protocol_options(port.protocol.node, &p) {
        c["typed_extension_protocol_options"] =
            json!({ "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": opts });
    }
    if let Some(socket) = upstream_tls(cx, svc, port, host, sub, &p) {
        c["transport_socket"] = socket;
    }
    c
}

/// The cluster type and endpoints (address, port, weight, labels).
fn endpoints<'s>(svc: &'s Service, port: &Port, host: &'s str, subset: Option<&Subset>) -> (&'static str, Vec<Value>) {
    let declared: Vec<&crate::ir::Endpoint> = svc
        .endpoints
        .iter()
        .filter(|e| subset.is_none_or(|s| selects(s, e)))
        .collect();
    // Peers' proxies listen on the service port; externals take traffic on `target`.
    let default_port = if svc.is_external() {
        port.workload_port()
    } else {
        port.number.node
    };
    let eps: Vec<Value> = declared
        .iter()
        .map(|e| {
            let labels: Vec<(&str, &str)> = e
                .labels
                .iter()
                .map(|l| (l.key.node.as_str(), l.value.node.as_str()))
                .collect();
            endpoint(&e.address.node, e.port.unwrap_or(default_port), e.weight, &labels)
        })
        .collect();
    let all_ips = declared
        .iter()
        .all(|e| e.address.node.parse::<std::net::IpAddr>().is_ok());
    let resolution = match &svc.kind {
        ServiceKind::External { resolution, .. } => resolution.node,
        ServiceKind::Kubernetes if declared.is_empty() => Resolution::Dns,
        ServiceKind::Kubernetes => Resolution::Static,
    };
    let by_host = || vec![endpoint(host, default_port, None, &[])];
    match resolution {
        Resolution::None => ("ORIGINAL_DST", Vec::new()),
        Resolution::DnsRoundRobin if eps.is_empty() => ("LOGICAL_DNS", by_host()),
        Resolution::DnsRoundRobin => ("LOGICAL_DNS", eps.into_iter().take(1).collect()),
        Resolution::Dns if eps.is_empty() => ("STRICT_DNS", by_host()),
        _ if all_ips && !eps.is_empty() => ("STATIC", eps),
        _ => ("STRICT_DNS", eps),
    }
}

fn endpoint(address: &str, port: u32, weight: Option<u32>, labels: &[(&str, &str)]) -> Value {
    let mut e = json!({"endpoint": {"address": {"socket_address": {"address": address, "port_value": port}}}});
    if let Some(w) = weight {
        e["load_balancing_weight"] = json!(w);
    }
    if !labels.is_empty() {
        let labels: serde_json::Map<String, Value> = labels
            .iter()
            .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
            .collect();
        e["metadata"] = json!({"filter_metadata": {"envoy.lb": labels}});
    }
    e
}

fn assignment(name: &str, eps: &[Value]) -> Value {
    json!({"cluster_name": name, "endpoints": [{"lb_endpoints": eps}]})
}

fn balance(c: &mut Value, p: &Policy, kind: &str) {
    let lb = match p.lb.as_ref().map(|l| &l.node) {
        _ if kind == "ORIGINAL_DST" => "CLUSTER_PROVIDED",
        None | Some(LoadBalancer::Simple(Balance::LeastRequest)) => "LEAST_REQUEST",
        Some(LoadBalancer::Simple(Balance::RoundRobin)) => "ROUND_ROBIN",
        Some(LoadBalancer::Simple(Balance::Random)) => "RANDOM",
        Some(LoadBalancer::Simple(Balance::Passthrough)) => "CLUSTER_PROVIDED",
        Some(LoadBalancer::Hash(s)) => match s.algorithm {
            Some(HashAlgorithm::Maglev(n)) => {
                c["maglev_lb_config"] = json!({"table_size": n});
                "MAGLEV"
            }
            Some(HashAlgorithm::Ring(n)) => {
                c["ring_hash_lb_config"] = json!({"minimum_ring_size": n});
                "RING_HASH"
            }
            None => {
                c["ring_hash_lb_config"] = json!({"minimum_ring_size": 1024});
                "RING_HASH"
            }
        },
    };
    c["lb_policy"] = json!(lb);
}

/// One threshold entry, from "unlimited" down to the program's limits.
fn thresholds(p: &Policy) -> Value {
    let l = p.limits.as_deref();
    let get = |f: fn(&crate::ir::Limits) -> Option<u64>| l.and_then(f).unwrap_or(UNLIMITED);
    json!({"thresholds": [{
        "max_connections": get(|l| l.max_connections),
        "max_pending_requests": get(|l| l.max_pending),
        "max_requests": get(|l| l.max_requests),
        "max_retries": get(|l| l.max_retries),
        "track_remaining": true,
    }]})
}

fn outlier(e: &Eject) -> Value {
    let mut o = json!({"enforcing_success_rate": 0});
    if let Some(n) = e.consecutive_5xx {
        o["consecutive_5xx"] = json!(n);
        o["enforcing_consecutive_5xx"] = json!(if n == 0 { 0 } else { 100 });
    }
    if let Some(n) = e.consecutive_gateway_errors {
        o["consecutive_gateway_failure"] = json!(n);
        o["enforcing_consecutive_gateway_failure"] = json!(if n == 0 { 0 } else { 100 });
    }
    if let Some(d) = e.interval {
        o["interval"] = json!(duration(d));
    }
    if let Some(d) = e.base_time {
        o["base_ejection_time"] = json!(duration(d));
    }
    if let Some(p) = e.max_percent.filter(|p| *p > 0.0) {
        o["max_ejection_percent"] = json!(p as u64);
    }
    o
}

/// HTTP/2 for HTTP/2-family ports, and the per-connection limits.
fn protocol_options(proto: Protocol, p: &Policy) -> Option<Value> {
    let h2 = matches!(proto, Protocol::Http2 | Protocol::Grpc | Protocol::GrpcWeb);
    let l = p.limits.as_deref().filter(|_| proto.is_http());
    let mut common = serde_json::Map::new();
    if let Some(d) = l.and_then(|l| l.idle_timeout) {
        common.insert("idle_timeout".into(), json!(duration(d)));
    }
    if let Some(n) = l.and_then(|l| l.max_requests_per_connection) {
        common.insert("max_requests_per_connection".into(), json!(n));
    }
    if !h2 && common.is_empty() {
        return None;
    }
    let explicit = if h2 {
        json!({"http2_protocol_options": {}})
    } else {
        json!({"http_protocol_options": {}})
    };
    let mut opts = json!({
        "@type": "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
        "explicit_http_config": explicit,
    });
    if !common.is_empty() {
        opts["common_http_protocol_options"] = Value::Object(common);
    }
    Some(opts)
}

/// The cluster's TLS: its policy's, else mTLS when the destination port is
/// STRICT (meshc knows every peer's mode; Istio's auto mTLS asks the endpoint).
fn upstream_tls(cx: &mut Cx, svc: &Service, port: &Port, host: &str, subset: &str, p: &Policy) -> Option<Value> {
    let sni = format!("outbound_.{}_.{subset}_.{host}", port.number.node);
    let peer = cx.spiffe(svc);
    let strict = !svc.is_external() && cx.mtls(svc, port) == Some(crate::ir::MtlsMode::Strict);
    let mut mesh = || {
        cx.identity = true;
        Some(tls::mesh_upstream(&sni, &peer))
    };
    match p.tls.as_ref().map(|t| &t.node) {
        Some(Tls::Off) => None,
        Some(Tls::Mesh) => mesh(),
        Some(Tls::Simple(f) | Tls::Mutual(f)) => {
            if f.credential.is_some() {
                let at = p.tls.as_ref().map_or(svc.span, |t| t.span);
                cx.diags.push(tls::credential(svc, at));
                return None;
            }
            let pair = f.cert.as_deref().zip(f.key.as_deref());
            Some(tls::origination(
                f.sni.as_deref().unwrap_or(host),
                f.ca.as_deref(),
                &f.san,
                pair,
            ))
        }
        None if strict => mesh(),
        None => None,
    }
}
