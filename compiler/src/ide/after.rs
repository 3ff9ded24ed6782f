//! Completion after the first words of a statement: what may follow them.

use super::complete::{keywords, CompletionKind, Found, Names};
use super::context::{Block, Cursor};
use crate::fmt::lex::Kind;
use crate::ir::Protocol;
use crate::names::{vocab, Ctx};

/// Words that start a list whose items a `,` continues.
const LIST_HEADS: [&str; 7] = ["on", "method", "methods", "service", "external", "namespace", "jwt"];

const ROUTE_CONDITIONS: [&str; 9] = [
    "path", "header", "not", "query", "method", "host", "port", "sni", "from",
];

const RULE_OPTIONS: [&str; 9] = [
    "port", "rest", "timeout", "retries", "rewrite", "fault", "mirror", "request", "response",
];

const SECURITY_KEYS: [&str; 10] = [
    "claim",
    "header",
    "source_ip",
    "remote_ip",
    "source_namespace",
    "source_principal",
    "audience",
    "presenter",
    "destination_port",
    "sni",
];

pub fn words_after(cur: &Cursor, names: &Names, after_std: bool) -> Found {
    let words: Vec<&str> = cur.words().collect();
    let first = words.first().copied().unwrap_or_default();
    if after_std {
        return names.std_profiles(false);
    }
    if first == "use" {
        return match (words.len(), cur.block) {
            (1, Block::Top) => names.std_profiles(true),
            (1, _) => [names.profiles(), names.std_profiles(true)].concat(),
            _ => Vec::new(),
        };
    }
    if let Some(found) = destination(cur, names) {
        return found;
    }
    let Some(&(kind, last)) = cur.before.last() else {
        return Vec::new();
    };
    let head = match kind {
        Kind::Word => last,
        // A `,` continues the list its head word started.
        Kind::Comma => words
            .iter()
            .rev()
            .copied()
            .find(|w| LIST_HEADS.contains(w))
            .unwrap_or_default(),
        _ => return Vec::new(),
    };
    following(cur, names, &words, head)
}

fn values(list: &[&str]) -> Found {
    list.iter()
        .map(|v| (v.to_string(), CompletionKind::Value, None))
        .collect()
}

/// After `=>` (or `mirror`): subsets of this service, `service`, `external`, `redirect`.
fn destination(cur: &Cursor, names: &Names) -> Option<Found> {
    let arrow = cur.before.iter().rposition(|t| t.1 == "=>" || t.1 == "mirror")?;
    let rest = &cur.before[arrow + 1..];
    let ns = cur.enclosing("namespace");
    let start = || {
        let mut out = keywords(&["service", "external"]);
        if cur.before[arrow].1 == "=>" {
            out.push(("redirect".into(), CompletionKind::Keyword, None));
        }
        [cur.service().map_or_else(Vec::new, |s| names.subsets(ns, s)), out].concat()
    };
    let last = rest.last();
    let found = match last.map(|t| (t.0, t.1)) {
        None | Some((Kind::Comma, _)) if rest.iter().all(|t| !RULE_OPTIONS[2..].contains(&t.1)) => start(),
        Some((Kind::Word, "service")) => names.services(ns, Some(false)),
        Some((Kind::Word, "external")) => names.services(ns, Some(true)),
        Some((Kind::Colon, _)) if rest.len() >= 3 && rest[rest.len() - 3].1 == "service" => {
            names.subsets(ns, rest[rest.len() - 2].1)
        }
        Some((Kind::Word, _)) if rest.len() == 1 || rest[rest.len() - 2].0 == Kind::Comma => keywords(&RULE_OPTIONS),
        _ => return None,
    };
    Some(found)
}

/// What may follow the word `head` in a statement of these `words`.
fn following(cur: &Cursor, names: &Names, words: &[&str], head: &str) -> Found {
    let first = words.first().copied().unwrap_or_default();
    let ns = cur.enclosing("namespace");
    let policy = matches!(first, "allow" | "deny" | "audit");
    match head {
        "balance" => values(&vocab::BALANCES[..4]),
        "tls" if first == "tls" => values(&vocab::TLS_MODES),
        "mtls" => values(&vocab::MTLS_MODES),
        "outbound" => values(&vocab::OUTBOUND_MODES),
        "resolution" => values(&vocab::RESOLUTIONS),
        "on" if words.contains(&"retries") => vocab::RETRY_ON
            .iter()
            .map(|t| (vocab::language_retry_name(t), CompletionKind::Value, None))
            .collect(),
        "retries" => keywords(&["off"]),
        "method" | "methods" => values(&vocab::METHODS),
        "from" if policy => keywords(&[
            "service",
            "principal",
            "namespace",
            "jwt",
            "authenticated",
            "ip",
            "remote_ip",
        ]),
        "from" if cur.block == Block::Ctx(Ctx::Jwt) => keywords(&["header", "query", "cookie"]),
        "from" => keywords(&["service", "namespace"]),
        "service" if first != "service" => names.services(ns, Some(false)),
        "external" if first != "external" => names.services(ns, Some(true)),
        "namespace" if first != "namespace" => names.namespaces(),
        "egress" => keywords(&["namespace", "service", "external", "auto"]),
        "authenticate" => keywords(&["jwt"]),
        "jwt" if first == "authenticate" => names.providers(),
        "sticky" => keywords(&["cookie", "header", "source_ip", "query"]),
        "request" | "response" => keywords(&["set", "add", "remove"]),
        "set" | "add" | "remove" => keywords(&["header"]),
        "fault" => keywords(&["delay", "abort"]),
        "rewrite" => keywords(&["path", "host"]),
        "allow" | "deny" | "audit" => keywords(&["all", "nothing", "from", "to", "when"]),
        "to" if policy => keywords(&["method", "path", "host", "port"]),
        "when" if policy => keywords(&SECURITY_KEYS),
        "when" | "and" | "or" if first == "when" => keywords(&ROUTE_CONDITIONS),
        "not" if first == "when" => keywords(&["header"]),
        "path" if first == "when" => keywords(&["prefix", "regex"]),
        _ if first == "port" && words.len() == 2 => values(&Protocol::ALL.map(|p| p.0)),
        _ if first == "retries" && words.len() == 2 => keywords(&["per_try", "on"]),
        _ => Vec::new(),
    }
}
