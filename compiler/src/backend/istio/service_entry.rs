//! ServiceEntry: externals, and in-mesh services with declared (VM) endpoints.

use super::{header, object, Sources};
use crate::backend::yaml::Yaml;
use crate::backend::Object;
use crate::ir::{Protocol, Resolution, Service, ServiceKind};

pub fn lower(svc: &Service, sources: &Sources, out: &mut Vec<Object>) {
    let (hosts, resolution, addresses, internal) = match &svc.kind {
        ServiceKind::External {
            hosts,
            resolution,
            addresses,
            internal,
        } => (
            hosts.iter().map(|h| h.node.clone()).collect(),
            resolution.node,
            addresses.iter().map(|a| a.node.clone()).collect(),
            *internal,
        ),
        ServiceKind::Kubernetes if !svc.endpoints.is_empty() => {
            (vec![svc.host().to_string()], Resolution::Static, Vec::new(), true)
        }
        ServiceKind::Kubernetes => return,
    };
    let name = &svc.name.node;
    let mut y = Yaml::new();
    header(
        &mut y,
        "ServiceEntry",
        name,
        &svc.namespace,
        &sources.location(svc.span),
    );
    y.open("spec");
    y.str_list("hosts", &hosts);
    y.str_list("addresses", &addresses);
    y.open_list("ports");
    for p in &svc.ports {
        y.item();
        y.int("number", p.number.node as u64);
        y.str("name", &format!("{}-{}", p.protocol.node.name(), p.number.node));
        y.str("protocol", protocol(p.protocol.node));
        if let Some(t) = &p.target {
            y.int("targetPort", t.node as u64);
        }
        y.close();
    }
    y.close();
    y.str("location", if internal { "MESH_INTERNAL" } else { "MESH_EXTERNAL" });
    y.str(
        "resolution",
        match resolution {
            Resolution::Dns => "DNS",
            Resolution::DnsRoundRobin => "DNS_ROUND_ROBIN",
            Resolution::Static => "STATIC",
            Resolution::None => "NONE",
        },
    );
    if !svc.endpoints.is_empty() {
        y.open_list("endpoints");
        for e in &svc.endpoints {
            y.item();
            y.str("address", &e.address.node);
            if let Some(port) = e.port {
                y.open("ports");
                for p in &svc.ports {
                    y.int(&format!("{}-{}", p.protocol.node.name(), p.number.node), port as u64);
                }
                y.close();
            }
            if !e.labels.is_empty() {
                y.open("labels");
                for l in &e.labels {
                    y.str(&l.key.node, &l.value.node);
                }
                y.close();
            }
            if !matches!(svc.kind, ServiceKind::External { .. }) {
                y.str("serviceAccount", &svc.account);
            }
            y.opt_int("weight", e.weight.map(u64::from));
            y.close();
        }
        y.close();
    }
    y.close();
    out.push(object("ServiceEntry", name, &svc.namespace, y));
}

fn protocol(p: Protocol) -> &'static str {
    match p {
        Protocol::Http => "HTTP",
        Protocol::Http2 => "HTTP2",
        Protocol::Grpc => "GRPC",
        Protocol::GrpcWeb => "GRPC-WEB",
        Protocol::Https => "HTTPS",
        Protocol::Tls => "TLS",
        Protocol::Tcp => "TCP",
        Protocol::Mongo => "MONGO",
        Protocol::Mysql => "MYSQL",
        Protocol::Redis => "REDIS",
    }
}
