// Petugas OPD (office staff): workflow + key, own party, the list, data-quality check,
// tokens, receipt, and later the re-attachment of the coordinator's result file.
// Everything happens in this browser; only the token file is meant to leave the office.

import { t, lang, onLangChange } from './i18n.js';
import {
  el, replace, filePicker, errorBox, okBox, progressView, renderValue, download, readText,
  fmtInt, fmtBytes, fmtDateTime, sha256Hex, stepHeading,
} from './ui.js';
import { worker, errorMessage } from './worker-client.js';
import { workflowLoader, kcvBox, approvalFields } from './common.js';

export const FIELDS = ['nik', 'name', 'birth_date', 'place_birth_date', 'sex', 'no_kk', 'kecamatan', 'desa'];
const DELIMITERS = [['', 'opt.auto'], [',', 'delim.comma'], [';', 'delim.semicolon'], ['|', 'delim.pipe'], ['\t', 'delim.tab']];
const ENCODINGS = [['', 'opt.auto'], ['utf-8', 'enc.utf8'], ['windows-1252', 'enc.cp1252']];

const state = {
  wf: null,          // {text, name, workflow, digest}
  key: null,         // {text, name, kcv}   (kept in memory only)
  party: '',
  file: null,        // File of the list
  options: { delimiter: null, encoding: null, columns: {} },
  inspection: null,
  inspectError: null,
  report: null,
  tokens: null,      // {token_file, file_name, summary, sha256, made_at}
  result: null,      // {bytes, file_name, summary}
  busy: null,        // 'check' | 'tokenize' | 'reattach'
  remembered: false, // the mapping came from localStorage (see loadMapping)
};

let root;
const regions = {};

export function mountOffice(node) {
  root = node;
  build();
  onLangChange(build);
}

function dataParties(wf) {
  const parties = wf?.parties || [];
  const data = parties.filter((p) => p.role === 'data');
  return data.length ? data : parties;
}

function build() {
  for (const k of ['setup', 'party', 'list', 'inspect', 'check', 'tokenize', 'reattach']) {
    regions[k] = el('div', { class: 'region', 'data-region': k });
  }
  replace(root,
    el('div', { class: 'page-head' },
      el('h1', {}, t('office.title')),
      el('p', { class: 'lead' }, t('office.lead')),
      el('p', { class: 'privacy-note' }, t('privacy.stays'))),
    el('section', { class: 'step', 'aria-labelledby': 'office-s1' },
      stepHeading(1, t('office.s1')),
      el('div', { class: 'two-col' },
        el('div', {}, el('h3', { id: 'office-s1' }, t('office.workflow')),
          workflowLoader({ idPrefix: 'office', current: state.wf, onLoaded: onWorkflow })),
        el('div', {}, el('h3', {}, t('office.key')), keyLoader())),
      regions.party),
    el('section', { class: 'step' },
      stepHeading(2, t('office.s2')),
      el('p', { class: 'help' }, t('office.s2_help')),
      listPicker(),
      regions.inspect),
    el('section', { class: 'step' }, stepHeading(3, t('office.s3')), regions.check),
    el('section', { class: 'step' }, stepHeading(4, t('office.s4')), regions.tokenize),
    el('section', { class: 'step' }, stepHeading(5, t('office.s5')),
      el('p', { class: 'help' }, t('office.s5_help')), regions.reattach));
  renderParty();
  renderInspect();
  renderCheck();
  renderTokenize();
  renderReattach();
}

// ---- step 1: workflow, key, party -------------------------------------------------------

function onWorkflow(loaded) {
  state.wf = loaded;
  const ids = dataParties(loaded?.workflow).map((p) => p.id);
  if (!ids.includes(state.party)) state.party = '';
  resetOutputs();
  renderParty();
  renderCheck();
  renderTokenize();
  renderReattach();
}

let keyOut;
function keyLoader() {
  keyOut = el('div', { class: 'loader-out' });
  const picker = filePicker({
    id: 'office-key',
    accept: '.key,.txt',
    title: t('key.pick'),
    onFiles: async ([file]) => {
      picker.setStatus(t('file.reading', { name: file.name }));
      try {
        const text = await readText(file);
        const res = await worker.request('keyinfo', { text, name: file.name });
        state.key = { text, name: file.name, kcv: res.kcv };
        picker.setStatus(t('file.loaded', { name: file.name }));
      } catch (err) {
        state.key = null;
        picker.setStatus('');
        replace(keyOut, errorBox(errorMessage(err)));
        renderTokenize();
        renderReattach();
        return;
      }
      resetOutputs();
      renderKey();
      renderCheck();
      renderTokenize();
      renderReattach();
    },
  });
  if (state.key) picker.setStatus(t('file.loaded', { name: state.key.name }));
  renderKey();
  return el('div', { class: 'loader' }, picker.root, keyOut);
}

function renderKey() {
  if (!keyOut) return;
  replace(keyOut, state.key ? kcvBox(state.key.kcv) : el('p', { class: 'help' }, t('key.office_help')));
}

function renderParty() {
  const r = regions.party;
  if (!state.wf) return replace(r);
  const parties = dataParties(state.wf.workflow);
  const select = el('select', {
    id: 'office-party',
    onchange: () => {
      state.party = select.value;
      resetOutputs();
      renderCheck();
      renderTokenize();
      renderReattach();
    },
  },
  el('option', { value: '' }, t('office.party_choose')),
  parties.map((p) => el('option', { value: p.id, selected: p.id === state.party }, `${p.name} (${p.id})`)));
  replace(r, el('div', { class: 'field' },
    el('label', { for: 'office-party' }, t('office.party')), select));
}

// ---- step 2: the list, inspection ---------------------------------------------------------

function listPicker() {
  const picker = filePicker({
    id: 'office-list',
    accept: '.csv,.txt,.tsv,.xlsx,.xlsm,.xls,text/csv',
    title: t('office.list_pick'),
    onFiles: async ([file]) => {
      state.file = file;
      state.options = { delimiter: null, encoding: null, columns: {} };
      state.remembered = false;
      picker.setStatus(t('file.chosen', { name: file.name, size: fmtBytes(file.size) }));
      resetOutputs();
      await inspect();
      await applyRememberedMapping();
    },
  });
  if (state.file) picker.setStatus(t('file.chosen', { name: state.file.name, size: fmtBytes(state.file.size) }));
  return picker.root;
}

// ---- the remembered mapping ---------------------------------------------------------------
// The column mapping (header names), delimiter and encoding an office chose are remembered
// per workflow and office in localStorage ('padan.mapping.<workflow id>.<party>'): header
// names and choices only, never a value of the list.

function mappingKey() {
  const id = state.wf?.workflow?.id;
  return id && state.party ? `padan.mapping.${id}.${state.party}` : null;
}

function loadMapping() {
  const k = mappingKey();
  if (!k) return null;
  try {
    const v = JSON.parse(localStorage.getItem(k) || 'null');
    return v && typeof v === 'object' ? v : null;
  } catch (_) {
    return null;
  }
}

function saveMapping() {
  const k = mappingKey();
  if (!k) return;
  const o = state.options;
  const columns = {};
  for (const [f, h] of Object.entries(o.columns)) if (typeof h === 'string') columns[f] = h;
  try {
    localStorage.setItem(k, JSON.stringify({
      delimiter: o.delimiter || null, encoding: o.encoding || null, columns, sheet: o.sheet || null, header_row: o.header_row || null,
    }));
  } catch (_) {
    /* storage unavailable: nothing remembered */
  }
}

function forgetMapping() {
  const k = mappingKey();
  try {
    if (k) localStorage.removeItem(k);
  } catch (_) {
    /* nothing to forget */
  }
  state.remembered = false;
  state.options = { delimiter: null, encoding: null, columns: {} };
  resetOutputs();
  inspect();
}

/** After the first inspection of a new list: apply the remembered choices that fit it. */
async function applyRememberedMapping() {
  const saved = loadMapping();
  if (!saved || !state.inspection) return;
  const header = state.inspection.header || [];
  const columns = {};
  for (const [f, h] of Object.entries(saved.columns || {})) {
    if (FIELDS.includes(f) && (h === '' || header.includes(h))) columns[f] = h;
  }
  const wb = state.inspection.workbook;
  const sheet = wb && saved.sheet && (wb.sheets || []).includes(saved.sheet) ? saved.sheet : null;
  state.options = {
    delimiter: saved.delimiter || null, encoding: saved.encoding || null, columns,
    sheet, header_row: wb && sheet ? saved.header_row || null : null,
  };
  state.remembered = true;
  await inspect();
}

function optionsForWorker() {
  const o = state.options;
  const columns = {};
  for (const [k, v] of Object.entries(o.columns)) if (v !== undefined && v !== null) columns[k] = v;
  return {
    delimiter: o.delimiter || null, encoding: o.encoding || null, columns,
    sheet: o.sheet || null, header_row: o.header_row ? Number(o.header_row) : null,
  };
}

async function inspect() {
  if (!state.file) return;
  replace(regions.inspect, el('p', { class: 'help' }, t('office.inspecting')));
  try {
    state.inspection = await worker.request('inspect', { file: state.file, options: optionsForWorker() });
    state.inspectError = null;
  } catch (err) {
    state.inspection = null;
    state.inspectError = errorMessage(err);
  }
  renderInspect();
  renderCheck();
  renderTokenize();
  renderReattach();
}

function onOptionChange(mutate) {
  mutate(state.options);
  saveMapping();
  resetOutputs();
  inspect();
}

function renderInspect() {
  const r = regions.inspect;
  if (!state.file) return replace(r);
  if (state.inspectError) return replace(r, errorBox(state.inspectError));
  const ins = state.inspection;
  if (!ins) return replace(r);
  const header = ins.header || [];
  const mapping = ins.mapping || {};

  const delim = el('select', { id: 'office-delim', onchange: () => onOptionChange((o) => { o.delimiter = delim.value || null; }) },
    DELIMITERS.map(([v, k]) => el('option', { value: v, selected: (state.options.delimiter || '') === v }, t(k))));
  const enc = el('select', { id: 'office-enc', onchange: () => onOptionChange((o) => { o.encoding = enc.value || null; }) },
    ENCODINGS.map(([v, k]) => el('option', { value: v, selected: (state.options.encoding || '') === v }, t(k))));
  const showDelim = ins.delimiter === '\t' ? t('delim.tab') : ins.delimiter;
  const wb = ins.workbook;

  const fieldSelects = FIELDS.map((f) => {
    const id = `office-col-${f}`;
    const current = state.options.columns[f] ?? mapping[f] ?? '';
    const sel = el('select', {
      id,
      'data-field': f,
      onchange: () => onOptionChange((o) => { o.columns[f] = sel.value; }),
    },
    el('option', { value: '' }, t('col.none')),
    header.map((h) => el('option', { value: h, selected: h === current }, h)));
    return el('div', { class: 'field field-compact' }, el('label', { for: id }, t(`field.${f}`)), sel);
  });

  const fieldOf = (h) => FIELDS.filter((f) => mapping[f] === h).map((f) => t(`field.${f}`)).join(', ');
  const preview = ins.preview || [];
  const table = el('div', { class: 'table-wrap table-preview', tabindex: '0', role: 'region', 'aria-label': t('office.preview') },
    el('table', { class: 'data-table' },
      el('caption', {}, t('office.preview_caption', { n: fmtInt(preview.length) })),
      el('thead', {},
        el('tr', {}, header.map((h) => el('th', { scope: 'col' }, h))),
        el('tr', { class: 'mapped-row' }, header.map((h) => el('td', { class: fieldOf(h) ? 'mapped' : 'unmapped' }, fieldOf(h) || '–')))),
      el('tbody', {}, preview.map((row) => el('tr', {}, row.map((c) => el('td', {}, c)))))));

  const extra = { ...ins };
  for (const k of ['delimiter', 'encoding', 'header', 'mapping', 'preview']) delete extra[k];

  let detected;
  if (wb) {
    const sheet = el('select', { id: 'office-sheet', onchange: () => onOptionChange((o) => { o.sheet = sheet.value; o.header_row = null; }) },
      (wb.sheets || []).map((n) => el('option', { value: n, selected: n === wb.sheet }, n)));
    const headerRow = el('input', {
      id: 'office-header-row', type: 'number', min: '1', step: '1', value: String(wb.header_rows?.[0] ?? 1),
      onchange: () => onOptionChange((o) => { o.header_row = Number(headerRow.value) || null; }),
    });
    detected = el('div', { class: 'detected', 'data-testid': 'workbook-info' },
      el('div', { class: 'field field-compact' }, el('label', { for: 'office-sheet' }, t('office.sheet')), sheet),
      el('div', { class: 'field field-compact' }, el('label', { for: 'office-header-row' }, t('office.header_row')), headerRow,
        el('span', { class: 'detected-value' }, wb.header_detected ? t('office.header_found') : '')),
      el('p', { class: 'help' }, t('office.workbook_rows', { n: fmtInt(wb.rows || 0) })),
      wb.damaged_numbers ? el('p', { class: 'alert alert-warn', role: 'note' }, t('office.workbook_damaged', { n: fmtInt(wb.damaged_numbers) })) : null);
  } else {
    detected = el('div', { class: 'detected' },
      el('div', { class: 'field field-compact' }, el('label', { for: 'office-delim' }, t('office.delimiter')), delim,
        el('span', { class: 'detected-value' }, t('office.detected', { v: showDelim ?? '–' }))),
      el('div', { class: 'field field-compact' }, el('label', { for: 'office-enc' }, t('office.encoding')), enc,
        el('span', { class: 'detected-value' }, t('office.detected', { v: ins.encoding ?? '–' }))));
  }
  delete extra.workbook;
  replace(r,
    detected,
    el('fieldset', { class: 'mapping' },
      el('legend', {}, t('office.mapping')),
      state.remembered ? el('p', { class: 'help', 'data-testid': 'mapping-remembered' }, t('office.mapping_remembered'), ' ',
        el('button', { type: 'button', class: 'btn btn-small btn-secondary', id: 'office-forget-mapping', onclick: forgetMapping }, t('office.mapping_forget'))) : null,
      el('div', { class: 'mapping-grid' }, fieldSelects)),
    Object.keys(extra).length ? el('details', { class: 'more' }, el('summary', {}, t('office.inspect_more')), renderValue(extra)) : null,
    table);
}

// ---- step 3: data-quality check -----------------------------------------------------------

function ready({ key = false } = {}) {
  const missing = [];
  if (!state.wf) missing.push(t('need.workflow'));
  if (key && !state.key) missing.push(t('need.key'));
  if (!state.party) missing.push(t('need.party'));
  if (!state.file || !state.inspection) missing.push(t('need.list'));
  return missing;
}

function needBox(missing) {
  return el('p', { class: 'help need' }, t('need.first', { list: missing.join(', ') }));
}

let progress = null;
function cancel() {
  worker.cancel();
}

function renderCheck() {
  const r = regions.check;
  const missing = ready();
  const btn = el('button', { type: 'button', class: 'btn', id: 'office-check', disabled: missing.length > 0 || !!state.busy, onclick: runCheck }, t('office.check_btn'));
  const parts = [el('p', { class: 'help' }, t('office.s3_help')), btn];
  if (missing.length) parts.push(needBox(missing));
  if (state.busy === 'check' && progress) parts.push(progress.root);
  if (state.report instanceof Error) parts.push(errorBox(state.report.message));
  else if (state.report) {
    parts.push(renderReport(state.report), el('div', { class: 'actions' }, stepReceiptButton('office-check-receipt', 'check', state.checkStarted, {
      finished: state.checkFinished,
      inputs: [{ name: state.file.name, blob: state.file, party: state.party }],
      outputs: [],
      counts: state.report,
    })));
  }
  replace(r, ...parts);
}

async function runCheck() {
  state.busy = 'check';
  state.report = null;
  state.checkStarted = new Date();
  progress = progressView(cancel);
  renderAllActions();
  try {
    state.report = await worker.request('check', {
      file: state.file, options: optionsForWorker(), workflow: state.wf.text, ...approvalFields(state.wf), party: state.party,
    }, { onProgress: (m) => progress.update(m) });
    state.checkFinished = new Date();
  } catch (err) {
    state.report = new Error(errorMessage(err));
  }
  state.busy = null;
  renderAllActions();
  focusFirst('[data-testid=check-report] h3', '#office-check');
}

/** Focuses the first of the selectors that exists (after a run, the rebuilt region). */
function focusFirst(...selectors) {
  for (const sel of selectors) {
    const e = root.querySelector(sel);
    if (e) {
      if (!e.matches('button, a, input, select')) e.setAttribute('tabindex', '-1');
      e.focus();
      return;
    }
  }
}

/** One problem item from the core: {count, description, description_en, severity, example_rows}. */
function itemRows(group, items) {
  const rows = [];
  for (const [code, it] of Object.entries(items || {})) {
    if (!it || typeof it !== 'object' || !it.count) continue;
    rows.push({ group, code, ...it });
  }
  return rows;
}

function problemTable(rows) {
  const sevClass = (s) => (s === 'error' || s === 'damage' ? 'sev-error' : s === 'warning' ? 'sev-warn' : '');
  return el('div', { class: 'table-wrap' }, el('table', { class: 'data-table problems' },
    el('thead', {}, el('tr', {},
      el('th', { scope: 'col' }, t('report.kind')),
      el('th', { scope: 'col' }, t('report.problem')),
      el('th', { scope: 'col', class: 'num' }, t('report.count')),
      el('th', { scope: 'col' }, t('report.examples')))),
    el('tbody', {}, rows.map((r) => el('tr', {},
      el('td', {}, r.severity ? el('span', { class: `sev ${sevClass(r.severity)}` }, t(`severity.${r.severity}`)) : t(`report.group_${r.group}`)),
      el('td', {}, (lang() === 'en' && r.description_en) || r.description || r.code),
      el('td', { class: 'num' }, fmtInt(r.count)),
      el('td', { class: 'examples' }, (r.example_rows || []).slice(0, 8).join(', ')))))));
}

/** The data-quality report (shape: src/check.rs CheckReport). */
function renderReport(rep) {
  const stats = [
    ['rows_read', rep.rows_read], ['nik_valid', rep.nik_valid], ['rows_tokenizable', rep.rows_tokenizable],
    ['duplicate_nik', rep.duplicate_nik?.count], ['duplicate_name_birth_date', rep.duplicate_name_birth_date?.count],
  ].filter(([, v]) => typeof v === 'number');
  const rows = [
    ...itemRows('nik', rep.nik_problems),
    ...itemRows('row', rep.row_issues),
    ...itemRows('dup', { duplicate_nik: rep.duplicate_nik, duplicate_name_birth_date: rep.duplicate_name_birth_date }),
    ...itemRows('empty', rep.empty_fields),
  ];
  const order = { error: 0, damage: 1, warning: 2 };
  rows.sort((a, b) => (order[a.severity] ?? 3) - (order[b.severity] ?? 3) || b.count - a.count);
  const unavailable = Object.entries(rep.keys_unavailable || {});
  return el('div', { class: 'report', 'data-testid': 'check-report' },
    el('h3', {}, t('office.report')),
    el('ul', { class: 'stats' }, stats.map(([k, v]) => el('li', {},
      el('span', { class: 'stat-value' }, fmtInt(v)), el('span', { class: 'stat-label' }, t(`report.${k}`))))),
    rep.nik_column_damaged ? el('div', { class: 'alert alert-error', role: 'alert' }, t('report.nik_damaged')) : null,
    unavailable.length ? el('div', { class: 'alert alert-warn' }, t('report.keys_unavailable'),
      el('ul', {}, unavailable.map(([k, f]) => el('li', {}, t('report.key_missing', { key: k, field: t(`field.${f}`) !== `field.${f}` ? t(`field.${f}`) : f }))))) : null,
    rows.length ? problemTable(rows) : okBox(t('report.no_problems')),
    el('p', { class: 'help' }, t('report.rows_note')));
}

/** The tokenize summary (shape: src/tokens.rs TokenizeSummary). */
function renderTokenSummary(sum) {
  const stats = [['rows_in', sum.rows_in], ['rows_tokenized', sum.rows_tokenized], ['rows_rejected', sum.rows_rejected]]
    .filter(([, v]) => typeof v === 'number');
  const reasons = Object.entries(sum.rejected_by_reason || {}).map(([code, it]) => ({ group: 'reject', code, ...it }));
  reasons.sort((a, b) => b.count - a.count);
  const perKey = Object.entries(sum.tokens_per_key || {});
  const unavailable = Object.entries(sum.keys_unavailable || {});
  return el('div', { class: 'report', 'data-testid': 'tokenize-summary' },
    el('h3', {}, t('office.token_summary')),
    el('ul', { class: 'stats' }, stats.map(([k, v]) => el('li', {},
      el('span', { class: 'stat-value' }, fmtInt(v)), el('span', { class: 'stat-label' }, t(`report.${k}`))))),
    perKey.length ? el('p', {}, t('report.tokens_per_key'), ' ', perKey.map(([k, n]) => `${k}: ${fmtInt(n)}`).join(' · ')) : null,
    unavailable.length ? el('div', { class: 'alert alert-warn' }, t('report.keys_unavailable'),
      el('ul', {}, unavailable.map(([k, f]) => el('li', {}, t('report.key_missing', { key: k, field: f }))))) : null,
    reasons.length ? [el('h4', {}, t('report.rejected_reasons')), problemTable(reasons)] : null);
}

// ---- step 4: tokens -----------------------------------------------------------------------

function renderTokenize() {
  const r = regions.tokenize;
  const missing = ready({ key: true });
  const btn = el('button', { type: 'button', class: 'btn btn-primary', id: 'office-tokenize', disabled: missing.length > 0 || !!state.busy, onclick: runTokenize }, t('office.tokenize_btn'));
  const parts = [el('p', { class: 'help' }, t('office.s4_help')), btn];
  if (missing.length) parts.push(needBox(missing));
  if (state.busy === 'tokenize' && progress) parts.push(progress.root);
  if (state.tokens instanceof Error) parts.push(errorBox(state.tokens.message));
  else if (state.tokens) {
    const tk = state.tokens;
    parts.push(okBox(t('office.tokens_ready', { name: tk.file_name, size: fmtBytes(tk.token_file.byteLength) })),
      el('div', { class: 'actions' },
        el('button', { type: 'button', class: 'btn btn-primary', id: 'office-download-tokens', onclick: () => download(tk.token_file, tk.file_name, 'text/csv') }, t('office.download_tokens')),
        el('button', { type: 'button', class: 'btn btn-secondary', id: 'office-download-receipt', onclick: downloadReceipt }, t('office.download_receipt')),
        stepReceiptButton('office-tokenize-receipt', 'tokenize', tk.started, {
          finished: tk.made_at,
          inputs: [{ name: state.file.name, blob: state.file, party: state.party, records: tk.summary?.rows_in }],
          outputs: [{ name: tk.file_name, bytes: tk.token_file, party: state.party, records: tk.summary?.rows_tokenized }],
          counts: tk.summary || {},
        })),
      el('p', { class: 'help' }, t('office.send_only_tokens')),
      renderTokenSummary(tk.summary));
  }
  replace(r, ...parts);
}

async function runTokenize() {
  state.busy = 'tokenize';
  state.tokens = null;
  const started = new Date();
  progress = progressView(cancel);
  renderAllActions();
  try {
    const res = await worker.request('tokenize', {
      file: state.file, options: optionsForWorker(), workflow: state.wf.text, ...approvalFields(state.wf), key: state.key.text, party: state.party,
    }, { onProgress: (m) => progress.update(m) });
    const bytes = res.token_file instanceof Uint8Array ? res.token_file : new Uint8Array(res.token_file);
    state.tokens = { ...res, token_file: bytes, made_at: new Date(), started, sha256: await sha256Hex(bytes) };
  } catch (err) {
    state.tokens = new Error(errorMessage(err));
  }
  state.busy = null;
  renderAllActions();
  focusFirst('#office-download-tokens', '#office-tokenize');
}

/** A plain-text receipt: counts and reasons by row number; never tokens, never personal data. */
function receiptText() {
  const tk = state.tokens;
  const sum = tk.summary || {};
  const wf = state.wf.workflow;
  const party = dataParties(wf).find((p) => p.id === state.party);
  const lines = [
    t('receipt.title'),
    '',
    `${t('receipt.made')}: ${fmtDateTime(tk.made_at)}`,
    `${t('receipt.workflow')}: ${wf.id} - ${wf.title}`,
    `${t('receipt.digest')}: ${state.wf.digest}`,
    `${t('receipt.approval')}: ${(state.wf.officers || []).map(([name, fp]) => `${name} (${fp})`).join('; ')}`,
    `${t('receipt.party')}: ${party ? `${party.name} (${party.id})` : state.party}`,
    `${t('key.kcv')}: ${state.key.kcv}`,
    `${t('receipt.list')}: ${state.file.name} (${fmtInt(state.file.size)} bytes)`,
    sum.input_sha256 ? `SHA-256 ${t('receipt.list').toLowerCase()}: ${sum.input_sha256}` : null,
    `${t('receipt.token_file')}: ${tk.file_name} (${fmtInt(tk.token_file.byteLength)} bytes)`,
    tk.sha256 ? `SHA-256 ${t('receipt.token_file').toLowerCase()}: ${tk.sha256}` : null,
    sum.created_by ? `${t('receipt.software')}: ${sum.created_by}` : null,
    '',
    `${t('report.rows_in')}: ${fmtInt(sum.rows_in)}`,
    `${t('report.rows_tokenized')}: ${fmtInt(sum.rows_tokenized)}`,
    `${t('report.rows_rejected')}: ${fmtInt(sum.rows_rejected)}`,
  ];
  const perKey = Object.entries(sum.tokens_per_key || {});
  if (perKey.length) lines.push(`${t('report.tokens_per_key')} ${perKey.map(([k, n]) => `${k}: ${fmtInt(n)}`).join(', ')}`);
  for (const [k, f] of Object.entries(sum.keys_unavailable || {})) lines.push(t('report.key_missing', { key: k, field: f }));
  const reasons = Object.entries(sum.rejected_by_reason || {});
  if (reasons.length) {
    lines.push('', `${t('report.rejected_reasons')}:`);
    for (const [code, it] of reasons) lines.push(`  ${code}: ${fmtInt(it.count)} - ${it.description || ''}`);
  }
  const rejected = sum.rejected || [];
  if (rejected.length) {
    lines.push('', `${t('receipt.rejected_rows')}:`);
    for (const r of rejected) lines.push(`  ${t('receipt.row_line', { row: r.row, line: r.line })}: ${r.reason}`);
  }
  lines.push('', t('receipt.note'), '');
  return lines.filter((l) => l !== null).join('\r\n');
}

function downloadReceipt() {
  const base = state.tokens.file_name.replace(/\.[^.]+$/, '');
  download(receiptText(), `${base}.tanda-terima.txt`, 'text/plain;charset=utf-8');
}

// ---- step 5: re-attach the result ---------------------------------------------------------

let resultFile = null;
function renderReattach() {
  const r = regions.reattach;
  const missing = ready({ key: true });
  const picker = filePicker({
    id: 'office-result',
    accept: '.csv,.txt',
    title: t('office.result_pick'),
    onFiles: ([file]) => {
      resultFile = file;
      state.result = null;
      renderReattach();
    },
  });
  if (resultFile) picker.setStatus(t('file.chosen', { name: resultFile.name, size: fmtBytes(resultFile.size) }));
  const btn = el('button', { type: 'button', class: 'btn btn-primary', id: 'office-reattach', disabled: missing.length > 0 || !resultFile || !!state.busy, onclick: runReattach }, t('office.reattach_btn'));
  const parts = [picker.root, btn];
  if (missing.length) parts.push(needBox(missing));
  if (state.busy === 'reattach' && progress) parts.push(progress.root);
  if (state.result instanceof Error) parts.push(errorBox(state.result.message));
  else if (state.result) {
    const res = state.result;
    parts.push(okBox(t('office.reattached', { name: res.file_name })),
      el('div', { class: 'actions' },
        el('button', { type: 'button', class: 'btn btn-primary', id: 'office-download-annotated', onclick: () => download(res.bytes, res.file_name, 'text/csv') }, t('office.download_annotated')),
        el('button', { type: 'button', class: 'btn btn-secondary', id: 'office-download-annotated-xlsx', onclick: () => downloadAnnotatedXlsx(res) }, t('office.download_annotated_xlsx')),
        stepReceiptButton('office-reattach-receipt', 'reattach', state.reattachStarted, {
          finished: res.finished,
          inputs: [{ name: state.file.name, blob: state.file, party: state.party }, { name: res.result_file.name, blob: res.result_file }],
          outputs: [{ name: res.file_name, bytes: res.bytes }],
          counts: res.summary || {},
        })),
      el('p', { class: 'help' }, t('office.annotated_local')),
      el('div', { class: 'report', 'data-testid': 'reattach-summary' }, renderValue(res.summary)));
  }
  replace(r, ...parts);
}

// The .xlsx is made from the annotated CSV by the workbook module (loaded on this click).
async function downloadAnnotatedXlsx(res) {
  try {
    const x = await worker.request('annotated_xlsx', { bytes: res.bytes, file_name: res.file_name });
    download(x.bytes, x.file_name, 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
  } catch (err) {
    alertError(err);
  }
}

async function runReattach() {
  state.busy = 'reattach';
  state.result = null;
  state.reattachStarted = new Date();
  progress = progressView(cancel);
  renderAllActions();
  try {
    const res = await worker.request('reattach', {
      file: state.file, options: optionsForWorker(), workflow: state.wf.text, ...approvalFields(state.wf), key: state.key.text, party: state.party,
      result: resultFile, result_name: resultFile.name,
    }, { onProgress: (m) => progress.update(m) });
    state.result = {
      ...res, bytes: res.bytes instanceof Uint8Array ? res.bytes : new Uint8Array(res.bytes), finished: new Date(), result_file: resultFile,
    };
  } catch (err) {
    state.result = new Error(errorMessage(err));
  }
  state.busy = null;
  renderAllActions();
  focusFirst('#office-download-annotated', '#office-reattach');
}

// ---- shared -------------------------------------------------------------------------------

const isoNow = (d = new Date()) => d.toISOString().replace(/\.\d+Z$/, 'Z');

/**
 * A button that downloads a step's receipt (padan-step-receipt/1 JSON, as the CLI writes
 * it): approval, digests of the files, counts, times, version; no personal data, no tokens.
 */
function stepReceiptButton(id, step, started, args) {
  return el('button', {
    type: 'button', class: 'btn btn-secondary', id,
    onclick: async () => {
      try {
        const r = await worker.request('receipt', {
          step, workflow: state.wf.text, ...approvalFields(state.wf), party: state.party,
          started: isoNow(started), finished: isoNow(args.finished), ...args,
        });
        const safe = (x) => String(x).replace(/[^A-Za-z0-9_.-]+/g, '-');
        download(r.text, `tanda-terima-${step}-${safe(state.party)}-${safe(state.file?.name || 'daftar')}.json`, 'application/json');
      } catch (err) {
        alertError(err);
      }
    },
  }, t('office.download_step_receipt'));
}

function alertError(err) {
  const r = regions.reattach;
  r.prepend(errorBox(errorMessage(err)));
}

function resetOutputs() {
  state.report = null;
  state.tokens = null;
  state.result = null;
}

function renderAllActions() {
  const focused = document.activeElement?.id;
  renderCheck();
  renderTokenize();
  renderReattach();
  // Keep keyboard focus where it was (buttons are rebuilt): fall back to the cancel button.
  if (state.busy) {
    root.querySelector('.progress button')?.focus();
    return;
  }
  const again = focused && document.getElementById(focused);
  if (again && !again.disabled) again.focus();
}
