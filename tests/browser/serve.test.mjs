// The static server: MIME types the page relies on, gzip bytes passed through untouched, no way
// out of the root, a busy port falls back to a free one, aborted downloads leak nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
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
  // Larger than the socket buffers, so a download is still streaming when the client aborts it.
  await writeFile(join(root, 'site/data/big.gz'), Buffer.alloc(8 << 20, 7));
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

test('a date in the future is no reason for a 304', async () => {
  for (const date of ['Fri, 01 Jan 2100 00:00:00 GMT', new Date(Date.now() + 3600e3).toUTCString()]) {
    const res = await get('/data/x.gz', { 'If-Modified-Since': date });
    assert.equal(res.status, 200, date);
    assert.deepEqual(res.body, GZ);
  }
});

test('a file is not a directory: a trailing slash after a file name is a 404', async () => {
  for (const path of ['/index.html/', '/app.mjs/', '/data/x.gz/', '/index.html//']) {
    const res = await get(path);
    assert.equal(res.status, 404, path);
  }
  assert.equal((await get('/data/x.gz')).status, 200);
});

const openDescriptors = async () => (await readdir('/proc/self/fd')).length;

// Starts a download, waits for its first bytes, then drops the connection.
function abortedDownload(path) {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: site.port, path, agent: false }, (res) => {
      res.once('data', () => {
        req.destroy();
        resolve();
      });
    });
    req.on('error', (e) => (req.destroyed ? resolve() : reject(e)));
    req.end();
  });
}

test('aborted downloads give back every file descriptor, and the server still answers', async () => {
  await get('/'); // the server's own lazily opened descriptors, before the baseline
  const before = await openDescriptors();
  for (let batch = 0; batch < 10; batch++) {
    await Promise.all(Array.from({ length: 20 }, () => abortedDownload('/data/big.gz')));
  }
  // Sockets and file streams close asynchronously after an abort: poll until they have, or time out.
  const deadline = Date.now() + 10_000;
  let now = await openDescriptors();
  while (now > before && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    now = await openDescriptors();
  }
  assert.ok(now <= before, `${now} descriptors open after 200 aborted downloads, ${before} before`);
  const res = await get('/data/x.gz');
  assert.equal(res.status, 200);
  assert.deepEqual(res.body, GZ);
});
