// Transfer across domains (make test-experiments): each guided experiment's claim, on seeds 1-3,
// with margins. The numbers behind the texts, over six seeds and three target sizes, are in
// README.md's transfer table.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SEEDS, runSeed } from './seeds.mjs';

const pct = (x) => (100 * x).toFixed(1);
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

test('MNIST -> Fashion on 200 samples: frozen digit features beat scratch on every seed; fine-tuning on average', async () => {
  const scratch = [], frozen = [], tuned = [];
  for (const seed of SEEDS) {
    const [s, f, t] = await runSeed('transfer-mnist-fashion', seed);
    assert.equal(s.final.trainCount, 200);
    assert.ok(f.epochs.length === 20 && t.epochs.length === 20);
    assert.ok(f.final.testAcc > s.final.testAcc + 0.005, `seed ${seed}: frozen ${pct(f.final.testAcc)} vs scratch ${pct(s.final.testAcc)}`);
    scratch.push(s.final.testAcc), frozen.push(f.final.testAcc), tuned.push(t.final.testAcc);
  }
  assert.ok(mean(frozen) > mean(scratch) + 0.01, `frozen ${pct(mean(frozen))} vs scratch ${pct(mean(scratch))}`);
  assert.ok(mean(tuned) > mean(scratch) + 0.005, `fine-tuned ${pct(mean(tuned))} vs scratch ${pct(mean(scratch))}`);
  assert.ok(mean(frozen) - mean(scratch) < 0.06, 'the gain is small, as the text says');
});

test('Fashion -> MNIST on 200 samples: transfer does not help, scratch wins on every seed', async () => {
  for (const seed of SEEDS) {
    const [s, f, t] = await runSeed('transfer-fashion-mnist', seed);
    assert.equal(s.config.data, 'mnist');
    assert.ok(s.final.testAcc > f.final.testAcc + 0.005, `seed ${seed}: scratch ${pct(s.final.testAcc)} vs frozen ${pct(f.final.testAcc)}`);
    assert.ok(s.final.testAcc > t.final.testAcc + 0.005, `seed ${seed}: scratch ${pct(s.final.testAcc)} vs fine-tuned ${pct(t.final.testAcc)}`);
  }
});
