// Deep networks in the page (Chromium and Firefox): a link of two sigmoid MLPs, without and with
// batch norm, trained side by side; the gradient-flow chart shows both runs at each of the four
// layers, the Network panel lists the layers, and the pre-activation percentile chart has data.
// The batch-norm guided experiment, opened from the picker as a student does and trained as it is:
// both runs on the gradient-flow chart, its cited charts outlined. Needs `make web`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { BROWSERS, SCREENSHOTS, openLab, ready, requireSite, snapshot, trainToEnd, waitFor } from './browser.mjs';
import { EXPERIMENTS } from '../../web/lib/experiments.mjs';

const LINK = 'model=mlp&act=sigmoid&depth=3&width=100&bs=60&n=1000&val=200&test=500&ep=2&init=random_normal~bn=1';

before(async () => {
  await requireSite();
  await mkdir(SCREENSHOTS, { recursive: true });
});

for (const name of BROWSERS) {
  test(`${name}: two deep runs on the gradient-flow, network and percentile views`, async () => {
    const lab = await openLab(name);
    after(() => lab.close());
    const page = await lab.page(LINK);
    await ready(page);

    // The Network panel describes the form's network: 784-100-100-100-10, three activations.
    await waitFor(async () => (await page.count('#network tbody tr[data-node]')) > 0, 'the network panel');
    const nodes = await page.evaluate(() => [...document.querySelectorAll('#network tbody tr[data-node]')].map((r) => r.dataset.node));
    for (const layer of ['fc1', 'fc2', 'fc3', 'fc4']) assert.ok(nodes.includes(layer), `the network panel lists ${layer}: ${nodes}`);
    assert.match(await page.text('#network .net-total'), /99,710/, 'the total parameter count of 784-100-100-100-10');
    // LeNet-only settings are not offered for the mlp, the mlp's own are.
    const display = (key) => page.evaluate((k) => getComputedStyle(document.querySelector(`.field[data-key="${k}"]`)).display, key);
    assert.equal(await display('drop2'), 'none');
    assert.equal(await display('freeze'), 'none');
    assert.notEqual(await display('depth'), 'none');
    assert.equal(await display('convs'), 'none');

    await waitFor(async () => (await snapshot(page)).runs.length === 2 && (await snapshot(page)).runs.every((r) => r.status === 'paused'), 'the two runs to be ready');
    await page.click('#btn-train');
    await waitFor(async () => (await snapshot(page)).runs.every((r) => r.status === 'done'), 'training to finish', { timeout: 120_000 });
    // The views redraw at most once a second.
    const deep = await waitFor(async () => {
      const d = (await snapshot(page)).deep;
      return d.gradFlow.runs.length === 2 && d.gradFlow.runs.every((r) => r.points === 4) && d.actStats.every((r) => r.epoch === 2)
        && d.actHist.length === 2 && d.preAct.every((r) => r.points.every((n) => n > 0)) && d;
    }, 'the deep views to show both finished runs');

    assert.deepEqual(deep.gradFlow.labels, ['fc1', 'fc2', 'fc3', 'fc4']);
    for (const r of deep.gradFlow.runs) {
      assert.deepEqual(r.layers, ['fc1', 'fc2', 'fc3', 'fc4'], `run #${r.runId}: a point per layer`);
      assert.ok(r.values.every((v) => v > 0 && Number.isFinite(v)), `run #${r.runId}: positive gradient norms ${r.values}`);
    }
    // Sigmoid with N(0, 0.05²) weights and no batch norm: the gradient shrinks towards the input.
    const plain = deep.gradFlow.runs.find((r) => r.runId === 1);
    assert.ok(plain.values[0] < plain.values[3], `run #1: fc1's gradient ${plain.values[0]} below fc4's ${plain.values[3]}`);
    assert.equal(deep.updateRatio.runs.length, 2);
    assert.ok(deep.updateRatio.runs.every((r) => r.points === 4));
    for (const r of deep.actStats) assert.deepEqual(r.layers, ['fc1', 'fc2', 'fc3'], 'activation statistics per hidden layer');
    assert.ok(deep.actHist.every((h) => h.layer === 'fc3' && h.total > 0), 'the last hidden layer\'s histogram');
    for (const r of deep.preAct) {
      assert.equal(r.layer, 'fc3', 'watch = 0 is the last hidden layer');
      assert.equal(r.points.length, 3, 'three percentiles');
    }
    assert.equal((await snapshot(page)).deep.network, 4, 'the network panel has the four layers');
    // The per-layer small multiples follow the network: four panels.
    assert.equal((await snapshot(page)).charts.drawn.grad.length, 4);
    if (name === 'chromium') await page.screenshot(join(SCREENSHOTS, 'deep-mlp-two-runs.png'));
    assert.deepEqual(page.errors, []);

    // A LeNet-only setting on an mlp: shown, marked, and the core's own message under the form.
    const bad = await lab.page('model=mlp&drop2=0.5');
    await waitFor(async () => (await bad.evaluate(() => !document.querySelector('#core-problem').hidden)), 'the core\'s message');
    assert.match(await bad.text('#core-problem'), /dropout2 is LeNet-5's dropout after fc2/);
    assert.notEqual(await bad.evaluate(() => getComputedStyle(document.querySelector('.field[data-key="drop2"]')).display), 'none');
    assert.match(await bad.text('.field[data-key="drop2"] .note'), /Only for lenet5/);
    assert.match(await bad.text('#network .net-problem'), /refuses/);
  });
}

const CARD = { results: '.results', gradNorm: '[data-chart="grad"]', weightNorm: '[data-chart="weight"]' };
// The ring a cited card gets (style.css: box-shadow 0 0 0 2px in the accent colour), beside a card's own shadow.
const RING = /(^|, )rgb\([^)]*\) 0px 0px 0px 2px/;

for (const name of BROWSERS) {
  test(`${name}: the batch-norm guided experiment from the picker, both runs on the gradient-flow chart, its charts outlined`, async () => {
    const lab = await openLab(name);
    after(() => lab.close());
    const page = await lab.page();
    await ready(page);
    const experiment = EXPERIMENTS.find((e) => e.id === 'batch-norm');
    await page.evaluate(() => {
      const select = document.querySelector('#presets');
      select.value = 'batch-norm';
      select.dispatchEvent(new Event('change', { bubbles: true }));
    });
    await waitFor(() => page.evaluate(() => !document.querySelector('#open-experiment').disabled), 'Open to be offered');
    await page.click('#open-experiment');
    await waitFor(async () => (await page.text('#lesson-panel #lp-title')) === experiment.title, 'the lesson panel');
    const ring = (sel) => page.evaluate((q) => getComputedStyle(document.querySelector(q)).boxShadow, sel);
    const s = await trainToEnd(page, 2);
    assert.deepEqual(s.runs.map((r) => r.stopReason), ['epochs', 'epochs']);
    const flow = await waitFor(async () => {
      const d = (await snapshot(page)).deep.gradFlow;
      return d.runs.length === 2 && d.runs.every((r) => r.points === 4) && d;
    }, 'the gradient-flow chart to show both runs');
    assert.deepEqual(flow.labels, ['fc1', 'fc2', 'fc3', 'fc4']);
    assert.deepEqual(flow.runs.map((r) => r.runId), [1, 2]);
    for (const r of flow.runs) assert.ok(r.values.every((v) => v > 0 && Number.isFinite(v)), `run #${r.runId}: ${r.values}`);

    // Every chart the lesson cites is outlined and named under the text; no other card is.
    const cited = await page.evaluate(() => [...document.querySelectorAll('.cited')].map((el) => el.dataset.chart ?? 'results'));
    assert.deepEqual(cited.sort(), experiment.charts.map((c) => (c === 'results' ? 'results' : c)).sort());
    for (const c of experiment.charts) {
      assert.equal(await page.evaluate((sel) => document.querySelector(sel).classList.contains('cited'), CARD[c] ?? `[data-chart="${c}"]`), true, `${c} outlined`);
      assert.match(await ring(CARD[c] ?? `[data-chart="${c}"]`), RING, `${c} is outlined`);
    }
    assert.doesNotMatch(await ring('[data-chart="gradFlow"]'), RING, 'a chart the lesson does not cite is not outlined');
    assert.equal(await page.count('#lesson-panel .lp-cites button'), experiment.charts.length);
    if (name === 'chromium') await page.screenshot(join(SCREENSHOTS, 'deep-batch-norm-lesson.png'));
    assert.deepEqual(page.errors, []);
  });
}
