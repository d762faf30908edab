// Seed groups and sweep summaries: bands over seeds, the verdict on two groups, a sweep's rows.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaults } from '../../web/lib/config.mjs';
import { band, bandOf, compareGroups, extremum, groupRuns, summarize } from '../../web/lib/groups.mjs';
import { newHistory } from '../../web/lib/history.mjs';
import { expandSweep, parseSweep } from '../../web/lib/sweep.mjs';

const fake = (config, accs, losses = accs.map(() => 0.5)) => {
  const h = newHistory(1, config);
  h.epochs = accs.map((a, j) => ({ epoch: j + 1, testAcc: a, valLoss: losses[j], trainLoss: losses[j] / 2 }));
  h.stopReason = 'epochs';
  h.epoch = accs.length;
  return h;
};

test('runs that differ only in seed form a group with a band', () => {
  const base = defaults();
  const hs = [fake({ ...base, seed: 1 }, [0.9, 0.95]), fake({ ...base, lr: 0.01 }, [0.5]), fake({ ...base, seed: 2 }, [0.8, 0.97])];
  const groups = groupRuns(hs);
  assert.equal(groups.length, 2);
  assert.deepEqual(groups[0].members, [hs[0], hs[2]]);
  const b = band(groups[0].members, 'testAcc');
  assert.equal(b.length, 2);
  assert.deepEqual([b[0].min, b[0].max, b[1].n], [0.8, 0.9, 2]);
  assert.ok(Math.abs(b[0].mean - 0.85) < 1e-12);
});

test('two groups: overlapping ranges are within the spread, separate ones exceed it', () => {
  const c = defaults();
  const a = [0.95, 0.96, 0.97].map((x) => fake(c, [x]));
  const close = [0.955, 0.965, 0.975].map((x) => fake({ ...c, lr: 0.002 }, [x]));
  const far = [0.90, 0.91, 0.92].map((x) => fake({ ...c, lr: 0.01 }, [x]));
  const same = compareGroups(a, close);
  assert.equal(same.exceeds, false);
  assert.match(same.text, /within the spread between seeds/);
  assert.match(same.text, /96\.00 % on average \(95\.00 % to 97\.00 % over 3 seeds\)/);
  const apart = compareGroups(a, far);
  assert.equal(apart.exceeds, true);
  assert.match(apart.text, /5\.00 points, exceeds the spread/);
  assert.match(compareGroups(a, far, 'valLoss').text, /within/);
});

test('a sweep summary has one row per point, averaged over seeds, and finds where the minimum is', () => {
  const runs = expandSweep(defaults(), parseSweep(['lam=1e-4,1e-3,1e-2'], 2));
  const losses = [0.3, 0.32, 0.2, 0.22, 0.5, 0.52];
  const hs = runs.map((r, i) => fake(r.config, [0.9], [losses[i]]));
  hs[5].stopReason = 'none'; // unfinished: left out
  const rows = summarize(runs, hs);
  assert.equal(rows.length, 3);
  assert.deepEqual(rows.map((r) => r.point.lam), [1e-4, 1e-3, 1e-2]);
  assert.deepEqual(rows.map((r) => r.n), [2, 2, 1]);
  assert.ok(Math.abs(rows[1].finalValLoss.mean - 0.21) < 1e-12);
  assert.deepEqual(extremum(rows, 'finalValLoss'), { index: 1, where: 'inside' });
  assert.deepEqual(extremum(rows, 'finalValLoss', { highest: true }), { index: 2, where: 'last' });
});

test('a band covers only the x range every series reaches, reading the others between their points', () => {
  const b = bandOf([
    [{ x: 1, y: 1 }, { x: 2, y: 3 }, { x: 3, y: 5 }],
    [{ x: 1, y: 2 }, { x: 3, y: 8 }, { x: 4, y: 9 }],
    [{ x: 0, y: 0 }, { x: 1, y: 6 }, { x: 2, y: 4 }, { x: 3, y: 2 }],
  ]);
  assert.deepEqual(b.map((p) => p.x), [1, 2, 3], 'from the latest start to the earliest end');
  assert.deepEqual(b.map((p) => [p.min, p.max]), [[1, 6], [3, 5], [2, 8]], 'the second series is read at x = 2 halfway: 5');
  assert.deepEqual(b.map((p) => p.mean), [3, 4, 5]);
  assert.deepEqual(bandOf([[{ x: 1, y: 1 }], []]), [], 'a series without points: no band yet');
});

test('a group stopped early at different epochs: the band ends where the shortest run ended', () => {
  const base = defaults();
  const b = band([fake({ ...base, seed: 1 }, [0.5, 0.6, 0.7]), fake({ ...base, seed: 2 }, [0.3, 0.4])], 'testAcc');
  assert.deepEqual(b.map((p) => [p.epoch, p.min, p.max]), [[1, 0.3, 0.5], [2, 0.4, 0.6]]);
});
