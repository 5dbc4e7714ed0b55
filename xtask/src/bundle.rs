//! `cargo xtask build`: the wasm build, `www/pkg/` and the offline single file.
//!
//! wasm-bindgen runs twice over the same `.wasm`:
//! - `--target web` into `www/pkg/`: ES module glue for the served app, whose MODULE worker
//!   (`www/worker.js`) imports it and fetches `padan_bg.wasm`;
//! - `--target no-modules` into `dist/pkg-nomodules/`: classic-script glue (a global
//!   `wasm_bindgen`) for `dist/padan.html`, where a page opened from `file://` can only start
//!   a CLASSIC worker from a `blob:` URL.
//!
//! The workbook module (`wasm-workbook`) gets the same two: `www/pkg/padan_workbook*` and
//! `dist/pkg-nomodules/padan_workbook*` (global `padan_workbook`), inlined in padan.html as
//! a second base64 block that the worker instantiates only when a workbook is first needed.
//!
//! The classic worker is `dist/pkg-nomodules/padan.js` and `padan_workbook.js` followed by `www/worker.js` with every
//! line marked `@module-only` removed and every `//@classic-only ` prefix removed. A small
//! inline script (the "worker shim") replaces `window.Worker` so that the app's unchanged
//! `new Worker('worker.js', {type: 'module'})` starts that classic worker from a `blob:` URL
//! and hands it the inlined wasm bytes as its first message (`{op: '__wasm', wasm}`).

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::{cargo, esm, root, run, tools, Res};

pub struct Built {
    pub wasm: PathBuf,
    pub html: PathBuf,
}

pub fn build(_args: &[String]) -> Res<Built> {
    tools::ensure_wasm_target()?;
    tools::ensure_wasm_bindgen()?;
    let root = root();
    // The library is an rlib (see Cargo.toml); the browser's module is the same crate
    // built as a cdylib, asked for here only.
    run(cargo().args([
        "rustc",
        "--lib",
        "--release",
        "--crate-type",
        "cdylib",
        "--target",
        tools::WASM_TARGET,
    ]))?;
    let raw = target_dir()
        .join(tools::WASM_TARGET)
        .join("release/padan.wasm");
    let bindgen = tools::wasm_bindgen_bin("wasm-bindgen");
    let pkg = root.join("www/pkg");
    let nomod = root.join("dist/pkg-nomodules");
    for (target, dir) in [("web", &pkg), ("no-modules", &nomod)] {
        let _ = std::fs::remove_dir_all(dir);
        run(std::process::Command::new(&bindgen)
            .arg("--target")
            .arg(target)
            .arg("--no-typescript")
            .arg("--out-dir")
            .arg(dir)
            .arg(&raw))?;
    }
    // The workbook module: the same core with the `workbook_csv` export, which the worker
    // loads only when a list is an Excel file (the main module stays small).
    run(cargo().args([
        "rustc",
        "--lib",
        "--release",
        "--crate-type",
        "cdylib",
        "--target",
        tools::WASM_TARGET,
        "--features",
        "wasm-workbook",
    ]))?;
    let wb_raw = target_dir()
        .join(tools::WASM_TARGET)
        .join("release/padan_workbook.wasm");
    std::fs::copy(&raw, &wb_raw).map_err(|e| format!("cannot copy {}: {e}", raw.display()))?;
    run(std::process::Command::new(&bindgen)
        .args(["--target", "web", "--no-typescript", "--out-dir"])
        .arg(&pkg)
        .arg(&wb_raw))?;
    // And for padan.html: classic glue under its own global, `padan_workbook`.
    run(std::process::Command::new(&bindgen)
        .args([
            "--target",
            "no-modules",
            "--no-modules-global",
            "padan_workbook",
            "--no-typescript",
            "--out-dir",
        ])
        .arg(&nomod)
        .arg(&wb_raw))?;
    let html = single_file(&root)?;
    let out = root.join("dist/padan.html");
    std::fs::write(&out, &html).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    let digest = hex(&Sha256::digest(html.as_bytes()));
    std::fs::write(
        root.join("dist/padan.html.sha256"),
        format!("{digest}  padan.html\n"),
    )
    .map_err(|e| e.to_string())?;
    let wasm = pkg.join("padan_bg.wasm");
    let wasm_bytes = std::fs::read(&wasm).map_err(|e| e.to_string())?;
    println!("build report");
    println!(
        "  www/pkg/padan_bg.wasm  {:>10} bytes raw  {:>10} bytes gzip",
        wasm_bytes.len(),
        gzip_len(&wasm_bytes)
    );
    println!(
        "  dist/padan.html        {:>10} bytes raw  {:>10} bytes gzip",
        html.len(),
        gzip_len(html.as_bytes())
    );
    let wb = std::fs::read(pkg.join("padan_workbook_bg.wasm")).map_err(|e| e.to_string())?;
    println!(
        "  www/pkg/padan_workbook_bg.wasm  {:>10} bytes raw  {:>10} bytes gzip  (loaded only for Excel files)",
        wb.len(),
        gzip_len(&wb)
    );
    println!("  sha256(dist/padan.html) = {digest}");
    Ok(Built { wasm, html: out })
}

/// Cargo's target directory (honours `CARGO_TARGET_DIR` and `build.target-dir`).
pub fn target_dir() -> PathBuf {
    let out = cargo()
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .stderr(std::process::Stdio::inherit())
        .output();
    out.ok()
        .and_then(|o| serde_json::from_slice::<serde_json::Value>(&o.stdout).ok())
        .and_then(|v| v["target_directory"].as_str().map(PathBuf::from))
        .unwrap_or_else(|| root().join("target"))
}

pub fn gzip_len(data: &[u8]) -> usize {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(data).expect("in-memory gzip");
    enc.finish().expect("in-memory gzip").len()
}

pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

pub fn base64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for c in data.chunks(3) {
        let n = (c[0] as u32) << 16
            | (*c.get(1).unwrap_or(&0) as u32) << 8
            | *c.get(2).unwrap_or(&0) as u32;
        out.push(T[(n >> 18) as usize & 63] as char);
        out.push(T[(n >> 12) as usize & 63] as char);
        out.push(if c.len() > 1 {
            T[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        out.push(if c.len() > 2 {
            T[n as usize & 63] as char
        } else {
            '='
        });
    }
    out
}

fn csp_hash(text: &str) -> String {
    format!("'sha256-{}'", base64(&Sha256::digest(text.as_bytes())))
}

/// Makes text safe inside `<script>` / `<style>`: `</script` would end the element.
fn escape_raw_text(s: &str, tag: &str) -> String {
    let needle = format!("</{tag}");
    let mut out = String::with_capacity(s.len());
    let lower = s.to_ascii_lowercase();
    let mut last = 0;
    let mut from = 0;
    while let Some(p) = lower[from..].find(&needle) {
        let at = from + p;
        out.push_str(&s[last..at]);
        out.push_str("<\\/");
        last = at + 2;
        from = at + 2;
    }
    out.push_str(&s[last..]);
    out
}

/// The classic-worker source (see the module docs).
pub fn classic_worker(root: &Path) -> Res<String> {
    let glue = read(&root.join("dist/pkg-nomodules/padan.js"))?;
    let workbook_glue = read(&root.join("dist/pkg-nomodules/padan_workbook.js"))?;
    let worker = read(&root.join("www/worker.js"))?;
    let mut out = glue;
    out.push('\n');
    out.push_str(&workbook_glue);
    out.push('\n');
    for line in worker.lines() {
        if line.contains("@module-only") {
            continue;
        }
        match line.trim_start().strip_prefix("//@classic-only ") {
            Some(r) => out.push_str(r),
            None => out.push_str(line),
        }
        out.push('\n');
    }
    Ok(out)
}

fn read(p: &Path) -> Res<String> {
    std::fs::read_to_string(p).map_err(|e| format!("cannot read {}: {e}", p.display()))
}

const SHIM: &str = r#"(() => {
  "use strict";
  // padan single file: start the inlined worker as a classic worker from a blob: URL.
  const NativeWorker = window.Worker;
  let url = null;
  const decoded = {};
  const text = (id) => document.getElementById(id).textContent;
  const bytesOf = (id) => {
    if (!decoded[id]) {
      const bin = atob(text(id).trim());
      const b = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) b[i] = bin.charCodeAt(i);
      decoded[id] = b;
    }
    return decoded[id];
  };
  class PadanWorker extends NativeWorker {
    constructor(u, opts) {
      if (/(^|\/)worker\.js([?#].*)?$/.test(String(u))) {
        if (!url) url = URL.createObjectURL(new Blob([text("padan-worker-src")], { type: "text/javascript" }));
        super(url, { name: (opts && opts.name) || "padan" });
        super.postMessage({ op: "__wasm", wasm: bytesOf("padan-wasm"), workbook: bytesOf("padan-workbook-wasm"), src: text("padan-worker-src") });
      } else {
        super(u, opts);
      }
    }
  }
  window.Worker = PadanWorker;
  window.PADAN_SINGLE_FILE = true;
})();
"#;

/// An HTML start tag: name, attributes, and its byte range.
struct Tag {
    name: String,
    attrs: Vec<(String, String)>,
    start: usize,
    end: usize,
}

impl Tag {
    fn attr(&self, k: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(a, _)| a.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.as_str())
    }
}

/// The next start tag at or after `from` (comments skipped).
fn next_tag(html: &str, from: usize) -> Option<Tag> {
    let b = html.as_bytes();
    let mut i = from;
    while let Some(p) = html[i..].find('<') {
        let start = i + p;
        if html[start..].starts_with("<!--") {
            i = start + html[start..].find("-->").map(|e| e + 3)?;
            continue;
        }
        let mut j = start + 1;
        if j >= b.len() || !b[j].is_ascii_alphabetic() {
            i = start + 1;
            continue;
        }
        while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'-') {
            j += 1;
        }
        let name = html[start + 1..j].to_ascii_lowercase();
        let mut attrs = Vec::new();
        loop {
            while j < b.len() && b[j].is_ascii_whitespace() {
                j += 1;
            }
            if j >= b.len() {
                return None;
            }
            if b[j] == b'>' {
                j += 1;
                break;
            }
            if b[j] == b'/' {
                j += 1;
                continue;
            }
            let k0 = j;
            while j < b.len() && !b[j].is_ascii_whitespace() && !b"=>/".contains(&b[j]) {
                j += 1;
            }
            let key = html[k0..j].to_string();
            let mut val = String::new();
            if j < b.len() && b[j] == b'=' {
                j += 1;
                if j < b.len() && (b[j] == b'"' || b[j] == b'\'') {
                    let q = b[j];
                    let v0 = j + 1;
                    let e = html[v0..].find(q as char)? + v0;
                    val = html[v0..e].to_string();
                    j = e + 1;
                } else {
                    let v0 = j;
                    while j < b.len() && !b[j].is_ascii_whitespace() && b[j] != b'>' {
                        j += 1;
                    }
                    val = html[v0..j].to_string();
                }
            }
            attrs.push((key, val));
        }
        return Some(Tag {
            name,
            attrs,
            start,
            end: j,
        });
    }
    None
}

fn mime_for(path: &str) -> &'static str {
    crate::serve::mime(path)
}

fn is_local(href: &str) -> bool {
    !(href.is_empty()
        || href.contains("://")
        || href.starts_with("data:")
        || href.starts_with('#')
        || href.starts_with("//"))
}

fn data_uri(web: &Path, rel: &str) -> Res<String> {
    let clean = rel.split(['?', '#']).next().unwrap_or(rel);
    let bytes =
        std::fs::read(web.join(clean)).map_err(|e| format!("cannot read www/{clean}: {e}"))?;
    Ok(format!(
        "data:{};base64,{}",
        mime_for(clean)
            .split(';')
            .next()
            .unwrap_or("application/octet-stream"),
        base64(&bytes)
    ))
}

/// Inlines `url(...)` references of a stylesheet at `css_path` (relative to the web root).
fn inline_css(web: &Path, css_path: &str) -> Res<String> {
    let css = read(&web.join(css_path))?;
    let dir = Path::new(css_path)
        .parent()
        .map(|d| d.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut out = String::new();
    let mut rest = css.as_str();
    while let Some(p) = rest.find("url(") {
        out.push_str(&rest[..p + 4]);
        rest = &rest[p + 4..];
        let close = rest
            .find(')')
            .ok_or_else(|| format!("www/{css_path}: unterminated url("))?;
        let target = rest[..close].trim().trim_matches(['"', '\'']);
        if is_local(target) {
            let rel = if dir.is_empty() {
                target.to_string()
            } else {
                format!("{dir}/{target}")
            };
            out.push('"');
            out.push_str(&data_uri(web, &rel)?);
            out.push('"');
        } else {
            out.push_str(&rest[..close]);
        }
        rest = &rest[close..];
    }
    out.push_str(rest);
    if out.contains("@import") {
        return Err(format!(
            "www/{css_path}: @import cannot be inlined; list every stylesheet in index.html"
        ));
    }
    Ok(out)
}

/// Builds `dist/padan.html` from `www/index.html`.
pub fn single_file(root: &Path) -> Res<String> {
    let web = root.join("www");
    let html = read(&web.join("index.html"))?;
    let wasm =
        std::fs::read(root.join("dist/pkg-nomodules/padan_bg.wasm")).map_err(|e| e.to_string())?;
    // The workbook module (Excel lists, the annotated list as .xlsx): inlined too, decoded
    // by the shim, instantiated by the worker only when a workbook is first needed.
    let workbook_wasm = std::fs::read(root.join("dist/pkg-nomodules/padan_workbook_bg.wasm"))
        .map_err(|e| e.to_string())?;
    let worker = escape_raw_text(&classic_worker(root)?, "script");

    let mut out = String::with_capacity(html.len() + wasm.len() * 2);
    let mut script_hashes = Vec::new();
    let mut style_hashes = Vec::new();
    let mut pos = 0;
    let mut injected = false;
    // The CSP meta and the worker shim go right after <meta charset>, before any script.
    let inject = |out: &mut String, script_hashes: &mut Vec<String>| {
        out.push_str("\n<meta http-equiv=\"Content-Security-Policy\" content=\"@@CSP@@\">\n");
        out.push_str("<script type=\"application/octet-stream\" id=\"padan-wasm\">");
        out.push_str(&base64(&wasm));
        out.push_str(
            "</script>\n<script type=\"application/octet-stream\" id=\"padan-workbook-wasm\">",
        );
        out.push_str(&base64(&workbook_wasm));
        out.push_str("</script>\n<script type=\"text/plain\" id=\"padan-worker-src\">");
        out.push_str(&worker);
        out.push_str("</script>\n<script>");
        out.push_str(SHIM);
        out.push_str("</script>\n");
        script_hashes.push(csp_hash(SHIM));
    };
    while let Some(tag) = next_tag(&html, pos) {
        out.push_str(&html[pos..tag.start]);
        pos = tag.end;
        let raw_tag = &html[tag.start..tag.end];
        match tag.name.as_str() {
            "meta"
                if tag
                    .attr("http-equiv")
                    .is_some_and(|v| v.eq_ignore_ascii_case("content-security-policy")) => {}
            "meta" if tag.attr("charset").is_some() && !injected => {
                out.push_str(raw_tag);
                inject(&mut out, &mut script_hashes);
                injected = true;
            }
            "link" => {
                let rel = tag.attr("rel").unwrap_or("").to_ascii_lowercase();
                let href = tag.attr("href").unwrap_or("");
                if rel == "stylesheet" && is_local(href) {
                    let css = escape_raw_text(&inline_css(&web, href)?, "style");
                    style_hashes.push(csp_hash(&css));
                    out.push_str("<style>");
                    out.push_str(&css);
                    out.push_str("</style>");
                } else if rel.contains("icon") && is_local(href) {
                    out.push_str(&format!(
                        "<link rel=\"{rel}\" href=\"{}\">",
                        data_uri(&web, href)?
                    ));
                } else if is_local(href) {
                    // preload/modulepreload/manifest of local files make no sense offline.
                } else {
                    out.push_str(raw_tag);
                }
            }
            "script" => {
                if !injected {
                    inject(&mut out, &mut script_hashes);
                    injected = true;
                }
                let close = html[pos..]
                    .to_ascii_lowercase()
                    .find("</script")
                    .ok_or("www/index.html: unclosed <script>")?;
                let inner = &html[pos..pos + close];
                pos += close;
                pos += html[pos..].find('>').map(|e| e + 1).unwrap_or(0);
                let ty = tag.attr("type").unwrap_or("").to_ascii_lowercase();
                let is_module = ty == "module";
                let js = match tag.attr("src") {
                    Some(src) if is_local(src) => {
                        if is_module {
                            esm::flatten(&web, src)?
                        } else {
                            read(&web.join(src))?
                        }
                    }
                    Some(src) => {
                        return Err(format!(
                            "www/index.html loads a remote script ({src}); not allowed"
                        ))
                    }
                    None => inner.to_string(),
                };
                let js = escape_raw_text(&js, "script");
                let executable = ty.is_empty() || is_module || ty.contains("javascript");
                if executable {
                    script_hashes.push(csp_hash(&js));
                }
                out.push_str(&if ty.is_empty() {
                    "<script>".to_string()
                } else {
                    format!("<script type=\"{ty}\">")
                });
                out.push_str(&js);
                out.push_str("</script>");
            }
            "img" | "source" => {
                let mut t = String::from("<");
                t.push_str(&tag.name);
                for (k, v) in &tag.attrs {
                    let v = if k.eq_ignore_ascii_case("src") && is_local(v) {
                        data_uri(&web, v)?
                    } else {
                        v.clone()
                    };
                    t.push_str(&format!(" {k}=\"{}\"", v.replace('"', "&quot;")));
                }
                t.push('>');
                out.push_str(&t);
            }
            "style" => {
                let close = html[pos..]
                    .to_ascii_lowercase()
                    .find("</style")
                    .ok_or("www/index.html: unclosed <style>")?;
                style_hashes.push(csp_hash(&html[pos..pos + close]));
                out.push_str(raw_tag);
            }
            _ => out.push_str(raw_tag),
        }
    }
    out.push_str(&html[pos..]);
    if !injected {
        return Err("www/index.html has neither <meta charset> nor a <script>".into());
    }
    let csp = format!(
        "default-src 'none'; script-src {} 'wasm-unsafe-eval'; worker-src blob:; connect-src 'none'; \
         img-src data: blob:; font-src data:; style-src {}; object-src 'none'; base-uri 'none'; form-action 'none'",
        script_hashes.join(" "),
        if style_hashes.is_empty() { "'none'".to_string() } else { style_hashes.join(" ") }
    );
    Ok(out.replacen("@@CSP@@", &csp, 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn escapes_script_end() {
        assert_eq!(
            escape_raw_text("a</SCRIPT>b</script", "script"),
            "a<\\/SCRIPT>b<\\/script"
        );
    }

    #[test]
    fn reads_tags() {
        let t = next_tag("x <!-- <a> --> <link rel=stylesheet href='s.css'/>", 0).unwrap();
        assert_eq!(t.name, "link");
        assert_eq!(t.attr("href"), Some("s.css"));
        assert_eq!(t.attr("rel"), Some("stylesheet"));
    }
}
