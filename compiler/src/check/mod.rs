//! Stage 3: checks over the IR. Each module is one check with one signature:
//! `fn check(mesh: &Mesh, out: &mut Vec<Diagnostic>)`.

mod conditions;
mod deprecated;
mod durations;
mod externals;
mod labels;
mod object_names;
mod percents;
mod protocols;
mod regexes;
mod security;
mod tls;
mod unreachable;
mod weights;

use crate::diag::Diagnostic;
use crate::ir::{Mesh, Policy, Service};

type Check = fn(&Mesh, &mut Vec<Diagnostic>);

const CHECKS: [Check; 19] = [
    weights::check,
    unreachable::check,
    conditions::check,
    durations::check,
    percents::check,
    regexes::check,
    protocols::check,
    externals::check,
    tls::check,
    labels::check,
    deprecated::check,
    object_names::check,
    security::mtls_identity::check,
    security::jwt_coverage::check,
    security::tcp_fields::check,
    security::allow_nothing::check,
    security::host_port::check,
    security::providers::check,
    security::peer_auth::check,
];

pub fn run(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    for check in CHECKS {
        check(mesh, out);
    }
}

pub(crate) fn services(mesh: &Mesh) -> impl Iterator<Item = &Service> {
    mesh.namespaces.iter().flat_map(|n| &n.services)
}

/// Every policy level of a service: its own, each port's, each subset's.
pub(crate) fn policies(svc: &Service) -> impl Iterator<Item = &Policy> {
    std::iter::once(&svc.policy)
        .chain(svc.ports.iter().map(|p| &p.policy))
        .chain(svc.subsets.iter().map(|s| &s.policy))
}
