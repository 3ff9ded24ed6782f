//! Latency of the real `meshc lsp` on a generated program (docs/editors.md):
//! open, edit -> published diagnostics (p50/p99), hover and completion, and
//! the server's memory. Ignored by default; measure with a release build:
//!
//! `cargo test --release --test lsp_perf -- --ignored --nocapture`
//!
//! `MESHC_LSP_LINES` sets the program's size (default 10,000 lines).

#[path = "lsp/client.rs"]
#[allow(dead_code)] // Each test crate uses a part of the client.
mod client;
#[path = "../benches/common/programs.rs"]
mod programs;

use std::time::{Duration, Instant};

use client::{pos, uri, Client};
use serde_json::{json, Value};

/// About `lines` lines: services of 12 lines in namespaces of 50 (with their braces).
fn program(lines: usize) -> String {
    programs::generate(lines * 50 / (12 * 50 + 2))
}

fn percentile(v: &mut [Duration], p: usize) -> Duration {
    v.sort();
    v[(v.len() * p / 100).min(v.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// Waits for the next diagnostics of `uri` published after this call.
fn next_diagnostics(c: &mut Client, uri: &str) -> Vec<Value> {
    c.notifications.clear();
    c.diagnostics(uri)
}

#[test]
#[ignore = "a measurement: run with --release -- --ignored --nocapture"]
fn edit_to_diagnostics_latency() {
    let lines: usize = std::env::var("MESHC_LSP_LINES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let text = program(lines);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("big.mesh");
    std::fs::write(&path, &text).expect("write");
    let u = uri(&path);
    let mut c = Client::start();

    let t = Instant::now();
    let doc = json!({ "uri": u, "languageId": "mesh", "version": 1, "text": text });
    c.notify("textDocument/didOpen", json!({ "textDocument": doc }));
    let first = next_diagnostics(&mut c, &u);
    let open = t.elapsed();
    assert!(first.is_empty(), "{first:?}");

    // Toggle `=> v1` and `=> v9` in the middle of the file: each edit changes
    // the diagnostics, so each is answered by a publication.
    let at = text[..text.len() / 2].rfind("default => v1").expect("a default rule");
    let line = text[..at].matches('\n').count() as u32;
    let col = (at - text[..at].rfind('\n').map_or(0, |i| i + 1) + "default => v".len()) as u32;
    let range = json!({ "start": pos(line, col), "end": pos(line, col + 1) });
    let mut edits = Vec::new();
    for version in 2..202 {
        let digit = if version % 2 == 0 { "9" } else { "1" };
        let t = Instant::now();
        let change = json!({ "range": range, "text": digit });
        c.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": u, "version": version }, "contentChanges": [change] }),
        );
        let d = next_diagnostics(&mut c, &u);
        edits.push(t.elapsed());
        assert_eq!(d.len(), usize::from(digit == "9"), "{d:?}");
    }

    let mut hovers = Vec::new();
    let mut completions = Vec::new();
    for _ in 0..50 {
        let params = json!({ "textDocument": { "uri": u }, "position": pos(line, col) });
        let t = Instant::now();
        c.call("textDocument/hover", params.clone());
        hovers.push(t.elapsed());
        let t = Instant::now();
        let items = c.call("textDocument/completion", params);
        completions.push(t.elapsed());
        assert!(items.as_array().is_some_and(|i| !i.is_empty()));
    }
    let rss = c.rss_kib().unwrap_or(0);
    println!(
        "{} lines: open {}; edit -> diagnostics p50 {}, p99 {}; hover p50 {}; completion p50 {}; server RSS {} MB",
        text.lines().count(),
        ms(open),
        ms(percentile(&mut edits, 50)),
        ms(percentile(&mut edits, 99)),
        ms(percentile(&mut hovers, 50)),
        ms(percentile(&mut completions, 50)),
        rss / 1024
    );
    assert_eq!(c.stop(), Some(0));
}
