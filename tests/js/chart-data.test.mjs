// The numbers behind the page's charts (web/lib/chart-data.mjs): smoothing, shared ranges, the
// floor for exact zeros on log axes, markers, small multiples and data tables.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bestEpoch, chartEntries, comparisonLines, gradTotalLines, groupVerdict, histogramSeries, histogramTable, markers, onFloor, perLayerPanels, runName, sharedRange, smooth, tableOf } from '../../web/lib/chart-data.mjs';
import { defaults } from '../../web/lib/config.mjs';

const pts = (ys) => ys.map((y, i) => ({ x: i, y }));
const row = (epoch, o = {}) => ({ epoch, trainLoss: 1, valLoss: 1, testLoss: 1, trainAcc: 0.5, valAcc: 0.5, testAcc: 0.5, sparsity: 0.01,
  bestEpoch: 0, gradMean: [1, 2, 3, 4, 5], weightNorm: [1, 1, 1, 1, 1], layerSparsity: [0, 0.01, 0.02, 0.03, 0.04], ...o });

function run(id, { grad = [[1], [1], [1], [1], [1]], weight, epochs = [], config = {}, ...rest } = {}) {
  return {
    id, color: '#2563eb', label: `run ${id}`, name: '', config: { ...defaults(), ...config }, epochs, stopReason: 'epochs',
    restoredEpoch: null, step: 10, epoch: epochs.length, stepsPerEpoch: 10,
    plot: { loss: { points: [] }, acc: { points: [] }, grad: grad.map((ys) => ({ points: pts(ys) })), weight: (weight ?? grad).map((ys) => ({ points: pts(ys) })) },
    ...rest,
  };
}

test('smoothing is an unbiased moving average; zeros stay exactly zero', () => {
  assert.deepEqual(smooth(pts([2, 2, 2]), 0.9).map((p) => p.y), [2, 2, 2].map((y) => y), 'a constant stays constant from the first point');
  assert.deepEqual(smooth(pts([0, 0, 0]), 0.8).map((p) => p.y), [0, 0, 0]);
  assert.deepEqual(smooth(pts([1, 3]), 0).map((p) => p.y), [1, 3], 'no smoothing');
});

test('a log range spans every series; an exact zero gets a floor a decade below the smallest value', () => {
  const r = sharedRange([pts([2e-4, 0.01]), pts([0.5, 2])], { log: true });
  assert.deepEqual([r.min, r.max, r.floor], [1e-4, 10, null]);
  const z = sharedRange([pts([0, 0]), pts([0.03, 1.5])], { log: true });
  assert.equal(z.floor, 0.001);
  assert.ok(z.min < z.floor && z.max >= 1.5);
  assert.equal(z.zeros, 2);
  assert.deepEqual(onFloor(pts([0, 0.5]), 0.001), [{ x: 0, y: 0.001, v: 0 }, { x: 1, y: 0.5, v: 0.5 }], 'the true value is kept');
  const lin = sharedRange([pts([0.3, 1.7])]);
  assert.deepEqual([lin.min, lin.max], [0, 2]);
});

test('per-layer panels: every run on every layer, one range for all, zeros counted and frozen layers named', () => {
  const a = run(1, { grad: [[0, 0], [0.1, 0.2], [1, 1], [2, 2], [3, 3]], config: { freeze: 'conv1' } });
  const b = run(2, { grad: [[1e-4, 1e-4], [0.1, 0.1], [1, 1], [2, 2], [30, 30]] });
  const p = perLayerPanels([a, b], 'grad');
  assert.equal(p.panels.length, 5);
  for (const panel of p.panels) assert.deepEqual(panel.series.map((s) => s.key), ['1', '2']);
  assert.equal(p.range.log, true);
  assert.equal(p.range.floor, 1e-5, 'a decade below the smallest positive value');
  assert.equal(p.range.max, 100);
  assert.equal(p.panels[0].series[0].zeros, 2);
  assert.ok(p.panels[0].series[0].points.every((q) => q.y === 1e-5 && q.v === 0), 'zeros drawn on the floor');
  assert.deepEqual(p.panels[0].frozenIn, [1]);
  assert.deepEqual(p.panels[1].frozenIn, []);
  const s = perLayerPanels([run(1, { epochs: [row(1), row(2)] })], 'sparsity');
  assert.equal(s.range.log, false);
  assert.deepEqual(s.panels[4].series[0].points, [{ x: 1, y: 4 }, { x: 2, y: 4 }]);
});

test('markers: best epoch, early stop with its restored epoch, divergence', () => {
  const early = run(1, {
    epochs: [row(1, { valLoss: 0.5, bestEpoch: 1 }), row(2, { valLoss: 0.3, bestEpoch: 2 }), row(3, { valLoss: 0.4, bestEpoch: 2 })],
    stopReason: 'early', restoredEpoch: 2,
  });
  assert.equal(bestEpoch(early), 2);
  assert.deepEqual(markers(early).map((m) => [m.kind, m.x]), [['best', 2], ['early', 3]]);
  const noCore = run(2, { epochs: [row(1, { valLoss: 0.5 }), row(2, { valLoss: 0.2 }), row(3, { valLoss: 0.6 })] });
  assert.equal(bestEpoch(noCore), 2, 'the lowest validation loss when the core gives none');
  const noVal = run(3, { epochs: [row(1), row(2)], config: { val: 0 } });
  assert.deepEqual(markers(noVal), [], 'no validation set, no best epoch');
  const diverged = run(4, { stopReason: 'diverged', step: 7, stepsPerEpoch: 10 });
  assert.deepEqual(markers(diverged).map((m) => [m.kind, m.x]), [['diverged', 0.7]]);
});

test('names, tables and histograms', () => {
  const a = run(1, { epochs: [row(1), row(2)] });
  assert.equal(runName(a), '#1 run 1');
  a.name = 'mine';
  assert.equal(runName(a), '#1 mine');
  const t = tableOf('loss', [a]);
  assert.deepEqual(t.columns, ['run', 'epoch', 'train loss', 'validation loss', 'test loss']);
  assert.deepEqual(t.rows[1], ['#1 mine', '2', '1', '1', '1']);
  assert.equal(tableOf('grad', [a]).columns.length, 7);
  const h = histogramSeries([{ run: a, data: { counts: [1, 3], range: 1 } }, { run: run(2), data: { counts: [2, 2, 0, 0], range: 2 } }]);
  assert.equal(h.range, 2);
  assert.deepEqual(h.series[0].points, [{ x: -0.5, y: 0.25 }, { x: 0.5, y: 0.75 }], 'density: share per unit of weight');
  assert.deepEqual(histogramTable(h.series).rows[1], ['#1 mine', '0.5', '0.75']);
});

// Three seeds of one setting (runs 1-3) and a run with another learning rate (4).
function seedGroup() {
  const seeds = [0.5, 0.8, 1.1].map((v, k) => run(k + 1, {
    config: { seed: k + 1 }, label: k ? `seed ${k + 1}` : 'defaults', grad: [[v, v], [1, 1], [1, 1], [1, 1], [1, 1]],
    epochs: [row(1, { valLoss: v + 0.5, trainLoss: v }), row(2, { valLoss: v, trainLoss: v / 2 })],
  }));
  return [...seeds, run(4, { config: { lr: 0.05 }, label: 'lr 0.05', epochs: [row(1), row(2)] })];
}

test('runs that differ only in seed are one entry: a mean line in a band; repeats of one seed are not', () => {
  const runs = seedGroup();
  const entries = chartEntries(runs);
  assert.deepEqual(entries.map((e) => [e.key, e.name, e.group]), [['1+2+3', '#1–#3 defaults · 3 seeds', true], ['4', '#4 lr 0.05', false]]);
  assert.deepEqual(chartEntries([runs[0], runs[2]]).map((e) => e.name), ['#1, #3 defaults · 2 seeds']);
  const repeat = run(5, { config: { seed: 1 }, label: 'same as #1' });
  assert.deepEqual(chartEntries([runs[0], repeat]).map((e) => e.key), ['1', '5'], 'the same seed twice is a repeat');

  const lines = comparisonLines(entries, { curve: 'loss', train: 'trainLoss', val: 'valLoss', scale: 1, smoothing: 0 });
  assert.deepEqual(lines.map((l) => `${l.key} ${l.role} ${Boolean(l.band)}`), ['1+2+3 step false', '1+2+3 train true', '1+2+3 val true', '4 step false', '4 train false', '4 val false']);
  const val = lines[2];
  assert.equal(val.label, '#1–#3 defaults · 3 seeds validation');
  assert.deepEqual(val.band.min, [{ x: 1, y: 1 }, { x: 2, y: 0.5 }]);
  assert.deepEqual(val.band.max, [{ x: 1, y: 1.6 }, { x: 2, y: 1.1 }]);
  assert.ok(Math.abs(val.points[0].y - 1.3) < 1e-12 && Math.abs(val.points[1].y - 0.8) < 1e-12, 'the mean of 0.5, 0.8 and 1.1, plus 0.5 at epoch 1');
  const err = comparisonLines(entries, { curve: 'acc', train: 'trainAcc', val: 'valAcc', scale: 100, smoothing: 0, value: (y) => 100 - y });
  assert.deepEqual(err[2].points.map((p) => p.y), [50, 50], 'the mapping applies before the mean');
});

test('a group stopped at different epochs says where its band ends', () => {
  const runs = seedGroup().slice(0, 3);
  runs[1].epochs = runs[1].epochs.slice(0, 1);
  assert.equal(chartEntries(runs)[0].name, '#1–#3 defaults · 3 seeds · to epoch 1, which all reached');
  const val = comparisonLines(chartEntries(runs), { curve: 'loss', train: 'trainLoss', val: 'valLoss', scale: 1, smoothing: 0 })[2];
  assert.deepEqual(val.band.max.map((p) => p.x), [1], 'only the epoch every seed reached');
  runs[1].stopReason = 'none';
  assert.equal(chartEntries(runs)[0].name, '#1–#3 defaults · 3 seeds', 'still training: no note');
});

test('per-layer panels and tables draw a group once, its band inside the shared range', () => {
  const p = perLayerPanels(seedGroup(), 'grad');
  const conv1 = p.panels[0].series;
  assert.deepEqual(conv1.map((s) => s.key), ['1+2+3', '4']);
  // Gradient curves are smoothed (bias-corrected, so a constant stays put up to rounding).
  const near = (ys, want) => assert.ok(ys.every((y, i) => Math.abs(y - want[i]) < 1e-12), `${ys} ≈ ${want}`);
  near(conv1[0].band.min.map((q) => q.y), [0.5, 0.5]);
  near(conv1[0].band.max.map((q) => q.y), [1.1, 1.1]);
  assert.ok(Math.abs(conv1[0].points[0].y - 0.8) < 1e-12);
  assert.equal(conv1[1].band, null);
  assert.deepEqual([p.range.min, p.range.max], [0.1, 10], 'the lowest seed (0.5) is inside the range');

  const t = tableOf('loss', seedGroup());
  assert.deepEqual(t.columns.slice(0, 5), ['run', 'epoch', 'train loss', 'train loss, lowest seed', 'train loss, highest seed']);
  assert.equal(t.columns.length, 11);
  assert.deepEqual(t.rows[1].slice(0, 8), ['#1–#3 defaults · 3 seeds', '2', '0.4', '0.25', '0.55', '0.8', '0.5', '1.1']);
  assert.deepEqual(t.rows[3], ['#4 lr 0.05', '2', '1', '', '', '1', '', '', '1', '', '']);
});

test('two seed groups shown and finished get the statement, naming each', () => {
  const acc = (v) => [row(1, { testAcc: v }), row(2, { testAcc: v })];
  const low = [0.90, 0.91].map((v, k) => run(k + 1, { config: { seed: k + 1 }, label: 'defaults', epochs: acc(v) }));
  const high = [0.95, 0.96].map((v, k) => run(k + 3, { config: { lr: 0.05, seed: k + 1 }, label: 'lr 0.05', epochs: acc(v) }));
  const text = groupVerdict(chartEntries([...low, ...high]));
  assert.match(text, /^Final test accuracy: 90\.50 % on average for #1–#2 defaults · 2 seeds \(90\.00 % to 91\.00 % over 2 seeds\) against 95\.50 % for #3–#4 lr 0\.05 · 2 seeds/);
  assert.match(text, /The difference, 5\.00 points, exceeds the spread between seeds/);
  assert.equal(groupVerdict(chartEntries([...low, high[0]])), null, 'one group and a run');
  high[1].stopReason = 'none';
  assert.equal(groupVerdict(chartEntries([...low, ...high])), null, 'a seed still training');
});

test('a seed group\'s histogram: the mean density in a band, zero beyond a narrower seed\'s range', () => {
  const [a, b, c, other] = seedGroup();
  const h = histogramSeries([{ run: a, data: { counts: [1, 3], range: 1 } }, { run: b, data: { counts: [3, 1], range: 1 } },
    { run: c, data: { counts: [0, 2, 2, 0], range: 2 } }, { run: other, data: { counts: [1, 1], range: 1 } }]);
  assert.equal(h.range, 2);
  assert.deepEqual(h.series.map((s) => s.key), ['1+2+3', '4']);
  const g = h.series[0];
  assert.deepEqual(g.points.map((p) => p.x), [-2, -1, -0.5, 0.5, 1, 2], "the first seed's bins, and zeros out to the widest range");
  // At -0.5: densities 0.25, 0.75 and 0.5 (the third seed's [-1, 0) bin holds 2 of its 4 weights).
  assert.equal(g.points[2].y, 0.5);
  assert.deepEqual([g.band.min[2].y, g.band.max[2].y], [0.25, 0.75]);
  assert.deepEqual([g.band.min[0].y, g.band.max[0].y], [0, 0]);
  assert.equal(h.series[1].band, null);
  assert.deepEqual(histogramTable(h.series).rows[2], ['#1–#3 defaults · 3 seeds', '-0.5', '0.5', '0.25', '0.75']);
});

test('total gradient norm: a line per run or seed group, the clip threshold inside the log range, a table per epoch', () => {
  const steps = (gs) => gs.map((g, i) => ({ step: i + 1, gradTotal: g }));
  const plot = (gs) => ({ ...run(0).plot, gradTotal: { points: pts(gs) } });
  const epochs = [row(1, { step: 2 }), row(2, { step: 4 })];
  const wild = run(1, { plot: plot([2, 20, 300]), steps: steps([2, 20, 300]), epochs: [], stopReason: 'diverged', step: 3 });
  const a = run(2, { config: { clip: 1, seed: 1 }, plot: plot([4, 2, 0.5, 3]), steps: steps([4, 2, 0.5, 3]), epochs });
  const b = run(3, { config: { clip: 1, seed: 2 }, plot: plot([6, 4, 1.5, 5]), steps: steps([6, 4, 1.5, 5]), epochs });
  const { lines, range } = gradTotalLines(chartEntries([wild, a, b]));
  assert.deepEqual(lines.map((l) => [l.key, l.clip, Boolean(l.band)]), [['1', null, false], ['2+3', 1, true]], 'the clipped seeds are one group with its threshold');
  assert.deepEqual(lines[0].points.map((p) => p.y), [2, 20, 300], 'every step as it is, unsmoothed');
  assert.deepEqual(lines[1].points.map((p) => p.y), [5, 3, 1, 4], 'the mean of the seeds');
  assert.deepEqual(lines[1].band.min.map((p) => p.y), [4, 2, 0.5, 3]);
  assert.deepEqual([range.log, range.min, range.max, range.floor], [true, 0.1, 1000, null]);
  // A threshold far below every gradient still sets the range, so its line is drawn.
  const low = gradTotalLines(chartEntries([run(4, { config: { clip: 0.001 }, plot: plot([2, 3]) })]));
  assert.equal(low.range.min, 0.001);
  assert.equal(gradTotalLines(chartEntries([run(5)])).lines[0].points.length, 0, 'no step yet: no points');

  const t = tableOf('gradTotal', [wild, a]);
  assert.deepEqual(t.columns, ['run', 'epoch', 'mean ‖g‖ before clipping', 'max ‖g‖', '% of steps with ‖g‖ > clip']);
  assert.deepEqual(t.rows, [['#2 run 2', '1', '3', '4', '100'], ['#2 run 2', '2', '1.75', '3', '50']], 'per epoch from the step records; no epoch of the diverged run');
  assert.deepEqual(tableOf('gradTotal', [run(6, { config: { clip: 0 }, epochs, steps: steps([1, 2, 3, 4]) })]).rows[0], ['#6 run 6', '1', '1.5', '2', ''], 'no share without clipping');
});
