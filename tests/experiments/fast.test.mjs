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

// The spread (largest minus smallest) of one pre-activation percentile over the steps after the first k.
const preRange = (r, i, k = 50) => {
  const v = r.stepEvents.slice(k).map((s) => s.preAct[i]);
  return Math.max(...v) - Math.min(...v);
};

test('batch-norm: with batch norm the sigmoid net learns far faster and its pre-activations stay put', async (t) => {
  await forSeeds(t, 'batch-norm', ([plain, bn], note) => {
    const acc = (r) => r.epochs.map((e) => pct(e.testAcc)).join(' / ');
    note(`test acc by epoch: plain ${acc(plain)}; bn ${acc(bn)} (bn batch acc epoch 1 ${pct(bn.epochs[0].meanAcc)}); ` +
      `val loss ${plain.last.valLoss.toFixed(3)} vs ${bn.last.valLoss.toFixed(3)}; after step 50, range of p50 ` +
      `${preRange(plain, 1).toFixed(3)} vs ${preRange(bn, 1).toFixed(3)}, of p85 ${preRange(plain, 2).toFixed(3)} vs ${preRange(bn, 2).toFixed(3)}; ` +
      `bn p50 at most ${Math.max(...bn.stepEvents.map((s) => Math.abs(s.preAct[1]))).toFixed(3)} from 0`);
    assert.ok(plain.epochs[0].testAcc < 0.35, `plain epoch 1 test acc ${plain.epochs[0].testAcc}`);
    assert.ok(bn.epochs[0].meanAcc > 0.75, `bn epoch 1 batch acc ${bn.epochs[0].meanAcc}`);
    assert.ok(bn.final.testAcc > 0.83 && bn.final.testAcc > plain.final.testAcc + 0.06, `test acc bn ${bn.final.testAcc} vs ${plain.final.testAcc}`);
    assert.ok(bn.last.valLoss < plain.last.valLoss - 0.2, `val loss bn ${bn.last.valLoss} vs ${plain.last.valLoss}`);
    // The median: wanders without batch norm, stays near 0 with it.
    assert.ok(preRange(bn, 1) < 0.15 && preRange(plain, 1) > 2.5 * preRange(bn, 1), `p50 range ${preRange(plain, 1)} vs ${preRange(bn, 1)}`);
    assert.ok(bn.stepEvents.every((s) => Math.abs(s.preAct[1]) < 0.15), 'bn p50 stays near 0');
    assert.ok(preRange(plain, 2) > 0.7 && preRange(bn, 2) < 0.5, `p85 range ${preRange(plain, 2)} vs ${preRange(bn, 2)}`);
  });
});

test('glorot-init: the naive initialiser shrinks activations and gradients towards the input; Glorot keeps them level', async (t) => {
  await forSeeds(t, 'glorot-init', ([naive, glorot], note) => {
    const first = (r) => r.epochEvents.map((e) => (e.gradMean[0] / e.gradMean.at(-1)).toFixed(3)).join(' / ');
    const hidden = (e) => e.gradMean.slice(1);
    const level = (e) => Math.max(...hidden(e)) / Math.min(...hidden(e));
    const std = (r) => r.epochEvents[0].actStd.map((x) => x.toFixed(2)).join(' ');
    const sat = (r) => Math.max(...r.epochEvents.flatMap((e) => e.saturated));
    note(`fc1/fc9 gradient by epoch: naive ${first(naive)}, glorot ${first(glorot)}; glorot fc2..fc9 spread ` +
      `×${Math.max(...glorot.epochEvents.map(level)).toFixed(2)}; act std epoch 1: naive ${std(naive)}; glorot ${std(glorot)}; ` +
      `saturated at most ${pct(sat(naive))} / ${pct(sat(glorot))} %; test acc ${pct(naive.final.testAcc)} vs ${pct(glorot.final.testAcc)}`);
    for (const e of naive.epochEvents) assert.ok(e.gradMean[0] < 0.15 * e.gradMean.at(-1), `naive fc1/fc9 ${e.gradMean[0] / e.gradMean.at(-1)}`);
    for (const e of glorot.epochEvents) {
      assert.ok(e.gradMean[0] > 2 * e.gradMean.at(-1), `glorot fc1/fc9 ${e.gradMean[0] / e.gradMean.at(-1)}`);
      assert.ok(level(e) < 3, `glorot fc2..fc9 gradients within ×${level(e)}`);
    }
    const [ns, gs] = [naive.epochEvents[0].actStd, glorot.epochEvents[0].actStd];
    assert.ok(ns.at(-1) < 0.05 * ns[0], `naive act std ${ns[0]} → ${ns.at(-1)}`);
    assert.ok(Math.min(...gs) > 0.6 * Math.max(...gs), `glorot act std ${gs}`);
    assert.ok(sat(naive) < 0.01 && sat(glorot) < 0.01, `saturated ${sat(naive)} / ${sat(glorot)}`);
    assert.ok(naive.final.testAcc < 0.15, `naive test acc ${naive.final.testAcc}`);
    assert.ok(glorot.final.testAcc > 0.65, `glorot test acc ${glorot.final.testAcc}`);
  });
});

test('clipping: SGD with η = 1 diverges within a few steps; clipped at 1 it trains', async (t) => {
  await forSeeds(t, 'clipping', ([wild, clipped], note) => {
    const g = wild.stepEvents.map((s) => s.gradTotal);
    const clippedShare = clipped.stepEvents.filter((s) => s.gradTotal > 1).length / clipped.stepEvents.length;
    const maxLoss = Math.max(...clipped.stepEvents.map((s) => s.loss));
    note(`unclipped: ${wild.final.stopReason} at step ${wild.stepEvents.length}, ‖g‖ ${g.map((x) => x.toPrecision(3)).join(' → ')}, ` +
      `loss ${wild.stepEvents.map((s) => s.loss.toPrecision(3)).join(' → ')}; clipped: ${clipped.final.stopReason}, ` +
      `‖g‖ > 1 on ${pct(clippedShare)} % of steps, highest batch loss ${maxLoss.toFixed(2)}, test acc ${pct(clipped.final.testAcc)}, ` +
      `val loss ${clipped.last.valLoss.toFixed(3)}`);
    assert.equal(wild.final.stopReason, 'diverged');
    assert.ok(wild.stepEvents.length <= 10, `diverged after ${wild.stepEvents.length} steps`);
    assert.ok(Math.max(...g) > 10 * g[0], `‖g‖ ${g}`);
    assert.equal(clipped.final.stopReason, 'epochs');
    assert.ok(clipped.final.testAcc > 0.75, `clipped test acc ${clipped.final.testAcc}`);
    assert.ok(clippedShare > 0.8, `clipped on ${clippedShare} of steps`);
    assert.ok(maxLoss < 50, `clipped highest batch loss ${maxLoss}`);
  });
});
