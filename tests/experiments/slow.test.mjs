// Guided experiments that take a minute or more each (make test-experiments): each asserts, with
// a margin, the effect its text in web/experiments.mjs claims.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runExperiment } from './harness.mjs';

const gap = (r) => r.last.valLoss - r.last.trainLoss;

test('overfitting: L2 and dropout narrow the train-validation gap on 1,000 samples', async () => {
  const [none, l2, dropout, both] = await runExperiment('overfitting');
  assert.ok(none.last.trainLoss < 0.01 && gap(none) > 0.15, `no regulariser: train ${none.last.trainLoss}, gap ${gap(none)}`);
  for (const r of [l2, dropout, both]) {
    assert.ok(gap(r) < 0.85 * gap(none), `${JSON.stringify({ reg: r.config.reg, drop1: r.config.drop1 })}: gap ${gap(r)} vs ${gap(none)}`);
  }
});

test('L1 raises the fraction of near-zero weights', async () => {
  const [none, small, large] = await runExperiment('l1-sparsity');
  assert.ok(none.final.sparsity < 0.02, `no regulariser: ${none.final.sparsity}`);
  assert.ok(small.final.sparsity > 0.15, `L1 1e-4: ${small.final.sparsity}`);
  assert.ok(large.final.sparsity > small.final.sparsity + 0.1, `L1 5e-4: ${large.final.sparsity}`);
});

test('early stopping stops after the best epoch and restores it', async () => {
  const [early, full] = await runExperiment('early-stopping');
  assert.equal(early.final.stopReason, 'early');
  assert.ok(early.final.epochs < 40 && early.final.epochs === early.final.restoredEpoch + 3);
  assert.equal(early.final.epoch, early.final.restoredEpoch);
  const best = Math.min(...early.epochs.map((e) => e.valLoss));
  assert.equal(early.final.valLoss, best, 'final metrics are the best epoch\'s');
  assert.equal(full.final.epochs, 40);
  assert.ok(full.last.valLoss > best + 0.02, `40 epochs end at ${full.last.valLoss}, best was ${best}`);
});
