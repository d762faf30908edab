// The sweep panel's model under Node: table rows and sorting, summary series with a log axis for
// λ, a grid's heatmap, and the verdict on two seed groups.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaults } from '../../web/lib/config.mjs';
import { newHistory } from '../../web/lib/history.mjs';
import { expandSweep, parseSweep } from '../../web/lib/sweep.mjs';
import { heatmap, seedVerdict, sortRows, summarySeries, tableRows } from '../../web/page/sweep-view.mjs';

function sweepOf(axes, seeds = 1) {
  const s = parseSweep(axes, seeds);
  const base = { ...defaults(), reg: 'l2' };
  return { base, ...s, runs: expandSweep(base, s) };
}
const finished = (sweep, values) => sweep.runs.map((r, i) => {
  const h = newHistory(i + 1, r.config);
  h.epochs = [{ epoch: 1, trainLoss: values[i] / 2, valLoss: values[i], testAcc: 1 - values[i] }];
  h.stopReason = 'epochs';
  h.status = 'done';
  return h;
});

test('a one-axis sweep: rows, sorting, series on a log axis', () => {
  const sweep = sweepOf(['lam=1e-4,1e-3,1e-2']);
  const runs = finished(sweep, [0.3, 0.2, 0.5]);
  const rows = tableRows(sweep, runs);
  assert.deepEqual(rows.map((r) => [r.id, r.point.lam, r.finalValLoss, r.state]), [[1, 1e-4, 0.3, 'finished'], [2, 1e-3, 0.2, 'finished'], [3, 1e-2, 0.5, 'finished']]);
  assert.deepEqual(sortRows(rows, 'finalValLoss').map((r) => r.id), [2, 1, 3]);
  assert.deepEqual(sortRows(rows, 'lam', true).map((r) => r.id), [3, 2, 1]);
  const s = summarySeries(sweep, runs);
  assert.equal(s.log, true);
  assert.deepEqual(s.labels, [1e-4, 1e-3, 1e-2]);
  assert.deepEqual(s.series.find((x) => x.field === 'finalValLoss').y, [0.3, 0.2, 0.5]);
  assert.equal(summarySeries(sweepOf(['drop1=0,0.5']), finished(sweepOf(['drop1=0,0.5']), [1, 2])).log, false);
  assert.equal(summarySeries(sweepOf(['opt=sgd,adam']), finished(sweepOf(['opt=sgd,adam']), [1, 2])).categorical, true);
});

test('a grid: a heatmap of the final validation loss', () => {
  const sweep = sweepOf(['lam=1e-4,1e-3', 'drop1=0,0.5']);
  const runs = finished(sweep, [0.4, 0.3, 0.2, 0.1]);
  const m = heatmap(sweep, runs);
  assert.deepEqual(m.cells, [[0.4, 0.2], [0.3, 0.1]]);
  assert.deepEqual([m.min, m.max], [0.1, 0.4]);
  assert.equal(summarySeries(sweep, runs).series.length, 4);
});

test('two seed groups get a plain verdict', () => {
  const sweep = sweepOf(['lr=0.001,0.01'], 3);
  const text = seedVerdict(finished(sweep, [0.1, 0.11, 0.12, 0.5, 0.51, 0.52]));
  assert.match(text, /exceeds the spread between seeds/);
  assert.match(seedVerdict(finished(sweep, [0.1, 0.2, 0.3, 0.15, 0.25, 0.35])), /within the spread/);
  assert.equal(seedVerdict(finished(sweepOf(['lr=0.001,0.01,0.1']), [1, 2, 3])), null);
});

test('seed groups become bands: a mean line between the lowest and highest seed', async () => {
  const { groupBands } = await import('../../web/page/sweep-view.mjs');
  const sweep = sweepOf(['lr=0.001,0.01'], 2);
  const runs = finished(sweep, [0.1, 0.3, 0.5, 0.7]);
  const bands = groupBands(runs, 'valLoss');
  assert.equal(bands.length, 2);
  assert.equal(bands[0].label, 'first group (2 seeds)');
  assert.equal(bands[1].label, 'lr 0.01 (2 seeds)');
  assert.deepEqual([bands[1].min[0].y, bands[1].max[0].y], [0.5, 0.7]);
  assert.ok(Math.abs(bands[0].mean[0].y - 0.2) < 1e-12);
  assert.deepEqual(groupBands(finished(sweepOf(['lr=0.001,0.01']), [1, 2]), 'valLoss'), [], 'no seeds, no bands');
});
