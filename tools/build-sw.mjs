#!/usr/bin/env node
/**
 * build-sw.mjs - writes build/web/sw.js, the service worker that lets the site work offline after
 * the first visit (workbox-build's generateSW):
 * - a precache of the whole site but the datasets: the page, its modules, the wasm module, Chart.js,
 *   KaTeX with its woff2 fonts, the pretrained checkpoints; each with a revision (a hash of its
 *   bytes), so a new build replaces exactly the files that changed, and cleanupOutdatedCaches drops
 *   what older builds left;
 * - CacheFirst at run time for data/**.gz and pretrained/*, in caches named after a hash of those
 *   files, so a build with other data starts a fresh cache and sw-offline.js deletes the old one;
 * - sw-offline.js (written here too, imported by sw.js): answers the page's 'lenet-cache' message
 *   by caching the dataset files the page fetched before the worker controlled it (the first
 *   visit), through the HTTP cache (the server sends Last-Modified, so that is a 304, not a second
 *   download), and replies with how many bytes the site's caches hold.
 * A new build waits until the page asks it to take over (SKIP_WAITING), so one page never mixes
 * files of two builds.
 *
 *   node tools/build-sw.mjs [build/web]
 */
import { createHash } from 'node:crypto';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { generateSW } from 'workbox-build';

const root = process.argv[2] ?? 'build/web';

async function files(dir) {
  const out = [];
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await files(p)));
    else out.push(p);
  }
  return out.sort();
}

// One hash over the runtime-cached files: a build with other data gets other cache names.
const hash = createHash('sha256');
for (const f of [...(await files(join(root, 'data'))), ...(await files(join(root, 'pretrained')))]) {
  hash.update(relative(root, f)).update(await readFile(f));
}
const tag = hash.digest('hex').slice(0, 12);
const DATA_CACHE = `lenet-data-${tag}`;
const PRETRAINED_CACHE = `lenet-pretrained-${tag}`;

const offline = `// sw-offline.js - written by tools/build-sw.mjs; imported by sw.js.
const DATA_CACHE = ${JSON.stringify(DATA_CACHE)};
const PRETRAINED_CACHE = ${JSON.stringify(PRETRAINED_CACHE)};
const OURS = /^lenet-(data|pretrained)-/;

// A build with other data drops the runtime caches of older builds.
self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys().then((names) => Promise.all(names
    .filter((n) => OURS.test(n) && n !== DATA_CACHE && n !== PRETRAINED_CACHE)
    .map((n) => caches.delete(n)))));
});

async function storedBytes() {
  let bytes = 0;
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    for (const req of await cache.keys()) {
      const res = await cache.match(req);
      const length = Number(res && res.headers.get('Content-Length'));
      bytes += length > 0 ? length : res ? (await res.blob()).size : 0;
    }
  }
  return bytes;
}

// {type: 'lenet-cache', urls}: keeps these same-origin data/ and pretrained/ files; replies
// {ok, stored, failed} on the message's port.
self.addEventListener('message', (event) => {
  const data = event.data;
  if (!data || data.type !== 'lenet-cache' || !Array.isArray(data.urls)) return;
  const port = event.ports && event.ports[0];
  const work = (async () => {
    const failed = [];
    for (const u of data.urls.slice(0, 64)) {
      let url;
      try { url = new URL(String(u), self.registration.scope); } catch { continue; }
      if (url.origin !== self.location.origin) continue;
      const path = url.pathname;
      const name = /\\/data\\/.+\\.gz$/.test(path) ? DATA_CACHE : /\\/pretrained\\//.test(path) ? PRETRAINED_CACHE : null;
      if (!name) continue;
      const cache = await caches.open(name);
      if (await cache.match(url.href)) continue;
      if ((await caches.match(url.href))) continue; // precached
      try { await cache.add(url.href); } catch { failed.push(path); }
    }
    const stored = await storedBytes();
    if (port) port.postMessage({ ok: failed.length === 0, stored, failed });
  })();
  event.waitUntil(work);
});
`;
await writeFile(join(root, 'sw-offline.js'), offline);

const { count, size, warnings } = await generateSW({
  globDirectory: root,
  globPatterns: ['**/*.{html,css,mjs,js,wasm,woff2,safetensors,svg,png,json}'],
  globIgnores: ['sw.js', 'sw-offline.js', 'workbox-*.js', 'data/**'],
  swDest: join(root, 'sw.js'),
  importScripts: ['sw-offline.js'],
  cleanupOutdatedCaches: true,
  clientsClaim: true, // the first visit's page is controlled at once, so its later fetches are cached
  skipWaiting: false, // a new build waits for the page's SKIP_WAITING: no page mixes two builds
  inlineWorkboxRuntime: true,
  mode: 'production',
  sourcemap: false,
  directoryIndex: 'index.html',
  maximumFileSizeToCacheInBytes: 8 * 1024 * 1024,
  runtimeCaching: [
    { urlPattern: /\/data\/.+\.gz$/, handler: 'CacheFirst', options: { cacheName: DATA_CACHE, cacheableResponse: { statuses: [200] } } },
    { urlPattern: /\/pretrained\/[^/]+$/, handler: 'CacheFirst', options: { cacheName: PRETRAINED_CACHE, cacheableResponse: { statuses: [200] } } },
  ],
});
for (const w of warnings) console.warn(`build-sw: ${w}`);
console.log(`build-sw: ${root}/sw.js precaches ${count} files (${(size / 1e6).toFixed(1)} MB); data cache ${DATA_CACHE}`);
