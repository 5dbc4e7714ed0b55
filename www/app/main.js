// padan browser app: entry point and router.
//
// Layout decision: www/index.html is a single-page app. It holds one <main data-page="...">
// per role (home, office, custodian, coordinator, officer); this module shows one of them according
// to the URL hash (#home, #office, #custodian, #coordinator; Indonesian aliases #petugas,
// #kunci, #koordinator also work). www/office.html, custodian.html and coordinator.html
// only redirect (meta refresh, no script) to index.html#<role>.
//
// All page logic lives in ES modules under www/app/ (no bundler, no framework, no
// third-party code); the HTML is a small static shell, and each page is built with DOM
// APIs by its module (app/home.js, office.js, custodian.js, coordinator.js). So the
// single-file offline build (padan.html) only has to inline style.css, these modules and the
// worker: if it cannot load './worker.js' by URL it sets `globalThis.PADAN_WORKER_URL` (for
// example to a blob: URL) before this module runs; see app/worker-client.js.
//
// Content Security Policy: `script-src 'self' 'wasm-unsafe-eval'; style-src 'self'`. No
// inline scripts, no inline style attributes; styles come from style.css and classes.
//
// Storage: the language choice (localStorage 'padan.lang') and the trust store
// ('padan.trust': officer PUBLIC keys the user confirmed by fingerprint, and the workflow ids
// and digests seen), and per workflow and office the column mapping chosen
// ('padan.mapping.<workflow>.<party>': header names only). Rows, keys and tokens live in memory only, and downloads are Blob URLs
// (never data: URLs).

import { applyStatic, initLang, setLang, lang, onLangChange, t } from './i18n.js';
import { mountHome } from './home.js';
import { mountOffice } from './office.js';
import { mountCustodian } from './custodian.js';
import { mountCoordinator } from './coordinator.js';
import { mountOfficer } from './officer.js';

const ROUTES = {
  home: 'home', beranda: 'home', '': 'home',
  office: 'office', petugas: 'office',
  custodian: 'custodian', kunci: 'custodian',
  coordinator: 'coordinator', koordinator: 'coordinator',
  officer: 'officer', pejabat: 'officer',
};
const MOUNT = { home: mountHome, office: mountOffice, custodian: mountCustodian, coordinator: mountCoordinator, officer: mountOfficer };
const mounted = new Set();
let current = null;

function route() {
  const name = decodeURIComponent(location.hash.replace(/^#/, '')).toLowerCase();
  const page = ROUTES[name];
  if (!page) return; // an in-page anchor such as the skip link
  show(page);
}

function show(page) {
  for (const main of document.querySelectorAll('main[data-page]')) {
    const on = main.dataset.page === page;
    if (on && !mounted.has(page)) {
      MOUNT[page](main);
      mounted.add(page);
    }
    main.hidden = !on;
  }
  for (const a of document.querySelectorAll('[data-route]')) {
    if (a.dataset.route === page) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  document.body.dataset.page = page;
  document.title = `${t(`nav.${page}`)} · padan`;
  if (current !== null && current !== page) {
    // Move focus to the new page's heading for keyboard and screen-reader users.
    const h1 = document.querySelector(`main[data-page="${page}"] h1`);
    if (h1) {
      h1.setAttribute('tabindex', '-1');
      h1.focus();
    }
  }
  current = page;
}

function start() {
  initLang();
  applyStatic();
  const sw = document.getElementById('lang-switch');
  const label = () => {
    sw.textContent = lang() === 'id' ? 'English' : 'Bahasa Indonesia';
    sw.setAttribute('lang', lang() === 'id' ? 'en' : 'id');
  };
  label();
  sw.addEventListener('click', () => setLang(lang() === 'id' ? 'en' : 'id'));
  onLangChange(() => {
    applyStatic();
    label();
    if (current) document.title = `${t(`nav.${current}`)} · padan`;
  });
  window.addEventListener('hashchange', route);
  const name = decodeURIComponent(location.hash.replace(/^#/, '')).toLowerCase();
  show(ROUTES[name] || 'home');
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
