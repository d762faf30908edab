// Saving and restoring a run's whole state through the engine, and branching: "train 10 epochs"
// and "train 5, save, restore into a fresh run, train 5" give the same bits; a branch at epoch k
// has its parent's exact history up to k; bad states are refused and change nothing.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { parse, validate } from '../../web/lib/config.mjs';
import { drive } from '../../web/lib/driver.mjs';
import { branch, forkHistory, stateAtEpoch } from '../../web/lib/branch.mjs';
import { newHistory, record, toJson } from '../../web/lib/history.mjs';
import { loadEngineWithData } from '../../tools/engine-node.mjs';

const BASE = 'n=500&val=200&test=300&ep=10&drop1=0.3&aug=1&reg=l2&lam=0.001';
let engine;
before(async () => { engine = await loadEngineWithData('simd'); });

const bits = (f32) => Array.from(new Uint32Array(f32.buffer));

/** Drives a run until epoch k's event (or the end); returns the events. */
function until(run, k) {
  const events = [];
  for (;;) {
    const { events: chunk, done } = run.advance({ maxUnits: 1 });
    events.push(...chunk);
    if (done || chunk.some((e) => e.type === 'epoch' && e.epoch === k)) return events;
  }
}

function rest(run) {
  const events = [];
  drive(run, { budget: { maxUnits: 50 }, onEvents: (c) => events.push(...c) });
  return events;
}

describe('state', () => {
  test('train 10 epochs = train 5, save, restore into a fresh run, train 5 (every event, final weights)', () => {
    const config = parse(BASE).config;
    const whole = engine.createRun(config);
    const all = rest(whole);
    const first = engine.createRun(config);
    const head = until(first, 5);
    const state = first.saveState();
    first.free();
    const second = engine.createRun(config, { state });
    const tail = rest(second);
    assert.deepEqual([...head, ...tail], all);
    assert.deepEqual(bits(second.params()), bits(whole.params()));
    // Mid-epoch and mid-evaluation too.
    for (const units of [3, 25, 41]) {
      const a = engine.createRun(config);
      const before = [];
      for (let i = 0; i < units; i++) before.push(...a.advance({ maxUnits: 1 }).events);
      const b = engine.createRun(config, { state: a.saveState() });
      assert.deepEqual([...before, ...rest(b)], all, `cut after ${units} units`);
      a.free();
      b.free();
    }
    whole.free();
    second.free();
  });

  test('a bad state is refused with bad-state and the message says why', () => {
    const config = parse(BASE).config;
    const run = engine.createRun(config);
    until(run, 1);
    const state = run.saveState();
    run.free();
    const other = validate({ seed: 7 }, config).config;
    assert.throws(() => engine.createRun(other, { state }), (e) => e.code === 'bad-state' && /seed/.test(e.message));
    assert.throws(() => engine.createRun(config, { state: state.subarray(0, 100) }), (e) => e.code === 'bad-state');
    const flipped = state.slice();
    flipped[0] ^= 1;
    assert.throws(() => engine.createRun(config, { state: flipped }), (e) => e.code === 'bad-state' && /magic/.test(e.message));
    assert.throws(() => engine.createRun(config, { state: [1, 2, 3] }), (e) => e.code === 'bad-state');
  });
});

describe('branching', () => {
  test('a branch at epoch k has its parent\'s exact history up to k, and the same config continues exactly', () => {
    const config = validate({ ep: 4 }, parse(BASE).config).config;
    const run = engine.createRun(config);
    const parent = newHistory(1, config);
    drive(run, { budget: { maxUnits: 50 }, onEvents: (e) => record(parent, e) });
    run.free();
    for (const k of [1, 3, 4]) {
      const child = validate({ lr: 0.003, drop1: 0.5, ep: 6 }, config).config;
      const { run: b, history } = branch(engine, parent, k, child, { id: 2 });
      assert.deepEqual(history.epochs, parent.epochs.slice(0, k));
      assert.deepEqual(history.steps, parent.steps.filter((s) => s.step <= parent.epochs[k - 1].step));
      assert.deepEqual(history.branch, { from: 1, epoch: k });
      drive(b, { budget: { maxUnits: 50 }, onEvents: (e) => record(history, e) });
      assert.equal(history.epochs.length, 6);
      assert.equal(history.stopReason, 'epochs');
      if (k < 4) assert.notDeepEqual(history.epochs[k].trainLoss, parent.epochs[k].trainLoss);
      b.free();
    }
    // The same config from a re-trained state gives the parent's history, byte for byte in the JSON.
    const same = branch(engine, parent, 2, config, { id: 1 });
    drive(same.run, { budget: { maxUnits: 50 }, onEvents: (e) => record(same.history, e) });
    same.run.free();
    assert.equal(toJson([same.history]), toJson([parent]));
  });

  test('the data selection cannot change in a branch', () => {
    const config = validate({ ep: 2 }, parse(BASE).config).config;
    const parent = newHistory(1, config);
    parent.epochs = [{ epoch: 1, step: 16 }];
    assert.throws(() => forkHistory(parent, 1, 2, validate({ n: 600 }, config).config), (e) => e.code === 'bad-config' && /n/.test(e.message));
    assert.throws(() => forkHistory(parent, 2, 2, config), (e) => e.code === 'bad-argument');
    assert.throws(() => stateAtEpoch(engine, config, 3), (e) => e.code === 'bad-argument');
  });
});
