//! A deliberately small ES-module flattener for the offline single file.
//!
//! `dist/padan.html` must work from `file://`, where a page cannot load module files, so the
//! app's modules (`www/app/*.js`, entry from `index.html`) are joined into ONE inline
//! `<script type="module">`. Each module becomes a function scope that returns its exports;
//! modules run once, dependencies first, in import order.
//!
//! Supported (the app's code keeps to this; anything else is a build error, never a silent
//! miscompile):
//! - top-level `import {a, b as c} from './x.js';`, `import * as ns from './x.js';`,
//!   `import d from './x.js';`, `import d, {a} from './x.js';`, `import './x.js';`
//!   (relative specifiers only, may span lines);
//! - `export function|async function|class|const|let|var NAME`, `export default ...`,
//!   `export { a, b as c };`, `export { a } from './x.js';`, `export * from './x.js';`
//!   at the start of a line;
//! - `import.meta.url` (becomes `document.baseURI`).
//!
//! Not supported: import cycles, dynamic `import()`, top-level `await`, bare specifiers.
//! Named imports are snapshots taken when the importing module starts: export functions,
//! classes and constants (or objects), not `let` variables that are later reassigned.

use std::collections::{BTreeMap, HashMap};
use std::path::{Component, Path, PathBuf};

use crate::Res;

pub struct Bundle {
    /// Modules in execution order: (path relative to the web root, transformed body).
    order: Vec<(String, String)>,
    index: HashMap<String, usize>,
    visiting: Vec<String>,
    web_root: PathBuf,
}

/// Flattens the module graph rooted at `entry` (relative to `web_root`) into one script.
pub fn flatten(web_root: &Path, entry: &str) -> Res<String> {
    let mut b = Bundle {
        order: Vec::new(),
        index: HashMap::new(),
        visiting: Vec::new(),
        web_root: web_root.to_path_buf(),
    };
    b.load(&normalize(entry)?)?;
    let mut out = String::from("\"use strict\";\nconst __padanModules = [];\n");
    for (i, (path, body)) in b.order.iter().enumerate() {
        out.push_str(&format!(
            "// ---- module {path} ----\n__padanModules[{i}] = (() => {{\n{body}\n}})();\n"
        ));
    }
    Ok(out)
}

/// `a/./b/../c.js` -> `a/c.js`; refuses to leave the web root.
fn normalize(p: &str) -> Res<String> {
    let mut parts: Vec<String> = Vec::new();
    for c in Path::new(p).components() {
        match c {
            Component::Normal(s) => parts.push(s.to_string_lossy().into_owned()),
            Component::ParentDir => {
                if parts.pop().is_none() {
                    return Err(format!("module path {p} leaves the web root"));
                }
            }
            Component::CurDir | Component::RootDir => {}
            Component::Prefix(_) => return Err(format!("bad module path {p}")),
        }
    }
    Ok(parts.join("/"))
}

fn resolve(from: &str, spec: &str) -> Res<String> {
    if !(spec.starts_with("./") || spec.starts_with("../")) {
        return Err(format!(
            "{from}: import of '{spec}': only relative imports can be inlined"
        ));
    }
    let dir = Path::new(from)
        .parent()
        .map(|d| d.to_string_lossy().into_owned())
        .unwrap_or_default();
    normalize(&format!("{dir}/{spec}"))
}

/// One parsed import/re-export clause.
enum Clause {
    Namespace(String),
    Default(String),
    Named(Vec<(String, String)>),
}

impl Bundle {
    fn load(&mut self, path: &str) -> Res<usize> {
        if let Some(&i) = self.index.get(path) {
            return Ok(i);
        }
        if self.visiting.iter().any(|p| p == path) {
            return Err(format!(
                "import cycle: {} -> {path}",
                self.visiting.join(" -> ")
            ));
        }
        if path.starts_with("pkg/") {
            return Err(format!(
                "{}: the page imports {path}; only the worker (worker.js) may load the wasm bindings",
                self.visiting.last().map(String::as_str).unwrap_or("?")
            ));
        }
        let src = std::fs::read_to_string(self.web_root.join(path))
            .map_err(|e| format!("cannot read www/{path}: {e}"))?;
        self.visiting.push(path.to_string());
        let body = self.transform(path, &src)?;
        self.visiting.pop();
        let i = self.order.len();
        self.order.push((path.to_string(), body));
        self.index.insert(path.to_string(), i);
        Ok(i)
    }

    fn transform(&mut self, path: &str, src: &str) -> Res<String> {
        if src.contains("import(") {
            return Err(format!("{path}: dynamic import() cannot be inlined"));
        }
        let src = src.replace("import.meta.url", "document.baseURI");
        let lines: Vec<&str> = src.lines().collect();
        let mut out = String::new();
        // exported name -> local expression
        let mut exports: BTreeMap<String, String> = BTreeMap::new();
        let mut star_reexports: Vec<usize> = Vec::new();
        let mut i = 0;
        while i < lines.len() {
            let line = lines[i];
            let is_import = line.starts_with("import ")
                || line.starts_with("import{")
                || line.starts_with("import'")
                || line.starts_with("import\"");
            let is_reexport = line.starts_with("export ")
                && (line.starts_with("export *")
                    || (line.starts_with("export {") && statement_has_from(&lines[i..])));
            if is_import || is_reexport {
                // Gather the whole statement (it ends with the module string).
                let mut stmt = String::new();
                let mut j = i;
                loop {
                    stmt.push_str(lines[j]);
                    stmt.push('\n');
                    if ends_with_specifier(&stmt) {
                        break;
                    }
                    j += 1;
                    if j >= lines.len() {
                        return Err(format!("{path}:{}: unterminated import statement", i + 1));
                    }
                }
                let (clause_src, spec) = split_statement(&stmt).ok_or_else(|| {
                    format!("{path}:{}: cannot read this import/export statement", i + 1)
                })?;
                let dep = resolve(path, &spec)?;
                let idx = self.load(&dep)?;
                let m = format!("__padanModules[{idx}]");
                let head = clause_src.trim();
                if is_import {
                    let clause = head.trim_start_matches("import").trim();
                    for c in
                        parse_import_clause(clause).map_err(|e| format!("{path}:{}: {e}", i + 1))?
                    {
                        match c {
                            Clause::Namespace(n) => out.push_str(&format!("const {n} = {m};")),
                            Clause::Default(n) => {
                                out.push_str(&format!("const {n} = {m}.default;"))
                            }
                            Clause::Named(list) => {
                                let inner: Vec<String> = list
                                    .iter()
                                    .map(|(imp, local)| {
                                        if imp == local {
                                            imp.clone()
                                        } else {
                                            format!("{imp}: {local}")
                                        }
                                    })
                                    .collect();
                                out.push_str(&format!("const {{ {} }} = {m};", inner.join(", ")));
                            }
                        }
                    }
                } else {
                    let clause = head.trim_start_matches("export").trim();
                    if clause.starts_with('*') {
                        if clause.contains(" as ") {
                            let name = clause
                                .rsplit(" as ")
                                .next()
                                .unwrap_or("")
                                .trim()
                                .to_string();
                            exports.insert(name, m.clone());
                        } else {
                            star_reexports.push(idx);
                        }
                    } else {
                        for (imp, exp) in
                            parse_braces(clause).map_err(|e| format!("{path}:{}: {e}", i + 1))?
                        {
                            exports.insert(exp, format!("{m}.{imp}"));
                        }
                    }
                }
                // Keep line numbers stable.
                out.push_str(&"\n".repeat(j - i + 1));
                i = j + 1;
                continue;
            }
            if let Some(rest) = line.strip_prefix("export ") {
                let rest_t = rest.trim_start();
                if let Some(d) = rest_t.strip_prefix("default ") {
                    let d = d.trim_start();
                    let named = ["async function ", "function ", "class "]
                        .iter()
                        .find_map(|kw| {
                            d.strip_prefix(kw)
                                .map(|r| ident_prefix(r.trim_start_matches('*').trim_start()))
                        })
                        .filter(|n| !n.is_empty());
                    if let Some(n) = named {
                        exports.insert("default".into(), n);
                        out.push_str(d);
                    } else {
                        exports.insert("default".into(), "__default".into());
                        out.push_str("const __default = ");
                        out.push_str(d);
                    }
                } else if rest_t.starts_with('{') {
                    let mut stmt = String::new();
                    let mut j = i;
                    loop {
                        stmt.push_str(lines[j]);
                        stmt.push(' ');
                        if stmt.contains('}') {
                            break;
                        }
                        j += 1;
                        if j >= lines.len() {
                            return Err(format!("{path}:{}: unterminated export list", i + 1));
                        }
                    }
                    let clause = stmt.trim().trim_start_matches("export").trim();
                    for (local, exp) in
                        parse_braces(clause).map_err(|e| format!("{path}:{}: {e}", i + 1))?
                    {
                        exports.insert(exp, local);
                    }
                    out.push_str(&"\n".repeat(j - i));
                    i = j;
                } else {
                    let mut name = String::new();
                    for kw in [
                        "async function ",
                        "function ",
                        "class ",
                        "const ",
                        "let ",
                        "var ",
                    ] {
                        if let Some(r) = rest_t.strip_prefix(kw) {
                            name = ident_prefix(r.trim_start_matches('*').trim_start());
                            break;
                        }
                    }
                    if name.is_empty() {
                        return Err(format!(
                            "{path}:{}: unsupported export form: {}",
                            i + 1,
                            line.trim()
                        ));
                    }
                    exports.insert(name.clone(), name);
                    out.push_str(rest);
                }
                out.push('\n');
                i += 1;
                continue;
            }
            if line.starts_with("await ")
                || (line.contains("= await ") && !line.starts_with(char::is_whitespace))
            {
                return Err(format!(
                    "{path}:{}: top-level await cannot be inlined",
                    i + 1
                ));
            }
            out.push_str(line);
            out.push('\n');
            i += 1;
        }
        // The namespace object: getters keep `let` exports live for namespace imports.
        let mut ns = String::from("const __ns = Object.create(null);\n");
        for idx in star_reexports {
            ns.push_str(&format!(
                "for (const k of Object.keys(__padanModules[{idx}])) if (k !== 'default') Object.defineProperty(__ns, k, {{ enumerable: true, get: () => __padanModules[{idx}][k] }});\n"
            ));
        }
        for (exp, local) in &exports {
            ns.push_str(&format!("Object.defineProperty(__ns, {exp:?}, {{ enumerable: true, get: () => {local} }});\n"));
        }
        ns.push_str("return Object.freeze(__ns);");
        out.push_str(&ns);
        Ok(out)
    }
}

fn statement_has_from(lines: &[&str]) -> bool {
    let mut s = String::new();
    for l in lines {
        s.push_str(l);
        s.push(' ');
        if l.contains('}') {
            break;
        }
    }
    let after = s.split('}').nth(1).unwrap_or("").trim_start();
    after.starts_with("from")
}

/// The statement so far ends with a quoted module specifier (optionally `;`).
fn ends_with_specifier(s: &str) -> bool {
    let t = s.trim_end().trim_end_matches(';').trim_end();
    (t.ends_with('\'') || t.ends_with('"')) && split_statement(s).is_some()
}

/// Splits `import ... from './x.js';` into (`import ...`, `./x.js`).
fn split_statement(s: &str) -> Option<(String, String)> {
    let t = s.trim_end().trim_end_matches(';').trim_end();
    let q = t.chars().last()?;
    if q != '\'' && q != '"' {
        return None;
    }
    let body = &t[..t.len() - 1];
    let open = body.rfind(q)?;
    let spec = body[open + 1..].to_string();
    let head = body[..open].trim_end();
    let head = head.strip_suffix("from").map(str::trim_end).unwrap_or(head);
    Some((head.to_string(), spec))
}

fn ident_prefix(s: &str) -> String {
    s.chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '$')
        .collect()
}

/// `d`, `* as ns`, `{a, b as c}`, `d, {a}`, `d, * as ns`, or empty (side effect only).
fn parse_import_clause(c: &str) -> Result<Vec<Clause>, String> {
    let mut out = Vec::new();
    let mut rest = c.trim();
    if rest.is_empty() {
        return Ok(out);
    }
    if !rest.starts_with('{') && !rest.starts_with('*') {
        let d = ident_prefix(rest);
        if d.is_empty() {
            return Err(format!("cannot read import clause `{c}`"));
        }
        rest = rest[d.len()..]
            .trim_start()
            .trim_start_matches(',')
            .trim_start();
        out.push(Clause::Default(d));
    }
    if let Some(r) = rest.strip_prefix('*') {
        let n = r
            .trim_start()
            .strip_prefix("as")
            .map(str::trim)
            .map(ident_prefix)
            .unwrap_or_default();
        if n.is_empty() {
            return Err(format!("cannot read import clause `{c}`"));
        }
        out.push(Clause::Namespace(n));
    } else if rest.starts_with('{') {
        out.push(Clause::Named(parse_braces(rest)?));
    } else if !rest.is_empty() {
        return Err(format!("cannot read import clause `{c}`"));
    }
    Ok(out)
}

/// `{ a, b as c }` -> [(a, a), (b, c)].
fn parse_braces(s: &str) -> Result<Vec<(String, String)>, String> {
    let open = s.find('{').ok_or_else(|| format!("expected {{ in `{s}`"))?;
    let close = s.find('}').ok_or_else(|| format!("expected }} in `{s}`"))?;
    let mut out = Vec::new();
    for item in s[open + 1..close].split(',') {
        let item = item.trim();
        if item.is_empty() {
            continue;
        }
        let mut it = item.split_whitespace();
        let a = it.next().unwrap_or_default().to_string();
        let b = match (it.next(), it.next()) {
            (Some("as"), Some(b)) => b.to_string(),
            (None, _) => a.clone(),
            _ => return Err(format!("cannot read `{item}`")),
        };
        out.push((a, b));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flattens_imports_and_exports() {
        let dir = std::env::temp_dir().join(format!("padan-esm-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("app")).unwrap();
        std::fs::write(
            dir.join("app/util.js"),
            "export const A = 1;\nexport function f(x) { return x + A; }\nlet n = 0;\nexport { n as count };\nexport default class Thing {}\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("app/re.js"),
            "export * from './util.js';\nexport { f as g } from './util.js';\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("app/main.js"),
            "import Thing, {\n  A,\n  f as plus,\n} from './util.js';\nimport * as re from './re.js';\nconsole.log(plus(A), re.g(1), new Thing(), import.meta.url);\n",
        )
        .unwrap();
        let js = flatten(&dir, "app/main.js").unwrap();
        assert!(
            js.contains("const { A, f: plus } = __padanModules[0];"),
            "{js}"
        );
        assert!(
            js.contains("const Thing = __padanModules[0].default;"),
            "{js}"
        );
        assert!(js.contains("const re = __padanModules[1];"), "{js}");
        assert!(js.contains("document.baseURI"));
        assert!(
            js.contains("\"count\", { enumerable: true, get: () => n }"),
            "{js}"
        );
        assert!(js.contains("class Thing {}"));
        std::fs::write(dir.join("app/cyc.js"), "import './cyc.js';\n").unwrap();
        assert!(flatten(&dir, "app/cyc.js").unwrap_err().contains("cycle"));
        std::fs::remove_dir_all(&dir).ok();
    }
}
