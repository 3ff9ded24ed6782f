//! A minimal LSP client for tests: spawns `meshc lsp`, writes
//! Content-Length framed JSON-RPC to its stdin and reads its stdout on a thread.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

pub const TIMEOUT: Duration = Duration::from_secs(30);

pub struct Client {
    child: Child,
    stdin: ChildStdin,
    rx: Receiver<Value>,
    next_id: i64,
    /// Notifications received while waiting for responses, oldest first.
    pub notifications: Vec<Value>,
    /// The result of `initialize`.
    pub init: Value,
}

fn read_message(r: &mut impl BufRead) -> Option<Value> {
    let mut len = None;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(v) = line.strip_prefix("Content-Length: ") {
            len = v.parse::<usize>().ok();
        }
    }
    let mut body = vec![0; len?];
    r.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

impl Client {
    pub fn start() -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_meshc"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("meshc lsp starts");
        let stdin = child.stdin.take().expect("stdin");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            while let Some(msg) = read_message(&mut stdout) {
                if tx.send(msg).is_err() {
                    break;
                }
            }
        });
        let mut c = Client {
            child,
            stdin,
            rx,
            next_id: 1,
            notifications: Vec::new(),
            init: Value::Null,
        };
        c.init = c.call(
            "initialize",
            json!({ "capabilities": {}, "processId": null, "rootUri": null }),
        );
        c.notify("initialized", json!({}));
        c
    }

    fn send(&mut self, msg: Value) {
        let body = msg.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).expect("server reads");
        self.stdin.flush().expect("flush");
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// The whole response (`result` or `error`) to a request.
    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let msg = self
                .next(deadline)
                .unwrap_or_else(|| panic!("no answer to {method} in {TIMEOUT:?}"));
            if msg.get("id") == Some(&json!(id)) && msg.get("method").is_none() {
                return msg;
            }
            self.keep(msg);
        }
    }

    /// The result of a request that must succeed.
    pub fn call(&mut self, method: &str, params: Value) -> Value {
        let r = self.request(method, params);
        r.get("result")
            .cloned()
            .unwrap_or_else(|| panic!("{method} failed: {r}"))
    }

    fn next(&mut self, deadline: Instant) -> Option<Value> {
        self.rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .ok()
    }

    fn keep(&mut self, msg: Value) {
        // Requests from the server (none expected) are answered with null.
        if let (Some(id), Some(_)) = (msg.get("id").cloned(), msg.get("method")) {
            self.send(json!({ "jsonrpc": "2.0", "id": id, "result": null }));
        } else {
            self.notifications.push(msg);
        }
    }

    /// The diagnostics last published for `uri`, waiting for some if none came yet.
    pub fn diagnostics(&mut self, uri: &str) -> Vec<Value> {
        self.diagnostics_until(uri, |_| true)
    }

    /// The diagnostics last published for `uri` once `ok` accepts them, waiting for them.
    pub fn diagnostics_until(&mut self, uri: &str, ok: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let deadline = Instant::now() + TIMEOUT;
        let mut last = None;
        loop {
            let published = |n: &&Value| n["method"] == "textDocument/publishDiagnostics" && n["params"]["uri"] == uri;
            if let Some(n) = self.notifications.iter().rev().find(published) {
                let d = n["params"]["diagnostics"].as_array().cloned().unwrap_or_default();
                if ok(&d) {
                    return d;
                }
                last = Some(d);
            }
            let msg = self
                .next(deadline)
                .unwrap_or_else(|| panic!("no diagnostics as expected for {uri}; last: {last:?}"));
            self.keep(msg);
        }
    }

    /// Drops the notifications received so far.
    pub fn forget(&mut self) {
        while let Ok(msg) = self.rx.try_recv() {
            self.keep(msg);
        }
        self.notifications.clear();
    }

    /// The server's resident memory in KiB (Linux), if known.
    pub fn rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }

    /// Whether the server process is still running.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// `shutdown` then `exit`; the exit status code.
    pub fn stop(mut self) -> Option<i32> {
        let r = self.request("shutdown", Value::Null);
        assert!(r.get("result").is_some(), "shutdown failed: {r}");
        self.notify("exit", Value::Null);
        let deadline = Instant::now() + TIMEOUT;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        None
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn uri(path: &std::path::Path) -> String {
    format!("file://{}", path.display())
}

pub fn pos(line: u32, character: u32) -> Value {
    json!({ "line": line, "character": character })
}

/// The LSP position of the `n`th occurrence of `needle` in `text` (plus `extra` UTF-16 units).
pub fn position_of(text: &str, needle: &str, n: usize, extra: u32) -> Value {
    let at = text.match_indices(needle).nth(n).expect("needle").0;
    let line = text[..at].matches('\n').count() as u32;
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    pos(line, text[start..at].encode_utf16().count() as u32 + extra)
}
