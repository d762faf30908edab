// The curve diagnosis (web/lib/diagnosis.mjs) on real short runs made to trigger each rule, and
// on runs that must not trigger it.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { parseLink } from '../../web/lib/config.mjs';
import { drive } from '../../web/lib/driver.mjs';
import { newHistory, record } from '../../web/lib/history.mjs';
import { diagnose, THRESHOLDS } from '../../web/lib/diagnosis.mjs';
import { loadEngineWithData } from '../../tools/engine-node.mjs';

let engine;
before(async () => { engine = await loadEngineWithData(); });

function train(link) {
  const { runs, warnings } = parseLink(link);
  assert.deepEqual(warnings, []);
  const run = engine.createRun(runs[0]);
  const h = newHistory(1, runs[0]);
  drive(run, { budget: { maxMs: 1000 }, onEvents: (events) => record(h, events) });
  run.free();
  return h;
}

const rules = (h) => diagnose(h).map((n) => n.rule);

function assertEvidence(notes) {
  for (const n of notes) {
    assert.ok(n.evidence.length > 20, `${n.rule} has evidence`);
    assert.match(n.evidence, /\d/, `${n.rule}'s evidence holds numbers`);
    assert.ok(['loss', 'activations'].includes(n.chart), `${n.rule} points at a chart`);
  }
}

test('a healthy short run gets no note', () => {
  const h = train('n=2000&val=500&test=100&ep=3');
  assert.deepEqual(diagnose(h), []);
  const t = train('n=2000&val=500&test=100&ep=2&act=tanh');
  assert.deepEqual(diagnose(t), []);
});

test('overfitting: 500 samples for 30 epochs, and not with L2 and dropout', () => {
  const h = train('n=500&val=1000&test=100&ep=30');
  const notes = diagnose(h).filter((n) => n.rule === 'overfitting');
  assert.equal(notes.length, 1, JSON.stringify(h.epochs.map((e) => e.valLoss)));
  assertEvidence(notes);
  const { bestEpoch, rise } = notes[0].data;
  assert.equal(h.epochs[bestEpoch - 1].valLoss, Math.min(...h.epochs.map((e) => e.valLoss)));
  assert.ok(bestEpoch <= 30 - THRESHOLDS.overfitMinEpochsAfter && rise >= THRESHOLDS.overfitRise);
  assert.equal(notes[0].epoch, bestEpoch);
  const r = train('n=500&val=1000&test=100&ep=30&drop1=0.5&drop2=0.5&reg=l2&lam=0.01');
  assert.ok(!rules(r).includes('overfitting'), JSON.stringify(diagnose(r)));
});

test('divergence: tanh, momentum, η = 10', () => {
  const h = train('act=tanh&opt=momentum&lr=10&n=2000&val=0&test=100&ep=1');
  assert.equal(h.stopReason, 'diverged');
  const notes = diagnose(h);
  assert.deepEqual(notes.map((n) => n.rule).filter((r) => r === 'divergence'), ['divergence']);
  assert.ok(!notes.some((n) => n.rule === 'oscillation'));
  assertEvidence(notes);
  assert.equal(notes[0].step, h.steps.at(-1).step);
  assert.match(notes[0].evidence, new RegExp(`step ${h.steps.at(-1).step}\\b`));
});

test('oscillation: plain SGD at η = 0.5 (below divergence), not at η = 0.01', () => {
  const h = train('n=2000&val=500&test=100&ep=3&opt=sgd&lr=0.5');
  assert.notEqual(h.stopReason, 'diverged');
  const notes = diagnose(h).filter((n) => n.rule === 'oscillation');
  assert.equal(notes.length, 1);
  assertEvidence(notes);
  assert.ok(notes[0].data.swing >= THRESHOLDS.oscillationSpread && notes[0].data.progress >= THRESHOLDS.oscillationProgress);
  const ok = train('n=2000&val=500&test=100&ep=3&opt=sgd&lr=0.01');
  assert.ok(!rules(ok).includes('oscillation'), JSON.stringify(diagnose(ok)));
});

test('dead ReLUs: Adam at η = 0.05 kills them; the core counts them', () => {
  const h = train('n=2000&val=500&test=100&ep=3&lr=0.05');
  const notes = diagnose(h).filter((n) => n.rule === 'dead-relu');
  assert.ok(notes.length >= 2, JSON.stringify(h.epochs.at(-1).dead));
  assertEvidence(notes);
  for (const n of notes) assert.ok(n.data.share >= THRESHOLDS.dead && n.data.share === h.epochs.at(-1).dead[['conv1', 'conv2', 'fc1', 'fc2'].indexOf(n.layer)]);
  assert.ok(h.epochs.every((e) => e.saturated.every((x) => x === null)), 'relu has no saturation');
});

test('saturation: sigmoid with Adam at η = 0.1, not tanh at the defaults', () => {
  const h = train('n=2000&val=500&test=100&ep=2&act=sigmoid&lr=0.1');
  const notes = diagnose(h).filter((n) => n.rule === 'saturation');
  assert.ok(notes.length >= 1, JSON.stringify(h.epochs.at(-1).saturated));
  assertEvidence(notes);
  assert.match(notes[0].evidence, /below 0\.01 or above 0\.99/);
  assert.ok(h.epochs.every((e) => e.dead.every((x) => x === null)), 'sigmoid has no dead units');
});

test('no note without its data', () => {
  assert.deepEqual(diagnose(null), []);
  assert.deepEqual(diagnose({ epochs: [], steps: [] }), []);
  assert.deepEqual(diagnose({ epochs: [], steps: [], stopReason: 'diverged' }), []);
  const flat = { config: { lr: 1 }, epochs: [{ epoch: 1, dead: [null, null, null, null], saturated: [NaN, 0.1, null, 0] }],
    steps: Array.from({ length: 10 }, (_, i) => ({ step: i + 1, epoch: 0, loss: i % 2 ? 9 : 1 })) };
  assert.deepEqual(diagnose(flat), []);
});
