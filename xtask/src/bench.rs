//! `cargo xtask bench-browser [--people 1900000] [--workers 1] [--parts N] [--port 0] [--timeout-min 60] [--no-build] [--www DIR]`
//!
//! Builds, writes a large demo scenario with the padan CLI (cached in
//! `target/bench-demo/<people>/`), serves `www/` plus that directory at `/bench-data/`,
//! starts headless Chromium on `bench.html?auto=1` and prints what the page reports back
//! (POST `/__report/log|result|error`): rows/s of tokenize per list, peak wasm memory, the
//! compare time; plus the wasm and single-file sizes.
//!
//! Each list is tokenized by the app's worker exactly as in the app: a big list is cut into
//! parts that helper workers (one per core) take one after another (`--parts 1` disables
//! this, `--parts N` uses N helpers). `--workers N` additionally runs N lists at a time. `--www DIR`
//! serves DIR instead of `www/` (with `--no-build`: to compare with another build's copy).
//!
//! Besides wall-clock rows/s it prints, per list, the CPU time Chromium's processes used
//! while tokenizing it (Linux `/proc`), so that runs on a busy machine can be compared.

use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::bundle::{self, gzip_len};
use crate::serve::{self, Site};
use crate::{flag_value, has_flag, root, tools, Res};

pub fn bench(args: &[String]) -> Res {
    let people = flag_value(args, "--people").unwrap_or_else(|| "1900000".into());
    let port: u16 = flag_value(args, "--port")
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    let timeout = Duration::from_secs(
        60 * flag_value(args, "--timeout-min")
            .and_then(|p| p.parse().ok())
            .unwrap_or(60u64),
    );
    tools::ensure_chromium()?;
    let root = root();
    let built = if has_flag(args, "--no-build") {
        bundle::Built {
            wasm: root.join("www/pkg/padan_bg.wasm"),
            html: root.join("dist/padan.html"),
        }
    } else {
        bundle::build(args)?
    };
    let data = root.join("target/bench-demo").join(&people);
    if !data.join("dtks.csv").is_file()
        || !data.join("workflow.json").is_file()
        || !data.join("demo.key").is_file()
        || !data.join("workflow.approval.json").is_file()
    {
        let t = Instant::now();
        serve::generate_demo(&data, Some(&people))?;
        eprintln!(
            "xtask: demo scenario ({people} people) written in {:.1} s",
            t.elapsed().as_secs_f64()
        );
    }
    let calibration_before = serve::calibration()?;
    let (tx, rx) = mpsc::channel();
    let port = serve::start(
        Site {
            web: flag_value(args, "--www")
                .map(std::path::PathBuf::from)
                .unwrap_or_else(|| root.join("www")),
            mounts: vec![("/bench-data/".into(), data.clone())],
            reports: Some(tx),
        },
        port,
    )?;
    let profile = std::env::temp_dir().join(format!("padan-bench-chromium-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&profile);
    let workers: u32 = flag_value(args, "--workers")
        .and_then(|p| p.parse().ok())
        .unwrap_or(1);
    let parts = flag_value(args, "--parts")
        .map(|p| format!("&parts={p}"))
        .unwrap_or_default();
    let url = format!(
        "http://127.0.0.1:{port}/bench.html?auto=1&data=bench-data/&workers={workers}{parts}"
    );
    eprintln!("xtask: opening {url} in headless Chromium");
    let mut chrome = Command::new(tools::chromium_path())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--disable-dev-shm-usage",
            "--remote-debugging-port=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(&url)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start chromium: {e}"))?;
    let started = Instant::now();
    // CPU time of Chromium's processes at the page's marks (`/__report/mark`, around each
    // list's tokenize): rows per CPU second do not depend on what else the machine runs.
    let mut cpu_marks: Vec<(String, f64)> = Vec::new();
    let outcome = loop {
        let left = timeout.checked_sub(started.elapsed()).unwrap_or_default();
        match rx.recv_timeout(left.min(Duration::from_secs(5))) {
            Ok((kind, body)) => {
                let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                match kind.as_str() {
                    "log" => eprintln!("  [browser] {}", v["text"].as_str().unwrap_or("")),
                    "mark" => cpu_marks.push((
                        v["name"].as_str().unwrap_or("").to_string(),
                        tree_cpu_seconds(chrome.id()),
                    )),
                    "result" => break Ok(v),
                    "error" => {
                        break Err(format!(
                            "the benchmark page failed: {}",
                            v["message"].as_str().unwrap_or("?")
                        ))
                    }
                    _ => {}
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if let Ok(Some(st)) = chrome.try_wait() {
                    break Err(format!("chromium exited early ({st})"));
                }
                if started.elapsed() >= timeout {
                    break Err(format!("no result after {} s", timeout.as_secs()));
                }
            }
            Err(e) => break Err(e.to_string()),
        }
    };
    let _ = chrome.kill();
    let _ = chrome.wait();
    let _ = std::fs::remove_dir_all(&profile);
    let v = outcome?;
    let cpu_of = |file: &str| -> Option<f64> {
        let at = |n: String| cpu_marks.iter().find(|(m, _)| *m == n).map(|(_, c)| *c);
        Some(at(format!("end {file}"))? - at(format!("start {file}"))?)
    };

    let wasm = std::fs::read(&built.wasm).map_err(|e| e.to_string())?;
    let html = std::fs::read(&built.html).map_err(|e| e.to_string())?;
    let mb = |b: f64| b / 1_048_576.0;
    println!();
    println!(
        "padan browser benchmark ({people} demo people, {} list(s) at a time, helpers per list: {})",
        v["workers"],
        v["parts"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| v["parts"].to_string())
    );
    println!("  browser: {}", v["user_agent"].as_str().unwrap_or("?"));
    println!("  before the run: {calibration_before}");
    println!("  after the run:  {}", serve::calibration()?);
    println!(
        "  cores reported by the browser: {}",
        v["hardware_concurrency"]
    );
    for l in v["lists"].as_array().into_iter().flatten() {
        println!(
            "  tokenize {:<16} {:>9} rows {:>8.1} MB  {:>7.2} s  {:>9.0} rows/s  token file {:>6.1} MB  wasm memory after {:>6.1} MiB",
            l["file"].as_str().unwrap_or("?"),
            l["rows"].as_u64().unwrap_or(0),
            l["bytes"].as_f64().unwrap_or(0.0) / 1e6,
            l["seconds"].as_f64().unwrap_or(0.0),
            l["rows_per_second"].as_f64().unwrap_or(0.0),
            l["token_file_bytes"].as_f64().unwrap_or(0.0) / 1e6,
            mb(l["wasm_memory_after"].as_f64().unwrap_or(0.0)),
        );
        if let Some(cpu) = cpu_of(l["file"].as_str().unwrap_or("?")).filter(|c| *c > 0.0) {
            println!(
                "      Chromium CPU time {:.2} s = {:.0} rows per CPU second",
                cpu,
                l["rows"].as_f64().unwrap_or(0.0) / cpu
            );
        }
        let helpers: Vec<String> = l["helper_wasm_memory"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|b| format!("{:.1} MiB", mb(b.as_f64().unwrap_or(0.0))))
            .collect();
        if !helpers.is_empty() {
            println!(
                "      {} parts in {} helper workers, their wasm memory: {}",
                l["timings"]["parts"],
                helpers.len(),
                helpers.join(", ")
            );
        }
    }
    println!(
        "  tokenize all lists: {} rows in {:.2} s = {:.0} rows/s (wall clock, {} worker(s))",
        v["tokenize_total_rows"],
        v["tokenize_wall_seconds"].as_f64().unwrap_or(0.0),
        v["tokenize_total_rows"].as_f64().unwrap_or(0.0)
            / v["tokenize_wall_seconds"].as_f64().unwrap_or(1.0),
        v["workers"]
    );
    println!(
        "  compare {} token files: {:.2} s (wasm memory after {:.1} MiB)",
        v["compare_results"].as_array().map(Vec::len).unwrap_or(0),
        v["compare_seconds"].as_f64().unwrap_or(0.0),
        mb(v["compare_wasm_memory"].as_f64().unwrap_or(0.0))
    );
    println!(
        "  peak wasm memory of one worker (WebAssembly.Memory byteLength, never shrinks): {:.1} MiB",
        mb(v["peak_wasm_memory"].as_f64().unwrap_or(0.0))
    );
    println!(
        "  padan_bg.wasm: {} bytes raw, {} bytes gzip",
        wasm.len(),
        gzip_len(&wasm)
    );
    println!(
        "  padan.html:    {} bytes raw, {} bytes gzip",
        html.len(),
        gzip_len(&html)
    );
    Ok(())
}

/// User + system CPU seconds of process `root` and all its descendants (Linux `/proc`;
/// 0 elsewhere). Clock ticks are taken as 100 per second (the Linux default).
fn tree_cpu_seconds(root: u32) -> f64 {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return 0.0;
    };
    let mut procs: Vec<(u32, u32, u64)> = Vec::new();
    for e in dir.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
            continue;
        };
        // After "pid (comm) ": state ppid ... utime(14th field) stime(15th).
        let Some(rest) = stat.rfind(')').map(|i| &stat[i + 2..]) else {
            continue;
        };
        let f: Vec<&str> = rest.split_whitespace().collect();
        let num = |i: usize| f.get(i).and_then(|x| x.parse::<u64>().ok()).unwrap_or(0);
        procs.push((pid, num(1) as u32, num(11) + num(12)));
    }
    let mut tree = vec![root];
    let mut grew = true;
    while grew {
        grew = false;
        for (pid, ppid, _) in &procs {
            if tree.contains(ppid) && !tree.contains(pid) {
                tree.push(*pid);
                grew = true;
            }
        }
    }
    procs
        .iter()
        .filter(|(pid, _, _)| tree.contains(pid))
        .map(|(_, _, t)| *t as f64 / 100.0)
        .sum()
}
