// The page's session under Node, with a fake worker pool: runs and their states, link ⇄ runs,
// focus, labels, and what Train, Retrain, Compare, Reset and loading weights do.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_RUNS, defaults, parseLink, serialize, serializeLink } from '../../web/lib/config.mjs';
import { createSession } from '../../web/page/session.mjs';
import { heldResult } from '../../web/page/runs.mjs';
import { fakePool } from './fake-pool.mjs';

const TWO = 'n=500&val=100&test=500&ep=2~drop1=0.5';

function open({ workers } = {}) {
  const fake = fakePool({ workers });
  const seen = { links: [], notices: [], results: 0 };
  const session = createSession({
    createPool: fake.create,
    on: {
      link: (text) => seen.links.push(text),
      notice: (kind, title) => seen.notices.push(`${kind}: ${title}`),
      results: () => seen.results++,
    },
  });
  return { session, fake, seen };
}

const tick = () => new Promise((r) => setImmediate(r));
async function settle(session) {
  // Creating a link's runs takes a few turns of the event loop; poll with a deadline.
  const end = Date.now() + 2000;
  while (session.runs.some((r) => r.status === 'creating')) {
    if (Date.now() > end) throw new Error('runs still being created after 2 s');
    await tick();
  }
  await tick();
}

const epoch = (n, testAcc) => ({ epoch: n, step: 16 * n, trainLoss: 1, trainAcc: 0.5, valLoss: 1, valAcc: 0.5, testLoss: 1, testAcc, penalty: 0, sparsity: 0, layerSparsity: [0, 0, 0, 0, 0] });

test('a comparison link waits for the data, then brings its runs, labelled and ready', async () => {
  const { session, fake, seen } = open();
  session.openLink(parseLink(TWO));
  assert.equal(session.runs.length, 0);
  assert.equal(session.link(), serializeLink(parseLink(TWO).runs), 'runs still to come are the experiment');
  assert.equal(session.toolbar().train.enabled, false, 'nothing can train before the data');
  await session.setData({});
  await settle(session);
  assert.deepEqual(session.runs.map((r) => [r.id, r.status, r.label]), [[1, 'paused', 'ep 2, n 500, val 100, test 500'], [2, 'paused', 'drop1 0.5']]);
  assert.equal(session.focusId, 1, 'the first run of a link has the focus');
  assert.deepEqual(session.runs.map((r) => r.worker.name), ['w0', 'w1'], 'runs that may train spread over the workers');
  assert.equal(seen.links.at(-1), session.link());
  assert.equal(session.link(), serializeLink(parseLink(TWO).runs));
  assert.deepEqual(session.toolbar().train, { label: 'Train', enabled: true });
  session.train();
  assert.deepEqual(fake.sent, ['run 1', 'run 2'], 'Train starts every run that has not started');
  assert.equal(fake.hooks.mayTrain(1), true);
  assert.equal(session.runs[0].stepsPerEpoch, 16, 'the worker says how many steps an epoch has');
  fake.progress(1, 'done', { epochs: [epoch(1, 0.5), epoch(2, 0.6)], stopReason: 'epochs' });
  assert.equal(fake.hooks.mayTrain(1), false, 'a finished run no longer counts towards a worker\'s load');
});

test('the toolbar follows the worker: Pause while running, Resume once paused, Retrain when done', async () => {
  const { session, fake } = open();
  await session.setData({});
  await session.train();
  await settle(session);
  const [run] = session.runs;
  assert.deepEqual(fake.sent, ['run 1']);
  assert.equal(run.status, 'paused', 'the status changes when the worker says so');
  fake.progress(1, 'running');
  assert.equal(session.toolbar().train.label, 'Pause');
  assert.equal(session.toolbar().step, false);
  session.train();
  assert.deepEqual(fake.sent, ['run 1', 'pause 1']);
  fake.progress(1, 'paused');
  assert.equal(session.toolbar().train.label, 'Resume');
  assert.equal(session.toolbar().step, true);
  fake.progress(1, 'done', { epochs: [epoch(1, 0.7), epoch(2, 0.4)], stopReason: 'epochs', restoredEpoch: 1 });
  assert.equal(session.toolbar().train.label, 'Retrain');
  assert.equal(heldResult(run).testAcc, 0.7, 'the restored epoch\'s accuracy, from the done event');
  assert.equal(session.snapshot().runs[0].restoredEpoch, 1);

  // Retrain trains a new run with the current settings and keeps the finished one.
  session.setDraft({ ...session.draft, lr: 0.01 });
  await session.train();
  await settle(session);
  assert.deepEqual(session.runs.map((r) => r.id), [1, 2], 'the earlier run stays');
  assert.notEqual(session.runs[1].color, run.color, 'in a colour of its own');
  assert.equal(session.runs[1].config.lr, 0.01);
  assert.equal(session.runs[0].status, 'done');
  assert.deepEqual(fake.freed, [], 'nothing is freed');
  assert.equal(session.focusId, 2, 'the new run takes the focus');
  assert.equal(fake.sent.at(-1), 'run 2');
});

test('Retrain cannot make a run beyond the limit, and never replaces one', async () => {
  const { session, fake } = open({ workers: 4 });
  await session.setData({});
  await session.train();
  for (let i = 1; i < MAX_RUNS; i++) {
    session.setDraft({ ...session.draft, seed: i + 1 });
    await session.compare();
  }
  await settle(session);
  fake.progress(MAX_RUNS, 'done', { epochs: [epoch(1, 0.5)], stopReason: 'epochs' });
  assert.deepEqual(session.toolbar().train, { label: 'Retrain', enabled: false });
  assert.equal(session.train(), null);
  assert.equal(session.runs.length, MAX_RUNS);
});

test('runs can be renamed; the form says whose settings it holds', async () => {
  const { session } = open();
  await session.openLink(parseLink(TWO));
  await session.setData({});
  await settle(session);
  session.rename(2, '  with   dropout ');
  assert.equal(session.runs[1].name, 'with dropout');
  assert.equal(session.snapshot().runs[1].name, 'with dropout');
  assert.equal(session.runs[1].label, 'drop1 0.5', 'the label stays, the name is shown instead');
  session.rename(2, '');
  assert.equal(session.runs[1].name, '', 'an empty name goes back to the label');
  session.rename(99, 'x');
  assert.equal(session.formOwner(), 1, 'the draft is run #1\'s settings');
  session.focus(2);
  assert.equal(session.formOwner(), null, 'run #2 has other settings than the form');
  session.setDraft(session.runs[1].config);
  assert.equal(session.formOwner(), 2);
  session.setDraft({ ...session.draft, lr: 0.5 });
  assert.equal(session.formOwner(), null, 'edited settings are a new run\'s');
});

test('Compare adds runs up to the limit; Reset discards the focused one; the link follows the runs', async () => {
  const { session, seen } = open({ workers: 4 });
  await session.setData({});
  assert.equal(session.toolbar().compare.enabled, false, 'nothing to compare with yet');
  await session.train();
  for (let i = 1; i < MAX_RUNS; i++) {
    session.setDraft({ ...session.draft, seed: i + 1 });
    await session.compare();
  }
  await settle(session);
  assert.equal(session.runs.length, MAX_RUNS);
  assert.deepEqual(session.toolbar().compare, { enabled: false, full: true });
  assert.equal(await session.compare(), null);
  assert.equal(session.focusId, MAX_RUNS, 'a new run takes the focus');
  assert.equal(session.runs[1].label, 'seed 2');
  assert.equal(seen.links.at(-1), serializeLink(session.runs.map((r) => r.config)));

  session.focus(3);
  assert.equal(session.reset().id, 3);
  assert.equal(session.focusId, MAX_RUNS, 'the focus moves to the last run');
  for (const run of session.runs.slice(1)) session.remove(run.id);
  assert.equal(session.runs.length, 1);
  assert.equal(seen.links.at(-1), serialize(session.draft), 'one run: the link holds the form\'s settings');
  assert.equal(session.runs[0].label, 'defaults');
});

test('opening another link stops creating the runs of the one it replaces', async () => {
  const { session } = open();
  await session.setData({});
  const first = session.openLink(parseLink(`${TWO}~seed=3~seed=4`));
  const second = session.openLink(parseLink('lr=0.01~lr=0.1'));
  await Promise.all([first, second]);
  await settle(session);
  assert.deepEqual(session.runs.map((r) => r.config.lr), [0.01, 0.1]);
  assert.equal(session.draft.lr, 0.01);
  assert.equal(session.link(), serializeLink(parseLink('lr=0.01~lr=0.1').runs));
});

test('loaded weights replace the run\'s accuracy until it trains on', async () => {
  const { session, fake, seen } = open();
  fake.answers.import = () => ({ testLoss: 2.3, testAcc: 0.098 });
  await assert.rejects(session.loadWeights(new Uint8Array(8), 'w.safetensors'), { name: 'LabError', code: 'no-data' });
  await session.setData({});
  await session.train();
  await settle(session);
  const [run] = session.runs;
  fake.progress(1, 'done', { epochs: [epoch(1, 0.372)], stopReason: 'epochs' });
  const before = seen.results;
  await session.loadWeights(new Uint8Array(8), 'w.safetensors');
  assert.deepEqual(fake.requests.at(-1), { worker: 'w0', op: 'import', id: 1, bytes: new Uint8Array(8) });
  assert.deepEqual(heldResult(run), { name: 'w.safetensors', epoch: 1, testLoss: 2.3, testAcc: 0.098 });
  assert.ok(seen.results > before, 'the results are asked for again');

  fake.answers.import = () => { throw new Error('not a safetensors file'); };
  await assert.rejects(session.loadWeights(new Uint8Array(8), 'bad'), /not a safetensors file/);
  assert.equal(heldResult(run).testAcc, 0.098, 'a refused file changes nothing');

  // A Retrain starts over from the settings, not from the loaded weights, in a new run.
  await session.train();
  await settle(session);
  assert.equal(session.runs.length, 2);
  assert.equal(heldResult(session.runs[1]), null);
  assert.equal(heldResult(session.runs[0]).testAcc, 0.098, 'the run with the loaded weights stays');
});

test('the link never comes from the address bar: it is the draft, or the runs of a comparison', () => {
  const { session } = open();
  assert.equal(session.link(), serialize(defaults()));
  session.setDraft({ ...defaults(), ep: 3 });
  assert.equal(session.link(), serialize({ ...defaults(), ep: 3 }));
  assert.equal(parseLink(session.link()).runs[0].ep, 3);
});
