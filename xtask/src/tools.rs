//! Installs what the build and the browser tests need, when it is missing.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{root, run, Res};

pub const WASM_TARGET: &str = "wasm32-unknown-unknown";
/// Used when Cargo.lock cannot be read; must equal the `=` pin in Cargo.toml.
const WASM_BINDGEN_FALLBACK: &str = "0.2.130";

pub fn ensure_all(browser: bool) -> Res {
    ensure_wasm_target()?;
    ensure_wasm_bindgen()?;
    if browser {
        ensure_chromium()?;
    }
    Ok(())
}

pub fn ensure_wasm_target() -> Res {
    let out = Command::new("rustc").args(["--print", "sysroot"]).output();
    if let Ok(out) = out {
        let sysroot = String::from_utf8_lossy(&out.stdout).trim().to_string();
        if Path::new(&sysroot)
            .join("lib/rustlib")
            .join(WASM_TARGET)
            .join("lib")
            .is_dir()
        {
            return Ok(());
        }
    }
    eprintln!("xtask: installing the Rust target {WASM_TARGET}");
    run(Command::new("rustup").args(["target", "add", WASM_TARGET]))
}

/// The wasm-bindgen version in Cargo.lock (the CLI must match it exactly).
pub fn wasm_bindgen_version() -> String {
    let lock = std::fs::read_to_string(root().join("Cargo.lock")).unwrap_or_default();
    let mut lines = lock.lines();
    while let Some(l) = lines.next() {
        if l.trim() == "name = \"wasm-bindgen\"" {
            if let Some(v) = lines
                .next()
                .and_then(|v| v.trim().strip_prefix("version = \""))
            {
                return v.trim_end_matches('"').to_string();
            }
        }
    }
    WASM_BINDGEN_FALLBACK.to_string()
}

fn cargo_bin_dir() -> PathBuf {
    if let Ok(h) = std::env::var("CARGO_HOME") {
        return PathBuf::from(h).join("bin");
    }
    PathBuf::from(std::env::var("HOME").unwrap_or_else(|_| "/root".into())).join(".cargo/bin")
}

/// `wasm-bindgen` / `wasm-bindgen-test-runner`: the one `cargo install` put in
/// `$CARGO_HOME/bin` if present, else whatever `PATH` finds.
pub fn wasm_bindgen_bin(name: &str) -> PathBuf {
    let p = cargo_bin_dir().join(name);
    if p.is_file() {
        p
    } else {
        PathBuf::from(name)
    }
}

pub fn ensure_wasm_bindgen() -> Res {
    let want = wasm_bindgen_version();
    let have = Command::new(wasm_bindgen_bin("wasm-bindgen"))
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let runner_ok = Command::new(wasm_bindgen_bin("wasm-bindgen-test-runner"))
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains(&want))
        .unwrap_or(false);
    if have == format!("wasm-bindgen {want}") && runner_ok {
        return Ok(());
    }
    eprintln!(
        "xtask: installing wasm-bindgen-cli {want} (found: {}); this takes a few minutes",
        if have.is_empty() { "none" } else { &have }
    );
    // Not --locked: the CLI's own lock file does not build with current toolchains.
    run(crate::cargo().args(["install", "wasm-bindgen-cli", "--version", &want]))
}

pub fn chromedriver_path() -> PathBuf {
    if let Ok(p) = std::env::var("CHROMEDRIVER") {
        return PathBuf::from(p);
    }
    PathBuf::from("/usr/bin/chromedriver")
}

pub fn chromium_path() -> PathBuf {
    if let Ok(p) = std::env::var("CHROMIUM") {
        return PathBuf::from(p);
    }
    for p in [
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
    ] {
        if Path::new(p).is_file() {
            return PathBuf::from(p);
        }
    }
    PathBuf::from("chromium")
}

/// Debian/Ubuntu: `apt-get install chromium chromium-driver` when chromedriver is missing.
pub fn ensure_chromium() -> Res {
    if chromedriver_path().is_file() && chromium_path().is_file() {
        return Ok(());
    }
    eprintln!("xtask: installing chromium and chromium-driver with apt-get");
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false);
    let apt = |args: &[&str]| {
        let mut c = if is_root {
            Command::new("apt-get")
        } else {
            let mut c = Command::new("sudo");
            c.arg("apt-get");
            c
        };
        c.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        run(&mut c)
    };
    apt(&["update"])?;
    apt(&["install", "-y", "chromium", "chromium-driver"])?;
    if !chromedriver_path().is_file() {
        return Err(format!(
            "{} still missing after apt-get; set CHROMEDRIVER=/path/to/chromedriver",
            chromedriver_path().display()
        ));
    }
    Ok(())
}
