// Guided experiments quick enough for every test run: each asserts, with a margin, the effect
// its text in web/experiments.mjs claims.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { meanGrad, runExperiment } from './harness.mjs';

const CONV1 = 0, FC2 = 3, FC3 = 4;

test('vanishing: sigmoid with a small initialiser starves conv1 of gradient', async () => {
  const [small, glorot, relu] = await runExperiment('vanishing');
  const ratio = (r) => meanGrad(r.steps.slice(0, 20), CONV1) / meanGrad(r.steps.slice(0, 20), FC3);
  assert.ok(ratio(small) < 1e-2, `conv1/fc3 gradient ratio ${ratio(small)}`);
  assert.ok(ratio(glorot) > 2 * ratio(small), `glorot ${ratio(glorot)} vs ${ratio(small)}`);
  assert.ok(ratio(relu) > 0.1, `relu+he ${ratio(relu)}`);
});

test('exploding: a huge learning rate diverges and is stopped with a clear status', async () => {
  const [huge, sane] = await runExperiment('exploding');
  assert.equal(huge.final.stopReason, 'diverged');
  assert.match(huge.final.message, /diverged at step \d+ .*loss exceeded 1000.*weights are those before/);
  assert.ok(huge.steps.length < 100, `stopped after ${huge.steps.length} steps`);
  const [first, beforeStop] = [huge.steps[0], huge.steps.at(-2)];
  assert.ok(beforeStop.weightNorm[FC2] > 10 * first.weightNorm[FC2], 'weight norms grow tenfold');
  assert.ok(beforeStop.gradNorm[CONV1] < 1e-2 * first.gradNorm[CONV1], 'saturated tanh starves conv1');
  assert.ok(huge.steps.at(-1).loss > 1000 && huge.steps.at(-1).step === beforeStop.step + 1, 'the bad step is reported');
  assert.equal(sane.final.stopReason, 'epochs');
  assert.ok(sane.final.testAcc > 0.8, `lr 0.01 reaches ${sane.final.testAcc}`);
});

test('initialisers: zeros do not learn, random learns slower than Glorot and He', async () => {
  const [zeros, random, glorot, he] = await runExperiment('initialisers');
  for (let layer = CONV1; layer < FC3; layer++) {
    assert.ok(zeros.steps.every((s) => s.gradNorm[layer] === 0), `zeros: layer ${layer} got a gradient`);
  }
  assert.ok(zeros.final.testAcc < 0.2, `zeros reach ${zeros.final.testAcc}`);
  assert.ok(random.final.testAcc > 0.6, `random_uniform reaches ${random.final.testAcc}`);
  for (const r of [glorot, he]) {
    assert.ok(r.last.trainLoss < random.last.trainLoss, `${r.config.init} loss ${r.last.trainLoss} vs random ${random.last.trainLoss}`);
  }
});

test('standardisation: plain SGD trains faster on standardised inputs', async () => {
  const [raw, std] = await runExperiment('standardisation');
  assert.ok(std.last.trainLoss < 0.8 * raw.last.trainLoss, `train loss ${std.last.trainLoss} vs ${raw.last.trainLoss}`);
});

test('fine-tuning beats training from scratch on 500 samples of the digits 5-9', async () => {
  const [tuned, scratch] = await runExperiment('fine-tuning');
  assert.equal(tuned.final.testCount, 2000);
  assert.ok(tuned.final.testAcc > scratch.final.testAcc + 0.01, `fine-tuned ${tuned.final.testAcc} vs scratch ${scratch.final.testAcc}`);
  assert.ok(tuned.steps.every((s) => s.gradNorm[CONV1] === 0 && s.gradNorm[1] === 0), 'frozen convs got updates');
});
