//! Listeners. Without iptables nothing is redirected to the proxy, so each
//! listener binds a real address: outbound, `127.0.0.1:<port>` for every port
//! of every reachable service (the application calls its dependencies
//! there); inbound, `0.0.0.0:<port>` for each port of the proxy's own service
//! (peers call it there), in front of the application on `127.0.0.1:<target>`.
//! The kernel hands connections to 127.0.0.1 to the more specific outbound
//! listener, so both sides may share a port number.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

use super::clusters::Set;
use super::routes::{self, applies};
use super::scope::{self, Scope};
use super::{duration, filters, rbac, tls, typed, Cx};
use crate::diag::Diagnostic;
use crate::ir::{Action, Condition, MtlsMode, Outbound, Port, RouteKind, Service};

fn address(ip: &str, port: u32) -> Value {
    json!({"socket_address": {"address": ip, "port_value": port}})
}

fn tls_inspector() -> Value {
    typed(
        "envoy.filters.listener.tls_inspector",
        "envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector",
        json!({}),
    )
}

fn tcp_proxy(stat_prefix: &str, targets: &[(String, u64)], idle: Option<u64>) -> Value {
    let mut config = json!({ "stat_prefix": stat_prefix });
    match targets {
        [(one, _)] => config["cluster"] = json!(one),
        many => {
            config["weighted_clusters"] =
                json!({"clusters": many.iter().map(|(n, w)| json!({"name": n, "weight": w})).collect::<Vec<_>>()})
        }
    }
    if let Some(d) = idle {
        config["idle_timeout"] = json!(duration(d));
    }
    typed(
        "envoy.filters.network.tcp_proxy",
        "envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy",
        config,
    )
}

/// One listener per port of the services the proxy may reach.
pub fn outbound<'m>(cx: &mut Cx<'m>, scope: &Scope<'m>, set: &mut Set<'m>) -> Vec<Value> {
    let mut by_port: BTreeMap<u32, Vec<(&'m Service, &'m Port)>> = BTreeMap::new();
    for &svc in &scope.services {
        for p in &svc.ports {
            by_port.entry(p.number.node).or_default().push((svc, p));
        }
    }
    let mut out = Vec::new();
    for (port, entries) in by_port {
        let http: Vec<&Service> = entries
            .iter()
            .filter(|(_, p)| p.protocol.node.is_http())
            .map(|e| e.0)
            .collect();
        let sni: Vec<&Service> = entries
            .iter()
            .filter(|(_, p)| p.protocol.node.is_tls())
            .map(|e| e.0)
            .collect();
        let tcp: Vec<(&Service, &Port)> = entries
            .iter()
            .filter(|(_, p)| !p.protocol.node.is_http() && !p.protocol.node.is_tls())
            .copied()
            .collect();
        let name = format!("127.0.0.1_{port}");
        let mut chains = tls_chains(cx, port, &sni, set);
        // Plain traffic on one port: HTTP services share a route table, a TCP service must be alone.
        let plain: Vec<&(&Service, &Port)> = entries.iter().filter(|(_, p)| !p.protocol.node.is_tls()).collect();
        if !tcp.is_empty() && plain.len() > 1 {
            cx.diags.push(shared_port(port, *plain[0], *plain[1]));
            continue;
        }
        if !http.is_empty() {
            let mut http_filters = filters::fault_and_cors().to_vec();
            if scope.outbound == Outbound::AllowAny {
                http_filters.push(filters::dynamic_forward_proxy());
            }
            let config = routes::config(cx, port, &http, scope.outbound, set);
            let hcm = filters::http_connection_manager(&format!("outbound_{name}"), config, http_filters, false);
            chains.push(json!({ "filters": [hcm] }));
        } else if let [(svc, p)] = tcp.as_slice() {
            let targets = tcp_targets(cx, svc, port, set);
            let idle = super::clusters::policy(svc, p, None)
                .limits
                .and_then(|l| l.idle_timeout);
            chains.push(json!({"filters": [tcp_proxy(&format!("outbound_{name}"), &targets, idle)]}));
        }
        let mut l = json!({
            "name": name,
            "address": address("127.0.0.1", port),
            "traffic_direction": "OUTBOUND",
            "filter_chains": chains,
        });
        if !sni.is_empty() {
            l["listener_filters"] = json!([tls_inspector()]);
        }
        out.push(l);
    }
    out
}

/// E0504: a listener can route HTTP by host and TLS by SNI, but plain TCP
/// connections to one port carry nothing that tells their service apart.
fn shared_port(port: u32, a: (&Service, &Port), b: (&Service, &Port)) -> Diagnostic {
    Diagnostic::error(
        "E0504",
        b.1.span,
        format!(
            "`{}` and `{}` share port {port}, and a standalone proxy cannot tell their TCP connections apart",
            a.0.name.node, b.0.name.node
        ),
    )
    .with_label(format!(
        "{} port {port} of `{}`",
        b.1.protocol.node.name(),
        b.0.name.node
    ))
    .with_secondary(
        a.1.span,
        format!("{} port {port} of `{}`", a.1.protocol.node.name(), a.0.name.node),
    )
    .with_help(
        "the xDS target has one listener per port, and TCP carries no host name: give one of them another port, \
         or keep it out of the calling proxies' scope with `egress service ...`",
    )
}

/// The first TCP rule that applies to this proxy and port, else the service's cluster.
fn tcp_targets<'m>(cx: &Cx<'m>, svc: &'m Service, port: u32, set: &mut Set<'m>) -> Vec<(String, u64)> {
    let rule = svc
        .routes
        .iter()
        .filter(|r| r.kind == RouteKind::Tcp)
        .find_map(|r| match &r.action {
            Action::Forward(ds) if r.matches.is_empty() || r.matches.iter().any(|m| applies(cx, m, port)) => Some(ds),
            _ => None,
        });
    match rule {
        Some(ds) => routes::targets(cx, ds, port, set),
        None => {
            set.service(svc);
            vec![(super::clusters::name(port, "", svc.host()), 100)]
        }
    }
}

/// TLS ports: chains by SNI, first the `sni` rules, then each host to its cluster.
fn tls_chains<'m>(cx: &Cx<'m>, port: u32, services: &[&'m Service], set: &mut Set<'m>) -> Vec<Value> {
    let mut taken = BTreeSet::new();
    let mut out = Vec::new();
    let mut chain = |names: Vec<String>, targets: Vec<(String, u64)>, taken: &mut BTreeSet<String>| {
        let names: Vec<String> = names.into_iter().filter(|n| taken.insert(n.clone())).collect();
        if !names.is_empty() && !targets.is_empty() {
            let prefix = format!("outbound_127.0.0.1_{port}_{}", names[0]);
            out.push(json!({
                "filter_chain_match": {"server_names": names},
                "filters": [tcp_proxy(&prefix, &targets, None)],
            }));
        }
    };
    for &svc in services {
        for r in svc.routes.iter().filter(|r| r.kind == RouteKind::Tls) {
            let Action::Forward(ds) = &r.action else { continue };
            for m in r.matches.iter().filter(|m| applies(cx, m, port)) {
                let mut names: Vec<String> = m
                    .conditions
                    .iter()
                    .filter_map(|c| match &c.node {
                        Condition::Sni(s) => Some(s.clone()),
                        _ => None,
                    })
                    .collect();
                if names.is_empty() {
                    names = scope::hosts(svc).iter().map(|h| h.to_string()).collect();
                }
                chain(names, routes::targets(cx, ds, port, set), &mut taken);
            }
        }
        for host in scope::hosts(svc) {
            set.service(svc);
            chain(
                vec![host.to_string()],
                vec![(super::clusters::name(port, "", host), 100)],
                &mut taken,
            );
        }
    }
    out
}

/// One listener per port of the proxy's own service, with the filter chains
/// of its mTLS mode: STRICT (TLS only), PERMISSIVE (TLS or plaintext, told
/// apart by the TLS inspector), DISABLE or unset (plaintext).
pub fn inbound<'m>(cx: &mut Cx<'m>, set: &mut Set<'m>) -> Vec<Value> {
    let me = cx.me;
    let mut out = Vec::new();
    for port in &me.ports {
        let wp = port.workload_port();
        let proto = port.protocol.node;
        if !set.inbound.iter().any(|(p, _)| *p == wp) {
            set.inbound.push((wp, proto));
        }
        let cluster = format!("inbound|{wp}||");
        let stat = format!("inbound_0.0.0.0_{wp}");
        let http = proto.is_http();
        let filters = if http {
            let mut chain: Vec<Value> = filters::jwt_authn(cx).into_iter().collect();
            chain.extend(rbac::filters(cx, true));
            chain.extend(filters::fault_and_cors());
            let route_config = json!({
                "name": cluster,
                "validate_clusters": false,
                "virtual_hosts": [{
                    "name": format!("inbound|http|{wp}"),
                    "domains": ["*"],
                    "routes": [{
                        "name": "default",
                        "match": {"prefix": "/"},
                        "route": {
                            "cluster": cluster,
                            "timeout": "0s",
                            "max_stream_duration": {"max_stream_duration": "0s", "grpc_timeout_header_max": "0s"},
                        },
                        "decorator": {"operation": format!("{}:{}/*", me.host(), port.number.node)},
                    }],
                }],
            });
            vec![filters::http_connection_manager(&stat, route_config, chain, true)]
        } else {
            let mut chain = rbac::filters(cx, false);
            chain.push(tcp_proxy(&stat, &[(cluster.clone(), 100)], None));
            chain
        };
        let mode = cx.mtls(me, port);
        let plain = json!({"name": stat, "filters": filters});
        let mut secure = plain.clone();
        secure["filter_chain_match"] = json!({"transport_protocol": "tls"});
        secure["transport_socket"] = tls::mesh_downstream(&cx.mesh.domain, http);
        let chains = match mode {
            None | Some(MtlsMode::Disable) => vec![plain],
            Some(MtlsMode::Strict) => vec![secure],
            Some(MtlsMode::Permissive) => {
                let mut plain = plain;
                plain["filter_chain_match"] = json!({"transport_protocol": "raw_buffer"});
                vec![secure, plain]
            }
        };
        let mut l = json!({
            "name": format!("inbound_0.0.0.0_{}", port.number.node),
            "address": address("0.0.0.0", port.number.node),
            "traffic_direction": "INBOUND",
            "filter_chains": chains,
        });
        if matches!(mode, Some(MtlsMode::Strict | MtlsMode::Permissive)) {
            cx.identity = true;
            l["listener_filters"] = json!([tls_inspector()]);
        }
        out.push(l);
    }
    out
}
