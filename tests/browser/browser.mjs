// Shared set-up for the browser tests: the built site served in-process, and one small interface
// over two browsers: Chromium through playwright-core and Firefox ESR through puppeteer-core over
// WebDriver BiDi. A tab offers goto, evaluate, click, focus, press, text, count, value, setFile,
// download, screenshot and the errors seen; `raw` is the driver's own page, for the Chromium-only
// tests that need more.
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import puppeteer from 'puppeteer-core';
import { startServer } from '../../tools/serve.mjs';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
// LENET_SITE points the tests at another build of the site.
export const SITE = process.env.LENET_SITE ?? join(REPO, 'build/web');
export const SCREENSHOTS = join(REPO, 'build/screenshots');
export const BROWSERS = ['chromium', 'firefox'];

const CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];
const VIEWPORT = { width: 1440, height: 1000 };

/** Fails with a useful message when the site has not been built. */
export async function requireSite(root = SITE) {
  for (const file of ['index.html', 'page/app.mjs', 'page/worker.mjs', 'lib/engine.mjs', 'lenet.mjs', 'lenet.wasm', 'vendor/chart.umd.js', 'data/train-images-idx3-ubyte.gz']) {
    const info = await stat(join(root, file)).catch(() => null);
    if (!info?.isFile()) throw new Error(`${join(root, file)} is missing: run 'make web' first`);
  }
}

// The page offers files by clicking a link to a blob; in Firefox the test reads the blob in the
// page instead of going through a download folder.
function catchDownloads() {
  globalThis.caughtDownloads = [];
  const click = HTMLAnchorElement.prototype.click;
  HTMLAnchorElement.prototype.click = function clickCaught() {
    if (!this.download) return click.call(this);
    const name = this.download;
    globalThis.caughtDownloads.push(fetch(this.href).then((r) => r.arrayBuffer()).then((b) => ({ name, bytes: Array.from(new Uint8Array(b)) })));
  };
}

const drivers = {
  async chromium({ serviceWorkers = 'allow' } = {}) {
    const profile = await mkdtemp(join(tmpdir(), 'lenet-lab-chromium-'));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', headless: true, args: CHROMIUM_FLAGS, viewport: VIEWPORT, serviceWorkers,
    });
    return {
      context,
      async newPage(viewport) {
        const page = await context.newPage();
        if (viewport) await page.setViewportSize(viewport);
        return page;
      },
      async download(page, selector) {
        const [file] = await Promise.all([page.waitForEvent('download'), page.click(selector)]);
        return { name: file.suggestedFilename(), bytes: await readAll(await file.createReadStream()) };
      },
      async close() {
        await context.close();
        await rm(profile, { recursive: true, force: true });
      },
    };
  },
  async firefox() {
    const browser = await puppeteer.launch({
      browser: 'firefox', executablePath: process.env.FIREFOX ?? '/usr/bin/firefox-esr', headless: true, defaultViewport: VIEWPORT,
    });
    return {
      browser,
      async newPage(viewport) {
        const page = await browser.newPage();
        if (viewport) await page.setViewport(viewport);
        return page;
      },
      async download(page, selector) {
        await page.evaluate(catchDownloads);
        await page.click(selector);
        await waitFor(() => page.evaluate(() => globalThis.caughtDownloads.length), `a download from ${selector}`);
        const file = await page.evaluate(() => globalThis.caughtDownloads[0]);
        return { name: file.name, bytes: Buffer.from(file.bytes) };
      },
      close: () => browser.close(),
    };
  },
};

async function readAll(stream) {
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** Starts the server and the named browser; close() stops both. options.serviceWorkers: 'block'
 * keeps the site's service worker out (Chromium), for tests that route requests, which a service
 * worker would otherwise answer first. */
export async function openLab(name = 'chromium', root = SITE, options = {}) {
  const server = await startServer({ root, port: 0 });
  const driver = await drivers[name](options);
  let stopped = false;
  return {
    name,
    url: server.url,
    context: driver.context,
    /** A new tab on the playground, opened at #hash. */
    async page(hash = '', viewport) {
      const page = await driver.newPage(viewport);
      const errors = watchErrors(page);
      const tab = {
        raw: page,
        errors,
        goto: (h) => page.goto(`${server.url}${h ? `#${h}` : ''}`),
        evaluate: (fn, arg) => page.evaluate(fn, arg),
        click: (selector) => page.click(selector),
        focus: (selector) => page.focus(selector),
        press: (key) => page.keyboard.press(key),
        text: (selector) => page.evaluate((s) => document.querySelector(s)?.textContent ?? null, selector),
        count: (selector) => page.evaluate((s) => document.querySelectorAll(s).length, selector),
        value: (selector) => page.evaluate((s) => document.querySelector(s)?.value ?? null, selector),
        attribute: (selector, attr) => page.evaluate(([s, a]) => document.querySelector(s)?.getAttribute(a) ?? null, [selector, attr]),
        /** Gives an <input type=file> one file { name, bytes } and tells the page, as choosing it
         * would. A DataTransfer makes the File in the page: puppeteer uploads from paths only. */
        setFile: (selector, file) => page.evaluate(([sel, fileName, base64]) => {
          const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
          const dt = new DataTransfer();
          dt.items.add(new File([bytes], fileName, { type: 'application/octet-stream' }));
          const input = document.querySelector(sel);
          input.files = dt.files;
          input.dispatchEvent(new Event('change', { bubbles: true }));
        }, [selector, file.name, Buffer.from(file.bytes).toString('base64')]),
        /** Clicks what offers a file and resolves to { name, bytes } of the file offered. */
        download: (selector) => driver.download(page, selector),
        screenshot: (path) => page.screenshot({ path, fullPage: true }),
        close: () => page.close(),
      };
      await tab.goto(hash);
      return tab;
    },
    /** Stops the server while the browser stays open (the offline tests). */
    async stopServer() {
      if (!stopped) await server.close();
      stopped = true;
    },
    async close() {
      await driver.close();
      if (!stopped) await server.close();
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
export const snapshot = (tab) =>
  tab.evaluate(() => globalThis.lenetLab?.snapshot() ?? { dataReady: false, runs: [], charts: { lossPoints: 0, firstPointAt: null } });

/** Waits for MNIST to be loaded in the page (a tab, or a driver's page). */
export async function ready(page) {
  await waitFor(async () => (await snapshot(page)).dataReady, 'the data to load', { timeout: 60_000 });
}

/** Presses Train once the page's runs (if any) are ready, and waits for `runs` runs to finish;
 * resolves to the final snapshot. */
export async function trainToEnd(page, runs = 1) {
  await waitFor(async () => (await snapshot(page)).runs.every((r) => r.status === 'paused'), 'the runs to be ready');
  await page.click('#btn-train');
  return waitFor(async () => {
    const s = await snapshot(page);
    return s.runs.length === runs && s.runs.every((r) => r.status === 'done') && s;
  }, 'training to finish', { timeout: 90_000 });
}
