//! Support for tests/e2e.rs: a tiny static file server, a chromedriver guard and a browser
//! session. Everything started here is stopped by `Drop`, so a failing test leaves nothing
//! running.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use fantoccini::wd::Capabilities;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

/// The Content-Security-Policy the app is served with (as the dev server does).
pub const CSP: &str = "script-src 'self' 'wasm-unsafe-eval'; style-src 'self'";

/// A static file server on 127.0.0.1: URL prefix -> directory. Records every request path.
pub struct StaticServer {
    pub port: u16,
    pub requests: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl StaticServer {
    /// `mounts`: (URL prefix such as "/" or "/demo/", directory), longest prefix wins.
    pub fn start(mounts: Vec<(String, PathBuf)>) -> StaticServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a local port");
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let mut mounts = mounts;
        mounts.sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
        let (req2, stop2) = (requests.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = conn else { continue };
                let mounts = mounts.clone();
                let req3 = req2.clone();
                std::thread::spawn(move || {
                    let _ = serve(stream, &mounts, &req3);
                });
            }
        });
        StaticServer {
            port,
            requests,
            stop,
            thread: Some(thread),
        }
    }

    pub fn origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for StaticServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn mime(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "wasm" => "application/wasm",
        "json" => "application/json",
        "csv" => "text/csv; charset=utf-8",
        "png" => "image/png",
        "svg" => "image/svg+xml",
        "ico" => "image/x-icon",
        _ => "application/octet-stream",
    }
}

fn serve(
    stream: TcpStream,
    mounts: &[(String, PathBuf)],
    log: &Mutex<Vec<String>>,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h == "\r\n" || h == "\n" {
            break;
        }
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("");
    let target = parts.next().unwrap_or("/").to_string();
    log.lock().unwrap().push(target.clone());
    let path = target.split(['?', '#']).next().unwrap_or("/");
    let mut out = stream;
    let file = resolve(mounts, path);
    let (status, body, ctype) = match (method, file) {
        ("GET" | "HEAD", Some(f)) => match std::fs::read(&f) {
            Ok(b) => ("200 OK", b, mime(&f)),
            Err(_) => ("404 Not Found", b"not found".to_vec(), "text/plain"),
        },
        ("GET" | "HEAD", None) => ("404 Not Found", b"not found".to_vec(), "text/plain"),
        _ => ("405 Method Not Allowed", Vec::new(), "text/plain"),
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nContent-Security-Policy: {CSP}\r\n\
         Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n",
        body.len()
    );
    out.write_all(head.as_bytes())?;
    if method != "HEAD" {
        out.write_all(&body)?;
    }
    out.flush()?;
    let _ = out.shutdown(Shutdown::Both);
    Ok(())
}

fn resolve(mounts: &[(String, PathBuf)], path: &str) -> Option<PathBuf> {
    let path = percent_decode(path);
    if path.split('/').any(|s| s == "..") {
        return None;
    }
    for (prefix, dir) in mounts {
        if let Some(rest) = path.strip_prefix(prefix.as_str()) {
            let rest = if rest.is_empty() || rest.ends_with('/') {
                format!("{rest}index.html")
            } else {
                rest.to_string()
            };
            let f = dir.join(rest);
            if f.is_file() {
                return Some(f);
            }
        }
    }
    None
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// chromedriver on a free port, in its own process group; the group (chromedriver and the
/// browser it started) is killed on drop.
pub struct Driver {
    child: Child,
    pub port: u16,
    pub profile: PathBuf,
}

impl Driver {
    pub fn start(profile: PathBuf) -> Driver {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut cmd = Command::new("/usr/bin/chromedriver");
        cmd.arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        #[cfg(unix)]
        {
            use std::os::unix::process::CommandExt;
            cmd.process_group(0);
        }
        let child = cmd
            .spawn()
            .expect("start /usr/bin/chromedriver (apt-get install chromium-driver)");
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "chromedriver did not listen on port {port}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Driver {
            child,
            port,
            profile,
        }
    }

    /// A raw JSON POST to chromedriver (for the vendor log endpoint fantoccini lacks).
    pub fn post(&self, path: &str, body: &Value) -> Value {
        let body = body.to_string();
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).expect("connect chromedriver");
        write!(
            s,
            "POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.port,
            body.len()
        )
        .unwrap();
        // chromedriver keeps the connection open: read the head, then Content-Length bytes
        // (or chunks), never "until closed".
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let mut reader = BufReader::new(s);
        let mut length = None;
        let mut chunked = false;
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                break;
            }
            let lower = h.to_ascii_lowercase();
            if let Some(v) = lower.strip_prefix("content-length:") {
                length = v.trim().parse::<usize>().ok();
            }
            if lower.starts_with("transfer-encoding:") && lower.contains("chunked") {
                chunked = true;
            }
        }
        let body = if chunked {
            let mut out = Vec::new();
            loop {
                let mut size = String::new();
                reader.read_line(&mut size).unwrap();
                let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
                if n == 0 {
                    break;
                }
                let mut chunk = vec![0; n + 2];
                reader.read_exact(&mut chunk).unwrap();
                out.extend_from_slice(&chunk[..n]);
            }
            String::from_utf8_lossy(&out).into_owned()
        } else {
            let mut buf = vec![0; length.unwrap_or(0)];
            reader.read_exact(&mut buf).unwrap();
            String::from_utf8_lossy(&buf).into_owned()
        };
        serde_json::from_str(&body).unwrap_or(Value::Null)
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        #[cfg(unix)]
        {
            let _ = Command::new("kill")
                .arg("-KILL")
                .arg("--")
                .arg(format!("-{}", self.child.id()))
                .status();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// Headless Chromium capabilities with performance (network) logging.
pub fn capabilities(profile: &Path, downloads: &Path) -> Capabilities {
    let caps = json!({
        "browserName": "chrome",
        "goog:loggingPrefs": { "performance": "ALL", "browser": "ALL" },
        "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--no-first-run", "--window-size=1366,768",
                "--disable-dev-shm-usage", "--disable-sync", "--disable-default-apps",
                "--metrics-recording-only", "--no-default-browser-check",
                format!("--user-data-dir={}", profile.display()),
            ],
            "prefs": {
                "download.default_directory": downloads.display().to_string(),
                "download.prompt_for_download": false,
            },
            "perfLoggingPrefs": { "enableNetwork": true, "enablePage": false },
        },
    });
    match caps {
        Value::Object(m) => m,
        _ => unreachable!(),
    }
}

pub async fn connect(driver: &Driver, caps: Capabilities) -> Client {
    ClientBuilder::rustls()
        .expect("rustls")
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("start a Chromium session through chromedriver")
}

/// Every URL the browser requested since the last call (Network.requestWillBeSent and
/// webSocketCreated in the performance log). Requests made for the browser's own internal
/// pages (a `chrome://` document such as the new-tab page at start-up) are left out; every
/// other request, made by any page, frame or worker, is returned.
pub async fn drain_requests(driver: &Driver, client: &Client) -> Vec<String> {
    let sid = client.session_id().await.unwrap().expect("session id");
    let v = driver.post(
        &format!("/session/{sid}/se/log"),
        &json!({"type": "performance"}),
    );
    let mut urls = Vec::new();
    for entry in v["value"].as_array().cloned().unwrap_or_default() {
        let Some(msg) = entry["message"].as_str() else {
            continue;
        };
        let Ok(m) = serde_json::from_str::<Value>(msg) else {
            continue;
        };
        let method = m["message"]["method"].as_str().unwrap_or("");
        let params = &m["message"]["params"];
        if method == "Network.requestWillBeSent" || method == "Network.webSocketCreated" {
            let document = params["documentURL"].as_str().unwrap_or("");
            let url = params["request"]["url"]
                .as_str()
                .or(params["url"].as_str())
                .unwrap_or("");
            if document.starts_with("chrome://") && url.starts_with("chrome://") {
                continue;
            }
            urls.push(url.to_string());
        }
    }
    urls
}

/// Intercepts `<a download>` clicks on blob: URLs: the bytes are kept in
/// `window.__padanDownloads` (name -> latin1 string) instead of being saved to disk.
pub const DOWNLOAD_HOOK: &str = r#"
if (!window.__padanHook) {
  window.__padanHook = true;
  window.__padanDownloads = {};
  window.__padanPending = 0;
  // The Blob behind each blob: URL, read directly (padan.html's CSP forbids fetch).
  const blobs = new Map();
  const create = URL.createObjectURL;
  URL.createObjectURL = function (b) {
    const u = create.call(URL, b);
    if (b instanceof Blob) blobs.set(u, b);
    return u;
  };
  const orig = HTMLAnchorElement.prototype.click;
  HTMLAnchorElement.prototype.click = function () {
    if (this.download && this.href.startsWith('blob:')) {
      const name = this.download;
      const blob = blobs.get(this.href);
      window.__padanPending++;
      (blob ? blob.arrayBuffer() : fetch(this.href).then((r) => r.arrayBuffer())).then((b) => {
        const u = new Uint8Array(b);
        let s = '';
        for (let i = 0; i < u.length; i += 0x8000) s += String.fromCharCode.apply(null, u.subarray(i, i + 0x8000));
        window.__padanDownloads[name] = s;
        window.__padanPending--;
      });
      return;
    }
    return orig.call(this);
  };
}
"#;

pub async fn install_download_hook(c: &Client) {
    c.execute(DOWNLOAD_HOOK, vec![])
        .await
        .expect("install the download hook");
}

/// Waits until a download whose name satisfies `pred` has been captured; returns (name, bytes).
pub async fn take_download(
    c: &Client,
    what: &str,
    pred: impl Fn(&str) -> bool,
) -> (String, Vec<u8>) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let v = c
            .execute("const d = window.__padanDownloads || {}; const out = {}; for (const k of Object.keys(d)) out[k] = d[k]; return out;", vec![])
            .await
            .expect("read downloads");
        let map: BTreeMap<String, String> = serde_json::from_value(v).unwrap_or_default();
        if let Some((name, s)) = map.into_iter().find(|(n, _)| pred(n)) {
            c.execute(
                "delete window.__padanDownloads[arguments[0]];",
                vec![json!(name)],
            )
            .await
            .unwrap();
            return (name, s.chars().map(|ch| ch as u32 as u8).collect());
        }
        assert!(
            Instant::now() < deadline,
            "no download for {what} within 60 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits for a CSS selector; on timeout fails with any visible error box text.
pub async fn wait_css(
    c: &Client,
    css: &str,
    what: &str,
    secs: u64,
) -> fantoccini::elements::Element {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Ok(e) = c.find(Locator::Css(css)).await {
            if e.is_displayed().await.unwrap_or(false) {
                return e;
            }
        }
        if !css.contains("alert-error") {
            let errs = visible_errors(c).await;
            if !errs.is_empty() {
                panic!("while waiting for {what} ({css}) the page shows an error: {errs:?}");
            }
        }
        if Instant::now() > deadline {
            let errs = visible_errors(c).await;
            panic!("timed out after {secs} s waiting for {what} ({css}); errors shown on the page: {errs:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub async fn visible_errors(c: &Client) -> Vec<String> {
    let v = c
        .execute(
            "return [...document.querySelectorAll('main:not([hidden]) .alert-error')].map((e) => e.textContent);",
            vec![],
        )
        .await
        .unwrap_or(Value::Null);
    serde_json::from_value(v).unwrap_or_default()
}

pub async fn screenshot(c: &Client, dir: &Path, name: &str) {
    std::fs::create_dir_all(dir).unwrap();
    let png = c.screenshot().await.expect("screenshot");
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
}
