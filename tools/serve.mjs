#!/usr/bin/env node
// Static server for the built playground (build/web). Listens on 127.0.0.1 only.
// Usage: node tools/serve.mjs [root] [--port N]   (PORT in the environment works too)
import { createServer } from 'node:http';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { pipeline } from 'node:stream';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  // The page gunzips the data itself, so no Content-Encoding: the browser must hand over raw gzip bytes.
  '.gz': 'application/gzip',
  '.safetensors': 'application/octet-stream',
};

function plain(res, status, text) {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(`${text}\n`);
}

// Maps a URL path to a file under root, or null when it would leave root.
function resolveInside(root, urlPath) {
  let path;
  try {
    path = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (path.includes('\0')) return null;
  const file = resolve(join(root, path));
  return file === root || file.startsWith(root + sep) ? file : null;
}

async function handle(root, req, res) {
  if (req.method !== 'GET' && req.method !== 'HEAD') return plain(res, 405, 'Method not allowed');
  const { pathname } = new URL(req.url, 'http://localhost');
  let file = resolveInside(root, pathname);
  if (!file) return plain(res, 404, 'Not found');
  let info = await stat(file).catch(() => null);
  if (info?.isDirectory()) {
    file = join(file, 'index.html');
    info = await stat(file).catch(() => null);
  } else if (pathname.endsWith('/')) {
    // A trailing slash names a directory: '/index.html/' must not reach the file.
    return plain(res, 404, 'Not found');
  }
  if (!info?.isFile()) return plain(res, 404, 'Not found');
  // no-cache plus Last-Modified: a reload revalidates and gets a 304 instead of the 12 MB of data.
  const modified = new Date(Math.floor(info.mtimeMs / 1000) * 1000);
  const headers = { 'Cache-Control': 'no-cache', 'Last-Modified': modified.toUTCString(), 'X-Content-Type-Options': 'nosniff' };
  const since = Date.parse(req.headers['if-modified-since'] ?? '');
  // A date in the future is invalid (RFC 9110 13.1.3): it must not turn a changed file into a 304.
  if (since >= modified.getTime() && since <= Date.now()) {
    res.writeHead(304, headers);
    return res.end();
  }
  res.writeHead(200, {
    ...headers,
    'Content-Type': TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
    'Content-Length': info.size,
  });
  if (req.method === 'HEAD') return res.end();
  // pipeline, not pipe: when the client goes away it destroys the file stream, closing its descriptor.
  pipeline(createReadStream(file), res, () => {});
}

function listen(server, port, host) {
  return new Promise((ok, fail) => {
    const onError = (err) => fail(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      ok(server.address().port);
    });
  });
}

/** Starts the server; port 0 picks a free one, and a busy port falls back to a free one. */
export async function startServer({ root, port = 8080, host = '127.0.0.1' }) {
  const base = resolve(root);
  const info = await stat(base).catch(() => null);
  if (!info?.isDirectory()) throw new Error(`${base} is not a directory (run 'make web' first)`);
  const server = createServer((req, res) => {
    handle(base, req, res).catch(() => {
      if (!res.headersSent) plain(res, 500, 'Internal error');
      else res.destroy();
    });
  });
  let actual;
  try {
    actual = await listen(server, port, host);
  } catch (err) {
    if (err.code !== 'EADDRINUSE') throw err;
    actual = await listen(server, 0, host);
  }
  return {
    server,
    port: actual,
    url: `http://${host}:${actual}/`,
    close: () => new Promise((ok) => server.close(() => ok())),
  };
}

function parseArgs(argv) {
  let root = 'build/web';
  let port = Number(process.env.PORT ?? 8080);
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--port') port = Number(argv[++i]);
    else if (argv[i].startsWith('--port=')) port = Number(argv[i].slice(7));
    else root = argv[i];
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('--port needs a number from 0 to 65535');
  return { root, port };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const { url } = await startServer(parseArgs(process.argv.slice(2)));
    console.log(`LeNet Lab: ${url}`);
  } catch (err) {
    console.error(`serve: ${err.message}`);
    process.exit(1);
  }
}
