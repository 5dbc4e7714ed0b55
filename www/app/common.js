// Pieces shared by the role pages: the workflow card and the workflow/key loaders.

import { t } from './i18n.js';
import { el, replace, filePicker, errorBox, readText, fmtInt } from './ui.js';
import { worker, errorMessage } from './worker-client.js';

/** A readable card of a parsed workflow (what the privacy officer approved). */
export function workflowCard(wf, digest) {
  const partyName = (id) => wf.parties?.find((p) => p.id === id)?.name || id;
  const rows = [
    ['wf.title', wf.title],
    ['wf.id', wf.id],
    ['wf.purpose', wf.purpose],
    ['wf.legal_basis', wf.legal_basis],
    ['wf.valid', t('wf.valid_range', { from: wf.valid_from, until: wf.valid_until })],
    ['wf.coordinator', partyName(wf.coordinator)],
    ['wf.reference', partyName(wf.reference)],
    ['wf.match_keys', (wf.match_keys || []).map((k) => `${k.name} (${(k.fields || []).join(' + ')})`).join('; ')],
    ['wf.k', t('wf.k_text', { k: fmtInt(wf.k) })],
    ['wf.digest', digest ? String(digest).slice(0, 16) + '…' : '–'],
  ];
  return el('div', { class: 'card workflow-card' },
    el('dl', { class: 'kv' }, rows.filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => [
      el('dt', {}, t(k)), el('dd', { class: k === 'wf.digest' ? 'mono' : null, title: k === 'wf.digest' ? digest : null }, String(v)),
    ])));
}

/**
 * The "load the workflow file" control. Calls onLoaded({text, name, workflow, digest}) or
 * onLoaded(null) after a failure. `current` re-displays an already loaded workflow.
 */
export function workflowLoader({ idPrefix, current, onLoaded }) {
  const out = el('div', { class: 'loader-out' });
  const show = (wf) => {
    if (wf) {
      picker.setStatus(t('file.loaded', { name: wf.name }));
      replace(out, workflowCard(wf.workflow, wf.digest));
    }
  };
  const picker = filePicker({
    id: `${idPrefix}-workflow`,
    accept: '.json,application/json',
    title: t('wf.pick'),
    onFiles: async ([file]) => {
      picker.setStatus(t('file.reading', { name: file.name }));
      try {
        const text = await readText(file);
        const res = await worker.request('workflow', { text, name: file.name });
        const loaded = { text, name: file.name, workflow: res.workflow, digest: res.digest };
        show(loaded);
        onLoaded(loaded);
      } catch (err) {
        picker.setStatus('');
        replace(out, errorBox(errorMessage(err)));
        onLoaded(null);
      }
    },
  });
  show(current);
  return el('div', { class: 'loader' }, picker.root, out);
}

/** "E699BE48D2FD" -> "E699 BE48 D2FD": easier to read out by phone. */
function groupKcv(kcv) {
  const s = String(kcv ?? '');
  return /^[0-9A-Fa-f]+$/.test(s) ? s.match(/.{1,4}/g).join(' ') : s;
}

/** The key check value, large, with the instruction to compare it by phone. */
export function kcvBox(kcv, note) {
  return el('div', { class: 'kcv-box' },
    el('span', { class: 'kcv-label' }, t('key.kcv')),
    el('span', { class: 'kcv-value mono', 'data-testid': 'kcv', 'aria-label': String(kcv).split('').join(' ') }, groupKcv(kcv)),
    el('span', { class: 'kcv-note' }, note || t('key.kcv_compare')));
}
