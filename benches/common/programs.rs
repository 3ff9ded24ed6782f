//! The generated programs of the benchmarks (benches/compile.rs,
//! tests/lsp_perf.rs; docs/performance.md): one generator, so both measure the same thing.

/// N services, each with 3 subsets, a header route, a 90/10 default,
/// retries, limits, outlier ejection and one allow rule, spread over
/// namespaces of 50.
pub fn generate(n: usize) -> String {
    let mut s = String::with_capacity(n * 400);
    for ns in 0..n.div_ceil(50) {
        s.push_str(&format!("namespace team-{ns} {{\n"));
        for i in ns * 50..((ns + 1) * 50).min(n) {
            let caller = if i % 50 == 0 { i + 1 } else { i - 1 };
            s.push_str(&format!(
                "  service svc-{i} {{
    port 8080 http
    subsets version: v1, v2, v3
    retries 3 per_try 2s on gateway_error, connect_failure
    limits {{ max_connections 100; max_pending 10 }}
    eject {{ consecutive_5xx 5; interval 10s; base_time 30s }}
    route {{
      when header \"x-canary\" == \"true\" => v3
      default => v1 90%, v2 10%
    }}
    allow from service svc-{caller} to method GET, POST
  }}
"
            ));
        }
        s.push_str("}\n");
    }
    s
}
