// Networks of any depth in the data layer: the layer names network.mjs gives a config are the
// core's (engine.describe), histories record them, the CSV takes each run's own layers (the union,
// blank where a run lacks one; LeNet-5's header unchanged), result links carry any network's
// per-layer numbers, the Network panel's rows, which settings apply to which model (the core
// refuses the LeNet-only ones elsewhere), and the activation histogram of a run.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { APPLIES_TO, SCHEMA, appliesTo, defaults, parse, toCore, validate } from '../../web/lib/config.mjs';
import { CSV_COLUMNS, csvColumns, newHistory, toCsv, toJson } from '../../web/lib/history.mjs';
import { actLayerNames, layerNames, networkRows, unionNames } from '../../web/lib/network.mjs';
import { compareRuns, decodeResults, encodeResults, readLink, writeLink } from '../../web/lib/result-link.mjs';
import { loadEngineWithData } from '../../tools/engine-node.mjs';
import { trainOne } from '../../tools/train-one.mjs';

let engine;
before(async () => { engine = await loadEngineWithData('simd'); });

const config = (over) => ({ ...defaults(), ...over });
// The cells of a CSV line (RFC 4180 quotes: labels hold commas).
function cells(line) {
  const out = [];
  let i = 0;
  for (;;) {
    const m = /^("(?:[^"]|"")*"|[^,]*)/.exec(line.slice(i));
    out.push(m[1]);
    i += m[1].length;
    if (line[i] !== ',') return out;
    i++;
  }
}
const SHORT = 'n=200&val=100&test=100&ep=2&bs=50';

test('the layer names of a config are the core\'s own', () => {
  const cases = [{}, { bn: true }, { model: 'mlp', depth: 1 }, { model: 'mlp', depth: 30, width: 8 }, { model: 'mlp', depth: 4, skip: true },
    { model: 'cnn', convs: 3 }, { model: 'cnn', convs: 20, ch: 4, skip: true, bn: true }];
  for (const c of cases) {
    const net = engine.describe(config(c));
    assert.deepEqual(layerNames(config(c)), net.layers, JSON.stringify(c));
    assert.deepEqual(actLayerNames(config(c)), net.actLayers, JSON.stringify(c));
  }
  assert.equal(layerNames(config({ model: 'mlp', depth: 30 })).length, 31);
});

test('the Network panel rows: shapes, parameters, the total and the residual adds', () => {
  const lenet = networkRows(engine.describe(config({})));
  assert.equal(lenet.params, 44426);
  assert.equal(lenet.rows.reduce((s, r) => s + r.params, 0), 44426, 'the rows add up to the total');
  assert.deepEqual(lenet.rows.find((r) => r.name === 'conv1'), { name: 'conv1', op: 'conv', shape: '6×24×24', params: 156, skipFrom: null });
  assert.equal(lenet.rows.find((r) => r.name === 'fc1').shape, '120');
  const res = networkRows(engine.describe(config({ model: 'mlp', depth: 4, skip: true })));
  const adds = res.rows.filter((r) => r.op === 'add');
  assert.ok(adds.length >= 1, 'an mlp with skips has residual adds');
  for (const a of adds) assert.match(a.skipFrom, /^(relu|fc)\d+$/, `${a.name} names where its shortcut starts: ${a.skipFrom}`);
  assert.equal(res.rows.reduce((s, r) => s + r.params, 0), res.params);
});

test('the settings that apply to each model; the core refuses the LeNet-only ones and skip elsewhere', () => {
  for (const key of Object.keys(APPLIES_TO)) assert.ok(SCHEMA.some((e) => e.key === key), `${key} is a setting`);
  assert.ok(appliesTo('depth', { model: 'mlp' }) && !appliesTo('depth', { model: 'lenet5' }) && !appliesTo('depth', {}));
  assert.ok(appliesTo('drop2', {}) && !appliesTo('drop2', { model: 'cnn' }));
  assert.ok(appliesTo('lr', { model: 'cnn' }), 'a key not listed applies to every model');
  assert.match(engine.checkCoreConfig(toCore(config({ model: 'mlp', drop2: 0.5 }))), /dropout2/);
  assert.match(engine.checkCoreConfig(toCore(config({ model: 'cnn', freeze: 'conv1' }))), /freez/);
  assert.match(engine.checkCoreConfig(toCore(config({ skip: true }))), /skip/);
  assert.equal(engine.checkCoreConfig(toCore(config({ model: 'mlp', skip: true }))), null);
});

test('LeNet-5\'s CSV header is unchanged; runs of other networks get their own columns', () => {
  assert.equal(CSV_COLUMNS.length, 2 + 13 + 1 + 4 * 5 + 2 * 4);
  assert.deepEqual(csvColumns([newHistory(1, config({}))]), [...CSV_COLUMNS]);
  assert.ok(CSV_COLUMNS.includes('grad_mean_conv1') && CSV_COLUMNS.includes('saturated_fc2'));
  const mlp = parse(`model=mlp&depth=3&${SHORT}`).config;
  const lenet = parse(SHORT).config;
  const a = trainOne(engine, mlp, { budget: { maxUnits: 1000 } });
  a.run.free();
  const b = trainOne(engine, lenet, { budget: { maxUnits: 1000 } });
  b.run.free();
  b.history.id = 2;
  assert.deepEqual(a.history.layers, ['fc1', 'fc2', 'fc3', 'fc4']);
  const lines = toCsv([a.history, b.history]).trimEnd().split('\r\n');
  const head = lines[0].split(',');
  const union = unionNames([a.history.layers, b.history.layers]);
  assert.deepEqual(union, ['fc1', 'fc2', 'fc3', 'fc4', 'conv1', 'conv2']);
  assert.deepEqual(head.filter((c) => c.startsWith('grad_mean_')), union.map((l) => `grad_mean_${l}`));
  assert.deepEqual(head.filter((c) => c.startsWith('dead_')), ['dead_fc1', 'dead_fc2', 'dead_fc3', 'dead_conv1', 'dead_conv2']);
  assert.equal(lines.length, 1 + 2 + 2);
  for (const line of lines.slice(1)) assert.equal(cells(line).length, head.length);
  const cell = (row, col) => cells(lines[row])[head.indexOf(col)];
  // The mlp has no conv1, LeNet-5 no fc4: blank. Both have an fc1 (not the same layer).
  assert.equal(cell(1, 'grad_mean_conv1'), '');
  assert.equal(cell(3, 'grad_mean_fc4'), '');
  assert.equal(Number(cell(1, 'grad_mean_fc4')), a.history.epochs[0].gradMean[3]);
  assert.equal(Number(cell(3, 'grad_mean_conv1')), b.history.epochs[0].gradMean[0]);
  assert.equal(Number(cell(3, 'grad_mean_fc1')), b.history.epochs[0].gradMean[2]);
  assert.equal(Number(cell(1, 'dead_fc3')), a.history.epochs[0].dead[2]);
  // LeNet-5 alone: the LeNet header.
  assert.equal(toCsv([b.history]).split('\r\n')[0], CSV_COLUMNS.join(','));
  // The JSON names each run's layers and keeps the new per-step and per-epoch fields.
  const json = JSON.parse(toJson([a.history]));
  assert.deepEqual(json.runs[0].layers, ['fc1', 'fc2', 'fc3', 'fc4']);
  assert.deepEqual(json.runs[0].actLayers, ['fc1', 'fc2', 'fc3']);
  const step = json.runs[0].steps.at(-1);
  assert.equal(step.updateRatio.length, 4);
  assert.equal(step.preAct.length, 3);
  assert.ok(step.preAct[0] <= step.preAct[1] && step.preAct[1] <= step.preAct[2], 'percentiles in order');
  assert.ok(step.gradTotal > 0);
  const epoch = json.runs[0].epochs.at(-1);
  assert.equal(epoch.actMean.length, 3);
  assert.ok(epoch.actStd.every((s) => s > 0));
});

test('result links carry the per-layer numbers of an mlp and a cnn, and reproduce bit for bit', async () => {
  const configs = [parse(`model=mlp&depth=5&width=16&${SHORT}`).config, validate({ model: 'cnn', convs: 3, ch: 4 }, parse(SHORT).config).config];
  const histories = configs.map((c, i) => {
    const { history, run } = trainOne(engine, c, { budget: { maxUnits: 1000 } });
    run.free();
    history.id = i + 1;
    return history;
  });
  const { link, perLayer } = await encodeResults(histories, writeLink({ configs }));
  assert.ok(perLayer);
  const read = readLink(link);
  const shared = await decodeResults(read.results, read.configs);
  for (const [i, s] of shared.entries()) {
    assert.deepEqual(s.layers, histories[i].layers);
    assert.deepEqual(s.epochs, histories[i].epochs);
    assert.equal(s.epochs[0].gradMean.length, configs[i].model === 'mlp' ? 6 : 4);
    const { history, run } = trainOne(engine, read.configs[i], { budget: { maxUnits: 77 } });
    run.free();
    assert.equal(compareRuns(s, history), null);
  }
});

test('an activation histogram counts every output of the last batch in its range', () => {
  const run = engine.createRun(parse('model=mlp&act=sigmoid&depth=3&width=100&bs=60&n=300&val=0&test=100&ep=1').config);
  run.advance({ maxUnits: 2 });
  for (let i = 0; i < 3; i++) {
    const h = run.actHistogram(i, 25);
    assert.equal(h.counts.length, 25);
    assert.equal(h.counts.reduce((a, b) => a + b, 0), 60 * 100, 'a batch of 60 times 100 units');
    assert.deepEqual([h.lo, h.hi], [0, 1], 'sigmoid outputs lie in [0, 1]');
  }
  assert.throws(() => run.actHistogram(3, 25), /activation layer 3/);
  run.free();
});
