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

// ---- The approval gate -------------------------------------------------------------------
// Nothing runs without the privacy officer's approval: the workflow loader also asks for the
// approval file and checks it (in the worker, with the Rust core) against this browser's
// trust store. The trust store holds officer PUBLIC keys and workflow digests only, kept in
// localStorage 'padan.trust'; an officer key is trusted only after the user confirms its
// fingerprint against the one the officer published.

const TRUST_KEY = 'padan.trust';

export function trustText() {
  try {
    return localStorage.getItem(TRUST_KEY) || '';
  } catch (_) {
    return '';
  }
}

function saveTrust(text) {
  try {
    if (text) localStorage.setItem(TRUST_KEY, text);
  } catch (_) {
    /* storage unavailable (file://, private mode): the user confirms again next time */
  }
}

/** The fields every worker request of a step needs for the approval gate. */
export function approvalFields(wf) {
  return { approval: wf?.approval?.text || '', approval_name: wf?.approval?.name || '', trust: trustText() };
}

/**
 * The "load the workflow file" control, with the approval file under it. Calls
 * onLoaded({text, name, workflow, digest, approval: {text, name}, officers}) once the
 * workflow is approved by trusted officers, or onLoaded(null) while it is not.
 * `current` re-displays an already loaded workflow.
 */
export function workflowLoader({ idPrefix, current, onLoaded }) {
  const out = el('div', { class: 'loader-out' });
  const apOut = el('div', { class: 'loader-out', 'data-testid': `${idPrefix}-approval-status` });
  let wf = current ? { ...current } : null;
  let approval = current?.approval || null;

  const showWf = () => {
    if (wf) {
      picker.setStatus(t('file.loaded', { name: wf.name }));
      replace(out, workflowCard(wf.workflow, wf.digest));
    }
  };

  const check = async (confirm = []) => {
    if (!wf || !approval) {
      replace(apOut, el('p', { class: 'help' }, t('approval.needed')));
      onLoaded(null);
      return;
    }
    try {
      const res = await worker.request('approval', {
        workflow: wf.text, workflow_name: wf.name, approval: approval.text, approval_name: approval.name,
        trust: trustText(), confirm,
      });
      if (res.ok) {
        saveTrust(res.trust);
        const officers = res.officers || [];
        replace(apOut, el('div', { class: 'alert alert-ok', role: 'status', 'data-testid': 'approval-ok' },
          el('strong', {}, t('approval.ok', { n: officers.length, m: res.required })),
          el('ul', {}, officers.map(([name, fp]) => el('li', {}, `${name} — `, el('span', { class: 'mono' }, fp))))));
        onLoaded({ ...wf, approval, officers });
      } else {
        const untrusted = res.untrusted || [];
        const btn = el('button', {
          type: 'button', class: 'btn btn-primary', id: `${idPrefix}-trust-officer`,
          onclick: () => check(untrusted.map(([, fp]) => fp)),
        }, t('approval.trust_btn'));
        replace(apOut, el('div', { class: 'alert alert-warn', role: 'alert' },
          el('strong', {}, t('approval.untrusted_title')),
          el('p', {}, t('approval.untrusted_text')),
          el('ul', { class: 'fingerprints' }, untrusted.map(([name, fp]) => el('li', {},
            el('span', {}, name), el('span', { class: 'fingerprint mono', 'data-testid': 'officer-fingerprint' }, fp)))),
          el('div', { class: 'actions' }, btn)));
        apOut.scrollIntoView({ block: 'center' });
        onLoaded(null);
      }
    } catch (err) {
      replace(apOut, errorBox(errorMessage(err)));
      onLoaded(null);
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
        wf = { text, name: file.name, workflow: res.workflow, digest: res.digest };
        showWf();
      } catch (err) {
        wf = null;
        picker.setStatus('');
        replace(out, errorBox(errorMessage(err)));
      }
      await check();
    },
  });
  const apPicker = filePicker({
    id: `${idPrefix}-approval`,
    accept: '.json,application/json',
    title: t('approval.pick'),
    onFiles: async ([file]) => {
      apPicker.setStatus(t('file.reading', { name: file.name }));
      approval = { text: await readText(file), name: file.name };
      apPicker.setStatus(t('file.loaded', { name: file.name }));
      await check();
    },
  });
  showWf();
  if (approval) apPicker.setStatus(t('file.loaded', { name: approval.name }));
  if (current) replace(apOut, el('div', { class: 'alert alert-ok', role: 'status', 'data-testid': 'approval-ok' },
    el('strong', {}, t('approval.ok', { n: (current.officers || []).length, m: (current.officers || []).length }))));
  else replace(apOut, el('p', { class: 'help' }, t('approval.needed')));
  return el('div', { class: 'loader' }, picker.root, out, apPicker.root, apOut);
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
