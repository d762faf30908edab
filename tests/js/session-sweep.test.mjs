// The page's session with sweeps and shared results, under Node with a fake worker pool: a sweep
// opens all its runs and starts them over every worker, its link holds the sweep; a link with
// results shows them without training, Reproduce trains every run and marks it reproduced or
// names where it differs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse } from '../../web/lib/config.mjs';
import { decodeResults, encodeResults, readLink } from '../../web/lib/result-link.mjs';
import { parseSweep } from '../../web/lib/sweep.mjs';
import { createSession } from '../../web/page/session.mjs';
import { fakePool } from './fake-pool.mjs';

// Every number the engine reports is a float32.
const f32 = (o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, typeof v === 'number' && !['epoch', 'step'].includes(k) ? Math.fround(v) : Array.isArray(v) ? v.map(Math.fround) : v]));
const row = (n, valLoss) => f32({ epoch: n, step: 16 * n, trainLoss: 0.5, trainAcc: 0.9, valLoss, valAcc: 0.8, testLoss: 0.6, testAcc: 0.85,
  penalty: 0.01, sparsity: 0, meanLoss: 0.6, meanAcc: 0.8, bestEpoch: null, gradMean: [1, 1, 1, 1, 1], gradMax: [2, 2, 2, 2, 2],
  weightNorm: [3, 3, 3, 3, 3], layerSparsity: [0, 0, 0, 0, 0] });

async function settle(session) {
  const end = Date.now() + 3000;
  while (session.runs.some((r) => r.status === 'creating') || session.runs.length === 0) {
    if (Date.now() > end) throw new Error('runs still being created');
    await new Promise((r) => setImmediate(r));
  }
  await new Promise((r) => setImmediate(r));
}

test('a 6-value sweep opens 6 runs on every worker, starts them all, and its link is the sweep', async () => {
  const fake = fakePool({ workers: 2 });
  const session = createSession({ createPool: fake.create });
  await session.setData({});
  const base = parse('n=500&val=100&test=500&ep=1&reg=l2').config;
  await session.openSweep(base, parseSweep(['lam=log:1e-5..1e-1:6']));
  await settle(session);
  assert.equal(session.runs.length, 6);
  assert.deepEqual(fake.sentTo.map((s) => s.split(' ')[0]), Array(6).fill('run'));
  assert.deepEqual(new Set(fake.sentTo.map((s) => s.split(' ')[2])), new Set(['w0', 'w1']), 'both workers train');
  assert.match(session.link(), /!sw=lam%3Dlog%3A1e-5\.\.1e-1%3A6$/);
  const back = readLink(session.link());
  assert.deepEqual(back.configs, session.runs.map((r) => r.config));
  assert.equal(session.sweep.runs.length, 6);
  await assert.rejects(session.linkWithResults(), (e) => e.code === 'state');
  session.runs.forEach((r, i) => fake.progress(r.id, 'done', { epochs: [row(1, 0.3 + i / 100)], stopReason: 'epochs' }));
  const link = await session.linkWithResults('http://127.0.0.1/');
  assert.match(link, /^http:\/\/127\.0\.0\.1\/#v=1&.*!sw=.*&r=[A-Za-z0-9_-]+$/);
  // Removing a run leaves a plain comparison.
  session.remove(session.runs[0].id);
  assert.doesNotMatch(session.link(), /!/);
});

test('a link with results shows them at once; Reproduce trains each and compares', async () => {
  const fake = fakePool({ workers: 2 });
  const session = createSession({ createPool: fake.create });
  await session.setData({});
  const base = parse('n=500&val=100&test=500&ep=2').config;
  await session.openSweep(base, parseSweep(['drop1=0,0.5']));
  await settle(session);
  session.runs.forEach((r) => fake.progress(r.id, 'done', { epochs: [row(1, 0.4), row(2, 0.35)], stopReason: 'epochs' }));
  const link = await session.linkWithResults();
  const read = readLink(link);
  const shared = await decodeResults(read.results, read.configs);
  const other = createSession({ createPool: fakePool({ workers: 2 }).create });
  const pool2 = fakePool({ workers: 2 });
  const s2 = createSession({ createPool: pool2.create });
  await s2.setData({});
  await s2.openLink({ runs: read.configs, base: read.base, sweep: read.sweep, shared });
  await settle(s2);
  assert.equal(s2.runs.length, 2);
  assert.deepEqual(s2.runs.map((r) => [r.reproduction, r.epochs.length, r.status]), [['shared result', 2, 'paused'], ['shared result', 2, 'paused']]);
  assert.equal(pool2.sent.length, 0, 'nothing trains');
  assert.equal(s2.toolbar().reproduce, true);
  s2.reproduce();
  assert.equal(pool2.sent.length, 2);
  assert.deepEqual(s2.runs.map((r) => r.epochs.length), [0, 0], 'the shared curves make way for the new ones');
  pool2.progress(s2.runs[0].id, 'done', { epochs: [row(1, 0.4), row(2, 0.35)], stopReason: 'epochs' });
  pool2.progress(s2.runs[1].id, 'done', { epochs: [row(1, 0.4), row(2, 0.36)], stopReason: 'epochs' });
  assert.deepEqual(s2.snapshot().runs.map((r) => [r.reproduced, r.reproduction]),
    [[true, 'reproduced bit for bit'], [false, 'differs from epoch 2 on (valLoss: shared 0.35, retrained 0.36)']]);
  assert.equal(s2.toolbar().reproduce, false);
  void other;
});

test('results over the size limit are refused with a message', async () => {
  const hs = Array.from({ length: 8 }, (_, i) => ({ id: i + 1, config: parse('ep=200').config, stopReason: 'epochs', restoredEpoch: null, samples: null, message: null,
    epochs: Array.from({ length: 200 }, (_, j) => ({ ...row(j + 1, Math.fround(Math.random())), trainLoss: Math.fround(Math.random()), testLoss: Math.fround(Math.random()) })) }));
  await assert.rejects(encodeResults(hs, 'v=1'), (e) => e.code === 'too-large' && /do not fit in a link of 32768 characters/.test(e.message));
});

test('forking the focused run at epoch k: the child shares its history up to k and is created from that epoch', async () => {
  const fake = fakePool({ workers: 2 });
  const created = [];
  const base = fake.create;
  fake.create = (hooks) => {
    const pool = base(hooks);
    return { ...pool, create: (id, config, options) => { created.push(options); return pool.create(id, config, options); } };
  };
  const session = createSession({ createPool: fake.create });
  await session.setData({});
  session.setDraft(parse('n=500&val=100&test=500&ep=3').config);
  await session.train();
  await settle(session);
  const [parent] = session.runs;
  fake.progress(parent.id, 'done', { epochs: [row(1, 0.5), row(2, 0.4), row(3, 0.45)], stopReason: 'epochs' });
  session.setDraft(parse('n=500&val=100&test=500&ep=5&lr=0.0005').config);
  await session.fork(2);
  const child = session.runs[1];
  assert.deepEqual(child.epochs, parent.epochs.slice(0, 2));
  assert.deepEqual(child.branch, { from: parent.id, epoch: 2 });
  assert.equal(child.config.lr, 0.0005);
  assert.deepEqual(created[1], { branch: { config: parent.config, epoch: 2 } });
  session.focus(parent.id);
  session.setDraft(parse('n=600&val=100&test=500&ep=5').config);
  assert.throws(() => session.fork(1), (e) => e.code === 'bad-config' && /n/.test(e.message));
  assert.throws(() => session.fork(4), (e) => e.code === 'bad-argument');
});
