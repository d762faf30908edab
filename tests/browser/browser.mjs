// Shared set-up for the browser tests: the built site served in-process, a headless Chromium with a
// fresh profile, console and page errors collected, and a polling wait.
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startServer } from '../../tools/serve.mjs';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
// LENET_SITE points the tests at another build of the site.
export const SITE = process.env.LENET_SITE ?? join(REPO, 'build/web');
export const SCREENSHOTS = join(REPO, 'build/screenshots');

const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];

/** Fails with a useful message when the site has not been built. */
export async function requireSite(root = SITE) {
  for (const file of ['index.html', 'page/app.mjs', 'page/worker.mjs', 'lib/engine.mjs', 'lenet.mjs', 'lenet.wasm', 'vendor/chart.umd.js', 'data/train-images-idx3-ubyte.gz']) {
    const info = await stat(join(root, file)).catch(() => null);
    if (!info?.isFile()) throw new Error(`${join(root, file)} is missing: run 'make web' first`);
  }
}

/** Starts the server and the browser; close() stops both. */
export async function openLab(root = SITE) {
  const server = await startServer({ root, port: 0 });
  const profile = await mkdtemp(join(tmpdir(), 'lenet-lab-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: FLAGS,
    viewport: { width: 1440, height: 1000 },
  });
  return {
    url: server.url,
    context,
    async page(hash = '', viewport) {
      const page = await context.newPage();
      if (viewport) await page.setViewportSize(viewport);
      const errors = watchErrors(page);
      await page.goto(`${server.url}${hash ? `#${hash}` : ''}`);
      return { page, errors };
    },
    async close() {
      await context.close();
      await server.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** Console errors, page errors and failed requests, as text; dialogs count as errors too. */
export function watchErrors(page) {
  const errors = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => errors.push(`page: ${err.message}`));
  page.on('requestfailed', (req) => errors.push(`request failed: ${req.url()} ${req.failure()?.errorText ?? ''}`));
  page.on('dialog', (dialog) => {
    errors.push(`dialog: ${dialog.type()} ${dialog.message()}`);
    dialog.dismiss().catch(() => {});
  });
  return errors;
}

/** Polls fn until it returns a truthy value; throws with `what` after timeout. */
export async function waitFor(fn, what, { timeout = 30_000, interval = 100 } = {}) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() > end) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, interval));
  }
}

/** The page's state through its read-only test hook; an empty state until the page has started. */
export const snapshot = (page) =>
  page.evaluate(() => globalThis.lenetLab?.snapshot() ?? { dataReady: false, runs: [], charts: { lossPoints: 0, firstPointAt: null } });
