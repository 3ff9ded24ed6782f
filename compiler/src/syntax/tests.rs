//! The fast path must build exactly the AST pest builds, and produce exactly
//! pest's diagnostics (it never reports errors itself).

use super::parser::parse_with;
use proptest::prelude::*;

fn same(text: &str) {
    let (fast, fast_diags) = parse_with(0, text, true);
    let (pest, pest_diags) = parse_with(0, text, false);
    if fast.items != pest.items {
        let f = format!("{:#?}", fast.items);
        let p = format!("{:#?}", pest.items);
        let line = f.lines().zip(p.lines()).position(|(a, b)| a != b).unwrap_or(0);
        let ctx = |s: &str| {
            s.lines()
                .skip(line.saturating_sub(12))
                .take(16)
                .collect::<Vec<_>>()
                .join("\n")
        };
        panic!(
            "ASTs differ for:\n{text}\n--- fast:\n{}\n--- pest:\n{}",
            ctx(&f),
            ctx(&p)
        );
    }
    assert_eq!(fast_diags, pest_diags, "diagnostics differ for:\n{text}");
}

fn corpus() -> Vec<String> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let mut out = Vec::new();
    for dir in ["stdlib", "compiler/tests/diagnostics"] {
        collect(&format!("{root}/{dir}"), &mut out);
    }
    if let Ok(entries) = std::fs::read_dir(format!("{root}/examples")) {
        for e in entries.flatten() {
            collect(&e.path().to_string_lossy(), &mut out);
        }
    }
    out
}

fn collect(dir: &str, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut paths: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for p in paths {
        if p.extension().is_some_and(|e| e == "mesh") {
            if let Ok(t) = std::fs::read_to_string(&p) {
                out.push(t);
            }
        }
    }
}

#[test]
fn fast_path_agrees_with_pest_on_the_corpus() {
    let corpus = corpus();
    assert!(corpus.len() > 10, "corpus not found");
    for text in &corpus {
        same(text);
    }
}

#[test]
fn fast_path_agrees_on_tricky_spellings() {
    for text in [
        "namespace a {\n service b {\n port 80 http { balance random }\n subsets version: v1, v2\n subset c version=1.2.3, \"app.kubernetes.io/name\"=x\n }\n}\n",
        "namespace a { service b { route { when path prefix \"/x\" ignore_case and method GET, POST => v1 port 80 rest, service c.d:v2 10% timeout 1s { retries off } } } }",
        "namespace a { service b { route { when not header \"x\" or not header \"y\" == \"z\" => redirect \"/n\" code 301 } } }",
        "profile p(a: int = 3, b: duration = 2s,\n c: percent = 1.5%) {\n retries a per_try b on gateway_error\n}\nuse std.resilient\n",
        "namespace a { egress namespace ., istio-system\n service b { egress service c.d, e\n use std.fail_fast(deadline: 1s)\n use p(2, x) } }",
        "namespace a { service b { route { when path prefix => v1 } } }",
        "namespace a { service b { timeout 5 } }",
        "namespace a { service b { request set header \"a\" \"b\"; mirror v2 5% } }",
        "mesh { domain \"x.local\"; retries 2 on connect_failure }\n",
        "namespace a { service b { sticky cookie \"s\" ttl 1h path \"/\" ring 1024 } }",
        "namespace a { service b { endpoint \"10.0.0.1\" port 80 labels a=b weight 3 } }",
        "namespace a { service b { tls mutual cert \"/c\" key \"/k\" san \"x\" san \"y\" } }",
        "namespace a { service b { limits { max_connections n; idle_timeout 1h } } }",
        "namespace a { service b {\n  # comment { with braces }\n  port 80 \\\n http\n} }",
        "namespace a { service b { when path \"/x\" => v2 timeout 1s } }",
        "namespace a { service b { route { default => stable rest, canary weight } } }",
        "namespace a { service b { allow from service c, d.e and not namespace f or principal \"p\" to method GET, HEAD and path \"/a/*\" or port 80 when claim \"a\" \"b\" contains \"x\" and header \"h\" not in \"1\", \"2\" } }",
        "namespace a { service b { deny from not jwt \"i/s\" and ip \"10.0.0.0/8\"; audit to not host \"h\"; allow all; allow nothing; allow when source_ip == \"1.2.3.4\" } }",
        "namespace a { authenticate jwt g, h\n require jwt\n mtls strict }\njwt g { issuer \"https://x\"; from header \"a\" prefix \"b\"; claim \"c\" to header \"d\" }",
        "namespace a { service b { allow } }",
        "namespace a { service b { allow when claim contains \"x\" } }",
    ] {
        same(text);
    }
}

const TOKENS: &[&str] = &[
    "namespace",
    "service",
    "external",
    "route",
    "when",
    "default",
    "=>",
    "{",
    "}",
    "(",
    ")",
    ",",
    ";",
    ":",
    "=",
    "==",
    ".",
    "\n",
    " ",
    "port",
    "80",
    "http",
    "v1",
    "90%",
    "10%",
    "rest",
    "2s",
    "1.5s",
    "\"/a\"",
    "\"x\"",
    "path",
    "prefix",
    "regex",
    "header",
    "present",
    "and",
    "or",
    "not",
    "method",
    "GET",
    "subsets",
    "version",
    "subset",
    "timeout",
    "retries",
    "per_try",
    "on",
    "off",
    "use",
    "std",
    "mesh",
    "profile",
    "limits",
    "eject",
    "max_connections",
    "tls",
    "simple",
    "sticky",
    "cookie",
    "egress",
    "mirror",
    "#c",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn fast_path_agrees_on_token_soup(tokens in proptest::collection::vec(0..TOKENS.len(), 0..60)) {
        let text: String = tokens.iter().map(|i| TOKENS[*i]).collect::<Vec<_>>().join(" ");
        same(&text);
    }

    #[test]
    fn fast_path_agrees_on_mutated_programs(which in 0usize..1000, cut in 0usize..4000, len in 0usize..40, insert in 0..TOKENS.len()) {
        let corpus = corpus();
        let base = &corpus[which % corpus.len()];
        let mut at = cut.min(base.len());
        while !base.is_char_boundary(at) { at -= 1; }
        let mut end = (at + len).min(base.len());
        while !base.is_char_boundary(end) { end -= 1; }
        let text = format!("{}{}{}", &base[..at], TOKENS[insert], &base[end.max(at)..]);
        same(&text);
    }
}
