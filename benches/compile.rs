//! `cargo bench --bench compile`: compile time and peak memory on generated
//! programs of N services (see docs/performance.md). Prints medians; the
//! per-service cost is that of the real `meshc compile`.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use meshc_compiler::{self as compiler, SourceFile};

#[path = "common/programs.rs"]
mod programs;
use programs::generate;

// Same allocator as the `meshc` binary, so in-process figures match it.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> Duration {
    median(
        (0..runs)
            .map(|_| {
                let t = Instant::now();
                std::hint::black_box(f());
                t.elapsed()
            })
            .collect(),
    )
}

/// Runs `meshc CMD PATH` and returns its wall time and peak RSS (MiB), read
/// with wait4 for that child alone (std does not expose a child's rusage).
// The child is reaped by wait4 (which std cannot do with rusage), not by `wait()`.
#[allow(clippy::zombie_processes)]
fn run_child(exe: &str, cmd: &str, path: &std::path::Path) -> (Duration, f64) {
    let t = Instant::now();
    let child = Command::new(exe)
        .arg(cmd)
        .arg(path)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut status = 0;
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: waits for our own child; wait4 fills a plain struct we own.
    let usage = unsafe {
        let pid = libc::wait4(child.id() as libc::pid_t, &mut status, 0, usage.as_mut_ptr());
        assert!(pid > 0 && libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0);
        usage.assume_init()
    };
    (t.elapsed(), usage.ru_maxrss as f64 / 1024.0)
}

fn main() {
    let exe = env!("CARGO_BIN_EXE_meshc");
    let sizes = [100, 1000, 5000];
    // The real binary first, while this process is small: a child's peak RSS
    // counts what it shared with its parent before exec.
    let mut binary = Vec::new();
    for n in sizes {
        let dir = std::env::temp_dir().join(format!("meshc-bench-{n}"));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("gen.mesh");
        std::fs::File::create(&path)
            .unwrap()
            .write_all(generate(n).as_bytes())
            .unwrap();
        let runs = if n >= 5000 { 7 } else { 15 };
        let run = |cmd: &str| {
            let results: Vec<(Duration, f64)> = (0..runs).map(|_| run_child(exe, cmd, &path)).collect();
            let peak = results.iter().map(|r| r.1).fold(0.0, f64::max);
            (median(results.into_iter().map(|r| r.0).collect()), peak)
        };
        let (check, _) = run("check");
        let (compile, rss) = run("compile");
        binary.push((check, compile, rss));
    }
    println!(
        "{:>6} {:>8} {:>12} {:>12} {:>12} {:>12} {:>9} {:>12}",
        "N", "lines", "check", "compile", "meshc check", "meshc comp.", "comp. MB", "per service"
    );
    for (n, (bin_check, bin_compile, rss_mb)) in sizes.into_iter().zip(binary) {
        let src = generate(n);
        let files = vec![SourceFile {
            path: "gen.mesh".into(),
            text: src.clone(),
        }];
        let runs = if n >= 5000 { 7 } else { 15 };
        let check = time(runs, || compiler::check(files.clone()));
        let full = time(runs, || {
            let c = compiler::check(files.clone());
            compiler::backend::stream(&compiler::lower_istio(&c).expect("generated program compiles"))
        });
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        println!(
            "{n:>6} {:>8} {:>10.1}ms {:>10.1}ms {:>10.1}ms {:>10.1}ms {rss_mb:>9.1} {:>10.1}us",
            src.lines().count(),
            ms(check),
            ms(full),
            ms(bin_check),
            ms(bin_compile),
            bin_compile.as_secs_f64() * 1e6 / n as f64
        );
    }
}
