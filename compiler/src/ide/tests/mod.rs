//! IDE-layer tests. Fixtures are programs with a cursor marker `$0`; several
//! files are separated by `--- NAME.mesh` lines.

mod complete;
mod hover;
mod navigate;
mod outline;

use super::Analysis;
use crate::span::{FileId, SourceFile, Span};

const MARKER: &str = "$0";

/// The checked program, and the file and offset of the marker.
pub fn fixture(src: &str) -> (Analysis, FileId, usize) {
    let mut files = Vec::new();
    let mut cursor = None;
    for (i, part) in split(src).into_iter().enumerate() {
        let (path, mut text) = part;
        if let Some(at) = text.find(MARKER) {
            text.replace_range(at..at + MARKER.len(), "");
            cursor = Some((i, at));
        }
        files.push(SourceFile { path, text });
    }
    let (i, offset) = cursor.unwrap_or((0, 0));
    let path = files[i].path.clone();
    let a = Analysis::new(files);
    let file = a.file(&path).expect("fixture file");
    (a, file, offset)
}

fn split(src: &str) -> Vec<(String, String)> {
    if !src.starts_with("--- ") {
        return vec![("main.mesh".into(), src.to_string())];
    }
    src.split("--- ")
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (name, text) = p.split_once('\n').unwrap_or((p, ""));
            (name.trim().to_string(), text.to_string())
        })
        .collect()
}

/// `path:text` of a span, for readable assertions.
pub fn show(a: &Analysis, s: Span) -> String {
    format!(
        "{}:{}",
        a.compilation.files[s.file as usize].path,
        &a.text(s.file)[s.range()]
    )
}

/// Where `needle` (the `n`th occurrence, from 0) stands in the file of this path.
pub fn find(a: &Analysis, path: &str, needle: &str, n: usize) -> Span {
    let file = a.file(path).expect("file");
    let text = a.text(file);
    let start = text.match_indices(needle).nth(n).expect("needle").0;
    Span::new(file, start, start + needle.len())
}

pub const SHOP: &str = r#"--- a.mesh
use std.resilient
## Checks the token of every caller.
jwt auth {
  issuer "https://auth.example.com"
}
## Short timeouts for the hot path.
profile quick(t: duration = 1s, n: int = 2) {
  timeout t
  retries n
}
namespace shop {
  ## The storefront.
  service web {
    port 80 http
    subsets version: v1, v2
    subset canary version=v3 {
      balance random
    }
    use quick(t: 2s)
    authenticate jwt auth
    route {
      when header "x-beta" present => canary
      when path prefix "/api/" => service api:stable
      default => v1 90%, v2 rest
    }
  }
}
--- b.mesh
namespace shop {
  service api {
    port 8080 grpc
    subset stable version=s
    use resilient
    egress service web
  }
  external maps {
    host "maps.example.com"
    port 443 https
  }
}
"#;
