// Guided experiments quick enough for every test run: each asserts, with a margin and on seeds
// other than the link's own, the effect its text in web/lib/experiments.mjs claims. The numbers
// measured are printed as test diagnostics.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readLink } from '../../web/lib/result-link.mjs';
import { CHARTS, EXPERIMENTS } from '../../web/lib/experiments.mjs';
import { forSeeds, meanGrad } from './harness.mjs';

const CONV1 = 0, FC2 = 3, FC3 = 4;
const pct = (x) => (100 * x).toFixed(2);

test('every experiment has a clean link, its charts from the fixed list, and plain text', () => {
  const ids = new Set();
  for (const e of EXPERIMENTS) {
    assert.ok(!ids.has(e.id), `duplicate id ${e.id}`);
    ids.add(e.id);
    // A sweep experiment's link holds its sweep after a '!' (result-link.mjs reads both parts).
    assert.deepEqual(readLink(e.link).warnings, [], e.id);
    assert.ok(Array.isArray(e.charts) && e.charts.length > 0, `${e.id} names no chart`);
    for (const c of e.charts) assert.ok(CHARTS.includes(c), `${e.id}: unknown chart ${c}`);
    for (const key of ['title', 'text', 'formula']) assert.ok(typeof e[key] === 'string' && e[key].length > 0, `${e.id}.${key}`);
  }
});

test('vanishing: sigmoid with a small initialiser starves conv1 of gradient and learns slowly', async (t) => {
  await forSeeds(t, 'vanishing', ([small, glorot, relu], note) => {
    const ratio = (r) => meanGrad(r.steps.slice(0, 20), CONV1) / meanGrad(r.steps.slice(0, 20), FC3);
    note(`conv1/fc3 gradient ${ratio(small).toExponential(2)} / ${ratio(glorot).toExponential(2)} / ${ratio(relu).toExponential(2)}; ` +
      `test acc ${pct(small.final.testAcc)} / ${pct(glorot.final.testAcc)} / ${pct(relu.final.testAcc)}`);
    assert.ok(ratio(small) < 1e-2, `conv1/fc3 gradient ratio ${ratio(small)}`);
    assert.ok(ratio(glorot) > 2 * ratio(small), `glorot ${ratio(glorot)} vs ${ratio(small)}`);
    assert.ok(ratio(relu) > 0.1, `relu+he ${ratio(relu)}`);
    assert.ok(small.final.testAcc < 0.8 && relu.final.testAcc > 0.9, `test acc ${small.final.testAcc} vs ${relu.final.testAcc}`);
    assert.ok(glorot.final.testAcc > small.final.testAcc + 0.02 && glorot.final.testAcc < 0.87,
      `glorot ${glorot.final.testAcc} vs ${small.final.testAcc}`);
  });
});

test('exploding: a huge learning rate diverges and is stopped with a clear status', async (t) => {
  await forSeeds(t, 'exploding', ([huge, sane], note) => {
    const [first, beforeStop] = [huge.steps[0], huge.steps.at(-2)];
    const peak = Math.max(...huge.steps.slice(0, -1).map((s) => s.loss));
    note(`diverged at step ${huge.steps.at(-1).step}; fc2 weight norm ×${(beforeStop.weightNorm[FC2] / first.weightNorm[FC2]).toFixed(1)}; ` +
      `conv1 gradient ×${(beforeStop.gradNorm[CONV1] / first.gradNorm[CONV1]).toExponential(1)}; highest plotted loss ${peak.toFixed(0)}; ` +
      `bad step loss ${huge.steps.at(-1).loss.toExponential(2)}; lr 0.01 test acc ${pct(sane.final.testAcc)}`);
    assert.equal(huge.final.stopReason, 'diverged');
    assert.match(huge.final.message, /diverged at step \d+ .*loss exceeded 1000.*weights are those before/);
    assert.ok(huge.steps.length <= 15, `stopped after ${huge.steps.length} steps`);
    assert.ok(beforeStop.weightNorm[FC2] > 100 * first.weightNorm[FC2], 'fc2 weight norm grows a hundredfold');
    assert.ok(beforeStop.gradNorm[CONV1] < 1e-6 * first.gradNorm[CONV1], 'saturated tanh starves conv1');
    assert.ok(peak > 300, `the loss climbs to ${peak} before the bad step`);
    assert.ok(huge.steps.at(-1).loss > 1000 && huge.steps.at(-1).step === beforeStop.step + 1, 'the bad step is reported');
    assert.equal(sane.final.stopReason, 'epochs');
    assert.ok(sane.final.testAcc > 0.8, `lr 0.01 reaches ${sane.final.testAcc}`);
  });
});

test('initialisers: zeros do not learn, random learns slower than Glorot and He', async (t) => {
  await forSeeds(t, 'initialisers', ([zeros, random, glorot, he], note) => {
    note(`val loss ${[zeros, random, glorot, he].map((r) => r.last.valLoss.toFixed(3)).join(' / ')}; ` +
      `test acc ${[zeros, random, glorot, he].map((r) => pct(r.final.testAcc)).join(' / ')}`);
    for (let layer = CONV1; layer < FC3; layer++) {
      assert.ok(zeros.steps.every((s) => s.gradNorm[layer] === 0), `zeros: layer ${layer} got a gradient`);
    }
    assert.ok(zeros.final.testAcc < 0.15 && zeros.last.valLoss > 2.29, `zeros reach ${zeros.final.testAcc}, val loss ${zeros.last.valLoss}`);
    assert.ok(random.final.testAcc > 0.8, `random_uniform reaches ${random.final.testAcc}`);
    for (const r of [glorot, he]) {
      assert.ok(r.last.valLoss < random.last.valLoss - 0.08, `${r.config.init} val loss ${r.last.valLoss} vs random ${random.last.valLoss}`);
      assert.ok(r.final.testAcc > random.final.testAcc + 0.02, `${r.config.init} test acc ${r.final.testAcc} vs random ${random.final.testAcc}`);
    }
  });
});

test('standardisation: plain SGD trains faster on standardised inputs', async (t) => {
  await forSeeds(t, 'standardisation', ([raw, std], note) => {
    note(`val loss ${raw.last.valLoss.toFixed(3)} → ${std.last.valLoss.toFixed(3)}, test acc ${pct(raw.final.testAcc)} → ${pct(std.final.testAcc)}`);
    assert.ok(std.last.valLoss < raw.last.valLoss - 0.05, `val loss ${std.last.valLoss} vs ${raw.last.valLoss}`);
    assert.ok(std.final.testAcc > raw.final.testAcc + 0.01, `test acc ${std.final.testAcc} vs ${raw.final.testAcc}`);
  });
});

test('fine-tuning beats training from scratch on 500 samples of the digits 5-9', async (t) => {
  await forSeeds(t, 'fine-tuning', ([tuned, scratch], note) => {
    note(`test acc fine-tuned ${pct(tuned.final.testAcc)}, scratch ${pct(scratch.final.testAcc)}; ` +
      `val loss ${tuned.last.valLoss.toFixed(3)} vs ${scratch.last.valLoss.toFixed(3)}`);
    assert.equal(tuned.final.testCount, 2000);
    assert.ok(tuned.final.testAcc > scratch.final.testAcc + 0.01, `fine-tuned ${tuned.final.testAcc} vs scratch ${scratch.final.testAcc}`);
    assert.ok(tuned.last.valLoss < scratch.last.valLoss, `val loss ${tuned.last.valLoss} vs ${scratch.last.valLoss}`);
    assert.ok(tuned.steps.every((s) => s.gradNorm[CONV1] === 0 && s.gradNorm[1] === 0), 'frozen convs got updates');
  });
});
