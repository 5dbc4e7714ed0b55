// Charts for the coordinator's summary, drawn as inline SVG with DOM APIs (no library, no
// inline styles: colours are SVG presentation attributes or CSS classes). Suppressed counts
// (below the workflow's k) are drawn hatched grey and labelled "<k".

import { t } from './i18n.js';
import { svg, fmtInt } from './ui.js';

/** {n, suppressed} from whatever the core uses for a count. */
export function countOf(v) {
  if (typeof v === 'number') return { n: v, suppressed: false };
  if (v === null || v === undefined) return { n: null, suppressed: true };
  if (typeof v === 'string') {
    if (v.trim().startsWith('<')) return { n: null, suppressed: true, label: v.trim() };
    const n = Number(v);
    return Number.isFinite(n) ? { n, suppressed: false } : { n: null, suppressed: true, label: v };
  }
  if (typeof v === 'object') {
    if (v.suppressed) return { n: null, suppressed: true, label: v.label };
    for (const k of ['count', 'people', 'value', 'n']) if (k in v) return countOf(v[k]);
  }
  return { n: null, suppressed: true };
}

export function countText(c, k) {
  if (!c.suppressed) return fmtInt(c.n);
  return c.label || `<${k ?? 'k'}`;
}

function hatchDefs(id) {
  return svg('defs', {},
    svg('pattern', { id, patternUnits: 'userSpaceOnUse', width: 6, height: 6, patternTransform: 'rotate(45)' },
      svg('rect', { width: 6, height: 6, fill: '#eeeeee' }),
      svg('line', { x1: 0, y1: 0, x2: 0, y2: 6, stroke: '#9a9a9a', 'stroke-width': 2 })));
}

/** Light-to-dark blue for 0..1 (readable in print too). */
function blue(f) {
  const a = [239, 246, 255];
  const b = [29, 78, 216];
  const c = a.map((x, i) => Math.round(x + (b[i] - x) * Math.max(0, Math.min(1, f))));
  return `rgb(${c.join(',')})`;
}

let chartSeq = 0;

/**
 * Pairwise overlap heatmap. parties: [{id, label}], cell(a, b) -> count-like value or
 * undefined (the diagonal shows each list's own size when `cell(a, a)` gives one).
 */
export function heatmap(parties, cell, k) {
  chartSeq += 1;
  const hatch = `hatch-h${chartSeq}`;
  const n = parties.length;
  const size = n > 6 ? 56 : 72;
  const left = 150;
  const top = 40;
  const width = left + n * size + 10;
  const height = top + n * size + 10;
  let max = 0;
  for (const a of parties) for (const b of parties) {
    if (a.id === b.id) continue;
    const c = countOf(cell(a.id, b.id));
    if (!c.suppressed && c.n > max) max = c.n;
  }
  const root = svg('svg', {
    viewBox: `0 0 ${width} ${height}`, width, height, class: 'chart heatmap', role: 'img',
    'aria-label': t('chart.heatmap_aria'),
  }, hatchDefs(hatch));
  parties.forEach((p, i) => {
    root.append(svg('text', { x: left - 8, y: top + i * size + size / 2, 'text-anchor': 'end', 'dominant-baseline': 'middle', class: 'chart-label' }, p.label));
    root.append(svg('text', { x: left + i * size + size / 2, y: top - 10, 'text-anchor': 'middle', class: 'chart-label' }, p.label));
  });
  parties.forEach((a, i) => parties.forEach((b, j) => {
    const raw = cell(a.id, b.id);
    const x = left + j * size;
    const y = top + i * size;
    const g = svg('g', { class: 'cell' });
    if (raw === undefined) {
      g.append(svg('rect', { x, y, width: size - 2, height: size - 2, fill: '#ffffff', stroke: '#dddddd' }));
    } else {
      const c = countOf(raw);
      const diag = a.id === b.id;
      const f = c.suppressed || max === 0 ? 0 : c.n / max;
      const fill = c.suppressed ? `url(#${hatch})` : diag ? '#e5e7eb' : blue(0.08 + 0.92 * f);
      g.append(svg('rect', { x, y, width: size - 2, height: size - 2, fill, stroke: '#ffffff' }));
      g.append(svg('text', {
        x: x + size / 2 - 1, y: y + size / 2, 'text-anchor': 'middle', 'dominant-baseline': 'middle',
        class: `chart-value${!c.suppressed && !diag && f > 0.55 ? ' on-dark' : ''}${c.suppressed ? ' suppressed-text' : ''}`,
      }, countText(c, k)));
      g.append(svg('title', {}, `${a.label} × ${b.label}: ${countText(c, k)}${diag ? ` (${t('chart.diag')})` : ''}`));
    }
    root.append(g);
  }));
  return root;
}

/**
 * UpSet-style chart: one column per combination of lists (bars = people in exactly that
 * combination), a dot matrix below showing which lists form it.
 * combos: [{parties: [id...], count}] (already sorted), parties: [{id, label}].
 */
export function upset(parties, combos, k) {
  chartSeq += 1;
  const hatch = `hatch-u${chartSeq}`;
  const colW = combos.length > 16 ? 30 : 40;
  const rowH = 26;
  const left = 150;
  const barTop = 20;
  const barH = 170;
  const matrixTop = barTop + barH + 12;
  const width = left + combos.length * colW + 10;
  const height = matrixTop + parties.length * rowH + 8;
  const max = Math.max(1, ...combos.map((c) => countOf(c.count)).filter((c) => !c.suppressed).map((c) => c.n));
  const root = svg('svg', {
    viewBox: `0 0 ${width} ${height}`, width, height, class: 'chart upset', role: 'img',
    'aria-label': t('chart.upset_aria'),
  }, hatchDefs(hatch));
  // Axis line.
  root.append(svg('line', { x1: left - 4, y1: barTop + barH, x2: width - 6, y2: barTop + barH, stroke: '#555' }));
  parties.forEach((p, r) => {
    const y = matrixTop + r * rowH + rowH / 2;
    if (r % 2 === 0) root.append(svg('rect', { x: left - 4, y: matrixTop + r * rowH, width: width - left - 2, height: rowH, fill: '#f5f5f5' }));
    root.append(svg('text', { x: left - 10, y, 'text-anchor': 'end', 'dominant-baseline': 'middle', class: 'chart-label' }, p.label));
  });
  combos.forEach((combo, i) => {
    const c = countOf(combo.count);
    const x = left + i * colW;
    const cx = x + colW / 2;
    const h = c.suppressed ? 8 : Math.max(2, (c.n / max) * (barH - 18));
    const g = svg('g', { class: 'combo' });
    g.append(svg('rect', { x: x + 5, y: barTop + barH - h, width: colW - 10, height: h, fill: c.suppressed ? `url(#${hatch})` : '#1d4ed8' }));
    g.append(svg('text', { x: cx, y: barTop + barH - h - 4, 'text-anchor': 'middle', class: `chart-small${c.suppressed ? ' suppressed-text' : ''}` }, countText(c, k)));
    const members = new Set(combo.parties);
    const ys = [];
    parties.forEach((p, r) => {
      const y = matrixTop + r * rowH + rowH / 2;
      const on = members.has(p.id);
      if (on) ys.push(y);
      g.append(svg('circle', { cx, cy: y, r: 7, fill: on ? '#111827' : '#d1d5db' }));
    });
    if (ys.length > 1) g.append(svg('line', { x1: cx, y1: Math.min(...ys), x2: cx, y2: Math.max(...ys), stroke: '#111827', 'stroke-width': 3 }));
    const names = parties.filter((p) => members.has(p.id)).map((p) => p.label).join(' + ');
    g.append(svg('title', {}, `${names}: ${countText(c, k)}`));
    root.append(g);
  });
  return root;
}
