// Fashion-MNIST in the page (Chromium): the dataset downloads only when the experiment needs it,
// with its own progress bar, and stays for the session; class names label the confusion matrix,
// the gallery, the probabilities and the class filter; the drawing pad says it is for digits; a
// damaged Fashion file gets the same clear message and Retry as MNIST's. Needs `make web`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { SCREENSHOTS, openLab, ready, requireSite, snapshot, trainToEnd, waitFor, watchErrors } from './browser.mjs';

const SMALL = 'n=500&val=100&test=500&ep=2';
let lab;

before(async () => {
  await requireSite();
  await mkdir(SCREENSHOTS, { recursive: true });
  // Its tests fake responses with request routing, which a service worker would answer first.
  lab = await openLab('chromium', undefined, { serviceWorkers: 'block' });
});
after(async () => {
  await lab?.close();
});

/** Every data file the page asks for, by path. */
function watchData(page) {
  const seen = [];
  page.on('request', (req) => {
    const path = new URL(req.url()).pathname;
    if (path.includes('/data/')) seen.push(path);
  });
  return seen;
}

test('choosing Fashion-MNIST downloads it with a progress bar, and its runs show class names', async () => {
  const { raw: page, errors } = await lab.page(SMALL);
  const seen = watchData(page);
  await ready(page);
  assert.equal(seen.filter((p) => p.includes('/fashion/')).length, 0, 'Fashion-MNIST is not downloaded before it is chosen');
  assert.equal(await page.locator('#cfg-digits-label').textContent(), 'Digits');

  // Hold the biggest file back a moment, so the progress bar can be seen.
  let release;
  const held = new Promise((r) => { release = r; });
  await page.route('**/data/fashion/train-images-idx3-ubyte.gz', async (route) => { await held; await route.continue(); });
  await page.selectOption('#cfg-data', 'fashion');
  await waitFor(async () => page.locator('#data-panel').isVisible(), 'the data panel');
  assert.match(await page.locator('#data-text').textContent(), /Downloading Fashion-MNIST/);
  assert.equal(await page.locator('#data-progress').count(), 1);
  assert.equal((await snapshot(page)).dataReady, false, 'Train waits for Fashion-MNIST');
  assert.equal(await page.locator('#btn-train').isDisabled(), true);
  await page.screenshot({ path: join(SCREENSHOTS, 'fashion-downloading.png'), fullPage: false });
  release();
  await ready(page);
  await waitFor(async () => /Fashion-MNIST loaded \(60,000 training and 10,000 test images\)/.test(await page.locator('#status').textContent()), 'the ready message');
  assert.equal(await page.locator('#data-panel').isVisible(), false);
  assert.equal(await page.locator('#cfg-digits-label').textContent(), 'Classes');
  assert.match(await page.locator('[aria-labelledby="cfg-digits-label"] .chip').nth(9).textContent(), /9 Ankle boot/);
  assert.match(await page.locator('#pad-note').textContent(), /pad is for digits/);

  const done = await trainToEnd(page);
  assert.equal(done.runs[0].config.data, 'fashion');
  assert.ok(done.runs[0].result.testAcc > 0.5, `test accuracy ${done.runs[0].result.testAcc}`);
  await waitFor(async () => (await page.locator('#confusion th[scope=row]').count()) === 10, 'the confusion matrix');
  const rows = await page.locator('#confusion th[scope=row]').allTextContents();
  assert.deepEqual(rows, ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot']);
  assert.equal(await page.locator('#confusion abbr[title="Ankle boot"]').textContent(), 'boot');
  assert.equal(await page.locator('#confusion abbr[title="T-shirt/top"]').textContent(), 'T-shirt');
  assert.match(await page.locator('#confusion-axes').textContent(), /true class/);
  const caption = await page.locator('#gallery .digit .caption').first().textContent();
  assert.match(caption, /^(T-shirt\/top|Trouser|Pullover|Dress|Coat|Sandal|Shirt|Sneaker|Bag|Ankle boot) \(/);
  await page.locator('#gallery .digit').first().click();
  await waitFor(async () => /The network reads (T-shirt|Trouser|Pullover|Dress|Coat|Sandal|Shirt|Sneaker|Bag|Ankle)/.test(await page.locator('#pad-note').textContent()), 'a named prediction');
  assert.match(await page.locator('#probs li').nth(7).textContent(), /^Sneaker/);
  await page.screenshot({ path: join(SCREENSHOTS, 'fashion-results.png'), fullPage: true });

  // Back to MNIST: no new download, digits again.
  const before = seen.length;
  await page.selectOption('#cfg-data', 'mnist');
  await page.selectOption('#cfg-data', 'fashion');
  await page.selectOption('#cfg-data', 'mnist');
  assert.equal((await snapshot(page)).dataReady, true);
  assert.equal(seen.length, before, 'each dataset is downloaded once per session');
  assert.equal(await page.locator('#cfg-digits-label').textContent(), 'Digits');
  assert.deepEqual(errors, []);
  await page.close();
});

test('a link on Fashion-MNIST downloads only Fashion-MNIST; a damaged Fashion file is named, and Retry recovers', async () => {
  const page = await lab.context.newPage();
  const errors = watchErrors(page);
  const seen = watchData(page);
  const file = '**/data/fashion/t10k-labels-idx1-ubyte.gz';
  const message = page.locator('#data-error-text');
  await page.route(file, (route) => route.fulfill({ status: 200, contentType: 'application/gzip', body: Buffer.from('this is not gzip') }));
  await page.goto(`${lab.url}#data=fashion&${SMALL}`);
  await waitFor(async () => (await page.locator('#data-error').isVisible()) && /t10k-labels-idx1-ubyte\.gz is damaged/.test(await message.textContent()),
    'the damaged-file message');
  assert.match(await page.locator('#data-text').textContent(), /could not get Fashion-MNIST ready/);
  await page.screenshot({ path: join(SCREENSHOTS, 'fashion-damaged.png'), fullPage: false });
  await page.unroute(file);
  await page.click('#data-retry');
  await ready(page);
  assert.equal(await page.locator('#data-error').isVisible(), false);
  assert.ok(seen.every((p) => p.includes('/data/fashion/')), `only Fashion-MNIST was fetched: ${seen.join(', ')}`);
  // Expected: the damaged download cancelled once gunzip rejects it.
  assert.deepEqual(errors.filter((e) => !/t10k-labels-idx1-ubyte\.gz net::ERR_ABORTED/.test(e)), []);
  await page.close();
});
