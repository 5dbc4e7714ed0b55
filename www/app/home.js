// Start page: what padan is, what happens to the data, the three roles, and the demo.

import { t, onLangChange } from './i18n.js';
import { el, replace, download, errorBox, progressView, fmtBytes } from './ui.js';
import { worker, errorMessage } from './worker-client.js';

const DEMO_FILES = ['dtks.csv', 'dinkes_pbi.csv', 'disdik_pip.csv', 'dpmd_blt.csv', 'baznas.csv', 'workflow.json', 'workflow.approval.json', 'officer.pub', 'demo.key'];
const state = { generated: null, error: null, busy: false };
let root;
let genOut;

export function mountHome(node) {
  root = node;
  build();
  onLangChange(build);
}

function roleCard(href, title, text) {
  return el('li', { class: 'role-card' },
    el('h3', {}, el('a', { href }, title)),
    el('p', {}, text));
}

function build() {
  genOut = el('div', { class: 'region' });
  const people = el('input', { id: 'demo-people', type: 'number', min: '100', max: '1000000', step: '100', value: '3000', inputmode: 'numeric' });
  const seed = el('input', { id: 'demo-seed', type: 'number', min: '0', step: '1', value: '7', inputmode: 'numeric' });
  replace(root,
    el('div', { class: 'page-head' },
      el('h1', {}, t('home.title')),
      el('p', { class: 'lead' }, t('home.lead'))),
    el('div', { class: 'alert alert-info privacy-banner', role: 'note' },
      el('strong', {}, t('privacy.stays'))),
    el('section', { class: 'step' },
      el('h2', {}, t('home.flow_title')),
      el('ol', { class: 'flow' },
        el('li', {}, t('home.flow1')),
        el('li', {}, t('home.flow2')),
        el('li', {}, t('home.flow3')),
        el('li', {}, t('home.flow4')),
        el('li', {}, t('home.flow5')))),
    el('section', { class: 'step' },
      el('h2', {}, t('home.roles')),
      el('ul', { class: 'roles' },
        roleCard('#office', t('nav.office'), t('home.role_office')),
        roleCard('#custodian', t('nav.custodian'), t('home.role_custodian')),
        roleCard('#coordinator', t('nav.coordinator'), t('home.role_coordinator')),
        roleCard('#officer', t('nav.officer'), t('home.role_officer')))),
    el('section', { class: 'step', id: 'demo' },
      el('h2', {}, t('home.demo_title')),
      el('p', {}, t('home.demo_lead')),
      el('div', { class: 'two-col' },
        el('div', {},
          el('h3', {}, t('home.demo_files')),
          el('ul', { class: 'file-links' }, DEMO_FILES.map((f) => el('li', {}, el('a', { href: `demo/${f}`, download: f }, f)))),
          el('p', { class: 'help' }, t('home.demo_files_help'))),
        el('div', {},
          el('h3', {}, t('home.demo_generate')),
          el('div', { class: 'inline-fields' },
            el('div', { class: 'field field-compact' }, el('label', { for: 'demo-people' }, t('home.demo_people')), people),
            el('div', { class: 'field field-compact' }, el('label', { for: 'demo-seed' }, t('home.demo_seed')), seed)),
          el('button', {
            type: 'button', class: 'btn', id: 'demo-generate',
            onclick: () => generate(Number(people.value) || 3000, Number(seed.value) || 0),
          }, t('home.demo_generate_btn')),
          genOut)),
      el('h3', {}, t('home.walk_title')),
      el('ol', { class: 'walk' },
        el('li', {}, t('home.walk1')),
        el('li', {}, t('home.walk2')),
        el('li', {}, t('home.walk3')),
        el('li', {}, t('home.walk4')),
        el('li', {}, t('home.walk5')))));
  renderGenerated();
}

let progress = null;
async function generate(people, seed) {
  state.busy = true;
  state.error = null;
  progress = progressView(() => worker.cancel());
  renderGenerated();
  try {
    const res = await worker.request('demo', { people, seed }, { onProgress: (m) => progress.update(m) });
    state.generated = res.files || [];
  } catch (err) {
    state.error = errorMessage(err);
  }
  state.busy = false;
  renderGenerated();
}

function renderGenerated() {
  const parts = [];
  if (state.busy && progress) parts.push(progress.root);
  if (state.error) parts.push(errorBox(state.error));
  if (state.generated) {
    parts.push(el('ul', { class: 'file-links' }, state.generated.map((f) => {
      const bytes = f.bytes instanceof Uint8Array ? f.bytes : new Uint8Array(f.bytes);
      return el('li', {}, el('button', {
        type: 'button', class: 'btn btn-small btn-secondary', onclick: () => download(bytes, f.name),
      }, t('home.demo_download', { name: f.name })), ' ', el('span', { class: 'muted' }, fmtBytes(bytes.byteLength)));
    })));
  }
  replace(genOut, ...parts);
}
