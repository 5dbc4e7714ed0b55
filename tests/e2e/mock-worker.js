// A stand-in for www/worker.js with the same protocol and plausible result shapes, used by
// the ignored `ui_with_mock_worker` test in tests/e2e.rs to look at the pages without a
// wasm build. It makes no real tokens. Never shipped.

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const enc = new TextEncoder();

async function progress(id, total) {
  for (let i = 1; i <= 5; i++) {
    await sleep(60);
    self.postMessage({ id, type: 'progress', rows: i * 600, bytes: (total * i) / 5, total });
  }
}

async function readText(blob) {
  return typeof blob === 'string' ? blob : await blob.text();
}

function parseCsv(text) {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/).filter((l) => l.length);
  const delim = [';', ',', '|', '\t'].sort((a, b) => lines[0].split(b).length - lines[0].split(a).length)[0];
  return { delim, rows: lines.map((l) => l.split(delim)) };
}

const item = (count, description, severity, rows) => ({ count, description, description_en: description, severity, example_rows: rows });

const OPS = {
  async workflow(m) {
    const wf = JSON.parse(m.text);
    if (!wf.id) throw new Error(`${m.name}: baris 1, kolom 1: bukan alur kerja padan. Pilih workflow.json dari pejabat PDP.`);
    return { workflow: wf, digest: 'ab12'.repeat(16) };
  },
  async approval() {
    return { ok: true, officers: [['Pejabat PDP (mock)', 'AAAA-BBBB-CCCC-DDDD-EEEE']], required: 1, trust: '' };
  },
  async keyinfo(m) {
    if (!m.text.includes('padan')) throw new Error(`${m.name}: baris 1: bukan berkas kunci padan. Minta berkas .key dari pemegang kunci.`);
    return { kcv: '7F3A-91C2' };
  },
  async keygen() {
    return { key_text: 'padan-key/1\nMOCKMOCKMOCK\n', kcv: '7F3A-91C2' };
  },
  async inspect(m) {
    const { delim, rows } = parseCsv(await readText(m.file));
    const header = rows[0];
    const find = (re) => header.find((h) => re.test(h)) ?? null;
    const mapping = {
      nik: find(/NIK/i), name: find(/NAMA/i), birth_date: find(/TGL|TANGGAL/i), place_birth_date: null,
      sex: find(/JK|KELAMIN/i), no_kk: find(/KK/i), kecamatan: find(/KEC/i), desa: find(/DESA|KEL/i),
    };
    for (const [f, h] of Object.entries(m.options?.columns || {})) mapping[f] = h || null;
    return {
      file_name: m.file.name, delimiter: m.options?.delimiter || delim, encoding: m.options?.encoding || 'utf-8', bom: false,
      header, mapping, preview: rows.slice(1, 11), quoted_newlines: false,
    };
  },
  async check(m) {
    await progress(m.id, m.file.size);
    return {
      format: 'padan-check/1', file_name: m.file.name, party: m.party, rows_read: 3000, nik_valid: 2890,
      nik_problems: { excel_damage: item(41, 'NIK rusak oleh Excel (3.20901E+15)', 'damage', [4, 19, 77]), bad_date: item(12, 'tanggal di NIK mustahil', 'error', [8, 102]) },
      nik_column_damaged: false,
      row_issues: { dob_mismatch: item(57, 'tanggal lahir di NIK berbeda dengan kolom tanggal lahir', 'warning', [3, 44, 51, 90]) },
      duplicate_nik: item(9, 'NIK sama dengan baris sebelumnya', 'warning', [300, 301]),
      duplicate_name_birth_date: item(0, '', 'warning', []),
      empty_fields: { sex: item(5, 'jenis kelamin kosong', 'warning', [7]) },
      rows_tokenizable: 2990, keys_unavailable: {},
    };
  },
  async tokenize(m) {
    await progress(m.id, m.file.size);
    const bytes = enc.encode('padan-tokens/1\nmock\n');
    return {
      token_file: bytes, file_name: `${m.party}.tokens.csv`,
      summary: {
        format: 'padan-tokenize/1', input_file: m.file.name, party: m.party, kcv: '7F3A-91C2', rows_in: 3000, rows_tokenized: 2990, rows_rejected: 10,
        rejected_by_reason: { nik_excel_damage: { count: 7, description: 'NIK rusak oleh Excel, tanpa nama+tgl lahir', example_rows: [4, 19] }, no_name: { count: 3, description: 'nama kosong', example_rows: [7] } },
        rejected: [{ row: 4, line: 5, reason: 'nik_excel_damage' }], tokens_per_key: { nik: 2949, name_dob: 2980 }, keys_unavailable: {}, nik_column_damaged: false, created_by: 'padan mock',
      },
    };
  },
  async compare(m) {
    if ((m.files || []).some((f) => /bad/.test(f.name))) throw new Error('bad.csv: baris 1: berkas ini dibuat untuk alur kerja lain. Minta kantor itu membuat token dengan workflow.json yang sama.');
    await progress(m.id, 1e6);
    const wf = JSON.parse(m.workflow);
    const ids = wf.parties.filter((p) => p.role === 'data').map((p) => p.id);
    const lists = ids.map((id, i) => ({ party: id, name: wf.parties.find((p) => p.id === id).name, records: 3000 - i * 400, people: 2950 - i * 400, duplicates: i === 2 ? '<10' : 12 * i, statuses: { in_reference: 1500 - i * 100, only_here: 400 } }));
    const overlaps = [];
    ids.forEach((a, i) => ids.forEach((b, j) => { if (j > i) overlaps.push({ a, b, people: (i + j) % 4 === 3 ? '<10' : 1500 - 90 * (i + j) * j }); }));
    const combinations = [];
    for (let mask = 1; mask < 1 << ids.length; mask++) {
      const parties = ids.filter((_, i) => mask & (1 << i));
      combinations.push({ parties, people: parties.length > 3 ? '<10' : Math.round(2000 / (mask % 7 + 1)) });
    }
    return {
      summary: { format: 'padan-summary/1', workflow_id: wf.id, workflow_digest: 'ab12'.repeat(16), kcv: '7F3A-91C2', k: wf.k, people_total: 6123, lists, overlaps, combinations, links: [{ key: 'nik', links: 4000, conflicts: 12 }, { key: 'name_dob', links: 300, conflicts: '<10' }], conflict_records: 37, created_by: 'padan mock' },
      summary_text: 'Ringkasan (mock)\n',
      results: ids.map((id) => ({ party: id, file_name: `${id}.result.csv`, bytes: enc.encode(`row,status\n1,in_reference\n`) })),
    };
  },
  async reattach(m) {
    await progress(m.id, m.file.size);
    return { bytes: enc.encode('NIK,NAMA,STATUS\n'), file_name: m.file.name.replace(/\.csv$/, '_hasil.csv'), summary: { rows: 3000, matched: 2100, unmatched: 900 } };
  },
  async demo(m) {
    await progress(m.id, 1000);
    return { files: ['dtks.csv', 'workflow.json', 'demo.key'].map((name) => ({ name, bytes: enc.encode('x\n') })) };
  },
};

self.onmessage = async (ev) => {
  const m = ev.data;
  try {
    const result = await OPS[m.op](m);
    self.postMessage({ id: m.id, type: 'done', result });
  } catch (e) {
    self.postMessage({ id: m.id, type: 'error', message: e.message || String(e) });
  }
};
