// The one channel to the Web Worker that runs the Rust core (www/worker.js).
//
// Protocol: main -> worker {id, op, ...}; worker -> main {id, type:'progress', rows, bytes,
// total} | {id, type:'done', result} | {id, type:'error', message}.
//
// The worker URL is './worker.js' relative to the page, unless the single-file build sets
// `globalThis.PADAN_WORKER_URL` (for example to a blob: URL of the inlined worker) before
// the app modules run.

import { t } from './i18n.js';

export class CancelledError extends Error {
  constructor() {
    super('cancelled');
    this.name = 'CancelledError';
  }
}

export class WorkerError extends Error {
  constructor(message) {
    super(message);
    this.name = 'WorkerError';
  }
}

function workerUrl() {
  return globalThis.PADAN_WORKER_URL || './worker.js';
}

class WorkerClient {
  constructor() {
    this.seq = 0;
    this.pending = new Map();
    this.worker = null;
  }

  ensure() {
    if (this.worker) return this.worker;
    const w = new Worker(workerUrl(), { type: 'module' });
    w.onmessage = (e) => this.onMessage(e.data);
    w.onerror = (e) => {
      e.preventDefault?.();
      const detail = e.message ? ` (${e.message})` : '';
      this.failAll(new WorkerError(t('error.worker_failed') + detail));
      // A worker that failed to start is useless: start afresh on the next request.
      w.terminate();
      if (this.worker === w) this.worker = null;
    };
    w.onmessageerror = () => this.failAll(new WorkerError(t('error.worker_message')));
    this.worker = w;
    return w;
  }

  onMessage(m) {
    if (!m || typeof m !== 'object') return;
    const p = this.pending.get(m.id);
    if (!p) return;
    if (m.type === 'progress') {
      p.onProgress?.(m);
    } else if (m.type === 'done') {
      this.pending.delete(m.id);
      p.resolve(m.result);
    } else if (m.type === 'error') {
      this.pending.delete(m.id);
      p.reject(new WorkerError(m.message || t('error.unknown')));
    }
  }

  failAll(err) {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  /** Sends one operation; resolves with its result, rejects with WorkerError/CancelledError. */
  request(op, payload = {}, { onProgress, transfer } = {}) {
    const w = this.ensure();
    this.seq += 1;
    const id = this.seq;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onProgress });
      try {
        w.postMessage({ id, op, ...payload }, transfer || []);
      } catch (err) {
        this.pending.delete(id);
        reject(new WorkerError(String(err?.message || err)));
      }
    });
  }

  /** Stops whatever runs: terminates the worker (a new one starts on the next request). */
  cancel() {
    if (this.worker) this.worker.terminate();
    this.worker = null;
    this.failAll(new CancelledError());
  }
}

export const worker = new WorkerClient();

/** The message to show for an error from `worker.request`. */
export function errorMessage(err) {
  if (err instanceof CancelledError) return t('progress.cancelled');
  if (err instanceof WorkerError) return err.message;
  return t('error.unexpected', { detail: String(err?.message || err) });
}
