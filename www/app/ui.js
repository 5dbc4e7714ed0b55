// Small DOM helpers shared by the pages. No framework: elements are built with DOM APIs,
// so nothing here needs inline scripts or inline styles (the CSP forbids both).

import { t, lang } from './i18n.js';

const SVG_NS = 'http://www.w3.org/2000/svg';

/** Creates an element. attrs: class, text, on<event>, dataset, boolean or string attributes. */
export function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  setAttrs(e, attrs);
  append(e, children);
  return e;
}

/** Creates an SVG element (attributes are presentation attributes, allowed by the CSP). */
export function svg(tag, attrs, ...children) {
  const e = document.createElementNS(SVG_NS, tag);
  setAttrs(e, attrs);
  append(e, children);
  return e;
}

function setAttrs(e, attrs) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') e.setAttribute('class', v);
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on') && typeof v === 'function') e.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else if (v === true) e.setAttribute(k, '');
    else e.setAttribute(k, String(v));
  }
}

function append(e, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : String(c));
  }
}

/** Replaces all children of `node`. */
export function replace(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

let uid = 0;
/** A unique element id with a readable prefix. */
export function nextId(prefix) {
  uid += 1;
  return `${prefix}-${uid}`;
}

function locale() {
  return lang() === 'id' ? 'id-ID' : 'en-GB';
}

export function fmtInt(n) {
  if (typeof n !== 'number' || !Number.isFinite(n)) return String(n ?? '–');
  return new Intl.NumberFormat(locale(), { maximumFractionDigits: 0 }).format(n);
}

export function fmtNum(n, digits = 1) {
  return new Intl.NumberFormat(locale(), { maximumFractionDigits: digits }).format(n);
}

export function fmtBytes(n) {
  if (n < 1024) return `${fmtInt(n)} B`;
  if (n < 1024 * 1024) return `${fmtNum(n / 1024)} KB`;
  if (n < 1024 * 1024 * 1024) return `${fmtNum(n / 1024 / 1024)} MB`;
  return `${fmtNum(n / 1024 / 1024 / 1024)} GB`;
}

export function fmtDuration(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) return '–';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  const two = (x) => String(x).padStart(2, '0');
  return h > 0 ? `${h}:${two(m)}:${two(r)}` : `${m}:${two(r)}`;
}

export function fmtDateTime(d = new Date()) {
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'long', timeStyle: 'short' }).format(d);
}

/** Today's date as YYYY-MM-DD in local time. */
export function isoDate(d = new Date()) {
  const two = (x) => String(x).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}`;
}

/**
 * Offers `data` (Blob, Uint8Array or string) as a download named `name`.
 * Always a Blob URL (never a data: URL), revoked after a minute.
 */
export function download(data, name, type = 'application/octet-stream') {
  const blob = data instanceof Blob ? data : new Blob([data], { type });
  const url = URL.createObjectURL(blob);
  const a = el('a', { href: url, download: name, class: 'visually-hidden', tabindex: '-1' });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** A button that downloads; `get` returns [data, name, type] when clicked. */
export function downloadButton(label, get, cls = 'btn') {
  return el('button', {
    type: 'button',
    class: cls,
    onclick: () => {
      const [data, name, type] = get();
      download(data, name, type);
    },
  }, label);
}

/** Reads a File or Blob as text (UTF-8, BOM stripped). */
export async function readText(file) {
  const text = await file.text();
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * A file picker: a real (visually hidden, focusable) <input type=file> and a <label> for it
 * styled as a drop zone. Keyboard users focus the input (the zone shows the focus ring) and
 * press Enter or Space; mouse users click or drop files on the zone.
 */
export function filePicker({ id, accept, multiple = false, title, hint, onFiles }) {
  const input = el('input', {
    type: 'file', id, accept, multiple, class: 'file-input',
    onchange: () => {
      const files = [...input.files];
      if (files.length) onFiles(files);
      input.value = '';
    },
  });
  const status = el('span', { class: 'dropzone-status', 'aria-live': 'polite' });
  const zone = el('label', { for: id, class: 'dropzone' },
    el('span', { class: 'dropzone-title' }, title),
    el('span', { class: 'dropzone-hint' }, hint || (multiple ? t('drop.hint_many') : t('drop.hint_one'))),
    status);
  zone.addEventListener('dragover', (e) => {
    e.preventDefault();
    zone.classList.add('dragging');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('dragging'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('dragging');
    const files = [...(e.dataTransfer?.files || [])];
    if (files.length) onFiles(multiple ? files : files.slice(0, 1));
  });
  const wrap = el('div', { class: 'picker' }, input, zone);
  return { root: wrap, input, zone, setStatus: (text) => replace(status, text || '') };
}

/** An alert box with a user-facing message. */
export function errorBox(message) {
  if (message === t('progress.cancelled')) return el('div', { class: 'alert alert-info', role: 'status' }, message);
  return el('div', { class: 'alert alert-error', role: 'alert' },
    el('strong', {}, t('error.title')), ' ', message);
}

export function okBox(...children) {
  return el('div', { class: 'alert alert-ok', role: 'status' }, ...children);
}

/**
 * A progress view: <progress>, "rows done · rows/s · time left", and a cancel button.
 * Returns {root, update(msg), finish()}.
 */
export function progressView(onCancel) {
  const bar = el('progress', { max: '1', value: '0' });
  const line = el('p', { class: 'progress-line', 'aria-live': 'polite' }, t('progress.starting'));
  const cancel = el('button', { type: 'button', class: 'btn btn-secondary', onclick: onCancel }, t('progress.cancel'));
  const root = el('div', { class: 'progress', role: 'group', 'aria-label': t('progress.label') }, bar, line, cancel);
  const started = performance.now();
  let lastAnnounce = 0;
  return {
    root,
    update({ rows = 0, bytes = 0, total = 0 }) {
      const secs = (performance.now() - started) / 1000;
      const frac = total > 0 ? Math.min(1, bytes / total) : 0;
      if (total > 0) bar.value = frac;
      else bar.removeAttribute('value');
      const rate = secs > 0 ? rows / secs : 0;
      const left = frac > 0 ? secs * (1 - frac) / frac : NaN;
      // Update the text at most 4 times a second: screen readers and slow laptops.
      const now = performance.now();
      if (now - lastAnnounce < 250) return;
      lastAnnounce = now;
      const parts = [t('progress.rows', { n: fmtInt(rows) })];
      if (rate > 0) parts.push(t('progress.rate', { n: fmtInt(Math.round(rate)) }));
      if (total > 0) parts.push(t('progress.percent', { n: fmtInt(Math.floor(frac * 100)) }));
      if (Number.isFinite(left)) parts.push(t('progress.left', { time: fmtDuration(left) }));
      replace(line, parts.join(' · '));
    },
    finish() {
      bar.value = 1;
      cancel.disabled = true;
    },
  };
}

/** Turns a snake_case key into a label: the dictionary's `label.<key>` or the key itself. */
export function labelFor(key) {
  const k = `label.${key}`;
  const v = t(k);
  if (v !== k) return v;
  const s = String(key).replace(/_/g, ' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/**
 * Renders any JSON value readably: objects as definition lists, arrays of flat objects as
 * tables, arrays of scalars as comma lists. Used for reports whose exact shape may grow.
 */
export function renderValue(value, depth = 0) {
  if (value === null || value === undefined) return el('span', { class: 'muted' }, '–');
  if (typeof value === 'number') return el('span', { class: 'num' }, fmtInt(value));
  if (typeof value === 'boolean') return document.createTextNode(value ? t('yes') : t('no'));
  if (typeof value === 'string') {
    if (/^<\d+$/.test(value)) return el('span', { class: 'suppressed' }, value);
    return document.createTextNode(value);
  }
  if (Array.isArray(value)) {
    if (value.length === 0) return el('span', { class: 'muted' }, t('none'));
    if (value.every((v) => v === null || typeof v !== 'object')) {
      const shown = value.slice(0, 20).map((v) => (typeof v === 'number' ? fmtInt(v) : String(v)));
      return document.createTextNode(shown.join(', ') + (value.length > 20 ? ', …' : ''));
    }
    if (value.every((v) => v && typeof v === 'object' && !Array.isArray(v))) {
      const cols = [];
      for (const row of value) for (const k of Object.keys(row)) if (!cols.includes(k)) cols.push(k);
      return el('div', { class: 'table-wrap' }, el('table', { class: 'data-table' },
        el('thead', {}, el('tr', {}, cols.map((c) => el('th', { scope: 'col' }, labelFor(c))))),
        el('tbody', {}, value.map((row) => el('tr', {}, cols.map((c) => el('td', {}, renderValue(row[c], depth + 1))))))));
    }
    return el('ol', {}, value.map((v) => el('li', {}, renderValue(v, depth + 1))));
  }
  if (value && typeof value === 'object' && value.suppressed === true) {
    return el('span', { class: 'suppressed' }, value.label || t('suppressed.short', { k: value.k ?? 'k' }));
  }
  const entries = Object.entries(value);
  if (entries.length === 0) return el('span', { class: 'muted' }, t('none'));
  return el('dl', { class: depth === 0 ? 'kv' : 'kv kv-nested' },
    entries.map(([k, v]) => [el('dt', {}, labelFor(k)), el('dd', {}, renderValue(v, depth + 1))]));
}

/** Flattens a JSON value to "path: value" lines (for plain-text receipts). */
export function flattenLines(value, prefix = '') {
  const lines = [];
  const walk = (v, p) => {
    if (v === null || v === undefined) lines.push(`${p}: -`);
    else if (Array.isArray(v)) {
      if (v.every((x) => x === null || typeof x !== 'object')) lines.push(`${p}: ${v.join(', ')}`);
      else v.forEach((x, i) => walk(x, `${p}[${i + 1}]`));
    } else if (typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) walk(x, p ? `${p}.${k}` : k);
    } else lines.push(`${p}: ${v}`);
  };
  walk(value, prefix);
  return lines;
}

/** SHA-256 of bytes as lower-case hex (WebCrypto; works on http://localhost and file://?). */
export async function sha256Hex(bytes) {
  if (!globalThis.crypto?.subtle) return null;
  const d = await crypto.subtle.digest('SHA-256', bytes);
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** A section heading with a step number. */
export function stepHeading(n, text, level = 'h2') {
  return el(level, { class: 'step-heading' }, el('span', { class: 'step-no', 'aria-hidden': 'true' }, String(n)), ' ', text);
}
