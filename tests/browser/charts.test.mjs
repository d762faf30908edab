// The comparison-first charts in Chromium: a guided experiment's runs on every per-layer panel with
// one shared y axis and one legend, its lesson beside the charts it cites, a frozen layer's gradient
// drawn as zero, markers, Retrain keeping the earlier run, renaming, exports at twice the size, data
// tables, and axe-core finding no serious or critical violations in light and dark. Needs `make web`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { EXPERIMENTS } from '../../web/lib/experiments.mjs';
import { REPO, SCREENSHOTS, openLab, ready, requireSite, snapshot, trainToEnd, waitFor } from './browser.mjs';

const AXE = join(REPO, 'node_modules/axe-core/axe.min.js');
const DESKTOP = { width: 1440, height: 900 };
let lab;

before(async () => {
  await requireSite();
  await mkdir(SCREENSHOTS, { recursive: true });
  lab = await openLab();
});
after(async () => {
  await lab?.close();
});

const settled = (page) => waitFor(async () => (await snapshot(page)).charts.settled, 'the charts to settle');

async function chartsDone(page, runs, withEpochs = runs) {
  await waitFor(async () => {
    const c = (await snapshot(page)).charts;
    return c.settled && c.runsPlotted === withEpochs && c.legend.length === runs;
  }, 'every run on the charts');
  // One more redraw with the final numbers.
  await new Promise((r) => setTimeout(r, 400));
  await settled(page);
  return (await snapshot(page)).charts;
}

/** Serious and critical axe-core violations on the page, as 'rule: target' lines. */
async function axeViolations(page) {
  if (!(await page.evaluate(() => Boolean(globalThis.axe)))) await page.addScriptTag({ path: AXE });
  const found = await page.evaluate(async () => {
    const r = await globalThis.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(' ')} ${n.failureSummary?.split('\n')[1] ?? ''}`));
  });
  return found;
}

function sharedAxis(c, kind, runs) {
  const drawn = c.drawn[kind];
  assert.equal(drawn.length, 5, `${kind}: a panel per layer`);
  for (const p of drawn) assert.equal(p.datasets, runs, `${kind}: every run on every panel`);
  const [first] = drawn;
  for (const p of drawn) {
    assert.equal(p.yMin, first.yMin, `${kind}: one y minimum for every panel`);
    assert.equal(p.yMax, first.yMax, `${kind}: one y maximum for every panel`);
  }
  return first;
}

test('a guided experiment: the lesson beside its charts, every run on every panel with one axis and one legend', async () => {
  const { raw: page, errors } = await lab.page('', DESKTOP);
  await ready(page);
  const experiment = EXPERIMENTS.find((e) => e.id === 'vanishing');
  await page.selectOption('#presets', 'vanishing');
  await page.click('#open-experiment');
  await waitFor(async () => (await snapshot(page)).runs.length === 3, 'the experiment\'s three runs');
  const lesson = page.locator('#lesson-panel');
  assert.match(await lesson.textContent(), /sigmoid′\(x\) = σ\(x\)\(1 − σ\(x\)\)/);
  const c = await trainToEnd(page, 3).then(() => chartsDone(page, 3));

  // One legend, the runs' names.
  assert.deepEqual(c.legend, (await snapshot(page)).runs.map((r) => `#${r.id} ${r.label}`));
  // Every run on each per-layer panel, one y range for all of them.
  const grad = sharedAxis(c, 'grad', 3);
  assert.equal(grad.type, 'logarithmic');
  sharedAxis(c, 'weight', 3);
  sharedAxis(c, 'sparsity', 3);
  // The 1000x story is visible: conv1's sigmoid gradient is far below fc3's on the same axis.
  assert.ok(grad.yMax / grad.yMin >= 1000, `the shared axis spans ${grad.yMin}..${grad.yMax}`);
  assert.equal(c.histogram.runs, 3, 'the histogram overlays the three runs');

  // The lesson and the charts it cites are on screen together at 1440x900.
  const cited = experiment.charts ?? [];
  const box = await lesson.boundingBox();
  assert.ok(box && box.y >= 0 && box.y + 80 < DESKTOP.height, 'the lesson is in view');
  if (cited.length) {
    assert.ok(await page.locator('.chart-card.cited').count() >= 1, 'the cited charts are highlighted');
    await page.locator('.lp-cites button').first().click();
    const name = { gradNorm: 'grad', weightNorm: 'weight' }[cited[0]] ?? cited[0];
    const first = await page.locator(name === 'results' ? '.results' : `[data-chart="${name}"]`).boundingBox();
    const l = await lesson.boundingBox();
    assert.ok(first.y < DESKTOP.height && first.y + 100 > 0, 'a cited chart is in view');
    assert.ok(l.y < DESKTOP.height && l.y + l.height > 0, 'the lesson stays in view');
    assert.ok(l.x + l.width <= first.x, 'the lesson is beside the chart, not over it');
  }
  await page.screenshot({ path: join(SCREENSHOTS, 'lesson-vanishing-1440.png') });
  await page.screenshot({ path: join(SCREENSHOTS, 'lesson-vanishing-full.png'), fullPage: true });

  // The PNG of the gradient chart: twice the on-screen size, with a title and the legend.
  const width = await page.locator('[data-chart="grad"] .multiples').evaluate((el) => el.clientWidth);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-chart="grad"] .png')]);
  const bytes = await new Promise((resolve) => {
    const chunks = [];
    download.createReadStream().then((s) => s.on('data', (d) => chunks.push(d)).on('end', () => resolve(Buffer.concat(chunks))));
  });
  assert.equal(bytes.toString('latin1', 1, 4), 'PNG');
  assert.equal(bytes.readUInt32BE(16), width * 2, 'twice the on-screen width');
  const height = await page.locator('[data-chart="grad"] .multiples').evaluate((el) => el.getBoundingClientRect().height);
  assert.ok(bytes.readUInt32BE(20) > height * 2, 'twice the height, and room for the title and legend');

  // The data table behind a chart.
  await page.click('[data-chart="grad"] .table-toggle');
  assert.equal(await page.locator('[data-chart="grad"] .table-toggle').getAttribute('aria-expanded'), 'true');
  assert.equal(await page.locator('#table-grad tbody tr').count(), 9, 'three runs of three epochs');
  await page.click('[data-chart="histogram"] .table-toggle');
  assert.equal(await page.locator('#table-histogram tbody tr').count(), 3 * 41, 'three runs of 41 bins');
  assert.deepEqual(errors, []);
  await page.close();
});

test('a frozen layer\'s gradient is drawn as zero; best epoch and divergence are marked; Retrain keeps the run', async () => {
  const { raw: page, errors } = await lab.page('freeze=conv1&n=500&val=200&test=300&ep=3', DESKTOP);
  await ready(page);
  await trainToEnd(page, 1);
  let c = await chartsDone(page, 1);
  const grad = c.panels.grad;
  assert.ok(grad.floor > 0, 'a floor stands for zero on the log axis');
  assert.ok(grad.floor >= c.drawn.grad[0].yMin && grad.floor < c.drawn.grad[0].yMax, 'the floor is inside the axis');
  assert.ok(grad.panels[0].zeroPoints > 0, 'conv1\'s zero gradient is drawn, on the floor');
  assert.deepEqual(grad.panels[0].frozenIn, [1]);
  assert.equal(grad.panels[1].zeroPoints, 0, 'conv2 trains');
  assert.ok(c.markers.loss.some((m) => m.kind === 'best' && m.runId === 1), 'the best epoch is marked');

  // Retrain with other settings: a new run, and the first one stays.
  await page.locator('#cfg-lr').fill('0.002');
  await waitFor(async () => (await page.textContent('#form-owner')).startsWith('New run settings'), 'the form to say its settings are a new run\'s');
  await page.click('#btn-train');
  await waitFor(async () => (await snapshot(page)).runs.length === 2, 'a second run');
  const s = await waitFor(async () => {
    const x = await snapshot(page);
    return x.runs.every((r) => r.status === 'done') && x;
  }, 'the retrained run to finish', { timeout: 90_000 });
  assert.equal(s.runs[0].id, 1, 'the earlier run is kept');
  assert.equal(s.runs[0].stopReason, 'epochs');

  // Renaming, with the keyboard: the name is in the legend.
  await page.focus('.run:first-child .run-rename');
  await page.keyboard.press('Enter');
  await page.keyboard.press('Control+A');
  await page.keyboard.type('frozen conv1');
  await page.keyboard.press('Enter');
  c = await chartsDone(page, 2);
  assert.equal(c.legend[0], '#1 frozen conv1');
  assert.equal((await snapshot(page)).runs[0].name, 'frozen conv1');
  // The keyboard's way to the drawing pad: a digit key writes that digit.
  await page.focus('#pad');
  await page.keyboard.press('7');
  await waitFor(async () => /The network reads a \d/.test(await page.textContent('#pad-note')), 'a prediction for the typed digit');
  // Selecting a run puts its settings in the form, and the form says so.
  await page.click('.run:first-child .run-pick');
  await waitFor(async () => (await page.textContent('#form-owner')) === 'Settings of run #1', 'the form to hold run #1\'s settings');
  assert.deepEqual(errors, []);
  await page.close();
});

test('a diverging run is marked where it diverged', async () => {
  const { raw: page, errors } = await lab.page('act=tanh&opt=momentum&lr=10&n=2000&val=0&test=500&ep=3~lr=0.01', DESKTOP);
  await ready(page);
  await trainToEnd(page, 2);
  // Run #1 diverges in its first epoch: no epoch row, only steps.
  const c = await chartsDone(page, 2, 1);
  const mark = c.markers.loss.find((m) => m.kind === 'diverged');
  assert.ok(mark && mark.runId === 1 && mark.x > 0 && mark.x < 3, 'the divergence is marked on run #1');
  sharedAxis(c, 'weight', 2);
  await page.locator('[data-chart="weight"]').scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(SCREENSHOTS, 'exploding-1440.png') });
  assert.deepEqual(errors, []);
  await page.close();
});

test('on a phone the lesson is one tap away from the charts', async () => {
  const { raw: page, errors } = await lab.page('', { width: 375, height: 812 });
  await ready(page);
  await page.selectOption('#presets', 'exploding');
  await page.click('#open-experiment');
  const toggle = page.locator('.lp-toggle');
  await waitFor(() => toggle.isVisible(), 'the lesson bar');
  await page.locator('[data-chart="loss"]').scrollIntoViewIfNeeded();
  const bar = await toggle.boundingBox();
  assert.ok(bar.y + bar.height <= 812 && bar.y > 600, 'the lesson bar is at the bottom of the screen, over the charts');
  assert.equal(await page.locator('#lesson-panel .formula').isVisible(), false, 'folded until asked for');
  await toggle.click();
  assert.equal(await page.locator('#lesson-panel .formula').isVisible(), true, 'one tap shows the explanation and formula');
  assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
  await page.screenshot({ path: join(SCREENSHOTS, 'lesson-375.png') });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow} px wider than the screen`);
  assert.deepEqual(errors, []);
  await page.close();
});

test('axe-core finds no serious or critical violations, before and after training, light and dark', async () => {
  for (const scheme of ['light', 'dark']) {
    const { raw: page } = await lab.page('', DESKTOP);
    await page.emulateMedia({ colorScheme: scheme });
    await ready(page);
    assert.deepEqual(await axeViolations(page), [], `${scheme}, before training`);
    await page.selectOption('#presets', 'standardisation');
    await page.click('#open-experiment');
    await waitFor(async () => (await snapshot(page)).runs.length === 2, 'the experiment\'s runs');
    await trainToEnd(page, 2);
    await chartsDone(page, 2);
    await page.click('[data-chart="loss"] .table-toggle');
    assert.deepEqual(await axeViolations(page), [], `${scheme}, after training`);
    await page.close();
  }
});
