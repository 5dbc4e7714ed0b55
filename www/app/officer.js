// Pejabat PDP (privacy officer): a signing key pair made in this browser (the private key
// sealed with a passphrase, the public key's fingerprint to publish), the workflow written
// in a form with a plain-language summary and warnings, and the signature (Ed25519, in the
// Rust core) into an approval file. Nothing is stored; everything is downloaded.

import { t, onLangChange } from './i18n.js';
import { el, replace, download, errorBox, filePicker, readText, stepHeading } from './ui.js';
import { worker, errorMessage } from './worker-client.js';

const ROLES = ['data', 'coordinator', 'custodian'];
const FIELDS = ['nik', 'name', 'birth_date', 'sex', 'kecamatan', 'desa'];

const state = {
  keygen: null,       // {key_file, public_file, fingerprint, name}
  keygenError: null,
  draft: null,        // the workflow object being edited
  draftName: 'workflow.json',
  summary: null,      // {text, summary, digest} of the current draft
  summaryError: null,
  signKey: null,      // {text, name}
  prevApproval: null, // {text, name}: an approval to add a signature to (m of n)
  signed: null,       // {approval, signatures, required, fingerprint}
  signError: null,
};

let root;
const regions = {};

export function mountOfficer(node) {
  root = node;
  build();
  onLangChange(build);
}

function safe(s) {
  return String(s || 'workflow').replace(/[^A-Za-z0-9_.-]+/g, '-');
}

function build() {
  for (const k of ['keygen', 'form', 'summary', 'sign']) regions[k] = el('div', { class: 'region', 'data-region': `officer-${k}` });
  replace(root,
    el('div', { class: 'page-head' },
      el('h1', {}, t('officer.title')),
      el('p', { class: 'lead' }, t('officer.lead'))),
    el('section', { class: 'step' },
      stepHeading(1, t('officer.s1')),
      el('p', { class: 'help' }, t('officer.s1_help')),
      regions.keygen),
    el('section', { class: 'step' },
      stepHeading(2, t('officer.s2')),
      el('p', { class: 'help' }, t('officer.s2_help')),
      draftLoader(),
      regions.form,
      regions.summary),
    el('section', { class: 'step' },
      stepHeading(3, t('officer.s3')),
      el('p', { class: 'help' }, t('officer.s3_help')),
      regions.sign));
  renderKeygen();
  renderForm();
  renderSummary();
  renderSign();
}

// ---- 1. the officer's key pair ---------------------------------------------------------------

function renderKeygen() {
  const name = el('input', { id: 'officer-name', type: 'text', autocomplete: 'name', value: state.keygen?.name || '' });
  const pass = el('input', { id: 'officer-pass', type: 'password', autocomplete: 'new-password' });
  const pass2 = el('input', { id: 'officer-pass2', type: 'password', autocomplete: 'new-password' });
  const parts = [
    el('div', { class: 'field' }, el('label', { for: 'officer-name' }, t('officer.name')), name),
    el('div', { class: 'inline-fields' },
      el('div', { class: 'field' }, el('label', { for: 'officer-pass' }, t('officer.pass')), pass),
      el('div', { class: 'field' }, el('label', { for: 'officer-pass2' }, t('officer.pass2')), pass2)),
    el('div', { class: 'actions' }, el('button', {
      type: 'button', class: 'btn', id: 'officer-keygen',
      onclick: async () => {
        state.keygenError = null;
        if (pass.value !== pass2.value) {
          state.keygenError = t('officer.pass_mismatch');
          return renderKeygen();
        }
        try {
          const res = await worker.request('officer_keygen', { name: name.value, passphrase: pass.value });
          state.keygen = { ...res, name: name.value };
        } catch (err) {
          state.keygenError = errorMessage(err);
        }
        pass.value = '';
        pass2.value = '';
        renderKeygen();
      },
    }, t('officer.keygen_btn'))),
  ];
  if (state.keygenError) parts.push(errorBox(state.keygenError));
  if (state.keygen) {
    const k = state.keygen;
    parts.push(
      el('div', { class: 'kcv-box' },
        el('span', { class: 'kcv-label' }, t('officer.fingerprint')),
        el('span', { class: 'kcv-value mono', 'data-testid': 'officer-new-fingerprint' }, k.fingerprint),
        el('span', { class: 'kcv-note' }, t('officer.fingerprint_note'))),
      el('div', { class: 'actions' },
        el('button', { type: 'button', class: 'btn btn-primary', id: 'officer-download-key', onclick: () => download(k.key_file, 'pejabat-pdp.key') },
          t('officer.download_key')),
        el('button', { type: 'button', class: 'btn btn-secondary', id: 'officer-download-pub', onclick: () => download(k.public_file, 'pejabat-pdp.pub') },
          t('officer.download_pub'))));
  }
  replace(regions.keygen, ...parts);
}

// ---- 2. the workflow, in a form ------------------------------------------------------------

function draftLoader() {
  const picker = filePicker({
    id: 'officer-workflow',
    accept: '.json,application/json',
    title: t('officer.load_workflow'),
    onFiles: async ([file]) => {
      try {
        const text = await readText(file);
        state.draft = JSON.parse(text);
        state.draftName = file.name;
        picker.setStatus(t('file.loaded', { name: file.name }));
      } catch (err) {
        state.draft = null;
        state.summary = null;
        state.summaryError = `${file.name}: ${errorMessage(err)}`;
        renderSummary();
      }
      renderForm();
      refresh();
    },
  });
  return el('div', { class: 'loader' }, picker.root,
    el('div', { class: 'actions' }, el('button', {
      type: 'button', class: 'btn btn-secondary', id: 'officer-example',
      onclick: async () => {
        const res = await worker.request('example_workflow', {});
        state.draft = JSON.parse(res.text);
        state.draftName = 'workflow.json';
        renderForm();
        refresh();
      },
    }, t('officer.from_example'))));
}

let timer = null;
function changed() {
  clearTimeout(timer);
  timer = setTimeout(refresh, 250);
}

function input(id, label, value, onInput, attrs = {}) {
  const i = el('input', { id, type: 'text', value: value ?? '', ...attrs, oninput: () => { onInput(i.value); changed(); } });
  return el('div', { class: 'field' }, el('label', { for: id }, label), i);
}

function area(id, label, value, onInput) {
  const a = el('textarea', { id, rows: '2', oninput: () => { onInput(a.value); changed(); } });
  a.value = value ?? '';
  return el('div', { class: 'field' }, el('label', { for: id }, label), a);
}

function select(id, label, options, value, onChange) {
  const s = el('select', { id, onchange: () => { onChange(s.value); changed(); } },
    options.map(([v, text]) => el('option', { value: v, selected: v === value ? '' : null }, text)));
  s.value = value ?? '';
  return el('div', { class: 'field' }, el('label', { for: id }, label), s);
}

function renderForm() {
  const d = state.draft;
  if (!d) return replace(regions.form);
  const parties = d.parties || (d.parties = []);
  const ids = parties.map((p) => [p.id, `${p.name || p.id} (${p.id})`]);
  const rerender = () => { renderForm(); changed(); };
  const partyRows = parties.map((p, i) => el('tr', {},
    el('td', {}, el('input', { type: 'text', 'aria-label': t('officer.party_id'), value: p.id, oninput: (e) => { p.id = e.target.value; changed(); } })),
    el('td', {}, el('input', { type: 'text', 'aria-label': t('officer.party_name'), value: p.name, oninput: (e) => { p.name = e.target.value; changed(); } })),
    el('td', {}, el('select', { 'aria-label': t('officer.party_role'), onchange: (e) => { p.role = e.target.value; rerender(); } },
      ROLES.map((r) => el('option', { value: r, selected: r === p.role ? '' : null }, t(`officer.role_${r}`))))),
    el('td', {}, el('input', { type: 'text', 'aria-label': t('officer.party_basis'), value: p.legal_basis || '', oninput: (e) => { p.legal_basis = e.target.value; changed(); } })),
    el('td', {}, el('input', {
      type: 'text', 'aria-label': t('officer.party_specific'), value: (p.specific_data || []).join(', '),
      oninput: (e) => {
        const v = e.target.value.split(',').map((x) => x.trim()).filter(Boolean);
        if (v.length) p.specific_data = v; else delete p.specific_data;
        changed();
      },
    })),
    el('td', {}, el('button', { type: 'button', class: 'btn btn-small btn-secondary', onclick: () => { parties.splice(i, 1); rerender(); } }, t('officer.remove')))));
  const keys = d.match_keys || (d.match_keys = []);
  const keyRows = keys.map((k, i) => el('tr', {},
    el('td', {}, el('input', { type: 'text', 'aria-label': t('officer.key_name'), value: k.name, oninput: (e) => { k.name = e.target.value; changed(); } })),
    el('td', {}, FIELDS.map((f) => el('label', { class: 'check-inline' },
      el('input', {
        type: 'checkbox', checked: (k.fields || []).includes(f) ? '' : null,
        onchange: (e) => {
          const set = new Set(k.fields || []);
          if (e.target.checked) set.add(f); else set.delete(f);
          k.fields = FIELDS.filter((x) => set.has(x));
          d.fields = FIELDS.filter((x) => keys.some((kk) => (kk.fields || []).includes(x)));
          changed();
        },
      }), ` ${f}`))),
    el('td', {}, el('button', { type: 'button', class: 'btn btn-small btn-secondary', onclick: () => { keys.splice(i, 1); rerender(); } }, t('officer.remove')))));
  const disclosure = d.disclosure || (d.disclosure = []);
  const dataParties = parties.filter((p) => p.role === 'data');
  const rule = (id) => {
    let r = disclosure.find((x) => x.party === id);
    if (!r) {
      r = { party: id, in_reference: false, other_lists: false };
      disclosure.push(r);
    }
    return r;
  };
  const disclosureRows = dataParties.map((p) => el('tr', {},
    el('td', {}, p.name || p.id),
    ['in_reference', 'other_lists'].map((f) => el('td', {}, el('input', {
      type: 'checkbox', 'aria-label': `${p.name || p.id}: ${t(`officer.${f}`)}`, checked: rule(p.id)[f] ? '' : null,
      onchange: (e) => { rule(p.id)[f] = e.target.checked; changed(); },
    })))));
  // rules of parties that are gone or no longer hold data
  d.disclosure = disclosure.filter((r) => dataParties.some((p) => p.id === r.party));

  replace(regions.form, el('div', { class: 'officer-form' },
    el('div', { class: 'two-col' },
      el('div', {},
        input('wf-id', t('wf.id'), d.id, (v) => { d.id = v; }),
        input('wf-title', t('wf.title'), d.title, (v) => { d.title = v; }),
        area('wf-purpose', t('wf.purpose'), d.purpose, (v) => { d.purpose = v; }),
        area('wf-legal', t('wf.legal_basis'), d.legal_basis, (v) => { d.legal_basis = v; })),
      el('div', {},
        el('div', { class: 'inline-fields' },
          input('wf-from', t('officer.valid_from'), d.valid_from, (v) => { d.valid_from = v; }, { type: 'date' }),
          input('wf-until', t('officer.valid_until'), d.valid_until, (v) => { d.valid_until = v; }, { type: 'date' })),
        el('div', { class: 'inline-fields' },
          input('wf-k', t('officer.k'), d.k, (v) => { d.k = Number(v); }, { type: 'number', min: '2' }),
          input('wf-m', t('officer.approvals_required'), d.approvals_required ?? 1, (v) => {
            const n = Number(v);
            if (n === 1) delete d.approvals_required; else d.approvals_required = n;
          }, { type: 'number', min: '1', max: '16' })),
        select('wf-coordinator', t('wf.coordinator'), ids, d.coordinator, (v) => { d.coordinator = v; }),
        select('wf-custodian', t('officer.custodian'), [['', '–'], ...ids], d.key_custodian || '', (v) => {
          if (v) d.key_custodian = v; else delete d.key_custodian;
        }),
        select('wf-reference', t('wf.reference'), ids, d.reference, (v) => { d.reference = v; }))),
    el('h3', {}, t('officer.parties')),
    el('div', { class: 'table-wrap' }, el('table', { class: 'data' },
      el('thead', {}, el('tr', {}, ['officer.party_id', 'officer.party_name', 'officer.party_role', 'officer.party_basis', 'officer.party_specific', ''].map((k) => el('th', {}, k ? t(k) : '')))),
      el('tbody', {}, partyRows))),
    el('div', { class: 'actions' }, el('button', {
      type: 'button', class: 'btn btn-small btn-secondary', id: 'officer-add-party',
      onclick: () => { parties.push({ id: `pihak${parties.length + 1}`, name: '', role: 'data', legal_basis: '' }); rerender(); },
    }, t('officer.add_party'))),
    el('h3', {}, t('officer.match_keys')),
    el('p', { class: 'help' }, t('officer.match_keys_help')),
    el('div', { class: 'table-wrap' }, el('table', { class: 'data' },
      el('thead', {}, el('tr', {}, el('th', {}, t('officer.key_name')), el('th', {}, t('officer.key_fields')), el('th', {}, ''))),
      el('tbody', {}, keyRows))),
    el('div', { class: 'actions' }, el('button', {
      type: 'button', class: 'btn btn-small btn-secondary', id: 'officer-add-key',
      onclick: () => { keys.push({ name: `kunci${keys.length + 1}`, fields: [] }); rerender(); },
    }, t('officer.add_key'))),
    el('h3', {}, t('officer.fuzzy')),
    el('p', { class: 'help' }, t('officer.fuzzy_help')),
    el('div', { class: 'inline-fields' },
      el('label', { class: 'check' }, el('input', {
        type: 'checkbox', id: 'wf-fuzzy', checked: d.fuzzy ? '' : null,
        onchange: (e) => {
          if (e.target.checked) {
            const rec = state.summary?.fuzzy_recommended;
            if (!rec) { e.target.checked = false; return; }
            d.fuzzy = JSON.parse(JSON.stringify(rec));
          } else delete d.fuzzy;
          rerender();
        },
      }), ' ', t('officer.fuzzy_on')),
      d.fuzzy ? input('wf-fuzzy-percent', t('officer.fuzzy_percent'), d.fuzzy.similarity_percent, (v) => {
        d.fuzzy.similarity_percent = Number(v);
      }, { type: 'number', min: '50', max: '100' }) : null),
    d.fuzzy ? el('p', { class: 'help mono' }, t('officer.fuzzy_detail', {
      fields: d.fuzzy.fields.map((f) => f.field).join(', '),
      blocks: d.fuzzy.blocks.map((b) => b.join(' + ')).join('; '),
      typos: d.fuzzy.nik_typos ? t('officer.yes') : t('officer.no'),
    })) : null,
    el('h3', {}, t('officer.disclosure')),
    el('div', { class: 'table-wrap' }, el('table', { class: 'data' },
      el('thead', {}, el('tr', {}, el('th', {}, t('officer.party_name')), el('th', {}, t('officer.in_reference')), el('th', {}, t('officer.other_lists')))),
      el('tbody', {}, disclosureRows))),
    el('div', { class: 'actions' }, el('button', {
      type: 'button', class: 'btn btn-secondary', id: 'officer-download-workflow',
      onclick: () => download(draftText(), `${safe(d.id)}.json`, 'application/json'),
    }, t('officer.download_workflow')))));
}

function draftText() {
  return `${JSON.stringify(state.draft, null, 2)}\n`;
}

async function refresh() {
  if (!state.draft) return;
  try {
    state.summary = await worker.request('officer_summary', { text: draftText(), name: state.draftName });
    state.summaryError = null;
  } catch (err) {
    state.summary = null;
    state.summaryError = errorMessage(err);
  }
  state.signed = null;
  renderSummary();
  renderSign();
}

function renderSummary() {
  if (state.summaryError) return replace(regions.summary, errorBox(state.summaryError));
  const s = state.summary;
  if (!s) return replace(regions.summary);
  const warnings = s.summary.warnings || [];
  replace(regions.summary,
    el('div', { class: 'card officer-summary', 'data-testid': 'officer-summary' },
      el('h3', {}, t('officer.summary_title')),
      (s.summary.sections || []).map(([title, lines]) => [
        el('h4', {}, title),
        el('ul', {}, lines.map((l) => el('li', {}, l))),
      ]),
      el('p', { class: 'muted' }, `${t('wf.digest')}: `, el('span', { class: 'mono' }, s.digest))),
    warnings.length
      ? el('div', { class: 'alert alert-warn', role: 'note', 'data-testid': 'officer-warnings' },
        el('strong', {}, t('officer.warnings')),
        el('ul', {}, warnings.map((w) => el('li', { 'data-code': w.code }, w.text))))
      : el('div', { class: 'alert alert-ok' }, t('officer.no_warnings')));
}

// ---- 3. sign ----------------------------------------------------------------------------------

function renderSign() {
  if (!state.summary) return replace(regions.sign, el('p', { class: 'help' }, t('officer.sign_needs_valid')));
  const keyPicker = filePicker({
    id: 'officer-sign-key',
    accept: '.key,.json',
    title: t('officer.pick_key'),
    onFiles: async ([file]) => {
      state.signKey = { text: await readText(file), name: file.name };
      keyPicker.setStatus(t('file.loaded', { name: file.name }));
    },
  });
  if (state.signKey) keyPicker.setStatus(t('file.loaded', { name: state.signKey.name }));
  const prevPicker = filePicker({
    id: 'officer-prev-approval',
    accept: '.json',
    title: t('officer.pick_prev_approval'),
    onFiles: async ([file]) => {
      state.prevApproval = { text: await readText(file), name: file.name };
      prevPicker.setStatus(t('file.loaded', { name: file.name }));
    },
  });
  if (state.prevApproval) prevPicker.setStatus(t('file.loaded', { name: state.prevApproval.name }));
  const pass = el('input', { id: 'officer-sign-pass', type: 'password', autocomplete: 'current-password' });
  const parts = [
    el('div', { class: 'two-col' }, keyPicker.root, prevPicker.root),
    el('div', { class: 'field' }, el('label', { for: 'officer-sign-pass' }, t('officer.pass')), pass),
    el('div', { class: 'actions' }, el('button', {
      type: 'button', class: 'btn btn-primary', id: 'officer-sign',
      onclick: async () => {
        state.signError = null;
        state.signed = null;
        try {
          if (!state.signKey) throw new Error(t('officer.no_key'));
          state.signed = await worker.request('officer_sign', {
            workflow: draftText(), workflow_name: state.draftName, key: state.signKey.text, key_name: state.signKey.name,
            passphrase: pass.value, approval: state.prevApproval?.text || '', approval_name: state.prevApproval?.name || '',
          });
        } catch (err) {
          state.signError = errorMessage(err);
        }
        pass.value = '';
        renderSign();
      },
    }, t('officer.sign_btn'))),
  ];
  if (state.signError) parts.push(errorBox(state.signError));
  if (state.signed) {
    const s = state.signed;
    const name = `${safe(state.draft.id)}.approval.json`;
    parts.push(el('div', { class: 'alert alert-ok', role: 'status', 'data-testid': 'officer-signed' },
      el('strong', {}, t('officer.signed', { n: s.signatures, m: s.required })),
      el('p', {}, t('officer.signed_note'))),
    el('div', { class: 'actions' },
      el('button', { type: 'button', class: 'btn btn-primary', id: 'officer-download-approval', onclick: () => download(s.approval, name, 'application/json') },
        t('officer.download_approval', { name })),
      el('button', { type: 'button', class: 'btn btn-secondary', id: 'officer-download-signed-workflow', onclick: () => download(draftText(), `${safe(state.draft.id)}.json`, 'application/json') },
        t('officer.download_workflow'))));
  }
  replace(regions.sign, ...parts);
}
