//! DestinationRule: subsets and traffic policy, merged explicitly because
//! Istio's port-level and subset entries replace whole blocks.

use super::{header, object, Sources};
use crate::backend::yaml::Yaml;
use crate::backend::{duration, Object};
use crate::ir::{Balance, HashAlgorithm, HashKey, Limits, LoadBalancer, Policy, Service, Tls};

pub fn lower(svc: &Service, sources: &Sources, out: &mut Vec<Object>) {
    let mut top = svc.policy.clone();
    // Ports whose own entry Istio will use instead of `top`, with their policy.
    let mut ports: Vec<(u32, Policy)> = Vec::new();
    // An external's TLS origination applies to the ports the app speaks plaintext on;
    // on `https`/`tls` ports the app already speaks TLS and a second layer would break it.
    let moved_tls = if svc.is_external() { top.tls.take() } else { None };
    for p in &svc.ports {
        let mut own = p.policy.clone();
        if own.tls.is_none() && !p.protocol.node.is_tls() {
            own.tls = moved_tls.clone();
        }
        if !own.is_empty() {
            ports.push((p.number.node, own));
        }
    }
    if svc.subsets.is_empty() && top.is_empty() && ports.is_empty() {
        return;
    }
    let http = svc.ports.is_empty() || svc.ports.iter().any(|p| p.protocol.node.is_http());
    let name = &svc.name.node;
    let mut y = Yaml::new();
    header(
        &mut y,
        "DestinationRule",
        name,
        &svc.namespace,
        &sources.location(svc.span),
    );
    y.open("spec");
    y.str("host", svc.host());
    if !top.is_empty() || !ports.is_empty() {
        y.open("trafficPolicy");
        blocks(&mut y, &top, http);
        port_levels(&mut y, &top, &ports, None, http);
        y.close();
    }
    if !svc.subsets.is_empty() {
        y.open_list("subsets");
        for s in &svc.subsets {
            y.item();
            y.str("name", &s.name.node);
            y.open("labels");
            for l in &s.labels {
                y.str(&l.key.node, &l.value.node);
            }
            y.close();
            if !s.policy.is_empty() {
                y.open("trafficPolicy");
                blocks(&mut y, &top.overlay(&s.policy), http);
                port_levels(&mut y, &top, &ports, Some(&s.policy), http);
                y.close();
            }
            y.close();
        }
        y.close();
    }
    y.close();
    out.push(object("DestinationRule", name, &svc.namespace, y));
}

fn port_levels(y: &mut Yaml, top: &Policy, ports: &[(u32, Policy)], subset: Option<&Policy>, http: bool) {
    if ports.is_empty() {
        return;
    }
    y.open_list("portLevelSettings");
    for (number, own) in ports {
        let mut p = top.overlay(own);
        if let Some(s) = subset {
            p = p.overlay(s);
        }
        y.item();
        y.open("port");
        y.int("number", *number as u64);
        y.close();
        blocks(y, &p, http);
        y.close();
    }
    y.close();
}

/// The four policy blocks Istio replaces as a whole.
fn blocks(y: &mut Yaml, p: &Policy, http: bool) {
    if let Some(lb) = &p.lb {
        y.open("loadBalancer");
        match &lb.node {
            LoadBalancer::Simple(b) => y.str(
                "simple",
                match b {
                    Balance::RoundRobin => "ROUND_ROBIN",
                    Balance::LeastRequest => "LEAST_REQUEST",
                    Balance::Random => "RANDOM",
                    Balance::Passthrough => "PASSTHROUGH",
                },
            ),
            LoadBalancer::Hash(s) => {
                y.open("consistentHash");
                match &s.key {
                    HashKey::Cookie { name, ttl, path } => {
                        y.open("httpCookie");
                        y.str("name", name);
                        y.opt_str("path", path.as_deref());
                        if let Some(t) = ttl {
                            y.str("ttl", &duration(*t));
                        }
                        y.close();
                    }
                    HashKey::Header(h) => y.str("httpHeaderName", h),
                    HashKey::SourceIp => y.bool("useSourceIp", true),
                    HashKey::Query(q) => y.str("httpQueryParameterName", q),
                }
                match s.algorithm {
                    Some(HashAlgorithm::Ring(n)) => {
                        y.open("ringHash");
                        y.int("minimumRingSize", n);
                        y.close();
                    }
                    Some(HashAlgorithm::Maglev(n)) => {
                        y.open("maglev");
                        y.int("tableSize", n);
                        y.close();
                    }
                    None => {}
                }
                y.close();
            }
        }
        y.close();
    }
    let none = Limits::default();
    let l = p.limits.as_deref().unwrap_or(&none);
    let idle_tcp = if http { None } else { l.idle_timeout };
    let idle_http = if http { l.idle_timeout } else { None };
    let tcp = l.max_connections.is_some() || l.connect_timeout.is_some() || idle_tcp.is_some();
    let http_pool = l.max_pending.is_some()
        || l.max_requests.is_some()
        || l.max_requests_per_connection.is_some()
        || l.max_retries.is_some()
        || idle_http.is_some();
    if tcp || http_pool {
        y.open("connectionPool");
        if tcp {
            y.open("tcp");
            y.opt_int("maxConnections", l.max_connections);
            if let Some(d) = l.connect_timeout {
                y.str("connectTimeout", &duration(d));
            }
            if let Some(d) = idle_tcp {
                y.str("idleTimeout", &duration(d));
            }
            y.close();
        }
        if http_pool {
            y.open("http");
            y.opt_int("http1MaxPendingRequests", l.max_pending);
            y.opt_int("http2MaxRequests", l.max_requests);
            y.opt_int("maxRequestsPerConnection", l.max_requests_per_connection);
            y.opt_int("maxRetries", l.max_retries);
            if let Some(d) = idle_http {
                y.str("idleTimeout", &duration(d));
            }
            y.close();
        }
        y.close();
    }
    if let Some(e) = &p.eject {
        y.open("outlierDetection");
        y.opt_int("consecutive5xxErrors", e.consecutive_5xx);
        y.opt_int("consecutiveGatewayErrors", e.consecutive_gateway_errors);
        if let Some(d) = e.interval {
            y.str("interval", &duration(d));
        }
        if let Some(d) = e.base_time {
            y.str("baseEjectionTime", &duration(d));
        }
        y.opt_int("maxEjectionPercent", e.max_percent.map(|v| v as u64));
        y.opt_int("minHealthPercent", e.min_health.map(|v| v as u64));
        y.close();
    }
    if let Some(t) = &p.tls {
        y.open("tls");
        match &t.node {
            Tls::Off => y.str("mode", "DISABLE"),
            Tls::Mesh => y.str("mode", "ISTIO_MUTUAL"),
            Tls::Simple(f) | Tls::Mutual(f) => {
                y.str(
                    "mode",
                    if matches!(t.node, Tls::Simple(_)) {
                        "SIMPLE"
                    } else {
                        "MUTUAL"
                    },
                );
                y.opt_str("clientCertificate", f.cert.as_deref());
                y.opt_str("privateKey", f.key.as_deref());
                y.opt_str("caCertificates", f.ca.as_deref());
                y.opt_str("credentialName", f.credential.as_deref());
                y.str_list("subjectAltNames", &f.san);
                y.opt_str("sni", f.sni.as_deref());
            }
        }
        y.close();
    }
}
