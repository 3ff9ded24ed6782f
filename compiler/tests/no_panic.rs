//! The pipeline never panics: `check` then `lower_istio` (and the renderers
//! the CLI runs on their results) on arbitrary text, on token soup, and on
//! valid programs mutated and spliced together.
//!
//! 256 cases per property by default; `PROPTEST_CASES=N` raises (or lowers) it.

use meshc_compiler::{backend, check, lower_istio, report, SourceFile};
use proptest::prelude::*;
use proptest::sample::Index;

/// A valid program touching most of sections 3-6 and 9 of the language
/// (checks clean; its YAML passes the Istio oracle).
const FULL: &str = r#"mesh {
  domain "cluster.local"
  root_namespace "istio-system"
  outbound registry_only
  retries 2 on connect_failure, refused_stream, unavailable
}
use std.resilient
profile quick(d: duration = 250ms, n: int = 2, p: percent = 5%, h: string = "x-id") {
  timeout d
  retries n per_try 100ms on gateway_error
}
namespace bookinfo {
  egress namespace ., istio-system
  ## Reviews.
  service reviews {
    port 9080 http {
      balance round_robin
    }
    selector app=reviews, "app.kubernetes.io/name"=reviews
    account bookinfo-reviews
    subsets version: v1, v2, v3
    subset canary version=v4, track=canary {
      balance random
    }
    use std.resilient(attempts: 2, try_timeout: 500ms)
    limits {
      max_connections 100
      connect_timeout 1s
      max_pending 10
      max_requests 1000
      max_requests_per_connection 10
      max_retries 3
      idle_timeout 1h
    }
    eject {
      consecutive_5xx 5
      consecutive_gateway_errors 3
      interval 10s
      base_time 30s
      max_percent 50%
      min_health 20%
    }
    tls mesh
    route {
      when header "end-user" == "jason" => v2
      when path prefix "/v3/" and method GET => v3 {
        rewrite path "/"
        timeout 1s
      }
      when path regex "^/admin(/.*)?$" => redirect "https://admin.example.com" code 301
      when query "beta" == "1" or header "x-beta" present => v2
      when not header "x-debug" and path "/x" ignore_case => canary 100% fault delay 2s 10% fault abort 503 1%
      when from service productpage and from namespace bookinfo => v1 {
        mirror v2 50%
        request set header "x-a" "b"
        response remove header "x-c"
        cors { origins "https://a", regex "https://.*\\.b"; methods GET, POST; headers "x-h"; max_age 1h; credentials }
        retries off
      }
      default => v1 90%, v2 rest
    }
  }
  service productpage {
    port 9080 http
    egress service reviews, mongo
    egress external payments
    outbound allow_any
    sticky cookie "session" ttl 1h path "/" ring 1024
    route {
      default => service reviews:v1 port 9080
    }
  }
  service mongo {
    port 27017 mongo
    subsets version: v1, v2
    route { when port 27017 => v1 80%, v2 20% }
  }
  external payments {
    host "api.stripe.com"
    port 80 http target 443
    port 443 https
    resolution dns
    address "240.240.0.10"
    tls simple sni "api.stripe.com"
  }
  external legacy {
    host "legacy.internal"
    port 8443 tls
    resolution static
    endpoint "10.1.2.3" port 8443 labels zone=a weight 2
    internal
    route { when sni "legacy.internal" => external legacy }
  }
}
"#;

/// Security statements (sections 7-8): parsed, not lowered yet.
const SECURITY: &str = r#"jwt google {
  issuer "https://accounts.google.com"
  jwks_uri "https://www.googleapis.com/oauth2/v3/certs"
  audiences "my-app", "other"
  from header "Authorization" prefix "Bearer "
  from query "access_token"
  forward_token
  claim "sub" to header "x-user"
  payload to header "x-jwt-payload"
}
namespace shop {
  mtls strict
  authenticate jwt google
  deny from namespace untrusted
  service api {
    port 8080 http
    use std.canary(weight: 5%)
    allow from service web to method GET, HEAD and path "/api/*"
    allow from jwt "https://accounts.google.com/*" when claim "groups" == "admin"
    deny from not namespace ops to path "/internal/*"
    audit to path "/admin/*"
    require jwt
  }
  service web { port 80 http; use std.sticky_session; tls mutual cert "/c.pem" key "/k.pem" ca "/ca.pem" }
  service worker { port 80 http; use std.fail_fast(deadline: 500ms) }
}
"#;

const SMALL: &str = r#"namespace shop {
  service web {
    port 8080 http
    subsets version: v1, v2
    route {
      when path prefix "/api/" and method GET, HEAD => service api
      default => v1 90%, v2 10%
    }
  }
  service api { port 9090 grpc; use std.canary(weight: 5%) }
}
"#;

const SEEDS: &[&str] = &[FULL, SECURITY, SMALL];

/// Tokens of the language, and a few things that are not.
#[rustfmt::skip]
const TOKENS: &[&str] = &[
    // keywords
    "mesh", "namespace", "profile", "jwt", "use", "std", "int", "duration", "percent", "string", "name",
    "service", "external", "port", "target", "selector", "account", "subsets", "subset", "endpoint", "labels",
    "weight", "host", "resolution", "address", "internal", "balance", "sticky", "cookie", "header",
    "source_ip", "query", "ttl", "path", "ring", "maglev", "limits", "eject", "tls", "sni", "ca", "san",
    "cert", "key", "credential", "timeout", "retries", "off", "per_try", "on", "route", "when", "or", "and",
    "default", "ignore_case", "not", "method", "from", "prefix", "regex", "present", "redirect", "code",
    "rest", "rewrite", "fault", "delay", "abort", "mirror", "request", "response", "set", "add", "remove",
    "cors", "origins", "methods", "headers", "expose", "max_age", "credentials", "egress", "auto",
    "outbound", "mtls", "domain", "root_namespace", "authenticate", "require", "allow", "deny", "audit",
    "all", "nothing", "to", "principal", "authenticated", "ip", "remote_ip", "claim", "source_namespace",
    "source_principal", "audience", "presenter", "destination_port", "in", "contains", "issuer",
    "jwks_uri", "jwks", "audiences", "forward_token", "payload",
    // settings and values
    "max_connections", "connect_timeout", "max_pending", "max_requests", "max_requests_per_connection",
    "max_retries", "idle_timeout", "consecutive_5xx", "consecutive_gateway_errors", "interval", "base_time",
    "max_percent", "min_health", "http", "http2", "grpc", "tcp", "tls", "https", "mongo", "redis",
    "round_robin", "least_request", "least_conn", "random", "passthrough", "strict", "permissive", "disable",
    "simple", "mutual", "registry_only", "allow_any", "dns", "static", "none", "gateway_error",
    "connect_failure", "refused_stream", "GET", "POST", "HEAD", "v1", "v2", "v3", "canary", "reviews",
    "bookinfo", "resilient", "fail_fast", "sticky_session", "std.canary", "std.nope", "a-b", "x_y",
    // punctuation
    "{", "}", "(", ")", "=>", "==", "=", ":", ";", ",", ".", "%", "\"", "\\", "#", "##", "/", "*",
    // literals
    "0", "1", "80", "100", "9080", "65535", "65536", "4294967296", "99999999999999999999999", "-1",
    "250ms", "2s", "1.5s", "5m", "1h", "0s", "0ms", "0.0001ms", "999999999999h", "1.s", "10%", "0.5%",
    "100%", "101%", "0%", "1e3%", "99999999999999999999%", "\"\"", "\"/\"", "\"x\"", "\"a\\\"b\"",
    "\"\\n\"", "\"^(a\"", "\"[\"", "\"(?i)x\"", "\"*\"", "\"/a/*\"", "\"api.example.com\"", "\"10.0.0.1\"",
    "\"app.kubernetes.io/name\"", "version=v1", "track=canary", "\"unterminated",
    // layout and oddities
    "\n", "\n\n", "\r\n", "\t", " ", "\\\n", "# comment\n", "## doc\n", "\u{0}", "\u{feff}", "é", "→",
    "\u{10ffff}", "ǅ",
];

/// The largest char boundary of `s` at or before `i`.
fn floor(s: &str, i: usize) -> usize {
    let mut i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[derive(Debug, Clone)]
enum Edit {
    Insert(Index, Vec<Index>),
    Delete(Index, usize),
    Duplicate(Index, usize, Index),
    Swap(Index, Index, usize),
    Truncate(Index),
    Splice(Index, Index, Index),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        4 => (any::<Index>(), prop::collection::vec(any::<Index>(), 1..4)).prop_map(|(a, t)| Edit::Insert(a, t)),
        3 => (any::<Index>(), 1usize..40).prop_map(|(a, n)| Edit::Delete(a, n)),
        1 => (any::<Index>(), 1usize..200, any::<Index>()).prop_map(|(a, n, b)| Edit::Duplicate(a, n, b)),
        1 => (any::<Index>(), any::<Index>(), 1usize..60).prop_map(|(a, b, n)| Edit::Swap(a, b, n)),
        1 => any::<Index>().prop_map(Edit::Truncate),
        1 => (any::<Index>(), any::<Index>(), any::<Index>()).prop_map(|(a, s, b)| Edit::Splice(a, s, b)),
    ]
}

fn apply(text: &mut String, e: &Edit) {
    let at = |i: &Index, s: &str| floor(s, i.index(s.len() + 1));
    match e {
        Edit::Insert(i, toks) => {
            let p = at(i, text);
            let ins: String = toks
                .iter()
                .map(|t| format!(" {}", TOKENS[t.index(TOKENS.len())]))
                .collect();
            text.insert_str(p, &ins);
        }
        Edit::Delete(i, n) => {
            let p = at(i, text);
            let q = floor(text, p + n);
            text.replace_range(p..q, "");
        }
        Edit::Duplicate(i, n, to) => {
            let p = at(i, text);
            let q = floor(text, p + n);
            let piece = text[p..q].to_string();
            let t = at(to, text);
            text.insert_str(t, &piece);
        }
        Edit::Swap(a, b, n) => {
            let (mut p, mut q) = (at(a, text), at(b, text));
            if p > q {
                std::mem::swap(&mut p, &mut q);
            }
            let p_end = floor(text, (p + n).min(q));
            let q_end = floor(text, q + n);
            let (first, second) = (text[p..p_end].to_string(), text[q..q_end].to_string());
            text.replace_range(q..q_end, &first);
            text.replace_range(p..p_end, &second);
        }
        Edit::Truncate(i) => {
            let p = at(i, text);
            text.truncate(p);
        }
        Edit::Splice(i, seed, from) => {
            let other = SEEDS[seed.index(SEEDS.len())];
            let p = at(i, text);
            let f = at(from, other);
            text.truncate(p);
            text.push_str(&other[f..]);
        }
    }
}

/// Runs everything the CLI runs on a program; a panic fails the property.
fn pipeline(files: Vec<SourceFile>) {
    let c = check(files);
    let objects = lower_istio(&c);
    assert_eq!(
        objects.is_some(),
        !c.has_errors(),
        "objects exactly when there is no error"
    );
    if let Some(objects) = objects {
        let stream = backend::stream(&objects);
        // Each document is one `---` line plus its own lines, none of which ends the document.
        let separators = stream.lines().filter(|l| *l == "---" || l.starts_with("--- ")).count();
        assert_eq!(separators, objects.len(), "a document breaks the stream:\n{stream}");
    }
    let _ = report::human(&c.files, &c.diagnostics, false);
    let _ = report::json(&c.files, &c.diagnostics);
}

fn one(text: String) -> Vec<SourceFile> {
    vec![SourceFile {
        path: "main.mesh".to_string(),
        text,
    }]
}

/// Splits `text` at up to two char boundaries into that many files.
fn split(text: &str, cuts: &[Index]) -> Vec<SourceFile> {
    let mut points: Vec<usize> = cuts.iter().map(|c| floor(text, c.index(text.len() + 1))).collect();
    points.sort_unstable();
    let mut files = Vec::new();
    let mut start = 0;
    for (n, p) in points.into_iter().chain([text.len()]).enumerate() {
        files.push(SourceFile {
            path: format!("part{n}.mesh"),
            text: text[start..p].to_string(),
        });
        start = p;
    }
    files
}

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    ProptestConfig {
        cases,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_text(text in any::<String>()) {
        pipeline(one(text));
    }

    #[test]
    fn arbitrary_ascii_lines(text in "[ -~\n\t]{0,400}") {
        pipeline(one(text));
    }

    #[test]
    fn token_soup(
        toks in prop::collection::vec(any::<Index>(), 0..120),
        seps in prop::collection::vec(prop_oneof![Just(" "), Just(""), Just("\n")], 120),
    ) {
        let text: String = toks
            .iter()
            .zip(&seps)
            .map(|(t, s)| format!("{}{s}", TOKENS[t.index(TOKENS.len())]))
            .collect();
        pipeline(one(text));
    }

    #[test]
    fn token_soup_in_a_service(toks in prop::collection::vec(any::<Index>(), 0..40), blocky in any::<bool>()) {
        let body: String = toks.iter().map(|t| format!("{} ", TOKENS[t.index(TOKENS.len())])).collect();
        let text = if blocky {
            format!("namespace a {{\n  service s {{\n    port 80 http\n    subsets version: v1, v2\n    route {{\n      {body}\n    }}\n  }}\n}}\n")
        } else {
            format!("namespace a {{\n  service s {{\n    port 80 http\n    {body}\n  }}\n}}\n")
        };
        pipeline(one(text));
    }

    #[test]
    fn mutated_programs(
        seed in any::<Index>(),
        edits in prop::collection::vec(edit(), 1..8),
        cuts in prop::collection::vec(any::<Index>(), 0..3),
    ) {
        let mut text = SEEDS[seed.index(SEEDS.len())].to_string();
        for e in &edits {
            apply(&mut text, e);
        }
        pipeline(split(&text, &cuts));
    }

    #[test]
    fn duplicated_across_files(seed in any::<Index>(), other in any::<Index>(), copies in 1usize..4) {
        let mut files: Vec<SourceFile> = (0..copies)
            .map(|n| SourceFile { path: format!("copy{n}.mesh"), text: SEEDS[seed.index(SEEDS.len())].to_string() })
            .collect();
        files.push(SourceFile { path: "other.mesh".to_string(), text: SEEDS[other.index(SEEDS.len())].to_string() });
        pipeline(files);
    }
}

#[test]
fn seeds_behave_as_documented() {
    let c = check(one(FULL.to_string()));
    assert!(
        c.diagnostics.is_empty(),
        "FULL has diagnostics: {}",
        report::human(&c.files, &c.diagnostics, false)
    );
    assert!(lower_istio(&c).is_some_and(|o| !o.is_empty()));
    let c = check(one(SMALL.to_string()));
    assert!(!c.has_errors(), "{}", report::human(&c.files, &c.diagnostics, false));
    // Edge cases that are easy to get wrong, run once each.
    for text in [
        "",
        "\n",
        "{",
        "}",
        "namespace",
        "namespace a {",
        "\"",
        "#",
        "\u{feff}",
        "\r",
        "\\",
    ] {
        pipeline(one(text.to_string()));
    }
    pipeline(Vec::new());
}
