use super::super::{SymbolKind, TokenKind};
use super::{find, fixture, show, SHOP};

#[test]
fn document_symbols_nest() {
    let (a, _, _) = fixture(SHOP);
    let file = a.file("a.mesh").unwrap();
    let syms = a.document_symbols(file);
    let top: Vec<(&str, SymbolKind)> = syms.iter().map(|s| (s.name.as_str(), s.kind)).collect();
    assert_eq!(
        top,
        [
            ("std.resilient", SymbolKind::Import),
            ("auth", SymbolKind::Provider),
            ("quick", SymbolKind::Profile),
            ("shop", SymbolKind::Namespace),
        ]
    );
    assert_eq!(syms[2].detail.as_deref(), Some("(t: duration = 1s, n: int = 2)"));
    let web = &syms[3].children[0];
    assert_eq!((web.name.as_str(), web.kind), ("web", SymbolKind::Service));
    let children: Vec<&str> = web.children.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(children, ["port 80 http", "v1", "v2", "canary", "route"]);
    for s in syms.iter().chain(&syms[3].children).chain(&web.children) {
        assert!(
            s.span.start <= s.selection.start && s.selection.end <= s.span.end,
            "{s:?}"
        );
    }
}

#[test]
fn folding_ranges_cover_blocks_and_comment_runs() {
    let src = "# one\n# two\n\n# alone\nnamespace a {\n  service b { port 80 http }\n  service c {\n    port 80 http\n  }\n}\n";
    let (a, file, _) = fixture(src);
    let folds: Vec<(String, bool)> = a
        .folding_ranges(file)
        .iter()
        .map(|f| {
            (
                src[f.start as usize..f.end as usize]
                    .lines()
                    .next()
                    .unwrap_or("")
                    .to_string(),
                f.comment,
            )
        })
        .collect();
    assert_eq!(
        folds,
        [
            ("# one".to_string(), true),
            ("{".to_string(), false),
            ("{".to_string(), false)
        ]
    );
}

#[test]
fn semantic_tokens_classify_words() {
    let (a, _, _) = fixture(SHOP);
    let file = a.file("a.mesh").unwrap();
    let toks = a.semantic_tokens(file);
    // The token of `word` inside the first `context`.
    let kind_of = |context: &str, word: &str| {
        let c = find(&a, "a.mesh", context, 0);
        let start = c.start + a.text(file)[c.range()].find(word).expect("word in context") as u32;
        let span = crate::span::Span {
            start,
            end: start + word.len() as u32,
            ..c
        };
        toks.iter().find(|t| t.span == span).map(|t| (t.kind, t.declaration))
    };
    assert_eq!(kind_of("service web", "web"), Some((TokenKind::Service, true)));
    assert_eq!(kind_of("api:", "api"), Some((TokenKind::Service, false)));
    assert_eq!(kind_of("api:stable", "stable"), Some((TokenKind::Subset, false)));
    assert_eq!(kind_of("use quick", "quick"), Some((TokenKind::Profile, false)));
    assert_eq!(kind_of("jwt auth\n", "auth"), Some((TokenKind::Provider, false)));
    assert_eq!(kind_of("std.resilient", "resilient"), Some((TokenKind::Profile, false)));
    assert_eq!(kind_of("std", "std"), Some((TokenKind::Keyword, false)));
    assert_eq!(kind_of("route", "route"), Some((TokenKind::Keyword, false)));
    assert_eq!(kind_of("random", "random"), Some((TokenKind::Value, false)));
    assert_eq!(kind_of("80 http", "http"), Some((TokenKind::Value, false)));
    assert_eq!(kind_of("90%", "90%"), Some((TokenKind::Number, false)));
    assert_eq!(kind_of("\"/api/\"", "\"/api/\""), Some((TokenKind::String, false)));
    assert_eq!(kind_of("=>", "=>"), Some((TokenKind::Operator, false)));
    assert_eq!(kind_of("namespace shop", "shop"), Some((TokenKind::Namespace, false)));
    let t_use = find(&a, "a.mesh", "timeout t", 0);
    let param = toks.iter().find(|t| t.span.start == t_use.start + 8).map(|t| t.kind);
    assert_eq!(param, Some(TokenKind::Parameter));
    let comment = find(&a, "a.mesh", "## Checks", 0);
    assert!(toks
        .iter()
        .any(|t| t.span.start == comment.start && t.kind == TokenKind::Comment));
    for w in toks.windows(2) {
        assert!(w[0].span.end <= w[1].span.start, "overlap: {w:?}");
    }
}

#[test]
fn quick_fixes() {
    let src = "namespace a {\n  service b {\n    port 80 http\n    subsets v: one, two\n    route {\n      when port 80 => tow\n      default => one 80%, two 10%\n    }\n  }\n}\n";
    let (a, file, _) = fixture(src);
    let typo = find(&a, "main.mesh", "tow", 0);
    let actions = a.code_actions(typo);
    assert_eq!(actions.len(), 1, "{actions:?}");
    assert_eq!(actions[0].title, "Change to `two`");
    assert_eq!(show(&a, actions[0].edits[0].span), "main.mesh:tow");
    let split = find(&a, "main.mesh", "one 80%", 0);
    let actions = a.code_actions(split);
    let titles: Vec<&str> = actions.iter().map(|c| c.title.as_str()).collect();
    assert_eq!(
        titles,
        [
            "Set the last weight to 20% so the weights add up to 100%",
            "Give the last destination the rest (20%)"
        ]
    );
    assert_eq!(show(&a, actions[0].edits[0].span), "main.mesh:10%");
    assert_eq!(actions[0].edits[0].text, "20%");
    assert!(a.code_actions(find(&a, "main.mesh", "namespace", 0)).is_empty());
    let _ = file;
}
