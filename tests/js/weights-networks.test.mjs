// Weights files for every family of network: export -> import gives the same parameters, the same
// batch-norm statistics and the same test predictions, and a file made for another network is
// refused with a message naming the difference, leaving the run as it was.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { parse } from '../../web/lib/config.mjs';
import { drive } from '../../web/lib/driver.mjs';
import { LabError } from '../../web/lib/errors.mjs';
import { decodeSafetensors, encodeSafetensors, SafetensorsError } from '../../web/lib/safetensors.mjs';
import { loadEngineWithData } from '../../tools/engine-node.mjs';

const DATA = 'n=300&val=0&test=200&ep=1';
const NETWORKS = {
  lenet5: '',
  'lenet5 bn': 'bn=1',
  mlp: 'model=mlp&depth=2&width=32',
  'mlp bn skip': 'model=mlp&depth=4&width=32&bn=1&skip=1',
  cnn: 'model=cnn&convs=3&ch=4',
  'cnn bn skip': 'model=cnn&convs=6&ch=4&bn=1&skip=1',
};
const configOf = (hash, extra = '') => parse([DATA, hash, extra].filter(Boolean).join('&')).config;
const bits = (f32) => new Uint32Array(f32.buffer, f32.byteOffset, f32.length);

let engine;
before(async () => { engine = await loadEngineWithData('simd'); });

/** A run of that network trained for a few steps, so its weights and statistics are its own. */
function trained(hash, extra) {
  const run = engine.createRun(configOf(hash, extra));
  drive(run, { budget: { maxUnits: 5 } });
  return run;
}

/** Everything about a run that a weights file carries or decides. */
function snapshot(run) {
  run.evaluateTest();
  return { params: bits(run.params()), stats: bits(run.stats()), predictions: run.testPredictions() };
}

describe('every family round-trips', () => {
  for (const [what, hash] of Object.entries(NETWORKS)) {
    test(what, () => {
      const run = trained(hash);
      const net = engine.describe(configOf(hash));
      assert.equal(run.params().length, net.params);
      assert.equal(run.stats().length, net.stats);
      assert.equal(net.stats > 0, hash.includes('bn=1'));
      const bytes = run.exportSafetensors();
      const decoded = decodeSafetensors(bytes, net.tensors);
      assert.deepEqual(decoded.tensors.map((t) => [t.name, t.shape]), net.tensors.map((t) => [t.name, t.shape]), 'the file holds the table, in order');
      const keys = new Set(decoded.metadata.config.split('&'));
      for (const pair of hash.split('&').filter(Boolean)) assert.ok(keys.has(pair), `the link in the metadata has ${pair}`);
      // Trained, the statistics are no longer their initial zeros and ones.
      if (net.stats) assert.ok(run.stats().some((x) => x !== 0 && x !== 1));
      const want = snapshot(run);

      const fresh = engine.createRun(configOf(hash, 'seed=9'));
      assert.notDeepEqual(bits(fresh.params()), want.params);
      fresh.importSafetensors(bytes);
      assert.deepEqual(snapshot(fresh), want);
      const started = engine.createRun(configOf(hash, 'seed=5'), { weights: bytes });
      assert.deepEqual(snapshot(started), want);
      // The file written again holds the same tensors: nothing lost or added on the way.
      const again = decodeSafetensors(started.exportSafetensors(), null).tensors;
      assert.deepEqual(again.map((t) => [t.name, t.shape, bits(t.values)]), decoded.tensors.map((t) => [t.name, t.shape, bits(t.values)]));
      run.free(); fresh.free(); started.free();
    });
  }
});

describe('a file for another network is refused, naming the difference', () => {
  const cases = [
    ['a wider mlp', 'model=mlp&depth=2&width=48', 'model=mlp&depth=2&width=32',
      /the file has fc1\.weight \[48,784\]; this mlp's fc1\.weight is \[32,784\]/],
    ['no batch norm', 'model=mlp&depth=2&width=32', 'model=mlp&depth=2&width=32&bn=1',
      /the file has no bn1\.running_mean: it was saved without batch norm/],
    ['with batch norm', 'bn=1', '', /the file has bn1\.weight, which this lenet5 lacks: it was saved with batch norm/],
    ['LeNet-5 into an mlp', '', 'model=mlp&depth=2&width=32', /the file has conv1\.weight, which this mlp lacks/],
    ['a deeper mlp', 'model=mlp&depth=3&width=32', 'model=mlp&depth=2&width=32', /the file has fc4\.weight, which this mlp lacks/],
    ['a shallower mlp', 'model=mlp&depth=2&width=32', 'model=mlp&depth=3&width=32', /the file has no fc4\.weight, which this mlp has/],
    ['an mlp into a cnn', 'model=mlp&depth=2&width=32', 'model=cnn&convs=3&ch=4', /the file has fc1\.weight, which this cnn lacks/],
    ['a cnn with more channels', 'model=cnn&convs=3&ch=8', 'model=cnn&convs=3&ch=4', /the file has conv1\.weight \[8,1,3,3\]; this cnn's conv1\.weight is \[4,1,3,3\]/],
  ];
  for (const [what, from, into, pattern] of cases) {
    test(what, () => {
      const source = trained(from);
      const bytes = source.exportSafetensors();
      source.free();
      const run = trained(into, 'seed=3');
      const want = snapshot(run);
      assert.throws(() => run.importSafetensors(bytes), (e) => {
        assert.ok(e instanceof LabError && e.code === 'bad-weights', `${e.name}: ${e.message}`);
        assert.match(e.message, /^safetensors: /);
        assert.match(e.message, pattern);
        return true;
      });
      assert.deepEqual(snapshot(run), want, 'the run keeps its weights and statistics');
      assert.throws(() => engine.createRun(configOf(into), { weights: bytes }), pattern);
      run.free();
    });
  }

  test('a negative running variance or a non-finite statistic changes nothing', () => {
    const run = trained('model=mlp&depth=2&width=32&bn=1');
    const { tensors } = run.net;
    const want = snapshot(run);
    const file = (edit) => {
      const params = run.params(), stats = run.stats();
      edit(params, stats);
      return rewrite(tensors, params, stats);
    };
    const bn2var = tensors.find((t) => t.name === 'bn2.running_var');
    const negative = file((p, s) => { s[bn2var.offset + 3] = -0.5; });
    assert.throws(() => run.importSafetensors(negative), /tensor bn2\.running_var holds a negative variance \(-0\.5\) at index 3/);
    const changedParams = file((p, s) => { p[0] += 1; s[bn2var.offset + 3] = -0.5; });
    assert.throws(() => run.importSafetensors(changedParams), /negative variance/);
    assert.deepEqual(snapshot(run), want);
    // setParams checks both buffers before touching either.
    const stats = run.stats();
    stats[bn2var.offset] = -1;
    const params = run.params().map((x) => x + 1);
    assert.throws(() => run.setParams(params, stats), (e) => e instanceof LabError && /bn2\.running_var\[0\] = -1 is not a variance/.test(e.message));
    assert.deepEqual(snapshot(run), want);
    params[5] = NaN;
    assert.throws(() => run.setParams(params, run.stats().map((x) => x + 1)), /parameter 5 is not finite/);
    assert.deepEqual(snapshot(run), want);
    assert.throws(() => run.setParams(run.params(), new Float32Array(3)), /expected \d+ float32 batch-norm statistics/);
    run.free();
  });
});

/** A file of arbitrary values for a tensor table, written without encodeSafetensors's checks. */
function rewrite(tensors, params, stats) {
  const header = {};
  let at = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [at, at + 4 * t.count] };
    at += 4 * t.count;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + at);
  const view = new DataView(out.buffer);
  view.setUint32(0, json.length, true);
  out.set(json, 8);
  let p = 8 + json.length;
  for (const t of tensors) {
    const source = t.kind === 'mean' || t.kind === 'var' ? stats : params;
    for (let i = 0; i < t.count; i++, p += 4) view.setFloat32(p, source[t.offset + i], true);
  }
  return out;
}

test('the decoder alone reads any network and checks the table when given one', () => {
  const net = engine.describe(configOf(NETWORKS['cnn bn skip']));
  const params = new Float32Array(net.params).map((_, i) => (i % 7) / 8 - 0.3);
  const stats = new Float32Array(net.stats).fill(0.25);
  const bytes = encodeSafetensors(net.tensors, { params, stats }, { config: 'model=cnn' });
  const loose = decodeSafetensors(bytes, null);
  assert.equal(loose.tensors.length, net.tensors.length);
  assert.equal(loose.params.length, 0);
  const strict = decodeSafetensors(bytes, net.tensors, { model: 'cnn' });
  assert.deepEqual(bits(strict.params), bits(params));
  assert.deepEqual(bits(strict.stats), bits(stats));
  // Skips add no tensors: the same file fits the plain cnn; one conv fewer does not.
  assert.deepEqual(bits(decodeSafetensors(bytes, engine.describe(configOf('model=cnn&convs=6&ch=4&bn=1')).tensors).params), bits(params));
  const other = engine.describe(configOf('model=cnn&convs=5&ch=4&bn=1&skip=1'));
  assert.throws(() => decodeSafetensors(bytes, other.tensors, { model: 'cnn' }),
    (e) => e instanceof SafetensorsError && /^safetensors: the file has conv6\.weight, which this cnn lacks$/.test(e.message));
  stats[0] = NaN;
  assert.throws(() => encodeSafetensors(net.tensors, { params, stats }), /statistic 0 \(bn1\.running_mean\[0\]\) is NaN/);
  assert.throws(() => encodeSafetensors(net.tensors, { params }), /expected a Float32Array of \d+ batch-norm statistics/);
});
