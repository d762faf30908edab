// The playground in a real browser: data loading, training onto the charts, comparison, links that
// reproduce the numbers, hostile links, pause and step, narrow screens. Needs `make web`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { SCREENSHOTS, openLab, requireSite, snapshot, waitFor, watchErrors } from './browser.mjs';

const SMALL = 'n=500&val=100&test=500&ep=2';
let lab;

before(async () => {
  await requireSite();
  await mkdir(SCREENSHOTS, { recursive: true });
  lab = await openLab();
});
after(async () => {
  await lab?.close();
});

async function ready(page) {
  await waitFor(async () => (await snapshot(page)).dataReady, 'the data to load', { timeout: 60_000 });
}

async function trainToEnd(page, runs = 1) {
  await page.click('#btn-train');
  return waitFor(async () => {
    const s = await snapshot(page);
    return s.runs.length === runs && s.runs.every((r) => r.status === 'done') && s;
  }, 'training to finish', { timeout: 60_000 });
}

// Main-thread work from now on. Chromium reports animation frames over 50 ms with the scripts that
// ran in them; a script entry (a message handler, a frame callback, an event handler) is one task
// of the page's own code. Style, layout and paint are left out: headless Chromium rasterises in
// software on a shared core, which says nothing about the page.
async function watchMainThread(page) {
  await page.evaluate(() => {
    globalThis.slowScripts = [];
    new PerformanceObserver((list) => {
      for (const frame of list.getEntries()) {
        for (const s of frame.scripts) globalThis.slowScripts.push({ ms: Math.round(s.duration), what: `${s.invoker} ${s.sourceFunctionName}`.trim() });
      }
    }).observe({ type: 'long-animation-frame' });
  });
}

// The page's budget is 50 ms per task; on an idle two-core machine its tasks take 5 to 35 ms while
// training. Durations are wall-clock time, so a single task can be stretched past 50 ms when other
// processes take the cores. Such one-offs are reported; a page that really does too much on the
// main thread (say, every chart redraw or every progress message over budget) fails, because then
// many tasks are over.
async function checkMainThread(page, t) {
  const scripts = await page.evaluate(() => globalThis.slowScripts);
  const over = scripts.filter((s) => s.ms > 50);
  if (over.length) t.diagnostic(`tasks over 50 ms: ${over.map((s) => `${s.what} ${s.ms} ms`).join(', ')}`);
  assert.ok(over.length <= 3, `${over.length} main-thread tasks over 50 ms while training`);
}

async function drawDigit(page) {
  const pad = page.locator('#pad');
  await pad.scrollIntoViewIfNeeded();
  const box = await pad.boundingBox();
  const at = (fx, fy) => [box.x + box.width * fx, box.y + box.height * fy];
  await page.mouse.move(...at(0.35, 0.2));
  await page.mouse.down();
  await page.mouse.move(...at(0.65, 0.2), { steps: 6 });
  await page.mouse.move(...at(0.4, 0.85), { steps: 10 });
  await page.mouse.up();
  await waitFor(() => page.locator('#probs li.best').count(), 'a prediction for the drawn digit');
}

test('loads MNIST, trains a small run onto the charts and shows results', async (t) => {
  const { page, errors } = await lab.page(SMALL);
  await ready(page);
  assert.match(await page.locator('#status').textContent(), /60,000 training and 10,000 test images/);
  await watchMainThread(page);
  const s = await trainToEnd(page);
  const [run] = s.runs;
  assert.equal(run.epochs.length, 2);
  assert.equal(run.stopReason, 'epochs');
  for (const e of run.epochs) {
    for (const key of ['trainLoss', 'valLoss', 'testLoss', 'trainAcc', 'valAcc', 'testAcc']) assert.ok(Number.isFinite(e[key]), key);
  }
  assert.ok(run.epochs[1].testAcc > 0.5, `test accuracy after 2 epochs on 500 samples: ${run.epochs[1].testAcc}`);
  await waitFor(async () => (await snapshot(page)).charts.lossPoints >= run.epochs.length * 2, 'points on the loss chart');
  t.diagnostic(`first chart point ${(await snapshot(page)).charts.firstPointAt.toFixed(0)} ms after the page opened`);
  await waitFor(() => page.locator('#confusion table td').count(), 'the confusion matrix');
  assert.equal(await page.locator('#confusion tbody tr').count(), 10);
  assert.match(await page.locator('#test-acc').textContent(), /% test accuracy/);
  await page.locator('#gallery .digit').first().click();
  await waitFor(() => page.locator('#probs li.best').count(), 'the probabilities of a picked test digit');
  await page.click('#pad-clear');
  await drawDigit(page);
  await checkMainThread(page, t);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a shared link reproduces the same numbers in a fresh page', async () => {
  const first = await lab.page(SMALL);
  await ready(first.page);
  const a = await trainToEnd(first.page);
  const link = first.page.url();
  assert.match(link, /#v=1&/);
  const second = await lab.page(new URL(link).hash.slice(1));
  await ready(second.page);
  const b = await trainToEnd(second.page);
  assert.deepEqual(b.runs[0].config, a.runs[0].config);
  assert.deepEqual(b.runs[0].epochs, a.runs[0].epochs);
  assert.deepEqual([...first.errors, ...second.errors], []);
  await first.page.close();
  await second.page.close();
});

test('compares two runs side by side and keeps them in the link', async (t) => {
  const { page, errors } = await lab.page('n=2000&val=500&test=1000&ep=3&seed=3~drop1=0.5&reg=l2');
  await ready(page);
  await waitFor(async () => (await snapshot(page)).runs.length === 2, 'both runs of the link');
  await watchMainThread(page);
  const s = await trainToEnd(page, 2);
  await checkMainThread(page, t);
  assert.equal(s.runs[1].label, 'reg l2, drop1 0.5');
  assert.match(s.link, /~/);
  assert.notDeepEqual(s.runs[0].epochs, s.runs[1].epochs);
  await drawDigit(page);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(SCREENSHOTS, 'playground.png'), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test('a guided experiment opens with its explanation, trains, and overlays its runs', async () => {
  const { page, errors } = await lab.page();
  await ready(page);
  await page.selectOption('#presets', 'standardisation');
  assert.equal((await snapshot(page)).runs.length, 0, 'choosing alone opens nothing');
  await page.click('#open-experiment');
  const notice = page.locator('.notice .experiment');
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
  const { page, errors } = await lab.page('digits=5&n=10000&val=2000&test=2000~seed=2');
  await ready(page);
  const counts = page.locator('.run-counts');
  await waitFor(async () => (await counts.count()) && (await counts.first().isVisible()), 'the split sizes');
  // 5,421 training images show a 5: 2,000 are held out, 892 of the test images are 5s.
  assert.equal(await counts.first().textContent(), 'The chosen digits leave 3,421 training, 2,000 validation and 892 test samples.');
  const full = await lab.page(`${SMALL}~seed=2`);
  await ready(full.page);
  await waitFor(async () => (await snapshot(full.page)).runs[0]?.status === 'paused', 'the run to be created');
  assert.equal(await full.page.locator('.run-counts').first().isVisible(), false);
  assert.deepEqual([...errors, ...full.errors], []);
  await page.close();
  await full.page.close();
});

test('early stopping shows the restored epoch everywhere; the skip link keeps the experiment', async () => {
  // min_delta 10: no epoch improves on the first, so training stops after epoch 2 and restores 1.
  const { page, errors } = await lab.page('n=300&val=300&test=300&ep=20&es=1&pat=1&mind=10~seed=2');
  await ready(page);
  await waitFor(async () => (await snapshot(page)).runs.length === 2, 'both runs');
  const s = await trainToEnd(page, 2);
  const [run] = s.runs;
  assert.equal(run.stopReason, 'early');
  assert.equal(run.epochs.length, 2);
  const expected = `${(run.epochs[0].testAcc * 100).toFixed(2)}%`;
  const acc = page.locator('.run-acc').first();
  assert.equal(await acc.textContent(), expected);
  assert.match(await acc.getAttribute('title'), /epoch 1, restored by early stopping/);
  await waitFor(async () => (await page.locator('#test-acc').textContent()).includes(expected), 'the results of the restored epoch');
  await page.focus('a.skip');
  await page.keyboard.press('Enter');
  await waitFor(() => page.evaluate(() => location.hash === '#workspace'), 'the skip link');
  assert.equal((await snapshot(page)).runs.length, 2, 'the skip link must not replace the experiment');
  assert.equal(await page.locator('.notice-warn').count(), 0);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a focused misclassified digit keeps its focus when later epochs refresh the gallery', async () => {
  const { page, errors } = await lab.page('n=1500&val=0&test=500&ep=3');
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

test('a hostile link is reported as text and injects nothing', async () => {
  const { page, errors } = await lab.page('act=<img src=x onerror=alert(1)>&lr=NaN&zz=1');
  const warning = page.locator('.notice-warn');
  await waitFor(() => warning.count(), 'the link warning');
  const text = await warning.textContent();
  assert.match(text, /act/);
  assert.match(text, /lr/);
  assert.match(text, /zz/);
  assert.equal(await page.locator('img').count(), 0);
  assert.equal(await page.inputValue('#cfg-act'), 'relu');
  assert.equal(await page.inputValue('#cfg-lr'), '0.001');
  await ready(page);
  assert.deepEqual(errors, []);
  await page.close();
});

test('pause holds the step count, step adds exactly one, resume continues', async () => {
  const { page, errors } = await lab.page('n=5000&val=500&test=1000&ep=20');
  await ready(page);
  await page.click('#btn-train');
  await waitFor(async () => (await snapshot(page)).runs[0]?.step > 5, 'training to start');
  await page.click('#btn-train'); // now labelled Pause
  const paused = await waitFor(async () => {
    const s = await snapshot(page);
    return s.runs[0].status === 'paused' && s.runs[0];
  }, 'the run to pause');
  await waitFor(async () => (await page.locator('#btn-train').textContent()) === 'Resume', 'the button to offer Resume');
  for (let i = 0; i < 10; i++) {
    await new Promise((r) => setTimeout(r, 100));
    assert.equal((await snapshot(page)).runs[0].step, paused.step, 'step count changed while paused');
  }
  await page.click('#btn-step');
  await waitFor(async () => (await snapshot(page)).runs[0].step === paused.step + 1, 'one step');
  assert.equal((await snapshot(page)).runs[0].status, 'paused');
  await page.click('#btn-train'); // Resume
  await waitFor(async () => (await snapshot(page)).runs[0].step > paused.step + 1, 'training to continue');
  await page.click('#btn-stop');
  await waitFor(async () => (await snapshot(page)).runs[0].stopReason === 'stopped', 'the run to stop');
  assert.deepEqual(errors, []);
  await page.close();
});

test('works on a 375 px wide screen', async () => {
  const { page, errors } = await lab.page(SMALL, { width: 375, height: 812 });
  await ready(page);
  await trainToEnd(page);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow} px wider than the screen`);
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

async function downloadOf(page, selector) {
  const [file] = await Promise.all([page.waitForEvent('download'), page.click(selector)]);
  return { name: file.suggestedFilename(), bytes: await readFile(await file.path()) };
}

test('exports curves and weights; a bad weights file is refused and changes nothing', async () => {
  const { page, errors } = await lab.page(SMALL);
  await ready(page);
  const s = await trainToEnd(page);
  const csv = await downloadOf(page, '#export-csv');
  assert.equal(csv.name, 'lenet-lab-curves.csv');
  const rows = csv.bytes.toString().trim().split('\r\n');
  assert.match(rows[0], /^run,label,epoch,step,trainLoss,/);
  assert.equal(rows.length, 1 + s.runs[0].epochs.length);
  const json = JSON.parse((await downloadOf(page, '#export-json')).bytes);
  assert.deepEqual(json.runs[0].epochs, s.runs[0].epochs);
  assert.equal(json.runs[0].steps.length, s.runs[0].step); // short runs keep every step

  const weights = await downloadOf(page, '#weights-save');
  assert.match(weights.name, /\.safetensors$/);
  const headerLength = Number(weights.bytes.readBigUInt64LE(0));
  const header = JSON.parse(weights.bytes.subarray(8, 8 + headerLength));
  assert.deepEqual(header['conv1.weight'].shape, [6, 1, 5, 5]);
  assert.deepEqual(header['fc3.bias'].shape, [10]);

  await page.setInputFiles('#weights-file', { name: 'broken.safetensors', mimeType: 'application/octet-stream', buffer: weights.bytes.subarray(0, 300) });
  await waitFor(async () => /broken\.safetensors was not loaded/.test(await page.locator('#export-note').textContent()), 'the refusal');
  const after = await downloadOf(page, '#weights-save');
  assert.ok(after.bytes.equals(weights.bytes), 'a refused file changed the weights');

  await page.setInputFiles('#weights-file', { name: 'good.safetensors', mimeType: 'application/octet-stream', buffer: weights.bytes });
  await waitFor(async () => /Loaded good\.safetensors/.test(await page.locator('#export-note').textContent()), 'the import');
  assert.deepEqual(errors, []);
  await page.close();
});

test('a link opened in the address bar replaces the experiment', async () => {
  const { page, errors } = await lab.page(`${SMALL}~drop1=0.5`);
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
  const { page, errors } = await lab.page(link);
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
    await ready(missing.page);
    await missing.page.click('#btn-train');
    const failed = await waitFor(async () => (await snapshot(missing.page)).runs.find((r) => r.status === 'error'), 'the run to fail');
    assert.match(failed.error, /pretrained\/lenet5-digits0-4\.safetensors is missing \(HTTP 404\)/);
    assert.match(await missing.page.locator('.notice-error').textContent(), /could not start/);
    assert.deepEqual(missing.errors.filter((e) => !/404/.test(e)), []);
    await missing.page.close();
  } finally {
    await lab.context.unroute(file);
  }
});
