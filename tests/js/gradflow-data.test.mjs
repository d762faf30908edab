// The numbers of the deep-network views (web/lib/gradflow-data.mjs) on real runs: the gradient
// flow of a sigmoid mlp with small weights vanishes towards the input and batch norm lifts it;
// update ratios, activation statistics across depth, the activation histogram as densities, the
// watched layer's percentiles, and tick labels for 31 layers.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { parseLink } from '../../web/lib/config.mjs';
import { activationDepth, activationHistogram, depthLabels, depthSeries, perLayerNow, percentileSeries, RECENT_STEPS,
  tickStep, watchedLayer } from '../../web/lib/gradflow-data.mjs';
import { loadEngineWithData } from '../../tools/engine-node.mjs';
import { trainOne } from '../../tools/train-one.mjs';

const LINK = 'model=mlp&act=sigmoid&depth=3&width=100&bs=60&n=1000&val=200&test=500&ep=2&init=random_normal~bn=1';
let plain, normed, engine;

before(async () => {
  engine = await loadEngineWithData('simd');
  const { runs, warnings } = parseLink(LINK);
  assert.deepEqual(warnings, []);
  [plain, normed] = runs.map((config, i) => {
    const { history, run } = trainOne(engine, config, { budget: { maxUnits: 1000 } });
    run.free();
    return Object.assign(history, { id: i + 1, color: ['#2563eb', '#e11d48'][i], stepsPerEpoch: Math.ceil(1000 / 60) });
  });
});

test('the gradient flow: a point per layer per run, vanishing towards the input without batch norm', () => {
  const data = depthSeries([plain, normed]);
  assert.deepEqual(data.labels, ['fc1', 'fc2', 'fc3', 'fc4']);
  assert.equal(data.series.length, 2);
  for (const s of data.series) {
    assert.deepEqual(s.points.map((p) => p.x), [0, 1, 2, 3]);
    assert.ok(s.points.every((p) => p.v > 0 && p.y >= data.range.min && p.y <= data.range.max), 'inside the shared log range');
  }
  const [a, b] = data.series.map((s) => s.points.map((p) => p.v));
  // Each sigmoid layer passes back at most a quarter of the gradient: fc1's is far below fc4's.
  assert.ok(a[0] < a[3] / 4, `without batch norm fc1 ${a[0]} vs fc4 ${a[3]}`);
  assert.ok(b[0] / b[3] > a[0] / a[3], `batch norm raises fc1's share: ${b[0] / b[3]} vs ${a[0] / a[3]}`);
  // The recent-steps value is the mean of the last RECENT_STEPS step records.
  const last = plain.steps.slice(-RECENT_STEPS);
  const mean = last.reduce((s, r) => s + r.gradNorm[2], 0) / last.length;
  assert.ok(Math.abs(a[2] - mean) < 1e-12 * mean);
  // The epoch view is the last epoch's mean gradient norm.
  assert.deepEqual(perLayerNow(plain, { source: 'epoch' }), plain.epochs.at(-1).gradMean);
  const byEpoch = depthSeries([plain], { source: 'epoch' }).series[0].points.map((p) => p.v);
  assert.deepEqual(byEpoch, plain.epochs.at(-1).gradMean);
});

test('a seed group on the gradient flow: one mean line in a band from its lowest to its highest seed', () => {
  // Two runs that differ only in their seed (their histories are the two real runs' numbers).
  const seeded = (run, id, seed) => ({ ...run, id, config: { ...plain.config, seed } });
  const a = seeded(plain, 7, 1), b = seeded(normed, 8, 2);
  const data = depthSeries([a, b], { source: 'epoch' });
  assert.equal(data.series.length, 1);
  const [s] = data.series;
  assert.ok(s.group && s.band, 'drawn as a group');
  const ga = a.epochs.at(-1).gradMean, gb = b.epochs.at(-1).gradMean;
  s.points.forEach((p, i) => {
    assert.ok(Math.abs(p.v - (ga[i] + gb[i]) / 2) < 1e-12 * p.v, `layer ${i}: the mean of the seeds`);
    assert.equal(s.band.min[i].y, Math.min(ga[i], gb[i]));
    assert.equal(s.band.max[i].y, Math.max(ga[i], gb[i]));
  });
});

test('update ratios per layer are small positive fractions', () => {
  const data = depthSeries([plain, normed], { kind: 'update' });
  for (const s of data.series) {
    assert.equal(s.points.length, 4);
    for (const p of s.points) assert.ok(p.v > 1e-6 && p.v < 1, `${s.name} ${p.layer}: ${p.v}`);
  }
});

test('activation statistics across depth at the latest epoch', () => {
  const data = activationDepth([plain, normed]);
  assert.deepEqual(data.labels, ['fc1', 'fc2', 'fc3']);
  for (const s of data.series) {
    assert.equal(s.epoch, 2);
    assert.equal(s.what, 'saturated', 'sigmoid: the saturated share');
    assert.equal(s.stats.length, 3);
    for (const p of s.stats) {
      assert.ok(p.mean > 0 && p.mean < 1, 'a sigmoid mean lies in (0, 1)');
      assert.ok(p.std > 0 && p.std < 0.5);
    }
    assert.equal(s.share.length, 3);
    assert.ok(s.share.every((p) => p.y >= 0 && p.y <= 100));
  }
  const e = plain.epochs.at(-1);
  assert.deepEqual(data.series[0].stats.map((p) => p.mean), e.actMean);
});

test('the activation histogram is a density: it integrates to 1 over [lo, hi]', () => {
  const run = engine.createRun(parseLink(LINK).runs[0]);
  run.advance({ maxUnits: 3 });
  const hist = run.actHistogram(2, 20);
  run.free();
  const { series, lo, hi } = activationHistogram([{ run: plain, hist }]);
  assert.deepEqual([lo, hi], [0, 1]);
  const width = (hi - lo) / 20;
  const area = series[0].points.reduce((s, p) => s + p.y * width, 0);
  assert.ok(Math.abs(area - 1) < 1e-9, `area ${area}`);
  assert.equal(series[0].total, 6000);
});

test('the watched layer\'s percentiles over training: three ordered lines per run', () => {
  assert.equal(watchedLayer(plain), 'fc3', 'watch 0: the last hidden layer');
  assert.equal(watchedLayer({ ...plain, config: { ...plain.config, watch: 1 } }), 'fc1');
  const series = percentileSeries([plain, normed]);
  assert.equal(series.length, 6);
  for (const run of [plain, normed]) {
    const [p15, p50, p85] = series.filter((s) => s.runId === run.id);
    assert.deepEqual([p15.percentile, p50.percentile, p85.percentile], [15, 50, 85]);
    assert.ok(p50.points.length > 20);
    p50.points.forEach((p, i) => {
      assert.ok(p15.points[i].y <= p.y && p.y <= p85.points[i].y, 'p15 ≤ p50 ≤ p85 at every step');
    });
    assert.ok(Math.abs(p50.points.at(-1).x - run.step / run.stepsPerEpoch) < 1e-9, 'x in epochs');
  }
});

test('tick labels for deep and mixed networks', () => {
  assert.equal(tickStep(4), 1);
  assert.equal(tickStep(24), 1);
  assert.equal(tickStep(31), 2);
  assert.deepEqual(depthLabels([['conv1', 'conv2', 'fc1'], ['fc1', 'fc2']]), ['conv1/fc1', 'conv2/fc2', 'fc1']);
  assert.equal(depthLabels([Array.from({ length: 31 }, (_, i) => `fc${i + 1}`)]).at(-1), 'fc31');
});
