//! `cargo xtask <command>`: build, serve, test and benchmark padan.
//!
//! Commands:
//! - `build`          wasm32 release build, `www/pkg` (wasm-bindgen `--target web`) and the
//!   offline single file `dist/padan.html`.
//! - `serve [--port N] [--people N] [--no-demo]`  build, write the demo scenario into
//!   `www/demo/` and serve `www/` on 127.0.0.1.
//! - `test [--no-browser] [--keep-going]`  install what is missing, then fmt, clippy, wasm
//!   check and clippy, build, `cargo test`, and the wasm-bindgen tests in headless Chromium.
//! - `bench-browser [--people N] [--workers N] [--no-build]`  tokenize and compare a large
//!   demo scenario in headless Chromium and print the numbers.
//! - `install-tools`  only install the wasm target, wasm-bindgen-cli and Chromium.

mod bench;
mod bundle;
mod esm;
mod serve;
mod tools;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

pub type Res<T = ()> = Result<T, String>;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("build") => bundle::build(&args[1..]).map(|_| ()),
        Some("serve") => serve::serve_cmd(&args[1..]),
        Some("test") => test(&args[1..]),
        Some("bench-browser") => bench::bench(&args[1..]),
        Some("install-tools") => tools::ensure_all(true),
        _ => {
            eprintln!(
                "usage: cargo xtask <build | serve [--port 8080] [--people N] [--no-demo] [--no-build] | test [--no-browser] [--keep-going] | \
                 bench-browser [--people N] [--workers N] [--no-build] | install-tools>"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root (the parent of `xtask/`).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask has a parent")
        .to_path_buf()
}

/// `cargo`, as the one running us.
pub fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(root());
    c
}

/// Runs a command, echoing it, failing on a non-zero exit.
pub fn run(cmd: &mut Command) -> Res {
    let shown = format!("{cmd:?}").replace('"', "");
    eprintln!("\x1b[1m$ {shown}\x1b[0m");
    let status = cmd
        .status()
        .map_err(|e| format!("cannot start `{shown}`: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{shown}` failed ({status})"))
    }
}

/// Value of `--name value` in `args`.
pub fn flag_value(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
        .or_else(|| {
            let prefix = format!("{name}=");
            args.iter()
                .find_map(|a| a.strip_prefix(&prefix).map(str::to_string))
        })
}

pub fn has_flag(args: &[String], name: &str) -> bool {
    args.iter().any(|a| a == name)
}

fn test(args: &[String]) -> Res {
    let skip_browser = has_flag(args, "--no-browser");
    let keep_going = has_flag(args, "--keep-going");
    tools::ensure_all(!skip_browser)?;
    let mut failed: Vec<String> = Vec::new();
    let mut step = |name: &str, r: Res| -> Res {
        match r {
            Ok(()) => Ok(()),
            Err(e) if keep_going => {
                eprintln!("xtask: FAILED: {name}: {e}");
                failed.push(name.to_string());
                Ok(())
            }
            Err(e) => Err(e),
        }
    };
    step("fmt", run(cargo().args(["fmt", "--all", "--", "--check"])))?;
    step(
        "clippy",
        run(cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ])),
    )?;
    // The core must compile for the browser; the wasm clippy run also lints the wasm-only
    // code (src/wasm.rs, tests/wasm_*.rs), which the native run never sees.
    step(
        "wasm check",
        run(cargo().args(["check", "--lib", "--target", tools::WASM_TARGET])),
    )?;
    step(
        "wasm clippy",
        run(cargo().args([
            "clippy",
            "--lib",
            "--test",
            "wasm_*",
            "--target",
            tools::WASM_TARGET,
            "--features",
            "wasm-workbook",
            "--",
            "-D",
            "warnings",
        ])),
    )?;
    // Build www/pkg and dist/padan.html first: tests/e2e.rs drives them.
    step("build", bundle::build(&[]).map(|_| ()))?;
    step("cargo test", run(cargo().args(["test", "--workspace"])))?;
    if skip_browser {
        eprintln!("xtask: --no-browser: skipped the wasm-bindgen tests in Chromium");
    } else {
        step("wasm tests in Chromium", wasm_browser_tests())?;
    }
    if !failed.is_empty() {
        return Err(format!("failed steps: {}", failed.join(", ")));
    }
    eprintln!("xtask: all checks passed");
    Ok(())
}

/// `cargo test --target wasm32-unknown-unknown --test 'wasm_*'` in headless Chromium.
fn wasm_browser_tests() -> Res {
    let runner = tools::wasm_bindgen_bin("wasm-bindgen-test-runner");
    let mut c = cargo();
    c.args(["test", "--target", tools::WASM_TARGET, "--test", "wasm_*"])
        .env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER", &runner)
        .env("CHROMEDRIVER", tools::chromedriver_path())
        .env("WASM_BINDGEN_TEST_TIMEOUT", "120")
        .env_remove("GECKODRIVER")
        .env_remove("SAFARIDRIVER");
    run(&mut c)
}
