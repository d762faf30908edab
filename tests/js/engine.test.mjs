// The wasm engine under Node: bit-identical runs whatever the chunking, one ordered event stream,
// the SIMD build against the build without SIMD, weights in and out, and bad input leaving
// everything as it was.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { LAYER_NAMES, defaults, parse } from '../../web/lib/config.mjs';
import { drive, parseBudget } from '../../web/lib/driver.mjs';
import { LabError } from '../../web/lib/errors.mjs';
import { decodeLenet } from '../../web/lib/safetensors.mjs';
import { loadEngine, loadEngineWithData, readMnist } from '../../tools/engine-node.mjs';

const SMALL = 'n=600&val=200&test=300&ep=2&drop1=0.3&aug=1&reg=l2&lam=0.001&std=1';
let engine;
before(async () => { engine = await loadEngineWithData('simd'); });

/** Trains to the end with the given budget per call; returns every event, step, epoch, the end and the weights. */
function trainAll(eng, hash, budget) {
  const run = eng.createRun(parse(hash).config);
  const events = [];
  drive(run, { budget, onEvents: (chunk) => events.push(...chunk) });
  const of = (type) => events.filter((e) => e.type === type);
  const out = { events, steps: of('step'), epochs: of('epoch'), done: of('done')[0], params: run.params(), metrics: run.metrics() };
  run.free();
  return out;
}

describe('determinism', () => {
  test('the same link gives bit-identical histories whatever the chunk size', () => {
    const one = trainAll(engine, SMALL, { maxUnits: 1 });
    const many = trainAll(engine, SMALL, { maxUnits: 37 });
    const timed = trainAll(engine, SMALL, { maxMs: 3 });
    assert.equal(one.steps.length, 2 * 19);
    assert.equal(one.epochs.length, 2);
    for (const other of [many, timed]) {
      assert.deepEqual(other.events, one.events);
      assert.deepEqual(new Uint32Array(other.params.buffer), new Uint32Array(one.params.buffer));
    }
  });

  test('a fresh engine instance reproduces the same numbers', async () => {
    const other = await loadEngineWithData('simd');
    const a = trainAll(engine, SMALL, { maxUnits: 50 });
    const b = trainAll(other, SMALL, { maxUnits: 50 });
    assert.deepEqual(b.epochs, a.epochs);
  });

  test('changing the seed changes the run', () => {
    const a = trainAll(engine, SMALL, { maxUnits: 100 });
    const b = trainAll(engine, `${SMALL}&seed=2`, { maxUnits: 100 });
    assert.notDeepEqual(b.epochs, a.epochs);
  });
});

test('events come in the order things happened, one stream', () => {
  const { events, done } = trainAll(engine, `${SMALL}&ep=3`, { maxUnits: 7 });
  let epoch = 0, step = 0, evaluating = null;
  for (const e of events.slice(0, -1)) {
    if (e.type === 'step') {
      assert.equal(e.epoch, epoch, `step ${e.step} of epoch ${e.epoch + 1} came before epoch ${epoch}'s end`);
      assert.equal(e.step, ++step);
      assert.equal(evaluating, null, 'a step inside an evaluation');
    } else if (e.type === 'eval') {
      assert.ok(e.done > 0 && e.done <= e.total && ['train', 'val', 'test'].includes(e.split));
      evaluating = e.done === e.total && e.split === 'test' ? 'over' : e.split;
    } else {
      assert.equal(e.type, 'epoch');
      assert.equal(evaluating, 'over', 'an epoch ended before its test evaluation');
      assert.equal(e.epoch, ++epoch);
      assert.equal(e.step, step);
      evaluating = null;
    }
  }
  assert.equal(events.filter((e) => e.type === 'done').length, 1);
  assert.equal(events.at(-1), done);
  assert.equal(done.stopReason, 'epochs');
  assert.equal(done.restoredEpoch, null);
  assert.equal(done.result.testAcc, events.at(-2).testAcc);
});

test('the epoch record carries the aggregates of its own steps', () => {
  const { steps, epochs } = trainAll(engine, SMALL, { maxMs: 5 });
  for (const e of epochs) {
    const own = steps.filter((s) => s.epoch === e.epoch - 1);
    assert.equal(own.length, 19);
    for (let l = 0; l < LAYER_NAMES.length; l++) {
      const mean = own.reduce((a, s) => a + s.gradNorm[l], 0) / own.length;
      assert.equal(e.gradMean[l], Math.fround(mean), `epoch ${e.epoch} ${LAYER_NAMES[l]}`);
      assert.equal(e.gradMax[l], Math.max(...own.map((s) => s.gradNorm[l])));
      assert.equal(e.weightNorm[l], own.at(-1).weightNorm[l]);
    }
    assert.equal(e.meanLoss, Math.fround(own.reduce((a, s) => a + s.loss, 0) / own.length));
  }
});

test('restore-best reports the epoch it restored, after an early stop or the last epoch', () => {
  for (const [hash, stopReason] of [['ep=20&pat=1', 'early'], ['ep=3&pat=10', 'epochs']]) {
    const { epochs, done, params } = trainAll(engine, `n=300&val=300&test=300&es=1&mind=10&${hash}`, { maxUnits: 50 });
    assert.equal(done.stopReason, stopReason);
    assert.equal(done.restoredEpoch, 1);
    assert.equal(done.result.epoch, 1);
    const { type, phase, step, meanLoss, meanAcc, gradMean, gradMax, bestEpoch, ...first } = epochs[0];
    assert.deepEqual({ epoch: done.result.epoch, ...done.result }, { ...first, epoch: 1 });
    assert.notEqual(epochs.at(-1).testLoss, epochs[0].testLoss);
    assert.equal(params.length, 44426);
  }
  const kept = trainAll(engine, 'n=300&val=300&test=300&es=1&mind=10&ep=3&pat=10&best=0', { maxUnits: 50 });
  assert.equal(kept.done.restoredEpoch, null);
  assert.equal(kept.done.result.testLoss, kept.epochs.at(-1).testLoss);
});

test('divergence is a result, not an error', () => {
  const { steps, done } = trainAll(engine, 'n=500&val=0&test=100&ep=3&opt=momentum&lr=10&act=tanh', { maxUnits: 3 });
  assert.equal(done.stopReason, 'diverged');
  assert.match(done.message, /diverged at step \d+/);
  assert.ok(steps.at(-1).loss > 1000);
});

test('errors are LabErrors with a code; constants and layers come from the module', () => {
  assert.deepEqual(engine.describe(defaults()).layers, LAYER_NAMES);
  assert.equal(engine.constants.size['lenet5-params'], 44426);
  const mlp = engine.describe({ ...defaults(), model: 'mlp', depth: 3, width: 100, bn: true });
  assert.deepEqual(mlp.layers, ['fc1', 'fc2', 'fc3', 'fc4']);
  assert.deepEqual(mlp.actLayers, ['fc1', 'fc2', 'fc3']);
  assert.equal(mlp.params, 784 * 100 + 100 + 2 * (100 * 100 + 100) + 100 * 10 + 10 + 3 * 2 * 100);
  assert.equal(mlp.stats, 3 * 2 * 100);
  assert.deepEqual(mlp.tensors.slice(2, 6).map((t) => `${t.name} ${t.kind} ${t.shape}`),
    ['bn1.weight gamma 100', 'bn1.bias beta 100', 'bn1.running_mean mean 100', 'bn1.running_var var 100']);
  assert.equal(engine.constants.event.done, 4);
  const coded = (fn, code) => assert.throws(fn, (e) => e instanceof LabError && e.code === code);
  coded(() => engine.createRun(parse('digits=5&val=20000&n=100').config), 'bad-config');
  coded(() => engine.createRun(parse('from=pretrained').config), 'bad-weights');
  coded(() => engine.setData({ trainImages: new Uint8Array(3), trainLabels: new Uint8Array(3), testImages: new Uint8Array(3), testLabels: new Uint8Array(3) }), 'bad-data');
  const run = engine.createRun(parse('n=100&val=0&test=100&ep=1').config);
  coded(() => run.importSafetensors(new Uint8Array(4)), 'bad-weights');
  coded(() => run.predict(new Float32Array(784).fill(NaN)), 'bad-argument');
  coded(() => parseBudget('7.5'), 'bad-argument');
  assert.deepEqual(parseBudget('50ms'), { maxMs: 50 });
  run.free();
});

test('the SIMD and the scalar builds agree within float tolerance', async () => {
  const scalar = await loadEngineWithData('scalar');
  const hash = 'n=500&val=0&test=200&ep=1&act=tanh';
  const a = trainAll(engine, hash, { maxUnits: 1000 });
  const b = trainAll(scalar, hash, { maxUnits: 1000 });
  assert.equal(a.steps.length, b.steps.length);
  for (let i = 0; i < a.steps.length; i++) {
    assert.ok(Math.abs(a.steps[i].loss - b.steps[i].loss) <= 1e-4 * Math.abs(b.steps[i].loss), `step ${i}`);
  }
  assert.ok(Math.abs(a.metrics.testAcc - b.metrics.testAcc) <= 0.01);
});

describe('weights', () => {
  test('safetensors round trip is bit-exact and carries the link', () => {
    const run = engine.createRun(parse('n=300&val=0&test=100&ep=1').config);
    drive(run, { budget: { maxUnits: 100 } });
    const bytes = run.exportSafetensors();
    const { params, metadata } = decodeLenet(bytes);
    assert.deepEqual(new Uint32Array(params.buffer), new Uint32Array(run.params().buffer));
    assert.match(metadata.config, /^v=1&model=lenet5&.*&act=relu&/);
    const fresh = engine.createRun(parse('n=300&val=0&test=100&ep=1&seed=9').config);
    assert.notDeepEqual(fresh.params(), run.params());
    fresh.importSafetensors(bytes);
    assert.deepEqual(new Uint32Array(fresh.params().buffer), new Uint32Array(run.params().buffer));
    // The same weights on the same test subset score what they scored at the end of training.
    const { testLoss, testAcc } = run.metrics();
    assert.deepEqual(fresh.evaluateTest(), { testLoss, testAcc });
    assert.deepEqual(fresh.testPredictions(), run.testPredictions());
    const started = engine.createRun(parse('n=300&val=0&test=100&ep=1&seed=9').config, { weights: bytes });
    assert.deepEqual(started.params(), run.params());
    run.free(); fresh.free(); started.free();
  });

  test('a corrupt file is rejected with a message and the model is untouched', () => {
    const run = engine.createRun(parse('n=300&val=0&test=100').config);
    const bytes = run.exportSafetensors();
    const before = run.params();
    const cases = {
      truncated: bytes.slice(0, bytes.length - 7),
      'header length': (() => { const b = bytes.slice(); b[0] = 0xff; b[3] = 0x7f; return b; })(),
      'bad json': (() => { const b = bytes.slice(); b[9] = 0x7b; b[10] = 0x7b; return b; })(),
      empty: new Uint8Array(0),
    };
    for (const [name, bad] of Object.entries(cases)) {
      assert.throws(() => run.importSafetensors(bad), /safetensors/, name);
      assert.deepEqual(run.params(), before, name);
    }
    const nan = run.params();
    nan[7] = NaN;
    assert.throws(() => run.setParams(nan), /parameter 7 is not finite/);
    assert.deepEqual(run.params(), before);
    run.free();
  });

  test('fine-tuning re-initialises the head when asked', () => {
    const base = engine.createRun(parse('n=300&val=0&test=100').config);
    const bytes = base.exportSafetensors();
    const tuned = engine.createRun(parse('n=300&val=0&test=100&head=1&from=pretrained').config, { weights: bytes });
    const a = base.params(), b = tuned.params();
    assert.deepEqual(b.subarray(0, 43576), a.subarray(0, 43576), 'everything below fc3 kept');
    assert.notDeepEqual(b.subarray(43576, 44416), a.subarray(43576, 44416), 'fc3 drawn afresh');
    assert.throws(() => engine.createRun(parse('from=pretrained').config), /pretrained weights/);
    base.free(); tuned.free();
  });
});

describe('data', () => {
  test('bad MNIST bytes are rejected by name and the loaded data stays', async () => {
    const eng = await loadEngine('simd');
    const data = await readMnist();
    eng.setData(data);
    const count = eng.trainCount;
    assert.throws(() => eng.setData({ ...data, testImages: data.testImages.subarray(0, 5000) }), /test set: images file: .*truncated/);
    assert.throws(() => eng.setData({ ...data, trainLabels: data.trainImages }), /training set: labels file: magic/);
    assert.equal(eng.trainCount, count);
    const run = eng.createRun(parse('n=200&val=0&test=100&ep=1').config);
    drive(run, { budget: { maxUnits: 100 } });
    assert.ok(run.metrics().testAcc > 0.1);
  });

  test('test predictions, predict and histograms describe the same model', () => {
    const run = engine.createRun(parse('n=1000&val=0&test=500&ep=1').config);
    drive(run, { budget: { maxUnits: 1000 } });
    const { predictions, indices } = run.testPredictions();
    assert.equal(predictions.length, 500);
    let correct = 0;
    for (let i = 0; i < 500; i++) correct += predictions[i] === engine.testLabel(indices[i]);
    assert.ok(Math.abs(correct / 500 - run.metrics().testAcc) < 1e-6, 'accuracy counts these predictions');
    const pixels = new Float32Array(3 * 784);
    for (let k = 0; k < 3; k++) engine.testImage(indices[k]).forEach((p, i) => { pixels[k * 784 + i] = p / 255; });
    const probs = run.predict(pixels);
    for (let k = 0; k < 3; k++) {
      const row = Array.from(probs.subarray(k * 10, k * 10 + 10));
      assert.ok(Math.abs(row.reduce((a, b) => a + b) - 1) < 1e-5);
      assert.equal(row.indexOf(Math.max(...row)), predictions[k]);
    }
    const h = run.histogram(2, 40);
    assert.equal(h.counts.reduce((a, b) => a + b), 30720);
    assert.ok(h.range > 0);
    run.free();
  });
});
