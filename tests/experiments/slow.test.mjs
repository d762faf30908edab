// Guided experiments that take a minute or more each (make test-experiments): each asserts, with
// a margin and on seeds other than the link's own, the effect its text in web/lib/experiments.mjs
// claims. The numbers measured are printed as test diagnostics.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { forSeeds, meanGrad } from './harness.mjs';

const CONV1 = 0;
const pct = (x) => (100 * x).toFixed(2);

test('overfitting: L2, dropout and both end with a lower validation loss; test accuracy moves little', async (t) => {
  await forSeeds(t, 'overfitting', ([none, l2, dropout, both], note) => {
    note(`val loss none ${none.last.valLoss.toFixed(3)} (lowest ${minVal(none).toFixed(3)}), ` +
      `L2 ${l2.last.valLoss.toFixed(3)}, dropout ${dropout.last.valLoss.toFixed(3)}, both ${both.last.valLoss.toFixed(3)}; ` +
      `test acc none ${pct(none.final.testAcc)}, L2 ${pct(l2.final.testAcc)}, dropout ${pct(dropout.final.testAcc)}, both ${pct(both.final.testAcc)}`);
    assert.ok(none.last.trainLoss < 0.01, `no regulariser: train loss ${none.last.trainLoss}`);
    assert.ok(none.last.valLoss > minVal(none) + 0.05, 'no regulariser: the validation loss rises after its lowest point');
    for (const r of [l2, dropout, both]) {
      assert.ok(r.last.valLoss < none.last.valLoss - 0.03, `${label(r)}: val loss ${r.last.valLoss} vs ${none.last.valLoss}`);
      assert.ok(Math.abs(r.final.testAcc - none.final.testAcc) < 0.015, `${label(r)}: test acc ${r.final.testAcc} vs ${none.final.testAcc}`);
    }
  });
});

test('L1 raises the fraction of near-zero weights, more with a larger λ', async (t) => {
  await forSeeds(t, 'l1-sparsity', ([none, small, large], note) => {
    note(`sparsity ${pct(none.final.sparsity)} / ${pct(small.final.sparsity)} / ${pct(large.final.sparsity)} %, ` +
      `test acc ${pct(none.final.testAcc)} / ${pct(small.final.testAcc)} / ${pct(large.final.testAcc)}`);
    assert.ok(none.final.sparsity < 0.01, `no regulariser: ${none.final.sparsity}`);
    assert.ok(small.final.sparsity > 0.15, `L1 1e-4: ${small.final.sparsity}`);
    assert.ok(large.final.sparsity > small.final.sparsity + 0.1, `L1 5e-4: ${large.final.sparsity}`);
    assert.ok(Math.abs(small.final.testAcc - none.final.testAcc) < 0.015, `L1 1e-4 test acc ${small.final.testAcc} vs ${none.final.testAcc}`);
    assert.ok(large.final.testAcc > none.final.testAcc - 0.03, `L1 5e-4 test acc ${large.final.testAcc} vs ${none.final.testAcc}`);
  });
});

test('L2 with Adam is not weight decay: L2 pins weights at zero, AdamW does not; both end with a lower validation loss than Adam', async (t) => {
  await forSeeds(t, 'adamw', ([adam, l2, adamw], note) => {
    const conv1 = (r) => r.final.weightNorm[CONV1];
    note(`sparsity ${pct(adam.final.sparsity)} / ${pct(l2.final.sparsity)} / ${pct(adamw.final.sparsity)} %; ` +
      `conv1 norm ${conv1(adam).toFixed(3)} / ${conv1(l2).toFixed(3)} / ${conv1(adamw).toFixed(3)}; ` +
      `val loss ${adam.last.valLoss.toFixed(3)} / ${l2.last.valLoss.toFixed(3)} / ${adamw.last.valLoss.toFixed(3)}; ` +
      `test acc ${pct(adam.final.testAcc)} / ${pct(l2.final.testAcc)} / ${pct(adamw.final.testAcc)}`);
    assert.ok(l2.final.sparsity > 0.15 && adam.final.sparsity < 0.02 && adamw.final.sparsity < 0.03,
      `sparsity adam ${adam.final.sparsity}, adam+L2 ${l2.final.sparsity}, adamw ${adamw.final.sparsity}`);
    assert.ok(conv1(l2) > 0.99 * conv1(adam), `adam+L2 conv1 norm ${conv1(l2)} vs adam ${conv1(adam)}`);
    assert.ok(conv1(adamw) < 0.97 * conv1(adam), `adamw conv1 norm ${conv1(adamw)} vs adam ${conv1(adam)}`);
    assert.ok(adamw.last.valLoss < adam.last.valLoss - 0.02, `val loss adamw ${adamw.last.valLoss} vs adam ${adam.last.valLoss}`);
    assert.ok(l2.last.valLoss < adam.last.valLoss, `val loss adam+L2 ${l2.last.valLoss} vs adam ${adam.last.valLoss}`);
    for (const r of [l2, adamw]) {
      assert.ok(Math.abs(r.final.testAcc - adam.final.testAcc) < 0.015, `test acc ${r.final.testAcc} vs adam ${adam.final.testAcc}`);
    }
  });
});

test('early stopping stops after the best epoch and restores it; the full run ends with a higher validation loss', async (t) => {
  await forSeeds(t, 'early-stopping', ([early, full], note) => {
    const best = minVal(early);
    note(`stopped at epoch ${early.final.epoch} (best ${early.final.bestEpoch}), val loss ${best.toFixed(3)}, ` +
      `test acc ${pct(early.final.testAcc)}; 60 epochs: lowest val loss ${minVal(full).toFixed(3)}, ` +
      `final ${full.last.valLoss.toFixed(3)}, test acc ${pct(full.final.testAcc)}`);
    assert.equal(early.final.stopReason, 'early');
    assert.ok(early.final.epoch <= 30 && early.final.epoch === early.final.bestEpoch + 5, `stopped at ${early.final.epoch}`);
    assert.equal(early.final.valLoss, best, 'final metrics are the best epoch\'s');
    assert.equal(full.final.epoch, 60);
    assert.ok(full.last.valLoss > best + 0.1, `60 epochs end at ${full.last.valLoss}, best was ${best}`);
    assert.ok(full.last.valLoss > minVal(full) + 0.1, 'the full run\'s validation loss rises by 0.1 or more');
    assert.ok(early.final.testAcc < full.final.testAcc + 0.005 && early.final.testAcc > full.final.testAcc - 0.05,
      `test acc early ${early.final.testAcc} vs full ${full.final.testAcc}`);
  });
});

const minVal = (r) => Math.min(...r.epochs.map((e) => e.valLoss));
const label = (r) => JSON.stringify({ reg: r.config.reg, drop1: r.config.drop1 });

test('residual: a 20-conv plain cnn trains worse than an 8-conv one; its residual twin does not', async (t) => {
  await forSeeds(t, 'residual', ([shallow, deep, residual], note) => {
    const runs = [shallow, deep, residual];
    const early = (r) => meanGrad(r.steps.slice(0, 20), CONV1) / meanGrad(r.steps.slice(0, 20), r.steps[0].gradNorm.length - 1);
    note(`training loss by epoch: ${runs.map((r) => r.epochs.map((e) => e.trainLoss.toFixed(3)).join(' / ')).join('; ')}; ` +
      `test acc ${runs.map((r) => pct(r.final.testAcc)).join(' / ')}; conv1/fc gradient in the first 20 steps ` +
      `${runs.map((r) => early(r).toExponential(1)).join(' / ')}`);
    const [s, d, r] = runs.map((x) => x.last.trainLoss);
    assert.ok(d > s + 0.15, `20 plain ${d} vs 8 plain ${s}`);
    assert.ok(d > r + 0.15, `20 plain ${d} vs 20 residual ${r}`);
    assert.ok(r < s + 0.15, `20 residual ${r} vs 8 plain ${s}`);
    assert.ok(deep.final.testAcc < Math.min(shallow.final.testAcc, residual.final.testAcc) - 0.05,
      `test acc ${runs.map((x) => x.final.testAcc)}`);
    assert.ok(early(deep) < early(shallow) / 4 && early(residual) > 1.5 * early(shallow),
      `conv1/fc gradient in the first 20 steps ${runs.map(early)}`);
  });
});
