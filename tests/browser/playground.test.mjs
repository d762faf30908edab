// The playground's main scenarios, each in Chromium and in Firefox ESR: data loading, training onto
// the charts, comparison, links that reproduce the numbers, hostile links, pause and step, early
// stopping and the skip link, files in and out. Chromium also checks the main thread's budget and
// a digit drawn with the mouse. Needs `make web`.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse, parseLink } from '../../web/lib/config.mjs';
import { loadEngineWithData } from '../../tools/engine-node.mjs';
import { BROWSERS, REPO, SCREENSHOTS, openLab, ready, requireSite, snapshot, trainToEnd, waitFor } from './browser.mjs';

const SMALL = 'n=500&val=100&test=500&ep=2';
const execute = promisify(execFile);

before(async () => {
  await requireSite();
  await mkdir(SCREENSHOTS, { recursive: true });
});

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

const pct = (acc) => `${(acc * 100).toFixed(2)}%`;
// A CSV row's cells: commas inside quotes (the labels have them) do not split.
const cells = (row) => row.split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/);

/** The CLI's --csv, --json and --save files for a link. */
async function trainInCli(link) {
  const dir = await mkdtemp(join(tmpdir(), 'lenet-cli-'));
  try {
    const file = (name) => join(dir, name);
    await execute(process.execPath, [join(REPO, 'tools/train.mjs'), '--config', link,
      '--csv', file('curves.csv'), '--json', file('runs.json'), '--save', file('weights.safetensors'), '-q']);
    const [csv, json, weights] = await Promise.all(['curves.csv', 'runs.json', 'weights.safetensors'].map((n) => readFile(file(n))));
    return { csv, json, weights };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

for (const name of BROWSERS) {
  describe(name, () => {
    let lab;
    before(async () => { lab = await openLab(name); });
    after(async () => { await lab?.close(); });
    const chromium = name === 'chromium';

    test('loads MNIST, trains a small run onto the charts and shows results', async (t) => {
      const tab = await lab.page(SMALL);
      await ready(tab);
      assert.match(await tab.text('#status'), /60,000 training and 10,000 test images/);
      if (chromium) await watchMainThread(tab.raw);
      const s = await trainToEnd(tab);
      const [run] = s.runs;
      assert.equal(run.epochs.length, 2);
      assert.equal(run.stopReason, 'epochs');
      for (const e of run.epochs) {
        for (const key of ['trainLoss', 'valLoss', 'testLoss', 'trainAcc', 'valAcc', 'testAcc']) assert.ok(Number.isFinite(e[key]), key);
      }
      assert.ok(run.epochs[1].testAcc > 0.5, `test accuracy after 2 epochs on 500 samples: ${run.epochs[1].testAcc}`);
      await waitFor(async () => (await snapshot(tab)).charts.lossPoints >= run.epochs.length * 2, 'points on the loss chart');
      t.diagnostic(`first chart point ${(await snapshot(tab)).charts.firstPointAt.toFixed(0)} ms after the page opened`);
      await waitFor(() => tab.count('#confusion table td'), 'the confusion matrix');
      assert.equal(await tab.count('#confusion tbody tr'), 10);
      assert.equal(await tab.text('#test-acc'), `${pct(run.epochs[1].testAcc)} test accuracy`);
      await tab.click('#gallery .digit');
      await waitFor(() => tab.count('#probs li.best'), 'the probabilities of a picked test digit');
      if (chromium) {
        await tab.click('#pad-clear');
        await drawDigit(tab.raw);
        await checkMainThread(tab.raw, t);
      }
      assert.deepEqual(tab.errors, []);
      await tab.close();
    });

    test('a shared link reproduces the same numbers in a fresh page', async () => {
      const first = await lab.page(SMALL);
      await ready(first);
      const a = await trainToEnd(first);
      const link = await first.evaluate(() => location.href);
      assert.match(link, /#v=1&/);
      const second = await lab.page(new URL(link).hash.slice(1));
      await ready(second);
      const b = await trainToEnd(second);
      assert.deepEqual(b.runs[0].config, a.runs[0].config);
      assert.deepEqual(b.runs[0].epochs, a.runs[0].epochs);
      assert.deepEqual([...first.errors, ...second.errors], []);
      await first.close();
      await second.close();
    });

    test('compares two runs side by side and keeps them in the link', async (t) => {
      const tab = await lab.page('n=2000&val=500&test=1000&ep=3&seed=3~drop1=0.5&reg=l2');
      await ready(tab);
      await waitFor(async () => (await snapshot(tab)).runs.length === 2, 'both runs of the link');
      if (chromium) await watchMainThread(tab.raw);
      const s = await trainToEnd(tab, 2);
      if (chromium) await checkMainThread(tab.raw, t);
      assert.equal(s.runs[1].label, 'reg l2, drop1 0.5');
      assert.match(s.link, /~/);
      assert.equal(await tab.evaluate(() => location.hash.slice(1)), s.link);
      assert.notDeepEqual(s.runs[0].epochs, s.runs[1].epochs);
      await waitFor(async () => (await snapshot(tab)).charts.runsPlotted === 2, 'both runs on the loss chart');
      // Both runs on every per-layer panel, one y range for all panels, one legend naming them.
      const c = await waitFor(async () => {
        const x = (await snapshot(tab)).charts;
        return x.settled && x.drawn.grad.every((p) => p.datasets === 2) && x;
      }, 'both runs on the per-layer panels');
      assert.deepEqual(c.legend, ['#1 ep 3, n 2000, val 500, test 1000, +1 more', '#2 reg l2, drop1 0.5']);
      for (const kind of ['grad', 'weight', 'sparsity']) {
        assert.equal(new Set(c.drawn[kind].map((p) => `${p.yMin}..${p.yMax}`)).size, 1, `${kind}: one y range`);
      }
      if (chromium) await drawDigit(tab.raw);
      await tab.evaluate(() => window.scrollTo(0, 0));
      await waitFor(async () => (await snapshot(tab)).charts.settled, 'every chart to be redrawn');
      await tab.screenshot(join(SCREENSHOTS, `playground-${name}.png`));
      assert.deepEqual(tab.errors, []);
      await tab.close();
    });

    test('a hostile link is reported as text and injects nothing', async () => {
      const tab = await lab.page('act=<img src=x onerror=alert(1)>&lr=NaN&zz=1');
      await waitFor(() => tab.count('.notice-warn'), 'the link warning');
      const text = await tab.text('.notice-warn');
      assert.match(text, /act/);
      assert.match(text, /lr/);
      assert.match(text, /zz/);
      assert.equal(await tab.count('img'), 0);
      assert.equal(await tab.value('#cfg-act'), 'relu');
      assert.equal(await tab.value('#cfg-lr'), '0.001');
      await ready(tab);
      assert.deepEqual(tab.errors, []);
      await tab.close();
    });

    test('pause holds the step count, step adds exactly one, resume continues', async () => {
      const tab = await lab.page('n=5000&val=500&test=1000&ep=20');
      await ready(tab);
      await tab.click('#btn-train');
      await waitFor(async () => (await snapshot(tab)).runs[0]?.step > 5, 'training to start');
      await tab.click('#btn-train'); // now labelled Pause
      const paused = await waitFor(async () => {
        const s = await snapshot(tab);
        return s.runs[0].status === 'paused' && s.runs[0];
      }, 'the run to pause');
      await waitFor(async () => (await tab.text('#btn-train')) === 'Resume', 'the button to offer Resume');
      // A paused run must stay put: its step count is read again and again for a second.
      for (let i = 0; i < 10; i++) {
        await new Promise((r) => setTimeout(r, 100));
        assert.equal((await snapshot(tab)).runs[0].step, paused.step, 'step count changed while paused');
      }
      await tab.click('#btn-step');
      await waitFor(async () => (await snapshot(tab)).runs[0].step === paused.step + 1, 'one step');
      assert.equal((await snapshot(tab)).runs[0].status, 'paused');
      await tab.click('#btn-train'); // Resume
      await waitFor(async () => (await snapshot(tab)).runs[0].step > paused.step + 1, 'training to continue');
      await tab.click('#btn-stop');
      await waitFor(async () => (await snapshot(tab)).runs[0].stopReason === 'stopped', 'the run to stop');
      assert.deepEqual(tab.errors, []);
      await tab.close();
    });

    test('restore-best shows the restored epoch everywhere, after early stopping and after the last epoch; after the skip link, Copy link still shares the experiment', async () => {
      // min_delta 10: no epoch improves on the first, so the first run stops early after epoch 2
      // and the second (patience 10) ends by its 3 epochs; both restore epoch 1.
      const tab = await lab.page('n=300&val=300&test=300&ep=20&es=1&pat=1&mind=10~ep=3&pat=10');
      await ready(tab);
      await waitFor(async () => (await snapshot(tab)).runs.length === 2, 'both runs');
      const s = await trainToEnd(tab, 2);
      const [early, byEpochs] = s.runs;
      assert.deepEqual([early.stopReason, early.epochs.length], ['early', 2]);
      assert.deepEqual([byEpochs.stopReason, byEpochs.epochs.length], ['epochs', 3]);
      const csv = (await tab.download('#export-csv')).bytes.toString().trim().split('\r\n').map(cells);
      const json = JSON.parse((await tab.download('#export-json')).bytes);
      const restoredColumn = csv[0].indexOf('restored');
      const accColumn = csv[0].indexOf('test_acc');
      for (const [i, run] of [early, byEpochs].entries()) {
        assert.equal(run.restoredEpoch, 1);
        const expected = pct(run.epochs[0].testAcc);
        assert.notEqual(pct(run.epochs.at(-1).testAcc), expected, 'the last epoch scores otherwise, or this shows nothing');
        assert.equal(await tab.evaluate((k) => document.querySelectorAll('.run-acc')[k].textContent, i), expected);
        assert.match(await tab.evaluate((k) => document.querySelectorAll('.run-acc')[k].title, i), /epoch 1, restored by early stopping/);
        await tab.evaluate((k) => document.querySelectorAll('.run-pick')[k].click(), i);
        await waitFor(async () => (await tab.text('#test-acc')) === `${expected} test accuracy`, `run ${run.id}'s Results to show epoch 1`);
        assert.ok((await tab.text('#run-progress')).includes(`test ${expected} (epoch 1, restored)`), await tab.text('#run-progress'));
        const rows = csv.filter((row) => row[0] === String(run.id));
        assert.deepEqual(rows.map((row) => row[restoredColumn]), rows.map((_, k) => (k === 0 ? '1' : '')));
        assert.equal(Number(rows[0][accColumn]), run.epochs[0].testAcc);
        assert.equal(json.runs[i].restoredEpoch, 1);
        assert.equal(json.runs[i].result.testAcc, run.epochs[0].testAcc);
      }

      await tab.focus('a.skip');
      await tab.press('Enter');
      await waitFor(() => tab.evaluate(() => location.hash === '#workspace'), 'the skip link');
      assert.equal((await snapshot(tab)).runs.length, 2, 'the skip link must not replace the experiment');
      assert.equal(await tab.count('.notice-warn'), 0);
      await tab.evaluate(() => {
        Object.defineProperty(navigator.clipboard, 'writeText', { value: async (text) => { globalThis.copied = text; } });
      });
      await tab.click('#copy-link');
      const copied = await waitFor(() => tab.evaluate(() => globalThis.copied), 'the copied link');
      assert.equal(new URL(copied).hash.slice(1), s.link, 'Copy link shares the experiment on screen');
      assert.equal(parseLink(new URL(copied).hash).runs.length, 2);
      assert.deepEqual(tab.errors, []);
      await tab.close();
    });

    test('exports curves and weights; loaded weights show their own accuracy; a bad file changes nothing', async () => {
      const LINK = 'n=500&val=0&test=500&ep=1';
      const tab = await lab.page(LINK);
      await ready(tab);
      const s = await trainToEnd(tab);
      const trained = pct(s.runs[0].epochs[0].testAcc);
      await waitFor(async () => (await tab.text('#test-acc')) === `${trained} test accuracy`, 'the results');
      const csv = await tab.download('#export-csv');
      assert.equal(csv.name, 'lenet-lab-curves.csv');
      const rows = csv.bytes.toString().trim().split('\r\n');
      assert.match(rows[0], /^run,label,epoch,step,train_loss,/);
      assert.equal(rows.length, 1 + s.runs[0].epochs.length);
      const jsonFile = await tab.download('#export-json');
      const json = JSON.parse(jsonFile.bytes);
      assert.deepEqual(json.runs[0].epochs, s.runs[0].epochs);
      assert.equal(json.runs[0].steps.length, s.runs[0].step); // short runs keep every step
      // The CLI writes the same files for the same link, byte for byte.
      const cli = await trainInCli(LINK);
      assert.ok(csv.bytes.equals(cli.csv), 'page and CLI CSV differ');
      assert.ok(jsonFile.bytes.equals(cli.json), 'page and CLI JSON differ');

      const weights = await tab.download('#weights-save');
      assert.match(weights.name, /\.safetensors$/);
      const headerLength = Number(weights.bytes.readBigUInt64LE(0));
      const header = JSON.parse(weights.bytes.subarray(8, 8 + headerLength));
      assert.deepEqual(header['conv1.weight'].shape, [6, 1, 5, 5]);
      assert.deepEqual(header['fc3.bias'].shape, [10]);

      await tab.setFile('#weights-file', { name: 'broken.safetensors', bytes: weights.bytes.subarray(0, 300) });
      await waitFor(async () => /broken\.safetensors was not loaded/.test(await tab.text('#export-note')), 'the refusal');
      const after = await tab.download('#weights-save');
      assert.ok(after.bytes.equals(weights.bytes), 'a refused file changed the weights');

      // Other weights: an untrained model of another seed, scored on the same test subset in Node.
      const engine = await loadEngineWithData('simd');
      const other = engine.createRun(parse(`${LINK}&seed=7`).config);
      const otherBytes = other.exportSafetensors();
      const scored = engine.createRun(parse(LINK).config);
      scored.importSafetensors(otherBytes);
      const expected = pct(scored.evaluateTest().testAcc);
      assert.notEqual(expected, trained);
      await tab.setFile('#weights-file', { name: 'other.safetensors', bytes: otherBytes });
      await waitFor(async () => /Loaded other\.safetensors/.test(await tab.text('#export-note')), 'the import');
      // Everything that shows an accuracy describes the weights now held.
      await waitFor(async () => (await tab.text('#test-acc')) === `${expected} test accuracy`, `Results to show ${expected}`);
      assert.equal(await tab.text('.run-acc'), expected);
      assert.match(await tab.attribute('.run-acc', 'title'), /loaded from other\.safetensors/);
      await waitFor(async () => (await tab.text('#run-progress')).includes(`test ${expected} (weights from other.safetensors)`), 'the toolbar');
      const diagonal = await tab.evaluate(() => [...document.querySelectorAll('#confusion tbody tr')]
        .reduce((sum, row, i) => sum + Number(row.querySelectorAll('td')[i].textContent), 0));
      assert.equal(pct(diagonal / 500), expected, 'the confusion matrix counts the loaded weights\' predictions');
      assert.deepEqual(tab.errors, []);
      await tab.close();
    });
  });
}
