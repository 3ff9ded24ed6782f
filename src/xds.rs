//! `meshc compile --target xds`: Envoy bootstraps, one per sidecar.

use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;

use meshc_compiler::{self as compiler, SourceFile};

/// Where the certificates are when `--certs-dir` is not given.
const CERTS_DIR: &str = "/etc/meshc/certs";

pub fn compile(
    files: &[SourceFile],
    out: Option<&Path>,
    proxy: Option<&str>,
    certs_dir: Option<&str>,
) -> Result<ExitCode, String> {
    let proxy = match proxy {
        None => None,
        Some(p) => Some(
            p.split_once('/')
                .filter(|(ns, s)| !ns.is_empty() && !s.is_empty())
                .ok_or_else(|| format!("`--proxy {p}`: expected NAMESPACE/SERVICE, e.g. `bookinfo/productpage`"))?,
        ),
    };
    if proxy.is_none() && out.is_none() {
        return Err("without `--proxy`, `--target xds` writes one bootstrap per service: give `-o DIR`".into());
    }
    let c = compiler::check(files.to_vec());
    let color = std::io::stderr().is_terminal();
    eprint!("{}", compiler::report::human(&c.files, &c.diagnostics, color));
    if c.has_errors() {
        return Ok(ExitCode::from(1));
    }
    if let Some((ns, name)) = proxy {
        let all = compiler::backend::xds::proxies(&c.mesh);
        if !all.contains(&(ns, name)) {
            let names: Vec<String> = all.iter().map(|(n, s)| format!("{n}/{s}")).collect();
            return Err(format!(
                "no service `{ns}/{name}` to generate a proxy for; services: {}",
                names.join(", ")
            ));
        }
    }
    let bootstraps = match compiler::lower_xds(&c, proxy, certs_dir.unwrap_or(CERTS_DIR)) {
        Ok(b) => b,
        Err(diags) => {
            eprint!("{}", compiler::report::human(&c.files, &diags, color));
            return Ok(ExitCode::from(1));
        }
    };
    match out {
        None => {
            for (_, json) in &bootstraps {
                print!("{json}");
            }
        }
        Some(dir) => {
            for (name, json) in &bootstraps {
                let file = dir.join(name);
                if let Some(folder) = file.parent() {
                    std::fs::create_dir_all(folder)
                        .map_err(|e| format!("cannot create `{}`: {e}", folder.display()))?;
                }
                std::fs::write(&file, json).map_err(|e| format!("cannot write `{}`: {e}", file.display()))?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
