//! The name stage's table of resolved names (`Mesh::references`), which the
//! IDE layer reads for definition, references and rename.

use meshc_compiler::ir::RefKind;
use meshc_compiler::{check, SourceFile};

const A: &str = r#"use std.resilient
jwt auth {
  issuer "https://auth.example.com"
}
profile quick() {
  timeout 1s
}
namespace shop {
  service web {
    port 80 http
    subsets version: v1, v2
    use quick
    use std.fail_fast
    authenticate jwt auth
    route {
      when from service api => v2
      default => v1 90%, service api.shop:stable rest
    }
  }
}
"#;

const B: &str = r#"namespace shop {
  service api {
    port 80 http
    subset stable version=s
    use resilient
    egress service web, web.shop
  }
}
"#;

/// `(kind, file, site text, target text)` of every reference.
fn references(files: &[(&str, &str)]) -> Vec<(RefKind, u32, String, String)> {
    let c = check(
        files
            .iter()
            .map(|(p, t)| SourceFile {
                path: p.to_string(),
                text: t.to_string(),
            })
            .collect(),
    );
    assert!(!c.has_errors(), "{:#?}", c.diagnostics);
    let text = |s: meshc_compiler::span::Span| c.files[s.file as usize].text[s.range()].to_string();
    c.mesh
        .references
        .iter()
        .map(|r| (r.kind, r.site.file, text(r.site), text(r.target)))
        .collect()
}

#[test]
fn every_resolved_name_is_recorded_once() {
    let refs = references(&[("a.mesh", A), ("b.mesh", B)]);
    let mut got: Vec<String> = refs
        .iter()
        .map(|(k, f, site, target)| format!("{k:?} {f} {site} -> {target}"))
        .collect();
    got.sort();
    let want = [
        "Profile 0 fail_fast -> fail_fast",
        "Profile 0 quick -> quick",
        "Profile 0 resilient -> resilient",
        "Profile 1 resilient -> resilient",
        "Provider 0 auth -> auth",
        "Service 0 api -> api",
        "Service 0 api -> api",
        "Service 1 web -> web",
        "Service 1 web -> web",
        "Subset 0 stable -> stable",
        "Subset 0 v1 -> v1",
        "Subset 0 v2 -> v2",
    ];
    assert_eq!(got, want);
}
