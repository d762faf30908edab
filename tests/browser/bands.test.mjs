// Seed groups on the main charts (Chromium): "Repeat with 3 seeds" draws the three runs as one
// mean line in a min-max band on the loss chart, every per-layer panel and the gradient flow across
// depth, listed once in the legend; two groups get the statement on whether they differ beyond the
// spread between seeds.
// Needs `make web`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openLab, ready, requireSite, snapshot, waitFor } from './browser.mjs';

let lab;
before(async () => {
  await requireSite();
  lab = await openLab();
});
after(async () => {
  await lab?.close();
});

// The datasets of the Chart.js chart on a canvas: label, fill and points.
const datasetsOf = (page, selector) => page.evaluate((sel) => globalThis.Chart.getChart(document.querySelector(sel)).data.datasets
  .map((d) => ({ label: d.label, fill: d.fill ?? false, data: d.data.map((p) => ({ x: p.x, y: p.y })) })), selector);

// The group's mean line and its band on one chart: one of each, and the band holds the mean at every point.
function assertBand(sets, label, where) {
  const find = (l) => sets.filter((d) => d.label === l);
  const [mean, lowest, highest] = [find(label), find(`${label}, lowest seed`), find(`${label}, highest seed`)];
  assert.deepEqual([mean.length, lowest.length, highest.length], [1, 1, 1], `${where}: one mean line and one band for ${label}`);
  assert.equal(highest[0].fill, '-1', `${where}: the band is filled down to the lowest seed`);
  assert.equal(sets.indexOf(highest[0]), sets.indexOf(lowest[0]) + 1, `${where}: the band's edges are adjacent`);
  assert.ok(mean[0].data.length >= 2, `${where}: the mean has points`);
  mean[0].data.forEach((p, i) => {
    const lo = lowest[0].data[i], hi = highest[0].data[i];
    assert.deepEqual([lo.x, hi.x], [p.x, p.x], `${where}: the band and the mean share x`);
    assert.ok(lo.y <= p.y && p.y <= hi.y, `${where}: ${lo.y} ≤ ${p.y} ≤ ${hi.y} at x ${p.x}`);
  });
  assert.ok(mean[0].data.some((p, i) => highest[0].data[i].y > lowest[0].data[i].y), `${where}: the seeds differ somewhere`);
}

const finished = (page, n, what) => waitFor(async () => {
  const s = await snapshot(page);
  return s.runs.length === n && s.runs.every((r) => r.status === 'done') && s.charts.settled ? s : null;
}, what, { timeout: 60_000 });

test('Repeat with 3 seeds: one mean line in a band on the loss and per-layer charts, one legend entry', async () => {
  const { raw: page, errors } = await lab.page('n=200&val=100&test=100&ep=2');
  await ready(page);
  await page.click('#btn-train');
  await waitFor(async () => (await snapshot(page)).runs.length === 1, 'a run');
  await page.fill('#sweep-seeds', '3');
  await page.click('#sweep-repeat');
  await finished(page, 3, 'three seeds to finish');
  // One more redraw with the final numbers.
  await new Promise((r) => setTimeout(r, 400));
  const s = await waitFor(async () => ((await snapshot(page)).charts.settled ? snapshot(page) : null), 'the charts to settle');
  assert.deepEqual(s.runs.map((r) => r.config.seed), [1, 2, 3]);
  assert.equal(s.charts.legend.length, 1, 'the legend lists the group, not its seeds');
  const [name] = s.charts.legend;
  assert.match(name, new RegExp(`^#${s.runs[0].id}–#${s.runs[2].id} .* · 3 seeds$`));
  assert.equal(await page.locator('#run-legend .legend-group').count(), 1, 'the legend lists the group once, drawn as a band');
  assert.equal(await page.locator('#run-legend .legend-run').count(), 1);

  const loss = await datasetsOf(page, '[data-chart="loss"] canvas');
  assertBand(loss, `${name} validation`, 'loss, validation');
  assertBand(loss, `${name} train`, 'loss, training per epoch');
  assert.deepEqual(loss.map((d) => d.label).filter((l) => !l.startsWith(name)), [], 'no line of a single seed');
  for (const layer of [0, 4]) {
    const grad = await datasetsOf(page, `[data-chart="grad"] .panel-box:nth-child(${layer + 1}) canvas`);
    assert.equal(grad.length, 3, `gradient panel ${layer}: a band and a mean`);
    assertBand(grad, name, `gradient panel ${layer}`);
  }
  assertBand(await datasetsOf(page, '[data-chart="weight"] .panel-box:nth-child(3) canvas'), name, 'weight panel');
  const flow = await datasetsOf(page, '[data-chart="gradFlow"] canvas');
  assert.equal(flow.length, 3, 'gradient flow: a band and a mean');
  assertBand(flow, name, 'gradient flow across depth');
  assert.ok(await page.locator('#chart-verdict').isHidden(), 'one group: nothing to compare');
  assert.deepEqual(errors, []);
  await page.close();
});

test('two seed groups: a band each and the statement beside the charts', async () => {
  const { raw: page, errors } = await lab.page('n=200&val=100&test=100&ep=2');
  await ready(page);
  await page.selectOption('#sweep-key', 'lr');
  await page.fill('#sweep-values', '0.001,0.01');
  await page.fill('#sweep-seeds', '2');
  await page.click('#sweep-run');
  const s = await finished(page, 4, 'two groups to finish');
  assert.equal(s.charts.legend.length, 2);
  assert.ok(s.charts.legend.every((l) => l.endsWith('· 2 seeds')), s.charts.legend.join(' | '));
  const loss = await datasetsOf(page, '[data-chart="loss"] canvas');
  for (const name of s.charts.legend) assertBand(loss, `${name} validation`, `loss, ${name}`);
  const verdict = page.locator('#chart-verdict');
  await waitFor(() => verdict.isVisible(), 'the statement');
  assert.match(await verdict.textContent(), /^Final test accuracy: .* on average for #\d+–#\d+ .* (exceeds|is within) the spread between seeds/);
  assert.deepEqual(errors, []);
  await page.close();
});
