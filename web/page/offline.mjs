// Works offline after the first visit: registers the service worker (sw.js, written at build time
// by tools/build-sw.mjs), asks it to keep every dataset and checkpoint the page has fetched, and
// says when the page is ready offline and how much it stored. A newer build waits until the person
// reloads through the "Update" button, so one page never runs on files of two builds.
import { h } from './dom.mjs';

const SW_URL = new URL('../sw.js', import.meta.url);
const KEPT = /\/(data\/.+\.gz|pretrained\/[^/]+)$/;
const mb = (n) => `${(n / 1e6).toFixed(n < 1e7 ? 1 : 0)} MB`;

/**
 * Starts offline support; shows its state in `box` (created when not given).
 * @param {{box?: HTMLElement, onState?: (state: object) => void}} [options]
 * @returns {{state: () => object, keep: (urls: string[]) => Promise<void>}}
 */
export function startOffline({ box, onState = () => {} } = {}) {
  const state = { supported: 'serviceWorker' in navigator && window.isSecureContext, ready: false, stored: 0, text: '', error: null };
  const el = box ?? h('p', { class: 'offline-status muted small', role: 'status', 'aria-live': 'polite' });
  const set = (patch) => {
    Object.assign(state, patch);
    el.textContent = state.text;
    el.dataset.ready = String(state.ready);
    el.hidden = !state.text;
    onState({ ...state });
  };
  if (!state.supported) {
    set({ text: 'Offline use needs a secure context (https or 127.0.0.1) with service workers.' });
    return { state: () => ({ ...state }), keep: async () => {}, element: el };
  }

  const seen = new Set();
  let registration = null;

  // Each dataset or checkpoint fetched in this page (the main thread; the workers' fetches are
  // cached by the service worker's routes once it controls the page).
  function collect() {
    for (const entry of performance.getEntriesByType('resource')) if (KEPT.test(new URL(entry.name).pathname)) seen.add(entry.name);
  }

  function ask(worker, urls) {
    return new Promise((resolve) => {
      const channel = new MessageChannel();
      const timer = setTimeout(() => resolve(null), 120_000);
      channel.port1.onmessage = (e) => { clearTimeout(timer); resolve(e.data); };
      worker.postMessage({ type: 'lenet-cache', urls }, [channel.port2]);
    });
  }

  let pending = Promise.resolve();
  async function keep(extra = []) {
    for (const u of extra) seen.add(new URL(u, location.href).href);
    collect();
    pending = pending.then(async () => {
      const reg = registration ?? await navigator.serviceWorker.ready;
      const worker = reg.active;
      if (!worker) return;
      const reply = await ask(worker, [...seen]);
      if (!reply) return;
      let stored = reply.stored;
      try {
        const estimate = await navigator.storage?.estimate?.();
        if (estimate?.usage > stored) stored = estimate.usage;
      } catch { /* the SW's count stands */ }
      const hasData = [...seen].some((u) => /\/data\//.test(new URL(u).pathname));
      if (reply.failed?.length) set({ ready: false, stored, text: `Offline: could not store ${reply.failed.join(', ')}` });
      else if (!hasData) set({ ready: false, stored, text: `Storing for offline use: ${mb(stored)} so far…` });
      else set({ ready: true, stored, text: `Ready offline: ${mb(stored)} stored` });
    }).catch((e) => set({ ready: false, error: String(e), text: 'Offline storage failed: the page still works online.' }));
    return pending;
  }

  function offerUpdate(waiting) {
    const button = h('button', { type: 'button', class: 'btn btn-small', onclick: () => {
      state.updating = true;
      waiting.postMessage({ type: 'SKIP_WAITING' });
    } }, 'Update');
    el.replaceChildren(document.createTextNode('A new version is ready. '), button);
    el.hidden = false;
  }

  set({ text: 'Preparing offline use…' });
  navigator.serviceWorker.register(SW_URL.href, { scope: new URL('../', import.meta.url).pathname }).then((reg) => {
    registration = reg;
    if (reg.waiting && navigator.serviceWorker.controller) offerUpdate(reg.waiting);
    reg.addEventListener('updatefound', () => {
      const next = reg.installing;
      next?.addEventListener('statechange', () => {
        if (next.state === 'installed' && navigator.serviceWorker.controller) offerUpdate(next);
      });
    });
    return navigator.serviceWorker.ready;
  }).then(() => keep()).catch((e) => set({ ready: false, error: String(e), text: 'Offline use is not available here.' }));

  let reloading = false;
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    // Only a build that replaced a running one reloads the page; the first install just claims it.
    if (state.updating && !reloading) { reloading = true; location.reload(); }
  });

  // Datasets fetched later (another dataset, the checkpoint) are kept as they arrive.
  if ('PerformanceObserver' in window) {
    const observer = new PerformanceObserver((list) => {
      if (list.getEntries().some((e) => KEPT.test(new URL(e.name).pathname))) keep();
    });
    try { observer.observe({ type: 'resource', buffered: false }); } catch { /* older browsers: keep() on demand */ }
  }

  return { state: () => ({ ...state }), keep, element: el };
}
