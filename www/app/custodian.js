// Pemegang kunci (key custodian): generate the shared secret in this browser, show its KCV,
// download it. The key goes to the offices only, never to the coordinator.

import { t, onLangChange } from './i18n.js';
import { el, replace, download, errorBox, filePicker, readText, isoDate, stepHeading } from './ui.js';
import { worker, errorMessage } from './worker-client.js';
import { workflowLoader, kcvBox } from './common.js';

const state = { wf: null, key: null, error: null, checked: null };
let root;
let out;

export function mountCustodian(node) {
  root = node;
  build();
  onLangChange(build);
}

function keyFileName() {
  const id = state.wf?.workflow?.id;
  const safe = (s) => String(s).replace(/[^A-Za-z0-9_.-]+/g, '-');
  return `kunci-${safe(id || isoDate())}.key`;
}

function build() {
  out = el('div', { class: 'region', 'data-region': 'keygen' });
  const checkOut = el('div', { class: 'loader-out' });
  const checkPicker = filePicker({
    id: 'custodian-check',
    accept: '.key,.txt',
    title: t('custodian.check_pick'),
    onFiles: async ([file]) => {
      try {
        const res = await worker.request('keyinfo', { text: await readText(file), name: file.name });
        checkPicker.setStatus(t('file.loaded', { name: file.name }));
        replace(checkOut, kcvBox(res.kcv, t('custodian.check_note')));
      } catch (err) {
        replace(checkOut, errorBox(errorMessage(err)));
      }
    },
  });
  replace(root,
    el('div', { class: 'page-head' },
      el('h1', {}, t('custodian.title')),
      el('p', { class: 'lead' }, t('custodian.lead'))),
    el('div', { class: 'alert alert-warn', role: 'note' },
      el('strong', {}, t('custodian.rule_title')),
      el('ul', {},
        el('li', {}, t('custodian.rule_offices')),
        el('li', {}, t('custodian.rule_not_coord')),
        el('li', {}, t('custodian.rule_channel')),
        el('li', {}, t('custodian.rule_kcv')),
        el('li', {}, t('custodian.rule_new')))),
    el('section', { class: 'step' },
      stepHeading(1, t('custodian.s1')),
      el('p', { class: 'help' }, t('custodian.s1_help')),
      workflowLoader({ idPrefix: 'custodian', current: state.wf, onLoaded: (wf) => { state.wf = wf; renderOut(); } })),
    el('section', { class: 'step' },
      stepHeading(2, t('custodian.s2')),
      out),
    el('section', { class: 'step' },
      stepHeading(3, t('custodian.s3')),
      el('p', { class: 'help' }, t('custodian.s3_help')),
      checkPicker.root, checkOut));
  renderOut();
}

function renderOut() {
  const gen = el('button', { type: 'button', class: 'btn btn-primary', id: 'custodian-keygen', onclick: generate },
    state.key ? t('custodian.regen_btn') : t('custodian.gen_btn'));
  const parts = [el('div', { class: 'actions' }, gen)];
  if (state.error) parts.push(errorBox(state.error));
  if (state.key) {
    parts.push(
      kcvBox(state.key.kcv),
      el('div', { class: 'actions' },
        el('button', {
          type: 'button', class: 'btn btn-primary', id: 'custodian-download',
          onclick: () => download(state.key.key_text, keyFileName(), 'application/octet-stream'),
        }, t('custodian.download', { name: keyFileName() })),
        el('button', {
          type: 'button', class: 'btn btn-secondary', id: 'custodian-forget',
          onclick: () => { state.key = null; renderOut(); gen.focus(); },
        }, t('custodian.forget'))),
      el('p', { class: 'help' }, t('custodian.after')));
  }
  replace(out, ...parts);
}

async function generate() {
  state.error = null;
  try {
    state.key = await worker.request('keygen', {});
  } catch (err) {
    state.key = null;
    state.error = errorMessage(err);
  }
  renderOut();
  document.getElementById(state.key ? 'custodian-download' : 'custodian-keygen')?.focus();
}
