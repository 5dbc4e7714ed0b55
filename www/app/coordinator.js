// Koordinator: receives token files only (never a key), compares them in the worker and
// hands back one result file per office, plus a printable summary report.

import { t, onLangChange } from './i18n.js';
import {
  el, replace, filePicker, errorBox, okBox, progressView, renderValue, download, fmtInt, fmtBytes,
  fmtDateTime, stepHeading, labelFor,
} from './ui.js';
import { worker, errorMessage, CancelledError } from './worker-client.js';
import { workflowLoader, approvalFields } from './common.js';
import { heatmap, upset, countOf, countText } from './charts.js';

const state = {
  wf: null, files: [], output: null, error: null, busy: false, at: null,
  log: null,        // {bytes, name, entries, head}: the previous audit log, checked
  logError: null,
  audit: null,      // {log, hash, entries, receipt} after a run
  auditError: null,
};
let root;
const regions = {};
let progress = null;

export function mountCoordinator(node) {
  root = node;
  build();
  onLangChange(build);
}

function logPicker() {
  regions.log = el('div', { class: 'loader-out', 'data-testid': 'coord-log-status' });
  const picker = filePicker({
    id: 'coord-log',
    accept: '.log,.jsonl,.txt',
    title: t('coord.log_pick'),
    hint: t('coord.log_hint'),
    onFiles: async ([file]) => {
      const bytes = new Uint8Array(await file.arrayBuffer());
      try {
        const r = await worker.request('audit_verify', { log: bytes, log_name: file.name });
        state.log = { bytes, name: file.name, entries: r.entries, head: r.head };
        state.logError = null;
        picker.setStatus(t('file.loaded', { name: file.name }));
      } catch (err) {
        state.log = null;
        state.logError = errorMessage(err);
        picker.setStatus('');
      }
      renderLog();
    },
  });
  if (state.log) picker.setStatus(t('file.loaded', { name: state.log.name }));
  return el('div', { class: 'loader' }, picker.root, regions.log);
}

function renderLog() {
  if (!regions.log) return;
  if (state.logError) return replace(regions.log, errorBox(state.logError));
  if (state.log) {
    return replace(regions.log, el('p', { class: 'help' },
      t('coord.log_ok', { n: fmtInt(state.log.entries), head: state.log.head.slice(0, 16) })));
  }
  replace(regions.log, el('p', { class: 'help' }, t('coord.log_new')));
}

function build() {
  regions.files = el('div', { class: 'region' });
  regions.compare = el('div', { class: 'region' });
  regions.results = el('div', { class: 'region' });
  const picker = filePicker({
    id: 'coord-files',
    accept: '.csv,.txt,.tok,.tokens',
    multiple: true,
    title: t('coord.pick'),
    onFiles: (files) => {
      for (const f of files) {
        const i = state.files.findIndex((x) => x.name === f.name);
        if (i >= 0) state.files[i] = f;
        else state.files.push(f);
      }
      state.output = null;
      state.error = null;
      renderFiles();
      renderCompare();
    },
  });
  replace(root,
    el('div', { class: 'page-head no-print' },
      el('h1', {}, t('coord.title')),
      el('p', { class: 'lead' }, t('coord.lead')),
      el('p', { class: 'alert alert-info', role: 'note' }, t('coord.no_key'))),
    el('section', { class: 'step no-print' },
      stepHeading(1, t('coord.s1')),
      workflowLoader({ idPrefix: 'coord', current: state.wf, onLoaded: (wf) => { state.wf = wf; state.output = null; renderCompare(); } })),
    el('section', { class: 'step no-print' },
      stepHeading(2, t('coord.s2')),
      el('p', { class: 'help' }, t('coord.s2_help')),
      picker.root, regions.files,
      el('h3', {}, t('coord.log_title')),
      logPicker()),
    el('section', { class: 'step' },
      el('div', { class: 'no-print' }, stepHeading(3, t('coord.s3'))),
      regions.compare),
    el('section', { class: 'step no-print' },
      stepHeading(4, t('coord.s4')),
      regions.results));
  renderFiles();
  renderCompare();
  renderLog();
}

function renderFiles() {
  if (!state.files.length) return replace(regions.files);
  replace(regions.files, el('ul', { class: 'file-list', 'data-testid': 'token-files' }, state.files.map((f, i) => el('li', {},
    el('span', { class: 'file-name' }, f.name), ' ', el('span', { class: 'muted' }, fmtBytes(f.size)), ' ',
    el('button', {
      type: 'button', class: 'btn btn-small btn-secondary', 'aria-label': t('coord.remove_aria', { name: f.name }),
      onclick: () => { state.files.splice(i, 1); state.output = null; renderFiles(); renderCompare(); },
    }, t('coord.remove'))))));
}

function renderCompare() {
  const missing = [];
  if (!state.wf) missing.push(t('need.workflow'));
  if (state.files.length < 2) missing.push(t('need.two_files'));
  const btn = el('button', { type: 'button', class: 'btn btn-primary no-print', id: 'coord-compare', disabled: missing.length > 0 || state.busy, onclick: runCompare }, t('coord.compare_btn'));
  const parts = [btn];
  if (missing.length) parts.push(el('p', { class: 'help need no-print' }, t('need.first', { list: missing.join(', ') })));
  if (state.busy && progress) parts.push(progress.root);
  if (state.error) parts.push(errorBox(state.error));
  if (state.output) parts.push(renderSummary(state.output));
  replace(regions.compare, ...parts);
  renderResults();
}

async function runCompare() {
  state.busy = true;
  state.error = null;
  state.output = null;
  progress = progressView(() => worker.cancel());
  renderCompare();
  progress.root.querySelector('button')?.focus();
  state.audit = null;
  state.auditError = null;
  const started = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  try {
    state.output = await worker.request('compare', {
      workflow: state.wf.text, ...approvalFields(state.wf), files: state.files, names: state.files.map((f) => f.name),
    }, { onProgress: (m) => progress.update(m) });
    state.at = new Date();
    try {
      // Every run goes into the hash-chained log (continuing the loaded one) and a receipt.
      state.audit = await worker.request('audit_append', {
        log: state.log ? state.log.bytes : new Uint8Array(0), log_name: state.log?.name || 'audit.log',
        started, finished: state.at.toISOString().replace(/\.\d+Z$/, 'Z'), draft: state.output.audit_draft,
      });
      state.log = {
        bytes: state.audit.log, name: state.log?.name || 'audit.log', entries: state.audit.entries, head: state.audit.hash,
      };
      renderLog();
    } catch (err) {
      state.auditError = errorMessage(err);
    }
  } catch (err) {
    state.error = err instanceof CancelledError ? t('progress.cancelled') : errorMessage(err);
  }
  state.busy = false;
  renderCompare();
  document.getElementById(state.output ? 'coord-print' : 'coord-compare')?.focus();
}

// ---- reading the summary generically --------------------------------------------------------

function partyList(summary) {
  const wfParties = (state.wf?.workflow?.parties || []).filter((p) => p.role === 'data');
  const byId = new Map(wfParties.map((p) => [p.id, p]));
  const lists = findArray(summary, ['lists', 'per_list', 'parties']);
  const ids = lists ? lists.map((l) => l.party ?? l.id ?? l.name).filter(Boolean) : wfParties.map((p) => p.id);
  return ids.map((id) => ({ id, label: id, name: byId.get(id)?.name || id }));
}

function findArray(obj, names) {
  for (const n of names) if (Array.isArray(obj?.[n])) return obj[n];
  return null;
}

function pairIds(p) {
  if (Array.isArray(p.parties) && p.parties.length === 2) return p.parties;
  if (Array.isArray(p.pair)) return p.pair;
  for (const [x, y] of [['a', 'b'], ['left', 'right'], ['party_a', 'party_b'], ['first', 'second']]) {
    if (p[x] !== undefined && p[y] !== undefined) return [p[x], p[y]];
  }
  return null;
}

/** cell(a, b) over the pairwise overlaps, whatever their shape. */
function pairCell(summary, parties) {
  const map = new Map();
  const src = summary.pairwise ?? summary.overlaps ?? summary.pairs ?? summary.pairwise_overlaps;
  if (Array.isArray(src)) {
    for (const p of src) {
      const ids = pairIds(p);
      if (!ids) continue;
      const v = 'count' in p ? p.count : 'people' in p ? p.people : p.overlap ?? p.value ?? p;
      map.set(`${ids[0]}|${ids[1]}`, v);
      map.set(`${ids[1]}|${ids[0]}`, v);
    }
  } else if (src && typeof src === 'object') {
    for (const [a, row] of Object.entries(src)) {
      if (row && typeof row === 'object' && !('count' in row)) for (const [b, v] of Object.entries(row)) map.set(`${a}|${b}`, v);
    }
  }
  const lists = findArray(summary, ['lists', 'per_list', 'parties']) || [];
  for (const l of lists) {
    const id = l.party ?? l.id;
    const v = l.people ?? l.count ?? l.rows;
    if (id !== undefined && v !== undefined && !map.has(`${id}|${id}`)) map.set(`${id}|${id}`, v);
  }
  if (map.size === 0) return null;
  return (a, b) => map.get(`${a}|${b}`);
}

function combosOf(summary) {
  const src = summary.combinations ?? summary.upset ?? summary.intersections;
  if (!src) return null;
  const arr = Array.isArray(src) ? src : Object.entries(src).map(([key, count]) => ({ parties: key.split(/[+,&|]/).map((s) => s.trim()), count }));
  const combos = arr.map((c) => ({
    parties: c.parties ?? c.lists ?? c.set ?? (typeof c.key === 'string' ? c.key.split(/[+,&|]/) : []),
    count: 'count' in c ? c.count : c.people ?? c.value ?? c,
  })).filter((c) => Array.isArray(c.parties) && c.parties.length);
  combos.sort((x, y) => {
    const a = countOf(x.count);
    const b = countOf(y.count);
    return (b.suppressed ? -1 : b.n) - (a.suppressed ? -1 : a.n);
  });
  return combos;
}

function kOf(summary) {
  return summary.k ?? state.wf?.workflow?.k;
}

const META_KEYS = ['format', 'workflow_id', 'workflow_digest', 'kcv', 'created_by', 'k'];
const HEADLINE_KEYS = ['people_total', 'conflict_records'];

function countCell(v, k) {
  const c = countOf(v);
  return el('td', { class: c.suppressed ? 'num suppressed-cell' : 'num' }, countText(c, k));
}

/** Per-list table (src/compare.rs ListSummary: party, name, records, people, duplicates, statuses). */
function listsTable(lists, k) {
  const statusCodes = [];
  for (const l of lists) for (const code of Object.keys(l.statuses || {})) if (!statusCodes.includes(code)) statusCodes.push(code);
  const known = ['party', 'name', 'records', 'people', 'duplicates', 'statuses'];
  const extra = [];
  for (const l of lists) for (const key of Object.keys(l)) if (!known.includes(key) && !extra.includes(key)) extra.push(key);
  return el('div', { class: 'table-wrap' }, el('table', { class: 'data-table lists-table' },
    el('thead', {}, el('tr', {},
      el('th', { scope: 'col' }, t('coord.col_list')),
      el('th', { scope: 'col', class: 'num' }, t('coord.col_records')),
      el('th', { scope: 'col', class: 'num' }, t('coord.col_people')),
      el('th', { scope: 'col', class: 'num' }, t('coord.col_duplicates')),
      statusCodes.map((c) => el('th', { scope: 'col', class: 'num' }, statusLabel(c))),
      extra.map((c) => el('th', { scope: 'col' }, labelFor(c))))),
    el('tbody', {}, lists.map((l) => el('tr', {},
      el('th', { scope: 'row' }, l.name || l.party, l.name && l.party ? el('span', { class: 'muted' }, ` (${l.party})`) : null),
      countCell(l.records, k), countCell(l.people, k), countCell(l.duplicates, k),
      statusCodes.map((c) => countCell((l.statuses || {})[c], k)),
      extra.map((c) => el('td', {}, renderValue(l[c]))))))));
}

function statusLabel(code) {
  const key = `status.${code}`;
  const v = t(key);
  return v === key ? code : v;
}

/** Links per match key (src/compare.rs KeyLinks: key, links, conflicts). */
function linksTable(links, k) {
  return el('div', { class: 'table-wrap' }, el('table', { class: 'data-table' },
    el('thead', {}, el('tr', {},
      el('th', { scope: 'col' }, t('coord.col_key')),
      el('th', { scope: 'col', class: 'num' }, t('coord.col_links')),
      el('th', { scope: 'col', class: 'num' }, t('coord.col_conflicts')))),
    el('tbody', {}, links.map((l) => el('tr', {},
      el('th', { scope: 'row' }, l.key), countCell(l.links, k), countCell(l.conflicts, k))))));
}

/** Fuzzy matching's links to verify (src/compare.rs Verification): never merged, no scores. */
function verificationSection(v, k) {
  return el('section', { 'data-testid': 'coord-verification' },
    el('h3', {}, t('coord.verify_title')),
    el('p', { class: 'help' }, t('coord.verify_help')),
    el('ul', { class: 'stats' },
      [['records', 'coord.verify_records'], ['similar_name_links', 'coord.verify_similar'], ['nik_typo_links', 'coord.verify_typos']]
        .map(([key, lbl]) => el('li', {},
          el('span', { class: `stat-value${countOf(v[key]).suppressed ? ' suppressed' : ''}` }, countText(countOf(v[key]), k)),
          el('span', { class: 'stat-label' }, t(lbl))))),
    Array.isArray(v.similar_by_pair) && v.similar_by_pair.length ? el('div', { class: 'table-wrap' }, el('table', { class: 'data-table' },
      el('thead', {}, el('tr', {},
        el('th', { scope: 'col' }, t('coord.col_list')),
        el('th', { scope: 'col' }, t('coord.col_list')),
        el('th', { scope: 'col', class: 'num' }, t('coord.verify_similar')))),
      el('tbody', {}, v.similar_by_pair.map((p) => el('tr', {},
        el('td', {}, p.a), el('td', {}, p.b), countCell(p.links, k)))))) : null);
}

function renderSummary(output) {
  const summary = output.summary || {};
  const k = kOf(summary);
  const parties = partyList(summary);
  const wf = state.wf.workflow;
  const shown = new Set([...META_KEYS, ...HEADLINE_KEYS]);
  const headline = HEADLINE_KEYS.filter((key) => key in summary);
  for (const [key, v] of Object.entries(summary)) if (typeof v === 'number' && !shown.has(key)) { headline.push(key); shown.add(key); }
  const parts = [
    el('header', { class: 'report-head' },
      el('h2', {}, t('coord.report_title')),
      el('p', {}, `${wf.title} (${wf.id})`),
      el('p', { class: 'muted' }, t('coord.report_meta', { when: fmtDateTime(state.at || new Date()), k: k ?? '–', n: fmtInt(state.files.length) }))),
    headline.length ? el('ul', { class: 'stats' }, headline.map((key) => el('li', {},
      el('span', { class: `stat-value${countOf(summary[key]).suppressed ? ' suppressed' : ''}` }, countText(countOf(summary[key]), k)),
      el('span', { class: 'stat-label' }, t(`coord.${key}`) !== `coord.${key}` ? t(`coord.${key}`) : labelFor(key))))) : null,
  ];

  const lists = findArray(summary, ['lists', 'per_list', 'parties']);
  if (lists) {
    for (const n of ['lists', 'per_list', 'parties']) shown.add(n);
    parts.push(el('h3', {}, t('coord.per_list')), listsTable(lists, k));
  }

  const cell = pairCell(summary, parties);
  if (cell && parties.length > 1) {
    for (const n of ['pairwise', 'overlaps', 'pairs', 'pairwise_overlaps']) shown.add(n);
    parts.push(el('figure', { class: 'chart-figure' },
      el('figcaption', {}, el('h3', {}, t('coord.heatmap')), el('p', { class: 'help' }, t('coord.heatmap_help', { k: k ?? 'k' }))),
      el('div', { class: 'chart-scroll' }, heatmap(parties, cell, k))));
  }

  const combos = combosOf(summary);
  if (combos && combos.length) {
    for (const n of ['combinations', 'upset', 'intersections']) shown.add(n);
    const top = combos.slice(0, 24);
    parts.push(el('figure', { class: 'chart-figure' },
      el('figcaption', {}, el('h3', {}, t('coord.upset')), el('p', { class: 'help' }, t('coord.upset_help', { k: k ?? 'k' }))),
      el('div', { class: 'chart-scroll' }, upset(parties, top, k)),
      combos.length > top.length ? el('p', { class: 'help' }, t('coord.upset_more', { n: fmtInt(combos.length - top.length) })) : null));
  }

  if (Array.isArray(summary.links)) {
    shown.add('links');
    parts.push(el('h3', {}, t('coord.links')), el('p', { class: 'help' }, t('coord.links_help')), linksTable(summary.links, k));
  }

  if (summary.verification) {
    shown.add('verification');
    parts.push(verificationSection(summary.verification, k));
  }

  for (const [key, v] of Object.entries(summary)) {
    if (!shown.has(key)) parts.push(el('h3', {}, labelFor(key)), renderValue(v));
  }
  parts.push(el('dl', { class: 'kv report-meta' },
    [['wf.digest', summary.workflow_digest], ['key.kcv', summary.kcv], ['receipt.software', summary.created_by], ['coord.format', summary.format]]
      .filter(([, v]) => v).map(([lbl, v]) => [el('dt', {}, t(lbl)), el('dd', { class: 'mono' }, v)])));
  if (output.summary_text) {
    parts.push(el('details', { class: 'more no-print' }, el('summary', {}, t('coord.summary_text')), el('pre', { class: 'summary-text' }, output.summary_text)));
  }
  parts.push(el('p', { class: 'help' }, t('coord.suppression_note', { k: k ?? 'k' })));
  return el('div', { class: 'report coord-report', 'data-testid': 'compare-summary' }, ...parts);
}

function renderResults() {
  const r = regions.results;
  const out = state.output;
  if (!out) return replace(r, el('p', { class: 'help' }, t('coord.results_after')));
  const wfParties = state.wf?.workflow?.parties || [];
  const nameOf = (id) => wfParties.find((p) => p.id === id)?.name || id;
  const summaryName = `ringkasan-${state.wf.workflow.id}`;
  replace(r,
    okBox(t('coord.done', { n: fmtInt((out.results || []).length) })),
    el('p', { class: 'help' }, t('coord.results_help')),
    el('ul', { class: 'result-list' }, (out.results || []).map((res) => {
      const bytes = res.bytes instanceof Uint8Array ? res.bytes : new Uint8Array(res.bytes);
      return el('li', {},
        el('button', {
          type: 'button', class: 'btn', 'data-party': res.party,
          onclick: () => download(bytes, res.file_name, 'text/csv'),
        }, t('coord.download_result', { name: nameOf(res.party) })),
        ' ', el('span', { class: 'muted' }, `${res.file_name} · ${fmtBytes(bytes.byteLength)}`));
    })),
    state.auditError ? errorBox(state.auditError) : null,
    state.audit ? el('div', { class: 'card', 'data-testid': 'coord-audit' },
      el('p', {}, t('coord.audit_done', { n: fmtInt(state.audit.entries), head: state.audit.hash })),
      el('div', { class: 'actions' },
        el('button', {
          type: 'button', class: 'btn btn-secondary', id: 'coord-download-log',
          onclick: () => download(state.audit.log, state.log?.name || 'audit.log', 'application/x-ndjson'),
        }, t('coord.download_log')),
        el('button', {
          type: 'button', class: 'btn btn-secondary', id: 'coord-download-receipt',
          onclick: () => download(state.audit.receipt, `tanda-terima-banding-${state.wf.workflow.id}.json`, 'application/json'),
        }, t('coord.download_receipt')))) : null,
    el('div', { class: 'actions' },
      el('button', { type: 'button', class: 'btn btn-primary', id: 'coord-print', onclick: () => window.print() }, t('coord.print')),
      el('button', {
        type: 'button', class: 'btn btn-secondary', id: 'coord-summary-json',
        onclick: () => download(JSON.stringify(out.summary, null, 2) + '\n', `${summaryName}.json`, 'application/json'),
      }, t('coord.download_summary_json')),
      out.summary_text ? el('button', {
        type: 'button', class: 'btn btn-secondary', id: 'coord-summary-txt',
        onclick: () => download(out.summary_text, `${summaryName}.txt`, 'text/plain;charset=utf-8'),
      }, t('coord.download_summary_txt')) : null));
}
