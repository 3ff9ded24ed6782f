//! The IDE layer and the formatter never panic: every feature, at any offset,
//! on valid programs broken by random edits (as an editor sees them while a
//! user types) and on arbitrary text. `PROPTEST_CASES=N` sets the cases.

use meshc_compiler::fmt::format;
use meshc_compiler::ide::Analysis;
use meshc_compiler::span::{SourceFile, Span};
use proptest::prelude::*;
use proptest::sample::Index;

const SEED: &str = r#"use std.resilient
jwt auth {
  issuer "https://auth.example.com"
}
## Doc.
profile quick(t: duration = 1s, n: int = 2) {
  timeout t
  retries n
}
namespace shop {
  service web {
    port 80 http
    subsets version: v1, v2
    subset canary version=v3 { balance random }
    use quick(t: 2s)
    authenticate jwt auth
    route {
      when header "x-beta" present => canary
      when path prefix "/api/" => service api:stable
      default => v1 90%, v2 10%
    }
  }
  service api {
    port 8080 grpc
    subset stable version=s
    use resilient
    egress service web, web.shop
  }
}
"#;

const PIECES: &[&str] = &[
    " ", "\n", "\r\n", "{", "}", "(", ")", ",", ":", ";", "=>", "=", "\"", "#", "\\\n", ".", "é😀", "service ",
    "subset ", "route ", "when ", "default ", "use ", "std.", "web", "api", "v1", "canary", "rest", "10%", "1s",
];

fn edited(edits: &[(Index, Index, usize)]) -> String {
    let mut text = SEED.to_string();
    for (at, piece, delete) in edits {
        let mut p = at.index(text.len() + 1);
        while !text.is_char_boundary(p) {
            p -= 1;
        }
        let mut q = (p + delete).min(text.len());
        while !text.is_char_boundary(q) {
            q += 1;
        }
        text.replace_range(p..q, PIECES[piece.index(PIECES.len())]);
    }
    text
}

/// Every feature at every given offset (and past the end).
fn exercise(text: &str, offsets: &[Index]) {
    let other = SourceFile {
        path: "other.mesh".into(),
        text: "namespace shop {\n  service other {\n    port 80 http\n  }\n}\n".into(),
    };
    let a = Analysis::new(vec![
        SourceFile {
            path: "main.mesh".into(),
            text: text.to_string(),
        },
        other.clone(),
    ]);
    let stale = Analysis::new(vec![
        SourceFile {
            path: "main.mesh".into(),
            text: SEED.into(),
        },
        other,
    ]);
    let file = a.file("main.mesh").expect("file");
    let _ = a.document_symbols(file);
    let _ = a.semantic_tokens(file);
    let _ = a.folding_ranges(file);
    for i in offsets {
        let offset = i.index(text.len() + 3);
        let _ = a.hover(file, offset);
        let _ = a.completions(file, offset, Some(&stale));
        let _ = a.definition(file, offset);
        let _ = a.references(file, offset, true);
        if a.prepare_rename(file, offset).is_ok() {
            let _ = a.rename(file, offset, "renamed");
        }
        let end = (offset + 20).min(text.len()) as u32;
        let _ = a.code_actions(Span {
            file,
            start: (offset as u32).min(end),
            end,
        });
    }
    if let Ok(out) = format(text) {
        assert_eq!(format(&out), Ok(out.clone()), "not idempotent");
    }
}

proptest! {
    #[test]
    fn features_on_a_program_being_typed(
        edits in prop::collection::vec((any::<Index>(), any::<Index>(), 0usize..8), 0..12),
        offsets in prop::collection::vec(any::<Index>(), 1..6),
    ) {
        exercise(&edited(&edits), &offsets);
    }

    #[test]
    fn features_on_arbitrary_text(
        text in "(\\PC|[ \n{}();,:=#\"\\\\.]|service|route|=>|subset|use )*",
        offsets in prop::collection::vec(any::<Index>(), 1..4),
    ) {
        exercise(&text, &offsets);
    }
}
