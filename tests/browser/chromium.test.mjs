// The playground in Chromium only, for what needs Chromium's tools (long-animation-frame timing,
// request routing, mouse drawing) or adds little in a second browser: guided experiments, split
// sizes, focus, narrow screens, data failures, fine-tuning. playground.test.mjs runs the main
// scenarios in Chromium and Firefox. Needs `make web`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { SCREENSHOTS, openLab, ready, requireSite, snapshot, trainToEnd, waitFor, watchErrors } from './browser.mjs';

const SMALL = 'n=500&val=100&test=500&ep=2';
let lab;

before(async () => {
  await requireSite();
  await mkdir(SCREENSHOTS, { recursive: true });
  // These tests route requests (missing data, a missing checkpoint): no service worker may answer them first.
  lab = await openLab('chromium', undefined, { serviceWorkers: 'block' });
});
after(async () => {
  await lab?.close();
});

test('a guided experiment opens with its explanation, trains, and overlays its runs', async () => {
  const { raw: page, errors } = await lab.page();
  await ready(page);
  await page.selectOption('#presets', 'standardisation');
  assert.equal((await snapshot(page)).runs.length, 0, 'choosing alone opens nothing');
  await page.click('#open-experiment');
  const notice = page.locator('#lesson-panel .lp-body');
  await waitFor(() => notice.count(), 'the experiment\'s explanation');
  assert.match(await notice.textContent(), /x′ = \(x − μ\)\/σ/);
  await waitFor(async () => (await snapshot(page)).runs.length === 2, 'the experiment\'s two runs');
  const s0 = await snapshot(page);
  assert.match(s0.link, /opt=sgd&lr=0\.005&.*~std=1$/);
  assert.equal(s0.runs[1].label, 'std on');
  const s = await trainToEnd(page, 2);
  await waitFor(async () => (await snapshot(page)).charts.runsPlotted === 2, 'both runs on the loss chart');
  assert.ok(s.runs[1].epochs[2].trainLoss < s.runs[0].epochs[2].trainLoss, 'standardised inputs train faster');
  assert.deepEqual(errors, []);
  await page.close();
});

test('a run says when the chosen digits leave fewer samples than asked for', async () => {
  // A comparison link creates its runs at once, ready to train.
  const { raw: page, errors } = await lab.page('digits=5&n=10000&val=2000&test=2000~seed=2');
  await ready(page);
  const counts = page.locator('.run-counts');
  await waitFor(async () => (await counts.count()) && (await counts.first().isVisible()), 'the split sizes');
  // 5,421 training images show a 5: 2,000 are held out, 892 of the test images are 5s.
  assert.equal(await counts.first().textContent(), 'The chosen digits leave 3,421 training, 2,000 validation and 892 test samples.');
  const full = await lab.page(`${SMALL}~seed=2`);
  await ready(full.raw);
  await waitFor(async () => (await snapshot(full.raw)).runs[0]?.status === 'paused', 'the run to be created');
  assert.equal(await full.raw.locator('.run-counts').first().isVisible(), false);
  assert.deepEqual([...errors, ...full.errors], []);
  await page.close();
  await full.raw.close();
});

test('a focused misclassified digit keeps its focus when later epochs refresh the gallery', async () => {
  const { raw: page, errors } = await lab.page('n=1500&val=0&test=500&ep=3');
  await ready(page);
  await page.click('#btn-train');
  await waitFor(() => page.locator('#gallery .digit').count(), 'the first epoch\'s gallery', { timeout: 60_000 });
  await page.locator('#gallery .digit').first().focus();
  await waitFor(async () => (await snapshot(page)).runs[0].status === 'done', 'training to finish', { timeout: 60_000 });
  await waitFor(async () => (await page.locator('#test-acc').textContent()) !== '–', 'the final results');
  assert.equal(await page.evaluate(() => document.activeElement?.classList.contains('digit')), true);
  assert.deepEqual(errors, []);
  await page.close();
});

test('works on a 375 px wide screen', async () => {
  const { raw: page, errors } = await lab.page(SMALL, { width: 375, height: 812 });
  await ready(page);
  await trainToEnd(page);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow} px wider than the screen`);
  await new Promise((r) => setTimeout(r, 300));
  await waitFor(async () => (await snapshot(page)).charts.settled, 'the charts to show the final numbers');
  await page.screenshot({ path: join(SCREENSHOTS, 'playground-375.png'), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test('a missing or damaged data file is named, and Retry recovers', async () => {
  const page = await lab.context.newPage();
  const errors = watchErrors(page);
  const file = '**/data/t10k-labels-idx1-ubyte.gz';
  const message = page.locator('#data-error-text');
  const failure = async (pattern) => {
    await waitFor(async () => (await page.locator('#data-error').isVisible()) && pattern.test(await message.textContent()), `an error matching ${pattern}`);
  };
  await page.route(file, (route) => route.fulfill({ status: 404, contentType: 'text/plain', body: 'Not found' }));
  await page.goto(`${lab.url}#${SMALL}`);
  await failure(/t10k-labels-idx1-ubyte\.gz.*404/);
  await page.unroute(file);
  await page.route(file, (route) => route.fulfill({ status: 200, contentType: 'application/gzip', body: Buffer.from('this is not gzip') }));
  await page.click('#data-retry');
  await failure(/t10k-labels-idx1-ubyte\.gz is damaged/);
  await page.unroute(file);
  await page.route(file, (route) => route.fulfill({ status: 200, contentType: 'application/gzip', body: gzipSync(Buffer.alloc(100, 7)) }));
  await page.click('#data-retry');
  await failure(/label/i);
  await page.unroute(file);
  await page.click('#data-retry');
  await ready(page);
  assert.equal(await page.locator('#data-error').isVisible(), false);
  // Expected: the 404, and the damaged download cancelled once gunzip rejects it.
  assert.deepEqual(errors.filter((e) => !/404|t10k-labels-idx1-ubyte\.gz net::ERR_ABORTED/.test(e)), []);
  await page.close();
});

test('a link opened in the address bar replaces the experiment', async () => {
  const { raw: page, errors } = await lab.page(`${SMALL}~drop1=0.5`);
  await ready(page);
  await waitFor(async () => (await snapshot(page)).runs.length === 2, 'both runs of the link');
  await page.evaluate(() => { location.hash = 'lr=0.01&opt=sgd'; });
  await waitFor(async () => (await snapshot(page)).runs.length === 0, 'the old runs to go');
  assert.equal(await page.inputValue('#cfg-lr'), '0.01');
  assert.equal(await page.inputValue('#cfg-opt'), 'sgd');
  assert.match((await snapshot(page)).link, /^v=1&.*opt=sgd&lr=0\.01&/);
  // The keyboard alone can start training.
  await page.focus('#btn-train');
  await page.keyboard.press('Enter');
  await waitFor(async () => (await snapshot(page)).runs[0]?.started, 'training started from the keyboard');
  assert.deepEqual(errors, []);
  await page.close();
});

test('fine-tuning starts from the shipped checkpoint, and says so when it is missing', async () => {
  const link = 'from=pretrained&head=1&freeze=conv1,conv2&digits=56789&n=500&val=100&test=500&ep=1~from=scratch&head=0&freeze=';
  const { raw: page, errors } = await lab.page(link);
  await ready(page);
  await waitFor(async () => (await snapshot(page)).runs.filter((r) => r.status === 'paused').length === 2, 'both runs ready');
  const s = await trainToEnd(page, 2);
  const [tuned, scratch] = s.runs.map((r) => r.epochs[0].testAcc);
  assert.ok(tuned > scratch, `features learnt on 0-4 should help on 5-9 after one epoch: ${tuned} vs ${scratch}`);
  assert.deepEqual(errors, []);
  await page.close();

  const file = '**/pretrained/lenet5-digits0-4.safetensors';
  await lab.context.route(file, (route) => route.fulfill({ status: 404, contentType: 'text/plain', body: 'Not found' }));
  try {
    const missing = await lab.page('from=pretrained&n=500&val=100&test=500&ep=1');
    await ready(missing.raw);
    await missing.raw.click('#btn-train');
    const failed = await waitFor(async () => (await snapshot(missing.raw)).runs.find((r) => r.status === 'error'), 'the run to fail');
    assert.match(failed.error, /pretrained\/lenet5-digits0-4\.safetensors is missing \(HTTP 404\)/);
    assert.match(await missing.raw.locator('.notice-error').textContent(), /could not start/);
    assert.deepEqual(missing.errors.filter((e) => !/404/.test(e)), []);
    await missing.raw.close();
  } finally {
    await lab.context.unroute(file);
  }
});
