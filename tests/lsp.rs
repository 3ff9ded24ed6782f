//! Protocol tests: the real `meshc lsp` over stdio, driven by a small
//! JSON-RPC client (tests/lsp/client.rs).

#[path = "lsp/client.rs"]
#[allow(dead_code)] // Each test crate uses a part of the client.
mod client;

use std::path::Path;

use client::{pos, position_of, uri, Client};
use serde_json::{json, Value};

const A: &str = r#"namespace shop {
  service web {
    port 80 http
    subsets version: v1, v2
    route {
      when path prefix "/api/" => service api:stable
      default => v1 90%, v2 rest
    }
  }
}
"#;

const B: &str = r#"namespace shop {
  service api {
    port 8080 http
    subset stable version=s
    egress service web
  }
}
"#;

/// A program directory with `a.mesh` and `b.mesh`; their URIs.
fn program(a: &str, b: &str) -> (tempfile::TempDir, String, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("a.mesh"), a).expect("write");
    std::fs::write(dir.path().join("b.mesh"), b).expect("write");
    let (ua, ub) = (uri(&dir.path().join("a.mesh")), uri(&dir.path().join("b.mesh")));
    (dir, ua, ub)
}

fn open(c: &mut Client, uri: &str, text: &str) {
    let doc = json!({ "uri": uri, "languageId": "mesh", "version": 1, "text": text });
    c.notify("textDocument/didOpen", json!({ "textDocument": doc }));
}

fn change(c: &mut Client, uri: &str, version: i64, range: Option<Value>, text: &str) {
    let change = match range {
        Some(r) => json!({ "range": r, "text": text }),
        None => json!({ "text": text }),
    };
    let doc = json!({ "uri": uri, "version": version });
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": doc, "contentChanges": [change] }),
    );
}

fn at(uri: &str, p: Value) -> Value {
    json!({ "textDocument": { "uri": uri }, "position": p })
}

fn codes(diags: &[Value]) -> Vec<String> {
    diags
        .iter()
        .map(|d| d["code"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn initialize_announces_the_features() {
    let c = Client::start();
    let caps = &c.init["capabilities"];
    for k in [
        "hoverProvider",
        "completionProvider",
        "definitionProvider",
        "referencesProvider",
        "documentFormattingProvider",
        "documentSymbolProvider",
        "foldingRangeProvider",
        "codeActionProvider",
    ] {
        assert!(!caps[k].is_null(), "{k} missing: {caps}");
    }
    assert_eq!(caps["renameProvider"]["prepareProvider"], true);
    assert!(caps["semanticTokensProvider"]["legend"]["tokenTypes"]
        .as_array()
        .is_some_and(|t| !t.is_empty()));
    assert_eq!(c.stop(), Some(0));
}

#[test]
fn diagnostics_for_every_file_of_the_program() {
    let broken_b = B.replace("egress service web", "egress service webb");
    let (_dir, ua, ub) = program(A, &broken_b);
    let mut c = Client::start();
    open(&mut c, &ua, A);
    // b.mesh is not open, but it is part of the program.
    let b = c.diagnostics(&ub);
    assert_eq!(codes(&b), ["E0101"]);
    assert!(
        b[0]["message"].as_str().unwrap().contains("did you mean `web`?"),
        "{}",
        b[0]
    );
    assert_eq!(b[0]["range"]["start"], pos(4, 19));
    assert_eq!(c.diagnostics(&ua), Vec::<Value>::new());
    // An edit in a.mesh that breaks a reference: diagnostics with a related location.
    c.forget();
    change(
        &mut c,
        &ua,
        2,
        Some(json!({ "start": pos(6, 25), "end": pos(6, 27) })),
        "v3",
    );
    let a = c.diagnostics_until(&ua, |d| !d.is_empty());
    assert_eq!(codes(&a), ["E0101"]);
    let related = &a[0]["relatedInformation"][0];
    assert_eq!(related["location"]["uri"], ua.as_str());
    assert_eq!(c.stop(), Some(0));
}

#[test]
fn positions_are_utf16_with_crlf_and_non_ascii() {
    let text =
        "# é😀 a comment\r\nnamespace shop {\r\n  service web {\r\n    port 80 http\r\n    subsets v: one\r\n    \
                route {\r\n      when path \"/é😀\" ignore_case => nope\r\n      default => one\r\n    }\r\n  }\r\n}\r\n";
    let dir = tempfile::tempdir().expect("tempdir");
    let u = uri(&dir.path().join("x.mesh"));
    let mut c = Client::start();
    open(&mut c, &u, text);
    let d = c.diagnostics(&u);
    assert_eq!(codes(&d), ["E0101"]);
    // `nope` after `"é😀"`: é is one UTF-16 unit, 😀 two.
    assert_eq!(d[0]["range"]["start"], position_of(text, "nope", 0, 0));
    assert_eq!(d[0]["range"]["start"], pos(6, 38));
    assert_eq!(d[0]["range"]["end"], pos(6, 42));
    // Hover at a UTF-16 position after non-ASCII text: `ignore_case`.
    let h = c.call("textDocument/hover", at(&u, pos(6, 25)));
    assert!(h["contents"]["value"].as_str().unwrap().contains("ignores case"), "{h}");
    // Edits at UTF-16 positions: replace `nope` by `one`.
    change(
        &mut c,
        &u,
        2,
        Some(json!({ "start": pos(6, 38), "end": pos(6, 42) })),
        "one",
    );
    assert_eq!(c.diagnostics_until(&u, |d| d.is_empty()), Vec::<Value>::new());
    assert_eq!(c.stop(), Some(0));
}

#[test]
fn hover_definition_and_references() {
    let (_dir, ua, ub) = program(A, B);
    let mut c = Client::start();
    open(&mut c, &ua, A);
    let api = position_of(A, "api:stable", 0, 1);
    let h = c.call("textDocument/hover", at(&ua, api.clone()));
    let md = h["contents"]["value"].as_str().unwrap();
    assert!(
        md.contains("`api.shop.svc.cluster.local`") && md.contains("`stable`: `version=s`"),
        "{md}"
    );
    let def = c.call("textDocument/definition", at(&ua, api.clone()));
    assert_eq!(def["uri"], ub.as_str());
    assert_eq!(def["range"]["start"], position_of(B, "api", 0, 0));
    let mut params = at(&ua, position_of(A, "web", 0, 1));
    params["context"] = json!({ "includeDeclaration": true });
    let refs = c.call("textDocument/references", params);
    let uris: Vec<&str> = refs
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["uri"].as_str().unwrap())
        .collect();
    assert_eq!(uris, [ua.as_str(), ub.as_str()]);
    let none = c.call("textDocument/hover", at(&ua, pos(0, 0)));
    assert!(
        none["contents"]["value"].as_str().unwrap().contains("namespace"),
        "{none}"
    );
    assert_eq!(
        c.call("textDocument/hover", at("file:///nowhere/x.mesh", pos(0, 0))),
        Value::Null
    );
    assert_eq!(c.stop(), Some(0));
}

fn labels(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|items| {
            items
                .iter()
                .map(|i| i["label"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn completion_inside_a_broken_declaration() {
    let (_dir, ua, ub) = program(A, B);
    let mut c = Client::start();
    open(&mut c, &ub, B);
    assert_eq!(c.diagnostics(&ub), Vec::<Value>::new());
    // Type an unfinished route into `api`: the declaration no longer parses.
    let at_egress = position_of(B, "    egress", 0, 0);
    change(
        &mut c,
        &ub,
        2,
        Some(json!({ "start": at_egress, "end": at_egress })),
        "    route {\n      default => ",
    );
    assert_eq!(codes(&c.diagnostics_until(&ub, |d| !d.is_empty())), ["E0001"]);
    let got = labels(&c.call("textDocument/completion", at(&ub, pos(5, 17))));
    for want in ["stable", "service", "external", "redirect"] {
        assert!(got.iter().any(|g| g == want), "`{want}` not offered: {got:?}");
    }
    change(
        &mut c,
        &ub,
        3,
        Some(json!({ "start": pos(5, 17), "end": pos(5, 17) })),
        "service ",
    );
    let got = labels(&c.call("textDocument/completion", at(&ub, pos(5, 25))));
    assert!(got.iter().any(|g| g == "web"), "{got:?}");
    let _ = ua;
    assert_eq!(c.stop(), Some(0));
}

#[test]
fn rename_across_two_files() {
    let (_dir, ua, ub) = program(A, B);
    let mut c = Client::start();
    open(&mut c, &ua, A);
    let api = position_of(A, "api:stable", 0, 1);
    let r = c.call("textDocument/prepareRename", at(&ua, api.clone()));
    assert_eq!(r["start"], position_of(A, "api:stable", 0, 0));
    let mut params = at(&ua, api);
    params["newName"] = json!("backend");
    let edit = c.call("textDocument/rename", params.clone());
    let changes = edit["changes"].as_object().expect("changes");
    assert_eq!(changes.len(), 2);
    assert_eq!(changes[&ub][0]["newText"], "backend");
    assert_eq!(changes[&ub][0]["range"]["start"], position_of(B, "api", 0, 0));
    params["newName"] = json!("web");
    let refused = c.request("textDocument/rename", params);
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("would not compile"),
        "{refused}"
    );
    let refused = c.request("textDocument/prepareRename", at(&ua, position_of(A, "v1, v2", 0, 0)));
    assert!(refused.get("error").is_some(), "{refused}");
    assert_eq!(c.stop(), Some(0));
}

#[test]
fn formatting_and_preview() {
    let messy = "namespace shop { service web { port 80 http; timeout 1s } }";
    let dir = tempfile::tempdir().expect("tempdir");
    let u = uri(&dir.path().join("m.mesh"));
    let mut c = Client::start();
    open(&mut c, &u, messy);
    let edits = c.call(
        "textDocument/formatting",
        json!({ "textDocument": { "uri": u }, "options": { "tabSize": 2, "insertSpaces": true } }),
    );
    let want = meshc_compiler::fmt::format(messy).unwrap();
    assert_eq!(edits[0]["newText"], want.as_str());
    assert_eq!(edits[0]["range"]["end"], pos(0, messy.len() as u32));
    let preview = c.call("meshc/preview", json!({ "textDocument": { "uri": u } }));
    assert!(
        preview["yaml"].as_str().unwrap().contains("kind: VirtualService"),
        "{preview}"
    );
    change(&mut c, &u, 2, None, "namespace shop { service web { port http } }");
    let edits = c.call(
        "textDocument/formatting",
        json!({ "textDocument": { "uri": u }, "options": { "tabSize": 2, "insertSpaces": true } }),
    );
    assert_eq!(edits, Value::Null, "a file that does not parse is left alone");
    let preview = c.call("meshc/preview", json!({ "textDocument": { "uri": u } }));
    assert_eq!(preview["yaml"], Value::Null);
    assert_eq!(preview["errors"], 1);
    assert_eq!(c.stop(), Some(0));
}

#[test]
fn outline_tokens_folds_and_quick_fixes() {
    let (_dir, ua, _ub) = program(A, B);
    let mut c = Client::start();
    open(&mut c, &ua, &A.replace("=> v1 90%, v2 rest", "=> v1 80%, v2 10%"));
    let doc = json!({ "textDocument": { "uri": ua } });
    let symbols = c.call("textDocument/documentSymbol", doc.clone());
    assert_eq!(symbols[0]["name"], "shop");
    assert_eq!(symbols[0]["children"][0]["name"], "web");
    let tokens = c.call("textDocument/semanticTokens/full", doc.clone());
    assert_eq!(tokens["data"].as_array().unwrap().len() % 5, 0);
    assert!(tokens["data"].as_array().unwrap().len() > 50);
    let folds = c.call("textDocument/foldingRange", doc.clone());
    assert!(folds.as_array().unwrap().iter().any(|f| f["startLine"] == 0));
    let d = c.diagnostics(&ua);
    assert_eq!(codes(&d), ["E0301"]);
    let mut params = doc;
    params["range"] = d[0]["range"].clone();
    params["context"] = json!({ "diagnostics": d });
    let actions = c.call("textDocument/codeAction", params);
    assert_eq!(actions[0]["kind"], "quickfix");
    assert!(actions[0]["title"].as_str().unwrap().contains("20%"), "{actions}");
    assert_eq!(c.stop(), Some(0));
}

/// xorshift: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

const SNIPPETS: [&str; 16] = [
    "service x {",
    "}",
    "{",
    "\n",
    "\r\n",
    " => ",
    "port 80 http\n",
    "é😀",
    "\"",
    "#",
    "route { default => ",
    "use std.",
    "subsets v: a, b\n",
    ";",
    "\\\n",
    "when header \"x\" present => a 50%, b rest\n",
];

const REQUESTS: [&str; 9] = [
    "textDocument/hover",
    "textDocument/completion",
    "textDocument/definition",
    "textDocument/prepareRename",
    "textDocument/formatting",
    "textDocument/semanticTokens/full",
    "textDocument/documentSymbol",
    "textDocument/foldingRange",
    "meshc/preview",
];

#[test]
fn random_edits_never_kill_the_server() {
    let (_dir, ua, ub) = program(A, B);
    let mut c = Client::start();
    open(&mut c, &ua, A);
    open(&mut c, &ub, B);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut text_len_lines = 12u64;
    for version in 2..1500 {
        let uri = if rng.below(3) == 0 { &ub } else { &ua };
        // Positions may be past the end of a line or of the document.
        let lines = text_len_lines;
        let p = |rng: &mut Rng| pos(rng.below(lines + 3) as u32, rng.below(50) as u32);
        let start = p(&mut rng);
        let end = if rng.below(2) == 0 { start.clone() } else { p(&mut rng) };
        let snippet = SNIPPETS[rng.below(SNIPPETS.len() as u64) as usize];
        let insert = if rng.below(4) == 0 { "" } else { snippet };
        text_len_lines += insert.matches('\n').count() as u64;
        change(
            &mut c,
            uri,
            version,
            Some(json!({ "start": start, "end": end })),
            insert,
        );
        if version % 7 == 0 {
            let method = REQUESTS[rng.below(REQUESTS.len() as u64) as usize];
            let mut params = at(uri, p(&mut rng));
            params["options"] = json!({ "tabSize": 2, "insertSpaces": true });
            let r = c.request(method, params);
            assert!(r.get("result").is_some() || r.get("error").is_some(), "{method}: {r}");
        }
        if version % 50 == 0 {
            c.forget();
        }
    }
    assert!(c.alive());
    change(&mut c, &ua, 2000, None, A);
    change(&mut c, &ub, 2000, None, B);
    c.forget();
    let h = c.call("textDocument/hover", at(&ua, position_of(A, "api:stable", 0, 1)));
    assert!(h["contents"]["value"].as_str().is_some(), "{h}");
    assert_eq!(c.stop(), Some(0));
}

#[test]
fn documents_outside_any_program_directory() {
    let mut c = Client::start();
    let u = "untitled:Untitled-1";
    open(&mut c, u, "namespace a { service b { port 80 http } }");
    assert_eq!(c.diagnostics(u), Vec::<Value>::new());
    let h = c.call("textDocument/hover", at(u, pos(0, 2)));
    assert!(h["contents"]["value"].as_str().unwrap().contains("namespace"), "{h}");
    let _ = Path::new("");
    assert_eq!(c.stop(), Some(0));
}
