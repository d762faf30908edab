// The static server: MIME types the page relies on, gzip bytes passed through untouched, no way
// out of the root, a busy port falls back to a free one.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { request } from 'node:http';
import { startServer } from '../../tools/serve.mjs';

let root;
let site;
const GZ = gzipSync(Buffer.from('hello'));

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'lenet-serve-'));
  await mkdir(join(root, 'site/data'), { recursive: true });
  await writeFile(join(root, 'secret.txt'), 'outside');
  await writeFile(join(root, 'site/index.html'), '<!doctype html><title>t</title>');
  await writeFile(join(root, 'site/app.mjs'), 'export {};');
  await writeFile(join(root, 'site/lenet.wasm'), Buffer.from([0, 97, 115, 109]));
  await writeFile(join(root, 'site/data/x.gz'), GZ);
  await writeFile(join(root, 'site/w.safetensors'), Buffer.alloc(8));
  site = await startServer({ root: join(root, 'site'), port: 0 });
});
after(async () => {
  await site?.close();
  await rm(root, { recursive: true, force: true });
});

// Raw request, so paths like /../ reach the server unnormalised.
function get(path, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: site.port, path, headers: { 'Accept-Encoding': 'gzip', ...headers } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('serves files with the types the page needs', async () => {
  const cases = [
    ['/', 'text/html'],
    ['/app.mjs', 'text/javascript'],
    ['/lenet.wasm', 'application/wasm'],
    ['/w.safetensors', 'application/octet-stream'],
  ];
  for (const [path, type] of cases) {
    const res = await get(path);
    assert.equal(res.status, 200, path);
    assert.ok(res.headers['content-type'].startsWith(type), `${path}: ${res.headers['content-type']}`);
  }
});

test('gzip files go out as bytes, without Content-Encoding', async () => {
  const res = await get('/data/x.gz');
  assert.equal(res.status, 200);
  assert.equal(res.headers['content-encoding'], undefined);
  assert.deepEqual(res.body, GZ);
});

test('nothing outside the root, and plain-text 404s', async () => {
  for (const path of ['/../secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt', '/nope.js', '/%zz', '/data/']) {
    const res = await get(path);
    assert.equal(res.status, 404, path);
    assert.ok(res.headers['content-type'].startsWith('text/plain'), path);
    assert.doesNotMatch(res.body.toString(), /outside/);
  }
});

test('a busy port falls back to a free one', async () => {
  const other = await startServer({ root: join(root, 'site'), port: site.port });
  try {
    assert.notEqual(other.port, site.port);
    assert.ok(other.port > 0);
  } finally {
    await other.close();
  }
});

test('a reload revalidates: unchanged files answer 304', async () => {
  const first = await get('/data/x.gz');
  const again = await get('/data/x.gz', { 'If-Modified-Since': first.headers['last-modified'] });
  assert.equal(again.status, 304);
  assert.equal(again.body.length, 0);
  const stale = await get('/data/x.gz', { 'If-Modified-Since': new Date(0).toUTCString() });
  assert.equal(stale.status, 200);
});
