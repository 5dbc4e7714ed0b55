// Browser benchmark driven by `cargo xtask bench-browser`: it serves the demo scenario at
// ./bench-data/ and reads this page's reports from POST /__report/<kind>.
// Query: ?data=bench-data/&auto=1

const params = new URLSearchParams(location.search);
const DATA = params.get('data') || 'bench-data/';
const AUTO = params.get('auto') === '1';
// (party, file) of the demo lists; the first is the reference list (DTKS).
const LISTS = [
  ['dtks', 'dtks.csv'],
  ['dinkes', 'dinkes_pbi.csv'],
  ['disdik', 'disdik_pip.csv'],
  ['dpmd', 'dpmd_blt.csv'],
  ['baznas', 'baznas.csv'],
];

const logEl = document.getElementById('log');

async function report(kind, data) {
  if (!AUTO) return;
  try {
    await fetch(`/__report/${kind}`, { method: 'POST', body: JSON.stringify(data) });
  } catch (_) {
    /* the driver may be gone */
  }
}

function log(text) {
  logEl.textContent += `${text}\n`;
  report('log', { text });
}

const WORKERS = Math.max(1, parseInt(params.get('workers') || '1', 10));
// Parts per list (helper workers inside the worker); empty = the worker's automatic choice.
const PARTS = params.get('parts') ? parseInt(params.get('parts'), 10) : undefined;
let nextId = 1;
const pending = new Map();

function startWorker() {
  const w = new Worker('worker.js', { type: 'module' });
  w.onmessage = (ev) => {
    const m = ev.data;
    const p = pending.get(m.id);
    if (!p) return;
    if (m.type === 'progress') {
      p.progress(m);
    } else {
      pending.delete(m.id);
      if (m.type === 'done') p.resolve(m);
      else p.reject(new Error(m.message));
    }
  };
  w.onerror = (e) => {
    log(`worker error: ${e.message}`);
    report('error', { message: `worker error: ${e.message}` });
  };
  return w;
}

const workers = Array.from({ length: WORKERS }, startWorker);

function call(op, args, transfer = [], onProgress = () => {}, w = workers[0]) {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject, progress: onProgress });
    w.postMessage({ id, op, ...args }, transfer);
  });
}

async function fetchBlob(name) {
  const r = await fetch(DATA + name);
  if (!r.ok) throw new Error(`${name}: HTTP ${r.status}`);
  return r.blob();
}

async function run() {
  const workflow = await (await fetchBlob('workflow.json')).text();
  // The demo's approval, and a trust store that trusts the demo officer (what an office does
  // once, after comparing the fingerprint).
  const approval = await (await fetchBlob('workflow.approval.json')).text();
  const officer = JSON.parse(await (await fetchBlob('officer.pub')).text());
  const trust = JSON.stringify({
    format: 'padan-trust/1',
    min_signatures: 1,
    officers: [{ officer: officer.officer, public_key: officer.public_key, fingerprint: officer.fingerprint, trusted_on: '2025-01-01' }],
    workflows: [],
  });
  const gate = { approval, approval_name: 'workflow.approval.json', trust };
  const key = await (await fetchBlob('demo.key')).text();
  const mem0 = (await call('memory', {})).result.bytes;
  log(`wasm memory at start: ${mem0} bytes`);
  const lists = [];
  const tokenFiles = new Array(LISTS.length);
  const names = new Array(LISTS.length);
  let peak = mem0;
  // Largest lists first; each worker takes the next list when it is free.
  const blobs = await Promise.all(LISTS.map(([, file]) => fetchBlob(file)));
  const queue = LISTS.map((l, i) => i).sort((a, b) => blobs[b].size - blobs[a].size);
  const wallStart = performance.now();
  async function runWorker(w) {
    for (;;) {
      const i = queue.shift();
      if (i === undefined) return;
      const [party, file] = LISTS[i];
      const blob = blobs[i];
      let lastLog = 0;
      const list = new File([blob], file);
      // As in the office page: the list is inspected (and checked) before it is tokenized.
      await call('inspect', { file: list, parts: PARTS }, [], () => {}, w);
      await report('mark', { name: `start ${file}` });
      const t0 = performance.now();
      const m = await call('tokenize', { file: list, workflow, workflow_name: 'workflow.json', ...gate, key, key_name: 'demo.key', party, parts: PARTS }, [], (p) => {
        const now = performance.now();
        if (now - lastLog > 5000) {
          lastLog = now;
          log(`  ${file}: ${p.rows} rows, ${(p.bytes / 1e6).toFixed(1)} / ${(p.total / 1e6).toFixed(1)} MB`);
        }
      }, w);
      const secs = (performance.now() - t0) / 1000;
      await report('mark', { name: `end ${file}` });
      const s = m.result.summary;
      peak = Math.max(peak, m.wasm_memory);
      const entry = {
        party, file, bytes: blob.size, rows: s.rows_in, tokenized: s.rows_tokenized, rejected: s.rows_rejected,
        seconds: secs, rows_per_second: s.rows_in / secs, token_file_bytes: m.result.token_file.byteLength,
        wasm_memory_after: m.wasm_memory, worker: workers.indexOf(w), helper_wasm_memory: m.helper_wasm_memory || [],
      };
      entry.timings = m.result.timings;
      // To compare with the CLI's token file for the same list (`sha256sum dtks.tokens`).
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', m.result.token_file));
      entry.token_file_sha256 = Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
      lists.push(entry);
      log(`  timings ${JSON.stringify(entry.timings, (k, v) => (typeof v === 'number' && !Number.isInteger(v) ? Math.round(v) : v))}`);
      if (m.result.prof) log(`  prof ${JSON.stringify(m.result.prof, (k, v) => (typeof v === 'number' ? Math.round(v) : v))}`);
      log(`tokenize ${file} (worker ${entry.worker}): ${entry.rows} rows in ${secs.toFixed(2)} s = ${Math.round(entry.rows_per_second)} rows/s; wasm memory ${m.wasm_memory} bytes; token file SHA-256 ${entry.token_file_sha256}`);
      tokenFiles[i] = new File([m.result.token_file], m.result.file_name);
      names[i] = m.result.file_name;
    }
  }
  await Promise.all(workers.map(runWorker));
  const tokenizeWall = (performance.now() - wallStart) / 1000;
  const totalRows = lists.reduce((a, l) => a + l.rows, 0);
  log(`tokenize all ${LISTS.length} lists with ${WORKERS} worker(s): ${totalRows} rows in ${tokenizeWall.toFixed(2)} s = ${Math.round(totalRows / tokenizeWall)} rows/s`);
  const t0 = performance.now();
  // The coordinator compares on its own page, in its own worker (not the offices').
  const c = await call('compare', { workflow, workflow_name: 'workflow.json', ...gate, files: tokenFiles, names }, [], () => {}, startWorker());
  const compareSecs = (performance.now() - t0) / 1000;
  peak = Math.max(peak, c.wasm_memory);
  log(`compare ${tokenFiles.length} token files: ${compareSecs.toFixed(2)} s; wasm memory ${c.wasm_memory} bytes`);
  log(`  compare timings ${JSON.stringify(c.result.timings, (k, v) => (typeof v === 'number' ? Math.round(v) : v))}`);
  const result = {
    user_agent: navigator.userAgent, hardware_concurrency: navigator.hardwareConcurrency, workers: WORKERS, parts: PARTS === undefined ? 'auto' : PARTS,
    tokenize_wall_seconds: tokenizeWall, tokenize_total_rows: totalRows,
    lists: LISTS.map(([, f]) => lists.find((l) => l.file === f)), compare_seconds: compareSecs, compare_wasm_memory: c.wasm_memory, peak_wasm_memory: peak,
    compare_results: c.result.results.map((r) => ({ party: r.party, file_name: r.file_name, bytes: r.bytes.byteLength })),
  };
  await report('result', result);
  log('done');
}

run().catch((e) => {
  log(`FAILED: ${e.message}`);
  report('error', { message: e.message });
});
