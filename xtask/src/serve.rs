//! `cargo xtask serve`: a tiny static file server (std::net, one thread per connection).
//!
//! Sends the app's Content-Security-Policy as a header. `connect-src 'self'` is needed
//! because wasm-bindgen's `init()` fetches `pkg/padan_bg.wasm` (and the benchmark page
//! fetches the demo files and posts its report back); nothing else is ever fetched.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;
use std::sync::Arc;

use crate::{bundle, cargo, flag_value, has_flag, root, run, Res};

pub const CSP: &str =
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; \
connect-src 'self'; img-src 'self' data:; style-src 'self'; object-src 'none'; base-uri 'none'; \
form-action 'none'";

pub fn mime(path: &str) -> &'static str {
    let ext = path.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "wasm" => "application/wasm",
        "csv" => "text/csv; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" | "key" | "md" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// What the server serves: `www/` at `/`, extra directories at URL prefixes, and (for the
/// benchmark) POST bodies to `/__report/<name>` forwarded to a channel.
pub struct Site {
    pub web: PathBuf,
    pub mounts: Vec<(String, PathBuf)>,
    pub reports: Option<Sender<(String, Vec<u8>)>>,
}

/// Binds 127.0.0.1:`port` (0 = any free port) and serves in background threads.
pub fn start(site: Site, port: u16) -> Res<u16> {
    let listener = TcpListener::bind(("127.0.0.1", port))
        .map_err(|e| format!("cannot listen on 127.0.0.1:{port}: {e}"))?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    let site = Arc::new(site);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let site = Arc::clone(&site);
            std::thread::spawn(move || {
                let _ = handle(&site, stream);
            });
        }
    });
    Ok(port)
}

fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let h = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(h, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn respond(
    s: &mut TcpStream,
    status: &str,
    ctype: &str,
    len: u64,
    head_only: bool,
    body: &[u8],
) -> std::io::Result<()> {
    write!(
        s,
        "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {len}\r\nContent-Security-Policy: {CSP}\r\n\
         X-Content-Type-Options: nosniff\r\nReferrer-Policy: no-referrer\r\nCross-Origin-Opener-Policy: same-origin\r\n\
         Cache-Control: no-store\r\nConnection: close\r\n\r\n"
    )?;
    if !head_only {
        s.write_all(body)?;
    }
    Ok(())
}

fn handle(site: &Site, stream: TcpStream) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut out = stream;
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let target = parts.next().unwrap_or("/").to_string();
    let mut content_length = 0u64;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h == "\r\n" || h == "\n" {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            if k.trim().eq_ignore_ascii_case("content-length") {
                content_length = v.trim().parse().unwrap_or(0);
            }
        }
    }
    let path = target.split(['?', '#']).next().unwrap_or("/");
    if method == "POST" {
        if let (Some(name), Some(tx)) = (path.strip_prefix("/__report/"), &site.reports) {
            let mut body = vec![0; content_length.min(16 << 20) as usize];
            reader.read_exact(&mut body)?;
            let _ = tx.send((name.to_string(), body));
            return respond(&mut out, "204 No Content", "text/plain", 0, true, b"");
        }
        return respond(
            &mut out,
            "405 Method Not Allowed",
            "text/plain",
            0,
            true,
            b"",
        );
    }
    let head_only = method == "HEAD";
    if method != "GET" && !head_only {
        return respond(
            &mut out,
            "405 Method Not Allowed",
            "text/plain",
            0,
            true,
            b"",
        );
    }
    let not_found = |out: &mut TcpStream| {
        respond(
            out,
            "404 Not Found",
            "text/plain; charset=utf-8",
            10,
            head_only,
            b"not found\n",
        )
    };
    let Some(decoded) = percent_decode(path) else {
        return not_found(&mut out);
    };
    if decoded
        .split('/')
        .any(|seg| seg == ".." || seg.starts_with('.') && !seg.is_empty())
        || decoded.contains('\\')
        || decoded.contains('\0')
    {
        return not_found(&mut out);
    }
    let (base, rel): (&Path, &str) = site
        .mounts
        .iter()
        .find_map(|(prefix, dir)| {
            decoded
                .strip_prefix(prefix.as_str())
                .map(|r| (dir.as_path(), r))
        })
        .unwrap_or((site.web.as_path(), &decoded));
    let mut file = base.join(rel.trim_start_matches('/'));
    if file.is_dir() {
        file = file.join("index.html");
    }
    let Ok(mut f) = std::fs::File::open(&file) else {
        return not_found(&mut out);
    };
    let len = f.metadata()?.len();
    respond(
        &mut out,
        "200 OK",
        mime(&file.to_string_lossy()),
        len,
        true,
        b"",
    )?;
    if !head_only {
        std::io::copy(&mut f, &mut out)?;
    }
    out.flush()
}

/// `padan` (release build, built when needed), ready for its arguments.
fn padan() -> std::process::Command {
    let mut c = cargo();
    c.args(["run", "--release", "--quiet", "--bin", "padan", "--"]);
    c
}

/// Writes the demo scenario with the padan CLI (`padan demo --out DIR [--people N]`).
pub fn generate_demo(out: &Path, people: Option<&str>) -> Res {
    let mut c = padan();
    c.args(["demo", "--out"]).arg(out);
    if let Some(p) = people {
        c.args(["--people", p]);
    }
    run(&mut c)
}

/// The machine's speed now (`padan bench-phase calibrate`: SHA-256 on one core and on
/// all at once, random reads), printed with benchmark numbers so that runs of different
/// days compare.
pub fn calibration() -> Result<String, String> {
    let out = padan()
        .args(["bench-phase", "calibrate", "."])
        .output()
        .map_err(|e| format!("cargo run padan bench-phase calibrate: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "padan bench-phase calibrate failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

pub fn serve_cmd(args: &[String]) -> Res {
    let port: u16 = flag_value(args, "--port")
        .map(|p| p.parse().map_err(|_| format!("bad --port {p}")))
        .transpose()?
        .unwrap_or(8080);
    if !has_flag(args, "--no-build") {
        bundle::build(args)?;
    }
    let root = root();
    if !has_flag(args, "--no-demo") {
        generate_demo(
            &root.join("www/demo"),
            flag_value(args, "--people").as_deref(),
        )?;
    }
    let port = start(
        Site {
            web: root.join("www"),
            mounts: Vec::new(),
            reports: None,
        },
        port,
    )?;
    println!(
        "padan: serving {} at http://127.0.0.1:{port}/  (Ctrl-C to stop)",
        root.join("www").display()
    );
    println!("padan: demo scenario in www/demo/ -> http://127.0.0.1:{port}/demo/");
    println!(
        "padan: offline single file: {}",
        root.join("dist/padan.html").display()
    );
    loop {
        std::thread::park();
    }
}
