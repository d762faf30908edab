// The sweep experiments (web/lib/experiments.mjs: lambda-sweep, dropout-sweep, learning-curve,
// is-it-noise), each run headless from its exact link, over several seeds, asserting with margins
// what its text claims. They take minutes: make test-experiments runs them (on every core).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { validate } from '../../web/lib/config.mjs';
import { EXPERIMENTS } from '../../web/lib/experiments.mjs';
import { compareGroups } from '../../web/lib/groups.mjs';
import { readLink } from '../../web/lib/result-link.mjs';
import { expandSweep } from '../../web/lib/sweep.mjs';
import { jobCount, runSweep } from '../../tools/sweep-cli.mjs';

/** The experiment's runs with the base seed moved to `seed`, trained on every core; each run's
 * JSON record (history.mjs's toJson) with its swept point. */
async function sweepRuns(id, seed) {
  const { link } = EXPERIMENTS.find((e) => e.id === id);
  const { base, sweep, warnings } = readLink(link);
  assert.deepEqual(warnings, []);
  const runs = expandSweep(validate({ seed }, base).config, sweep);
  const lines = [];
  await runSweep(runs, { jobs: jobCount(undefined, runs.length), weightsFor: () => undefined, write: (l) => lines.push(l) });
  return lines.map((l, i) => ({ ...JSON.parse(l).runs[0], point: runs[i].point, config: runs[i].config }));
}

const last = (r) => r.epochs.at(-1);
const fmt = (xs) => xs.map((x) => x.toFixed(4)).join(' ');

describe('sweep experiments', () => {
  test('lambda-sweep: the final validation loss is lowest inside the range; λ = 0.1 does not learn', async () => {
    for (const seed of [1, 2, 3]) {
      const runs = await sweepRuns('lambda-sweep', seed);
      const val = runs.map((r) => last(r).valLoss);
      const min = Math.min(...val);
      const at = val.indexOf(min);
      assert.ok(at > 0 && at < val.length - 1, `seed ${seed}: minimum at λ ${runs[at].point.lam} (${fmt(val)})`);
      assert.ok(val[0] > 1.05 * min, `seed ${seed}: λ 1e-5 ends at ${val[0]}, the minimum is ${min}`);
      assert.ok(val.at(-1) > 2.0 && last(runs.at(-1)).testAcc < 0.2, `seed ${seed}: λ 0.1 ends at ${val.at(-1)}`);
      assert.ok(last(runs[0]).trainLoss < 0.01, `seed ${seed}: λ 1e-5 fits its training set (${last(runs[0]).trainLoss})`);
      const acc = runs.slice(0, 3).map((r) => last(r).testAcc);
      assert.ok(Math.max(...acc) - Math.min(...acc) < 0.015, `seed ${seed}: accuracies from 1e-5 to 1e-3 ${acc}`);
    }
  });

  test('dropout-sweep: training loss and the gap move with the rate; moderate rates validate best', async () => {
    for (const seed of [1, 2]) {
      const runs = await sweepRuns('dropout-sweep', seed);
      const train = runs.map((r) => last(r).trainLoss);
      const val = runs.map((r) => last(r).valLoss);
      const gap = val.map((v, i) => v - train[i]);
      assert.ok(train[3] > 2 * train[0] && train[4] > train[3], `seed ${seed}: training losses ${fmt(train)}`);
      assert.ok(gap[4] < 0.6 * gap[0], `seed ${seed}: gaps ${fmt(gap)}`);
      const moderate = Math.min(...val.slice(1, 4));
      assert.ok(moderate < 0.92 * val[0], `seed ${seed}: validation losses ${fmt(val)}`);
      assert.ok(val[4] > moderate, `seed ${seed}: validation losses ${fmt(val)}`);
    }
  });

  test('learning-curve: accuracy rises with n; on 300 samples the sign of dropout\'s effect changes with the seed; within about a point later', async () => {
    const at300 = [];
    for (const seed of [1, 2]) {
      const runs = await sweepRuns('learning-curve', seed);
      const acc = (n, drop1) => last(runs.find((r) => r.point.n === n && r.point.drop1 === drop1)).testAcc;
      for (const d of [0, 0.5]) {
        const curve = [300, 1000, 3000, 10000].map((n) => acc(n, d));
        assert.ok(curve.every((a, i) => i === 0 || a > curve[i - 1] + 0.01), `seed ${seed}, drop1 ${d}: ${curve}`);
      }
      at300.push(acc(300, 0.5) - acc(300, 0));
      for (const n of [1000, 3000, 10000]) {
        assert.ok(Math.abs(acc(n, 0) - acc(n, 0.5)) < 0.015, `seed ${seed}, n ${n}: ${acc(n, 0)} vs ${acc(n, 0.5)}`);
      }
      assert.ok(acc(10000, 0.5) > acc(10000, 0), `seed ${seed}: at 10,000 ${acc(10000, 0.5)} with, ${acc(10000, 0)} without dropout`);
    }
    assert.ok(Math.min(...at300) < -0.01 && Math.max(...at300) > 0.01, `on 300 samples dropout minus none: ${at300}`);
  });

  test('is-it-noise: test accuracies overlap over seeds; He trains to a lower training loss on average', async () => {
    for (const seed of [1, 6]) {
      const runs = await sweepRuns('is-it-noise', seed);
      const glorot = runs.filter((r) => r.point.init === 'glorot_uniform');
      const he = runs.filter((r) => r.point.init === 'he_uniform');
      assert.equal(glorot.length, 5);
      const verdict = compareGroups(glorot, he, 'testAcc');
      assert.equal(verdict.exceeds, false, `seeds ${seed}-${seed + 4}: ${verdict.text}`);
      assert.ok(Math.abs(verdict.difference) < 0.01, verdict.text);
      const mean = (g) => g.reduce((s, r) => s + last(r).trainLoss, 0) / g.length;
      assert.ok(mean(he) < 0.9 * mean(glorot), `seeds ${seed}-${seed + 4}: training loss ${mean(he)} (He) vs ${mean(glorot)}`);
    }
  });
});
