// padan worker: runs the Rust core (WebAssembly) off the page's main thread.
//
// Served app: a MODULE worker, `new Worker('worker.js', {type: 'module'})`, which imports the
// wasm-bindgen glue from ./pkg/ (that fetches pkg/padan_bg.wasm).
// Offline single file (dist/padan.html): `cargo xtask build` turns this same file into a
// CLASSIC worker: lines marked `@module-only` are dropped, `//@classic-only ` prefixes are
// removed, and the wasm-bindgen `--target no-modules` glue (global `wasm_bindgen`, and the
// workbook module's, global `padan_workbook`) is put in front. The page's worker shim then
// sends the inlined wasm bytes as the first message `{op: '__wasm', wasm: Uint8Array,
// workbook: Uint8Array}` (the workbook module is instantiated only when first needed).
//
// Protocol (main -> worker): {id, op, ...}. Worker -> main:
//   {id, type: 'progress', rows, bytes, total}
//   {id, type: 'done', result, wasm_memory[, helper_wasm_memory: [bytes per helper]]}
//   (`tokenize`'s result also has `timings`: milliseconds of its phases, for the benchmark)
//   {id, type: 'error', message}
// Ops: workflow, approval, receipt, audit_append, audit_verify, officer_summary, officer_keygen, officer_sign, keyinfo, keygen, inspect, check, tokenize, compare, reattach, annotated_xlsx, demo, memory.
// Text inputs (workflow, key) may be strings, Blobs/Files or byte arrays. Optional fields on
// any op: `workflow_name`, `key_name`, `file_name` (names used in error messages; default:
// the File's name, else workflow.json / padan.key / input.csv) and `today` ('YYYY-MM-DD',
// default: the local date). `{op: 'memory'}` -> `{bytes, version}`; every 'done' message
// also carries `wasm_memory` (WebAssembly memory size in bytes; it never shrinks).
// After an internal error (a wasm trap) every later request fails: restart the worker.
// Never logs or stores keys, rows or tokens.

import init, * as bindings from './pkg/padan.js'; // @module-only
const padan = bindings; // @module-only
const loadWasm = (m) => init({ module_or_path: m }); // @module-only
const CLASSIC = false; // @module-only
const SELF_URL = () => import.meta.url; // @module-only
const SELF_OPTS = { type: 'module' }; // @module-only
const WASM_URL = () => new URL('./pkg/padan_bg.wasm', import.meta.url); // @module-only
// A classic worker from file:// may only start workers from blob: URLs it made itself.
//@classic-only let selfUrl = null;
//@classic-only const SELF_URL = () => selfUrl || (selfUrl = workerSrc ? URL.createObjectURL(new Blob([workerSrc], { type: 'text/javascript' })) : self.location.href);
//@classic-only const SELF_OPTS = {};
//@classic-only const padan = wasm_bindgen;
//@classic-only const loadWasm = (m) => wasm_bindgen({ module_or_path: m });
//@classic-only const CLASSIC = true;
//@classic-only const WASM_URL = null;

// A helper worker (started by `tokenize` below, named HELPER) gets the compiled module with
// its first message instead of fetching and compiling it again.
const HELPER = 'padan-helper';
const IS_HELPER = self.name === HELPER;

let ready = null; // Promise of the wasm exports
let resolveModule = null;
let wasmModule = null; // the compiled WebAssembly.Module, handed to helper workers
let workerSrc = null; // classic worker: its own source, to start helper workers
let workbookWasm = null; // classic worker: the workbook module's wasm (inlined in padan.html)
let helperMemory = null; // wasm memory of the helper workers of the last request
let broken = null; // set after a wasm trap: the instance cannot be trusted any more

async function compileWasm() {
  const url = WASM_URL();
  if (typeof WebAssembly.compileStreaming === 'function') {
    try {
      return await WebAssembly.compileStreaming(fetch(url));
    } catch (_) {
      /* a server without application/wasm: compile from the bytes */
    }
  }
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return WebAssembly.compile(await r.arrayBuffer());
}

if (CLASSIC || IS_HELPER) {
  // The first message brings the wasm: bytes (padan.html) or a compiled module (helpers).
  ready = new Promise((resolve) => {
    resolveModule = resolve;
  }).then(async (m) => {
    wasmModule = m instanceof WebAssembly.Module ? m : await WebAssembly.compile(m);
    return loadWasm(wasmModule);
  });
} else {
  ready = compileWasm().then((m) => {
    wasmModule = m;
    return loadWasm(m);
  });
}

const PROGRESS_MS = 150;

function today() {
  const d = new Date();
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

// Text, Blob/File, ArrayBuffer or typed array -> Uint8Array.
function bytesOf(x, what) {
  if (x === undefined || x === null) throw new Error(`${what} belum dipilih / ${what} missing`);
  if (typeof x === 'string') return new TextEncoder().encode(x);
  if (x instanceof Uint8Array) return x;
  if (x instanceof ArrayBuffer) return new Uint8Array(x);
  if (ArrayBuffer.isView(x)) return new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
  if (x instanceof Blob) return new Uint8Array(new FileReaderSync().readAsArrayBuffer(x));
  throw new Error(`${what}: unsupported value`);
}

function blobOf(x, what) {
  if (x instanceof Blob) return x;
  if (x === undefined || x === null) throw new Error(`${what} belum dipilih / ${what} missing`);
  return new Blob([bytesOf(x, what)]);
}

const nameOf = (x, fallback) => (x && typeof x.name === 'string' && x.name) || fallback;

// The SHA-256 (hex) of a whole file, for receipts. Up to DIGEST_WHOLE_MAX bytes WebCrypto
// does it: native code, several times faster than SHA-256 in wasm; it needs the file whole
// in (non-wasm) memory for a moment. Larger files, and browsers without WebCrypto here,
// stream through wasm.
const DIGEST_WHOLE_MAX = 256 << 20;

// Gathers the chunks of `file` that helper workers read (tokenize_part's `pass_chunks`)
// into one buffer, for `digestIn(helper)`: the file's SHA-256 (hex) by WebCrypto in that
// (idle) helper, or null when it could not be had that way. The bytes no chunk brought
// (the header before the first part) are read here. null where WebCrypto cannot hash the
// file whole.
function gatherer(file) {
  if (file.size > DIGEST_WHOLE_MAX || !(self.crypto && self.crypto.subtle)) return null;
  let bytes = new Uint8Array(file.size);
  const spans = [];
  return {
    add(buf, at) {
      const b = new Uint8Array(buf);
      if (!bytes || at < 0 || at + b.length > bytes.length) {
        bytes = null; // not this file's chunk: a bug; hash by reading the file instead
        return;
      }
      bytes.set(b, at);
      spans.push([at, at + b.length]);
    },
    // WebCrypto copies the bytes before it hashes them, on the calling thread: a helper
    // does it, not this worker, which merges meanwhile.
    async digestIn(helper) {
      try {
        if (!bytes) return null;
        spans.sort((a, b) => a[0] - b[0]);
        let at = 0;
        const reader = new FileReaderSync();
        for (const [s, e] of spans.concat([[bytes.length, bytes.length]])) {
          if (s > at) bytes.set(new Uint8Array(reader.readAsArrayBuffer(file.slice(at, s))), at);
          at = Math.max(at, e);
        }
        const b = bytes;
        bytes = null;
        return (await helperCall(helper, { id: -1, op: 'sha256_bytes', bytes: b }, () => {}, null, [b.buffer])).sha256;
      } catch (_) {
        return null;
      } finally {
        bytes = null;
      }
    },
  };
}

// A token file's digests for `compare`: 64 bytes, the SHA-256 of its body (all but the
// 32-byte checksum at its end; the core checks the checksum against it instead of hashing
// the records in wasm) then of the whole file (for the receipt). null (the core hashes the
// file itself) for files above DIGEST_WHOLE_MAX or without WebCrypto.
async function tokenFileDigests(file) {
  if (file.size > DIGEST_WHOLE_MAX || file.size < 32 || !(self.crypto && self.crypto.subtle)) return null;
  try {
    const all = new Uint8Array(new FileReaderSync().readAsArrayBuffer(file));
    const out = new Uint8Array(64);
    out.set(new Uint8Array(await self.crypto.subtle.digest('SHA-256', all.subarray(0, all.length - 32))), 0);
    out.set(new Uint8Array(await self.crypto.subtle.digest('SHA-256', all)), 32);
    return out;
  } catch (_) {
    return null;
  }
}

// The digests of token files one after the other (one file in memory at a time), by
// WebCrypto where it can, else streamed through SHA-256 in wasm.
async function allTokenFileDigests(files) {
  const out = [];
  for (const f of files) out.push((await tokenFileDigests(f)) || padan.token_file_digests(f));
  return out;
}

const hexOf = (digest) => Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');

async function sha256File(file) {
  if (file.size <= DIGEST_WHOLE_MAX && self.crypto && self.crypto.subtle) {
    try {
      return hexOf(await self.crypto.subtle.digest('SHA-256', await file.arrayBuffer()));
    } catch (_) {
      /* e.g. not a secure context: the wasm path below */
    }
  }
  return padan.sha256_blob(file);
}

// The same for bytes in memory (a result file).
async function sha256Bytes(bytes) {
  if (self.crypto && self.crypto.subtle) {
    try {
      return hexOf(await self.crypto.subtle.digest('SHA-256', bytes));
    } catch (_) {
      /* the wasm path below */
    }
  }
  return padan.sha256_blob(new Blob([bytes]));
}

function progressFor(id) {
  let last = 0;
  return (rows, bytes, total) => {
    const now = performance.now();
    if (now - last >= PROGRESS_MS) {
      last = now;
      self.postMessage({ id, type: 'progress', rows, bytes, total });
    }
  };
}

// Every step that takes a workflow also needs its approval (text) and the browser's trust
// store (text): the core refuses to run without a valid, trusted approval.
const textOf = (x) => (x === undefined || x === null ? '' : typeof x === 'string' ? x : new TextDecoder().decode(bytesOf(x, 'approval')));

function req(m, extra) {
  return JSON.stringify(Object.assign({
    options: m.options || {},
    party: m.party || '',
    today: m.today || today(),
    approval: textOf(m.approval),
    approval_name: m.approval_name || nameOf(m.approval, ''),
    trust: m.trust || '',
  }, extra));
}

const wfName = (m) => m.workflow_name || nameOf(m.workflow, 'workflow.json');
const keyName = (m) => m.key_name || nameOf(m.key, 'padan.key');

// ---- One list in several workers ----
// A big list is cut into parts that helper workers (one per core, at most 4) take one
// after another; this worker hashes the whole file meanwhile and then merges the parts.
// Any problem (a quoted line break across a cut, an error in a part) falls back to the
// one-worker run, which is always right and gives the authoritative error message.
// `m.parts` (a number of helpers) overrides the automatic choice; 1 disables splitting.
const MIN_SPLIT_BYTES = 8 << 20;

function helpersFor(m, file) {
  if (typeof m.parts === 'number') return Math.max(1, Math.min(8, Math.floor(m.parts)));
  if (file.size < MIN_SPLIT_BYTES) return 1;
  return Math.max(1, Math.min(4, navigator.hardwareConcurrency || 1));
}

// Spare helper workers, started ahead of the list that needs them (their start-up, about
// 0.1-0.4 s, then overlaps with the user's checks, or with the previous list's merge).
// Helpers are used for one list and terminated: their wasm memory, grown to the part's
// size, is given back.
let spares = [];

function startHelper() {
  const w = new Worker(SELF_URL(), { ...SELF_OPTS, name: HELPER });
  // A spare that fails to start fails the request that takes it (helperCall).
  w.onerror = (e) => {
    if (e.preventDefault) e.preventDefault();
    w.failed = e.message || 'helper worker failed';
  };
  w.postMessage({ op: '__wasm', wasm: wasmModule, src: workerSrc });
  return w;
}

function warmHelpers(n) {
  if (n < 2 || IS_HELPER || !wasmModule) return;
  while (spares.length < n) spares.push(startHelper());
}

function takeHelpers(n) {
  warmHelpers(n);
  return spares.splice(0, n);
}

// `onChunk` takes the chunks of the list a helper's part passes on (tokenize_part);
// `transfer` lists buffers moved to the helper with the message.
function helperCall(w, msg, onProgress, onChunk, transfer) {
  return new Promise((resolve, reject) => {
    if (w.failed) {
      reject(new Error(w.failed));
      return;
    }
    w.onmessage = (ev) => {
      const r = ev.data;
      if (r.type === 'progress') onProgress(r);
      else if (r.type === 'chunk' && onChunk) onChunk(r);
      else if (r.type === 'done') resolve(Object.assign(r.result, { wasm_memory: r.wasm_memory }));
      else reject(new Error(r.message));
    };
    w.onerror = (e) => {
      if (e.preventDefault) e.preventDefault();
      reject(new Error(e.message || 'helper worker failed'));
    };
    w.postMessage(msg, transfer || []);
  });
}

async function tokenizeInParts(id, file, r, workflow, key, workers) {
  try {
    return await tokenizeInPartsOrFail(id, file, r, workflow, key, workers);
  } catch (e) {
    if (e instanceof WebAssembly.RuntimeError) throw e;
    return null; // the one-worker run is always right and reports errors properly
  }
}

async function tokenizeInPartsOrFail(id, file, r, workflow, key, workers) {
  const t0 = performance.now();
  // Parts that shrink towards the end (see `Tokenizer::part_starts`), taken by the helpers
  // one after another: a helper that runs slower than the others holds up the end by a
  // small part at most.
  const starts = padan.tokenize_plan(r, file, workflow, key, workers).starts;
  if (starts.length < 2) return null;
  const timings = { parts: starts.length, plan_ms: performance.now() - t0 };
  const helpers = [];
  try {
    helpers.push(...takeHelpers(Math.min(workers, starts.length)));
    const seen = starts.map(() => [0, 0]);
    const post = progressFor(id);
    const results = new Array(starts.length);
    let next = 0;
    // The whole input's SHA-256 for the receipt. The helpers pass on the chunks of the list
    // they read, and they are gathered here, so that WebCrypto can hash the list without
    // reading it once more (a read costs about as much as the hash). Where that cannot be
    // (a list above DIGEST_WHOLE_MAX, no WebCrypto), the first helper to run out of parts
    // hashes it, beside the other helpers' last (small) parts and this worker's merge.
    const whole = gatherer(file);
    let hashing = null;
    const hashIn = (helper) => {
      const t = performance.now();
      hashing = helperCall(helper, { id: -1, op: 'sha256_file', file }, () => {})
        .then((x) => {
          timings.hash_ms = performance.now() - t;
          timings.hashed = 'file';
          return x.sha256;
        })
        .catch(() => null);
    };
    const running = helpers.map((helper) => (async () => {
      const done = { parts: 0, ms: 0, read_ms: 0, wasm_memory: 0 };
      for (let i = next++; i < starts.length; i = next++) {
        const start = starts[i];
        const x = await helperCall(helper, {
          id: i, op: 'tokenize_part', req: r, file, workflow, key, start,
          next_start: i + 1 < starts.length ? starts[i + 1] : null,
          pass_chunks: !!whole,
        }, (p) => {
          seen[i] = [p.rows, Math.max(0, p.bytes - start)];
          post(seen.reduce((a, y) => a + y[0], 0), seen.reduce((a, y) => a + y[1], 0), file.size);
        }, whole && ((c) => whole.add(c.buf, c.at)));
        results[i] = x.part;
        done.parts += 1;
        done.ms += x.timings.ms;
        done.read_ms += x.timings.read_ms;
        done.wasm_memory = Math.max(done.wasm_memory, x.wasm_memory);
      }
      if (!hashing && !whole) hashIn(helper);
      return done;
    })());
    let done;
    try {
      done = await Promise.all(running);
    } catch (_) {
      return null;
    }
    timings.helpers = done.map(({ parts, ms, read_ms }) => ({ parts, ms, read_ms }));
    timings.parts_done_ms = performance.now() - t0;
    helperMemory = done.map((x) => x.wasm_memory);
    if (whole) {
      // Started before the merge below, in an idle helper.
      const t = performance.now();
      hashing = whole.digestIn(helpers[0]).then((x) => {
        timings.hash_ms = performance.now() - t;
        if (x) timings.hashed = 'chunks';
        return x;
      });
    }
    const t = performance.now();
    // The token file's checksum by WebCrypto (wasm leaves its last 32 bytes to us).
    const subtle = self.crypto && self.crypto.subtle;
    const res = padan.tokenize_finish(r, file, workflow, key, results, undefined, !!subtle) || null;
    timings.finish_merge_ms = performance.now() - t;
    if (res && subtle) {
      const tf = res.token_file;
      tf.set(new Uint8Array(await subtle.digest('SHA-256', tf.subarray(0, tf.length - 32))), tf.length - 32);
    }
    timings.finish_ms = performance.now() - t;
    if (res) {
      // A helper that could not hash (it failed): here.
      res.summary.input_sha256 = (hashing && (await hashing)) || (await sha256File(file));
      timings.tail_ms = performance.now() - t;
      res.timings = timings;
    }
    return res;
  } finally {
    for (const h of helpers) h.terminate();
  }
}

// ---- Workbooks (.xlsx/.xls) ----
// An Excel list is turned into its CSV form by the workbook module (pkg/padan_workbook*,
// the same core plus `workbook_csv`), loaded only the first time a workbook is opened; the
// CSV form then takes the ordinary path, read as comma-separated UTF-8. Its line numbers
// are the sheet's row numbers, so messages name the rows the user sees in Excel.
let workbookModule = null;
let lastWorkbook = null; // {key, file, info, sha256}: the last conversion, reused by later ops

// In padan.html (classic worker) the workbook module's no-modules glue (global
// `padan_workbook`) is part of this worker's source and its wasm bytes come with the first
// message; it is instantiated here, on first use, as in the served app.
const classicWorkbook = null; // @module-only
//@classic-only const classicWorkbook = () => (workbookWasm
//@classic-only   ? padan_workbook({ module_or_path: workbookWasm }).then(() => padan_workbook)
//@classic-only   : Promise.reject(new Error('Modul workbook tidak ada di padan.html ini: simpan daftar sebagai CSV (UTF-8). / This padan.html has no workbook module: save the list as CSV (UTF-8).')));

function workbookBindings() {
  if (!workbookModule) {
    workbookModule = CLASSIC ? classicWorkbook() : null;
    if (!CLASSIC) workbookModule = import('./pkg/padan_workbook.js').then(async (m) => { // @module-only
      await m.default(); // @module-only
      return m; // @module-only
    }); // @module-only
    workbookModule.catch(() => { workbookModule = null; });
  }
  return workbookModule;
}

function isWorkbook(head) {
  const zip = head[0] === 0x50 && head[1] === 0x4b && ((head[2] === 3 && head[3] === 4) || (head[2] === 5 && head[3] === 6));
  const ole = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1].every((b, i) => head[i] === b);
  return zip || ole;
}

// The list of a request: `{file, options, workbook}` where a workbook is already in its CSV
// form (`workbook`: what was read: sheets, sheet, header rows, ...; and the workbook's SHA-256).
async function listOf(m) {
  const file = blobOf(m.file, 'file');
  const options = m.options || {};
  const head = new Uint8Array(new FileReaderSync().readAsArrayBuffer(file.slice(0, 8)));
  if (!isWorkbook(head)) return { file, options, workbook: null };
  const name = nameOf(file, 'list.xlsx');
  const key = JSON.stringify([name, file.size, file.lastModified || 0, options.sheet || null, options.header_row || null, options.columns || {}]);
  if (!lastWorkbook || lastWorkbook.key !== key) {
    const wb = await workbookBindings();
    const bytes = new Uint8Array(new FileReaderSync().readAsArrayBuffer(file));
    const r = wb.workbook_csv(req({ ...m, options }, { file_name: name }), bytes);
    lastWorkbook = { key, file: new File([r.csv], name), info: r.info, sha256: padan.sha256_blob(file) };
  }
  return {
    file: lastWorkbook.file,
    options: { ...options, delimiter: ',', encoding: 'utf-8' },
    workbook: { ...lastWorkbook.info, sha256: lastWorkbook.sha256 },
  };
}

// Each op returns [result, transferables] (or a promise of them).
const OPS = {
  workflow(m) {
    return [padan.workflow_info(req(m, { workflow_name: m.name || nameOf(m.text, 'workflow.json') }), bytesOf(m.text, 'workflow')), []];
  },
  approval(m) {
    const r = req(m, { workflow_name: m.workflow_name || nameOf(m.workflow, 'workflow.json') });
    return [padan.approval_status(r, bytesOf(m.workflow, 'workflow'), JSON.stringify(m.confirm || [])), []];
  },
  example_workflow() {
    return [{ text: padan.example_workflow() }, []];
  },
  officer_summary(m) {
    return [padan.officer_summary(req(m, { workflow_name: m.name || 'workflow.json' }), bytesOf(m.text, 'workflow')), []];
  },
  officer_keygen(m) {
    const random = crypto.getRandomValues(new Uint8Array(60));
    try {
      return [padan.officer_keygen(m.name || '', m.passphrase || '', random), []];
    } finally {
      random.fill(0);
    }
  },
  officer_sign(m) {
    const r = req(m, { workflow_name: m.workflow_name || 'workflow.json', key_name: m.key_name || 'officer.key' });
    return [padan.officer_sign(r, bytesOf(m.workflow, 'workflow'), bytesOf(m.key, 'key'), m.passphrase || ''), []];
  },
  // The receipt of an office step: the files are hashed here ({name, blob?, bytes?, party?,
  // records?}; a workbook list is named and hashed as the workbook itself).
  receipt(m) {
    const fact = (f) => {
      const blob = f.blob || new Blob([f.bytes || new Uint8Array(0)]);
      const x = { name: f.name, sha256: padan.sha256_blob(blob), bytes: blob.size };
      if (f.party) x.party = f.party;
      if (typeof f.records === 'number') x.records = f.records;
      return x;
    };
    const args = JSON.stringify({
      step: m.step, inputs: (m.inputs || []).map(fact), outputs: (m.outputs || []).map(fact),
      started: m.started || '', finished: m.finished || '', counts: m.counts || {},
    });
    const r = padan.step_receipt(req(m, { workflow_name: wfName(m) }), bytesOf(m.workflow, 'workflow'), args);
    return [{ text: r }, []];
  },
  audit_append(m) {
    const r = padan.audit_append(bytesOf(m.log, 'log'), m.log_name || 'audit.log', m.started || '', m.finished || '', m.draft || '');
    return [r, [r.log.buffer]];
  },
  audit_verify(m) {
    return [padan.audit_verify(bytesOf(m.log, 'log'), m.log_name || 'audit.log', m.expect_head || ''), []];
  },
  keyinfo(m) {
    return [padan.key_info(req(m, { key_name: m.name || nameOf(m.text, 'padan.key') }), bytesOf(m.text, 'key')), []];
  },
  keygen() {
    const random = crypto.getRandomValues(new Uint8Array(32));
    const r = padan.keygen(random);
    random.fill(0);
    return [r, []];
  },
  async inspect(m) {
    const { file, options, workbook } = await listOf(m);
    warmHelpers(helpersFor(m, file)); // the office tokenizes this list next
    const r = padan.inspect(req({ ...m, options }, { file_name: m.file_name || nameOf(file, 'input.csv') }), file);
    if (workbook) r.workbook = workbook;
    return [r, []];
  },
  async check(m) {
    const { file, options } = await listOf(m);
    warmHelpers(helpersFor(m, file));
    const r = padan.check(
      req({ ...m, options }, { file_name: m.file_name || nameOf(file, 'input.csv'), workflow_name: wfName(m) }),
      file, bytesOf(m.workflow, 'workflow'), progressFor(m.id));
    return [r, []];
  },
  async tokenize(m0) {
    const { file, options, workbook } = await listOf(m0);
    const m = { ...m0, options };
    const key = bytesOf(m.key, 'key').slice();
    const workflow = bytesOf(m.workflow, 'workflow');
    const r = req(m, { file_name: m.file_name || nameOf(file, 'input.csv'), workflow_name: wfName(m), key_name: keyName(m) });
    try {
      let res = null;
      const helpers = helpersFor(m, file);
      if (helpers > 1) res = await tokenizeInParts(m.id, file, r, workflow, key, helpers);
      if (!res) {
        const t0 = performance.now();
        padan.take_read_ms();
        res = padan.tokenize(r, file, workflow, key, progressFor(m.id));
        res.timings = { parts: 1, ms: performance.now() - t0, read_ms: padan.take_read_ms() };
      }
      // The receipt names the workbook the office has, not its CSV form.
      if (workbook && res.summary) res.summary.input_sha256 = workbook.sha256;
      return [res, [res.token_file.buffer]];
    } finally {
      key.fill(0);
    }
  },
  // Internal: one part of a list, in a helper worker started by `tokenize`.
  tokenize_part(m) {
    // Started (the progress bar moves from the part's first byte).
    self.postMessage({ id: m.id, type: 'progress', rows: 0, bytes: m.start, total: m.file.size });
    try {
      const t0 = performance.now();
      padan.take_read_ms();
      // The chunks read go to the worker that hashes the list (moved, not copied).
      const pass = m.pass_chunks ? (buf, at) => self.postMessage({ id: m.id, type: 'chunk', buf, at }, [buf]) : undefined;
      const part = padan.tokenize_part(m.req, m.file, m.workflow, m.key, m.start,
        m.next_start === null ? undefined : m.next_start, progressFor(m.id), pass);
      const timings = { ms: performance.now() - t0, read_ms: padan.take_read_ms() };
      return [{ part, timings }, [part.buffer]];
    } finally {
      m.key.fill(0);
    }
  },
  // Internal: the SHA-256 of a whole list for its receipt, in a helper worker (see
  // tokenizeInPartsOrFail).
  async sha256_file(m) {
    return [{ sha256: await sha256File(m.file) }, []];
  },
  // Internal: the same for a list gathered from the chunks its parts read (gatherer).
  async sha256_bytes(m) {
    return [{ sha256: await sha256Bytes(m.bytes) }, []];
  },
  // Internal: the digests of token files (see tokenFileDigests), in a helper worker while
  // `compare` runs in this one: WebCrypto hashes on its own thread meanwhile, and one file
  // at a time is held in memory.
  async token_digests(m) {
    // Started: the comparison may begin (a worker started by a busy one would wait for it).
    self.postMessage({ id: m.id, type: 'progress' });
    const out = await allTokenFileDigests(m.files);
    return [out, out.map((d) => d.buffer)];
  },
  async compare(m) {
    const files = (m.files || []).map((f, i) => blobOf(f, `file ${i + 1}`));
    const names = files.map((f, i) => (m.names && m.names[i]) || nameOf(f, `tokens-${i + 1}`));
    // The result files' digests for the run's record are filled in below (WebCrypto where
    // there is one); `audit_append` refuses a record that lacks one.
    const r0 = req(m, { workflow_name: wfName(m), names, outputs_hashed_by_caller: true });
    const workflow = bytesOf(m.workflow, 'workflow');
    const tStart = performance.now();
    let t0 = tStart;
    let r;
    let t1;
    let t2;
    // The token files' digests (for their checksums and the run's record) come from a
    // helper worker while this one compares; the comparison's result is given out only
    // once they match the files' checksums (`PendingCompare.confirm`).
    const helper = IS_HELPER || !wasmModule ? null : spares.shift() || startHelper();
    try {
      if (helper) {
        // A helper started by a busy worker would only start once this one is free again:
        // the comparison begins when the helper runs (or failed).
        let started;
        const running = new Promise((resolve) => {
          started = resolve;
        });
        const digesting = helperCall(helper, { id: 0, op: 'token_digests', files }, () => started()).catch(() => {
          started();
          return null;
        });
        await running;
        t0 = performance.now();
        const pending = padan.compare_begin(r0, workflow, files, progressFor(m.id));
        try {
          t1 = performance.now();
          // The helper failed (e.g. could not start): hash here.
          const digests = (await digesting) || (await allTokenFileDigests(files));
          t2 = performance.now();
          r = pending.confirm(digests);
        } finally {
          pending.free();
        }
      } else {
        const digests = [];
        for (const f of files) digests.push(await tokenFileDigests(f));
        t1 = performance.now();
        r = padan.compare(r0, workflow, files, digests, progressFor(m.id));
        t2 = performance.now();
      }
    } finally {
      if (helper) helper.terminate();
    }
    const t3 = performance.now();
    const draft = JSON.parse(r.audit_draft);
    for (const [i, f] of draft.outputs.entries()) f.sha256 = await sha256Bytes(r.results[i].bytes);
    r.audit_draft = JSON.stringify(draft);
    // Where the time went (the benchmark prints it; no data in it). With a helper,
    // `digests_ms` is the wait for its digests after the comparison.
    r.timings = helper
      ? { helper_start_ms: t0 - tStart, compare_ms: t1 - t0, digests_ms: t2 - t1, confirm_ms: t3 - t2, output_digests_ms: performance.now() - t3 }
      : { digests_ms: t1 - t0, compare_ms: t2 - t1, output_digests_ms: performance.now() - t3 };
    return [r, r.results.map((x) => x.bytes.buffer)];
  },
  async reattach(m0) {
    const { file, options } = await listOf(m0);
    const m = { ...m0, options };
    const result = blobOf(m.result, 'result');
    const key = bytesOf(m.key, 'key').slice();
    try {
      const r = padan.reattach(
        req(m, {
          file_name: m.file_name || nameOf(file, 'input.csv'), workflow_name: wfName(m), key_name: keyName(m),
          result_name: m.result_name || nameOf(result, 'result'),
        }),
        file, bytesOf(m.workflow, 'workflow'), key, result, progressFor(m.id));
      return [r, [r.bytes.buffer]];
    } finally {
      key.fill(0);
    }
  },
  // The annotated list (the CSV bytes `reattach` returned) as .xlsx, by the workbook module:
  // `{bytes, file_name}` (the CSV's name with .xlsx), the same cells as the CLI's .xlsx.
  async annotated_xlsx(m) {
    const wb = await workbookBindings();
    const r = wb.annotated_xlsx(req(m, { file_name: m.file_name || 'hasil.csv' }), bytesOf(m.bytes, 'annotated list'));
    return [r, [r.bytes.buffer]];
  },
  demo(m) {
    const r = padan.demo(JSON.stringify({ people: m.people || undefined, seed: m.seed === undefined ? undefined : m.seed }));
    return [r, r.files.map((f) => f.bytes.buffer)];
  },
  memory() {
    return [{ bytes: padan.memory_bytes(), version: padan.version() }, []];
  },
};

async function handle(m) {
  const id = m && m.id;
  try {
    await ready;
    if (broken) throw new Error(broken);
    const op = OPS[m && m.op];
    if (!op) throw new Error(`internal: unknown op ${m && m.op}`);
    helperMemory = null;
    const [result, transfer] = await op(m);
    const done = { id, type: 'done', result, wasm_memory: padan.memory_bytes() };
    if (helperMemory) done.helper_wasm_memory = helperMemory;
    self.postMessage(done, transfer);
  } catch (e) {
    let message = e && e.message ? e.message : String(e);
    if (e instanceof WebAssembly.RuntimeError) {
      let detail = '';
      try {
        detail = padan.last_panic();
      } catch (_) {
        /* the instance is gone */
      }
      broken = 'Galat internal padan (bug); muat ulang halaman. / Internal padan error (a bug); reload the page.';
      message = `${broken} [${e.message}${detail ? `; ${detail}` : ''}]`;
    }
    self.postMessage({ id, type: 'error', message });
  }
}

self.onmessage = (ev) => {
  const m = ev.data;
  if (m && m.op === '__wasm') {
    workerSrc = m.src || null;
    workbookWasm = m.workbook || null;
    if (resolveModule) resolveModule(m.wasm);
    return;
  }
  handle(m);
};
