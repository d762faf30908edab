// Fashion-MNIST and label noise (make test-experiments): a full-data run's accuracy, test accuracy
// at chance under random labels, and the claims of the random-label and Fashion overfitting
// guided experiments on seeds 1-3, with margins.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse } from '../../web/lib/config.mjs';
import { drive } from '../../web/lib/driver.mjs';
import { newHistory, record } from '../../web/lib/history.mjs';
import { ensureData, loadEngine } from '../../tools/engine-node.mjs';
import { SEEDS, runSeed } from './seeds.mjs';

const pct = (x) => (100 * x).toFixed(1);
// All of Fashion-MNIST's training images for a few epochs: the test asserts at least 88 %.
const FULL_FASHION = 'data=fashion&n=60000&val=0&test=10000&ep=6&std=1';
let engine;

async function train(link) {
  engine ??= await loadEngine('simd');
  const { config } = parse(link);
  await ensureData(engine, config.data);
  const run = engine.createRun(config);
  const h = newHistory(1, config);
  drive(run, { budget: { maxMs: 1000 }, onEvents: (events) => record(h, events) });
  const { testCount } = run.metrics();
  run.free();
  return { epochs: h.epochs, final: { ...h.result, testCount } };
}

test('Fashion-MNIST: 6 epochs on all 60,000 images reach 88 % test accuracy', async () => {
  const { final } = await train(FULL_FASHION);
  assert.equal(final.testCount, 10000);
  assert.ok(final.testAcc >= 0.88, `test accuracy ${pct(final.testAcc)} %`);
});

// One draw of random labels can favour a class by chance, so a single seed may land a few points
// off; the mean over the seeds must be within 2 points of chance, each seed within 3.
for (const data of ['mnist', 'fashion']) {
  test(`${data}: with every training label random (noise 1) test accuracy is within 2 points of chance`, async () => {
    const accs = [];
    for (const seed of SEEDS) {
      const { final } = await train(`data=${data}&noise=1&n=1000&val=0&test=10000&ep=30&seed=${seed}`);
      assert.ok(final.trainAcc > 0.6, `seed ${seed}: memorised only ${pct(final.trainAcc)} %`);
      assert.ok(Math.abs(final.testAcc - 0.1) <= 0.03, `seed ${seed}: test accuracy ${pct(final.testAcc)} %`);
      accs.push(final.testAcc);
    }
    const mean = accs.reduce((a, b) => a + b, 0) / accs.length;
    assert.ok(Math.abs(mean - 0.1) <= 0.02, `mean test accuracy ${pct(mean)} % (${accs.map(pct).join(', ')})`);
  });
}

test('random labels: memorised, test at chance, learnt slower than true labels, slowed by regularisation', async () => {
  const firstAbove = (r, level) => r.epochs.findIndex((e) => e.trainAcc >= level) + 1 || Infinity;
  for (const seed of SEEDS) {
    const [random, clean, l2, dropout] = await runSeed('random-labels', seed);
    const msg = `seed ${seed}: train ${pct(random.final.trainAcc)}, test ${pct(random.final.testAcc)}`;
    assert.ok(random.final.trainAcc > 0.95, msg);
    assert.ok(random.epochs.slice(0, 5).every((e) => e.trainAcc < 0.3), `${msg}: nothing learnt in the first epochs`);
    assert.ok(random.epochs.every((e) => e.testAcc < 0.25), `${msg}: test accuracy rose above 25 %`);
    assert.ok(random.epochs.slice(-10).every((e) => Math.abs(e.testAcc - 0.1) < 0.05), `${msg}: test accuracy left chance in the last epochs`);
    assert.ok(firstAbove(clean, 0.9) <= 5 && firstAbove(random, 0.9) >= 20,
      `seed ${seed}: 90 % at epoch ${firstAbove(clean, 0.9)} with true labels, ${firstAbove(random, 0.9)} with random`);
    assert.ok(clean.final.testAcc > 0.9);
    assert.ok(l2.final.trainAcc < random.final.trainAcc - 0.02, `seed ${seed}: L2 ${pct(l2.final.trainAcc)}`);
    assert.ok(dropout.final.trainAcc < random.final.trainAcc - 0.15, `seed ${seed}: dropout ${pct(dropout.final.trainAcc)}`);
    for (const r of [l2, dropout]) assert.ok(Math.abs(r.final.testAcc - 0.1) < 0.05, `seed ${seed}: regularised test ${pct(r.final.testAcc)}`);
  }
});

test('Fashion overfitting: L2 and dropout lower the final validation loss; test accuracy moves little', async () => {
  const acc = { none: [], l2: [], dropout: [] };
  for (const seed of SEEDS) {
    const [none, l2, dropout] = await runSeed('overfitting-fashion', seed);
    const best = Math.min(...none.epochs.map((e) => e.valLoss));
    assert.ok(none.last.valLoss > best + 0.15 && none.last.valLoss > 0.75, `seed ${seed}: no regulariser ends at ${none.last.valLoss}, best ${best}`);
    assert.ok(none.last.trainLoss < 0.25 * none.last.valLoss, `seed ${seed}: train ${none.last.trainLoss} vs val ${none.last.valLoss}`);
    for (const r of [l2, dropout]) {
      const what = `seed ${seed} ${r.config.reg} drop ${r.config.drop1}`;
      assert.ok(r.last.valLoss < none.last.valLoss - 0.1 && r.last.valLoss < 0.7, `${what}: val loss ${r.last.valLoss} vs ${none.last.valLoss}`);
      assert.ok(Math.abs(r.final.testAcc - none.final.testAcc) < 0.03, `${what}: test ${pct(r.final.testAcc)} vs ${pct(none.final.testAcc)}`);
    }
    acc.none.push(none.final.testAcc), acc.l2.push(l2.final.testAcc), acc.dropout.push(dropout.final.testAcc);
  }
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  assert.ok(mean(acc.dropout) > mean(acc.none), `dropout ${pct(mean(acc.dropout))} vs none ${pct(mean(acc.none))}`);
  assert.ok(mean(acc.l2) < mean(acc.none) + 0.005, `L2 ${pct(mean(acc.l2))} vs none ${pct(mean(acc.none))}`);
});
