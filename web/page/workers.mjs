// A pool of training workers. Each has its own engine and its own copy of the data, so runs placed
// on different workers train on different cores. The first worker starts at once, so the engine
// compiles while the data downloads; more start only when runs would otherwise share one. A failed
// request rejects with a LabError.
import { LabError } from '../lib/errors.mjs';

export function createPool({ size, onProgress, mayTrain }) {
  const workers = [];
  const pending = new Map();
  let nextReq = 1;
  const datasets = new Map(); // name -> the four Blobs, sent to every worker, new ones too

  function call(w, op, payload = {}, transfer = []) {
    if (w.failed) return Promise.reject(new LabError('load', w.failed));
    const req = nextReq++;
    return new Promise((resolve, reject) => {
      pending.set(req, { resolve, reject, w });
      w.worker.postMessage({ op, req, ...payload }, transfer);
    });
  }

  function failAll(w, message) {
    for (const [req, p] of pending) {
      if (p.w !== w) continue;
      pending.delete(req);
      p.reject(new LabError('load', message));
    }
  }

  function spawn() {
    const worker = new Worker(new URL('./worker.mjs', import.meta.url), { type: 'module' });
    const w = { worker, runs: new Set(), ready: new Map(), failed: null };
    worker.onmessage = ({ data: msg }) => {
      if (msg.op === 'progress') return onProgress(msg.updates);
      if (msg.op === 'error') return console.warn(msg.error);
      const p = pending.get(msg.req);
      if (!p) return;
      pending.delete(msg.req);
      if (msg.ok) p.resolve(msg.value);
      else p.reject(new LabError(msg.code, msg.error));
    };
    // A worker that fails to load or throws outside a request is unusable: its requests, current
    // and future, fail with the reason instead of waiting forever.
    worker.onerror = (ev) => {
      ev.preventDefault();
      w.failed = `The training engine could not be started${ev.message ? `: ${ev.message}` : ''}.`;
      failAll(w, w.failed);
    };
    for (const [name, data] of datasets) w.ready.set(name, call(w, 'data', { name, data }));
    workers.push(w);
    return w;
  }

  function place(id) {
    const load = (w) => [...w.runs].filter(mayTrain).length;
    let best = workers.reduce((a, b) => (load(b) < load(a) ? b : a), workers[0]);
    if (!best || (load(best) > 0 && workers.length < size)) best = spawn();
    best.runs.add(id);
    return best;
  }

  return {
    warm() {
      if (!workers.length) spawn();
    },
    /** Sends dataset `name` to every worker; resolves when the first has accepted it (or rejects
     * with why). setData(data) alone is MNIST. */
    setData(name, d) {
      if (typeof name !== 'string') [name, d] = ['mnist', name];
      datasets.set(name, d);
      for (const w of workers) w.ready.set(name, call(w, 'data', { name, data: d }));
      return workers[0].ready.get(name);
    },
    /** Creates run `id` on a worker; resolves to that worker's handle and the run's split sizes. */
    async create(id, config, { branch } = {}) {
      const w = place(id);
      let counts;
      try {
        await w.ready.get(config.data ?? 'mnist');
        counts = await call(w, 'create', { id, config, branch });
      } catch (err) {
        w.runs.delete(id);
        throw err;
      }
      return { worker: w, counts };
    },
    request: (w, op, payload, transfer) => call(w, op, payload, transfer),
    /** The network a config describes ({net, error}: the core's description, or why it refuses
     * the config), from the first worker; no data is needed. */
    describe(config) {
      if (!workers.length) spawn();
      return call(workers[0], 'describe', { config });
    },
    send(w, op, id) {
      w.worker.postMessage({ op, id });
    },
    forget(w, id) {
      w.runs.delete(id);
      w.worker.postMessage({ op: 'free', id });
    },
  };
}
