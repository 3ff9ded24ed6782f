//! `meshc`: the command line. All I/O lives here; the compiler library is pure.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

// The compiler allocates many small strings and vectors; mimalloc cuts the
// allocator's share of a large compile (docs/performance.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use meshc_compiler::{self as compiler, SourceFile};

mod format;
mod xds;

#[derive(Parser)]
#[command(
    name = "meshc",
    version,
    about = "Compile mesh policy programs to Istio configuration"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check a program and write its Istio YAML (stdout, or one file per object with -o).
    Compile {
        /// A `.mesh` file or a directory of them.
        path: PathBuf,
        #[arg(long, value_enum, default_value_t = Target::Istio)]
        target: Target,
        /// Write `<namespace>/<kind>-<name>.yaml` files under this directory
        /// (xds: `<namespace>/<service>.json`, one bootstrap per proxy).
        #[arg(short = 'o', long = "out")]
        out: Option<PathBuf>,
        /// xds: the one sidecar to generate, as NAMESPACE/SERVICE (default: every service, needs -o).
        #[arg(long, value_name = "NAMESPACE/SERVICE")]
        proxy: Option<String>,
        /// xds: where the proxies' certificates are (docs/targets.md; default /etc/meshc/certs).
        #[arg(long, value_name = "DIR")]
        certs_dir: Option<String>,
    },
    /// Check a program and print its diagnostics.
    Check {
        path: PathBuf,
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// Treat warnings as errors (exit 1).
        #[arg(long)]
        deny_warnings: bool,
    },
    /// Serve the Language Server Protocol over stdin/stdout (for editors).
    Lsp,
    /// Rewrite `.mesh` files in the canonical layout.
    Fmt {
        /// Files, directories (each `.mesh` file in them) or `-` (stdin to stdout).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Write nothing; list the files that would change and exit 1 if any.
        #[arg(long)]
        check: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Target {
    Istio,
    /// Envoy v3 bootstraps (static resources), one per sidecar.
    Xds,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Human,
    Json,
}

/// `mi_option_purge_delay` in mimalloc.h (the same value in its v2 and v3).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() -> ExitCode {
    let cli = Cli::parse();
    if matches!(cli.command, Command::Compile { .. }) {
        // `compile` holds the program and then its output: hand freed memory
        // back at once so the peak stays low (docs/performance.md). `check`
        // keeps mimalloc's default delay, which is faster.
        // SAFETY: sets a process-wide allocator option before any other thread exists.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) };
    }
    match run(cli) {
        Ok(code) => code,
        Err(msg) => {
            eprintln!("error: {msg}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode, String> {
    match cli.command {
        Command::Fmt { paths, check } => Ok(format::run(&paths, check)),
        Command::Lsp => meshc_lsp::run()
            .map(|()| ExitCode::SUCCESS)
            .map_err(|e| format!("language server: {e}")),
        Command::Check {
            path,
            format,
            deny_warnings,
        } => {
            let c = compiler::check(read_program(&path)?);
            match format {
                Format::Human => eprint!(
                    "{}",
                    compiler::report::human(&c.files, &c.diagnostics, std::io::stderr().is_terminal())
                ),
                Format::Json => println!("{}", compiler::report::json(&c.files, &c.diagnostics)),
            }
            let failed = c.has_errors() || (deny_warnings && !c.diagnostics.is_empty());
            // The process ends here: freeing the program would only cost time.
            std::mem::forget(c);
            Ok(if failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
        }
        Command::Compile {
            path,
            target: Target::Xds,
            out,
            proxy,
            certs_dir,
        } => xds::compile(
            &read_program(&path)?,
            out.as_deref(),
            proxy.as_deref(),
            certs_dir.as_deref(),
        ),
        Command::Compile {
            target: Target::Istio,
            proxy: Some(_),
            ..
        }
        | Command::Compile {
            target: Target::Istio,
            certs_dir: Some(_),
            ..
        } => Err("`--proxy` and `--certs-dir` apply to `--target xds` only".into()),
        Command::Compile {
            path,
            target: Target::Istio,
            out,
            ..
        } => {
            let c = compiler::check(read_program(&path)?);
            eprint!(
                "{}",
                compiler::report::human(&c.files, &c.diagnostics, std::io::stderr().is_terminal())
            );
            if c.has_errors() {
                return Ok(ExitCode::from(1));
            }
            // Lowering reads the model only: give the syntax trees' memory to the output.
            let mut c = c;
            drop(std::mem::take(&mut c.modules));
            match out {
                None => {
                    // Streamed: one namespace's objects at a time, never the whole output.
                    let mut stdout = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
                    let mut failed = None;
                    compiler::lower_istio_each(&c, |o| {
                        if failed.is_none() {
                            let written = stdout
                                .write_all(b"---\n")
                                .and_then(|_| stdout.write_all(o.yaml.as_bytes()));
                            failed = written.err();
                        }
                    });
                    if let Some(e) = failed.or_else(|| stdout.flush().err()) {
                        return Err(format!("cannot write to stdout: {e}"));
                    }
                }
                Some(dir) => {
                    let objects = compiler::lower_istio(&c).unwrap_or_default();
                    for o in &objects {
                        let folder = dir.join(&o.namespace);
                        std::fs::create_dir_all(&folder)
                            .map_err(|e| format!("cannot create `{}`: {e}", folder.display()))?;
                        let file = folder.join(format!("{}-{}.yaml", o.kind.to_ascii_lowercase(), o.name));
                        std::fs::write(&file, &o.yaml)
                            .map_err(|e| format!("cannot write `{}`: {e}", file.display()))?;
                    }
                    std::mem::forget(objects);
                }
            }
            // The process ends here: freeing the program would only cost time.
            std::mem::forget(c);
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// A file, or every `.mesh` file of a directory (not recursive), with paths
/// relative to the program root.
fn read_program(path: &Path) -> Result<Vec<SourceFile>, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    let mut files = Vec::new();
    if meta.is_dir() {
        let entries = std::fs::read_dir(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
        for entry in entries {
            let entry = entry.map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
            let p = entry.path();
            if p.extension().is_some_and(|e| e == "mesh") && p.is_file() {
                let name = entry.file_name().to_string_lossy().into_owned();
                files.push(SourceFile {
                    path: name,
                    text: read_text(&p)?,
                });
            }
        }
        if files.is_empty() {
            return Err(format!("`{}` contains no .mesh files", path.display()));
        }
    } else {
        let name = path
            .file_name()
            .map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
        files.push(SourceFile {
            path: name,
            text: read_text(path)?,
        });
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

fn read_text(p: &Path) -> Result<String, String> {
    let bytes = std::fs::read(p).map_err(|e| format!("cannot read `{}`: {e}", p.display()))?;
    String::from_utf8(bytes).map_err(|_| format!("`{}` is not valid UTF-8", p.display()))
}
