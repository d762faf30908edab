// The built service worker (tools/build-sw.mjs): what it precaches, with revisions, and what it
// caches at run time. Needs `make web`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';

const ROOT = new URL('../../build/web/', import.meta.url);

test('sw.js precaches the site with revisions, not the datasets; data and checkpoints are cache-first', async () => {
  const sw = await readFile(new URL('sw.js', ROOT), 'utf8');
  const manifest = [...sw.matchAll(/\{url:"([^"]+)",revision:"([0-9a-f]+)"\}/g)].map((m) => ({ url: m[1], revision: m[2] }));
  const urls = manifest.map((e) => e.url);
  for (const url of ['index.html', 'style.css', 'classroom.css', 'lenet.mjs', 'lenet.wasm', 'page/app.mjs', 'page/worker.mjs', 'lib/engine.mjs',
    'vendor/chart.umd.js', 'vendor/katex/katex.mjs', 'vendor/katex/katex.min.css', 'vendor/katex/fonts/KaTeX_Main-Regular.woff2',
    'pretrained/lenet5-digits0-4.safetensors']) {
    assert.ok(urls.includes(url), `${url} is precached`);
  }
  assert.ok(!urls.some((u) => u.startsWith('data/')), 'datasets are cached when used, not precached');
  assert.ok(!urls.includes('sw.js'));
  // a revision is the file's own hash: a file that changes gets a new one
  const wasm = manifest.find((e) => e.url === 'lenet.wasm');
  assert.equal(wasm.revision, createHash('md5').update(await readFile(new URL('lenet.wasm', ROOT))).digest('hex'));
  assert.match(sw, /cacheName:"lenet-data-[0-9a-f]{12}"/);
  assert.match(sw, /cacheName:"lenet-pretrained-[0-9a-f]{12}"/);
  assert.match(sw, /importScripts\("sw-offline\.js"\)/);
  assert.match(sw, /SKIP_WAITING/, 'a new build waits to be asked');
  assert.match(sw, /addEventListener\("activate",[^}]*\{[^}]*"-precache-"/, 'cleanupOutdatedCaches drops the precaches of older workbox versions');
  const offline = await readFile(new URL('sw-offline.js', ROOT), 'utf8');
  assert.match(offline, /'lenet-cache'/);
  assert.equal(/lenet-data-([0-9a-f]{12})/.exec(offline)[1], /lenet-data-([0-9a-f]{12})/.exec(sw)[1]);
});
