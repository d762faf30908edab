// Predict, then run (web/lib/predict.mjs): the answer comes from the runs' results.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLink } from '../../web/lib/config.mjs';
import { drive } from '../../web/lib/driver.mjs';
import { EXPERIMENTS } from '../../web/lib/experiments.mjs';
import { newHistory, record } from '../../web/lib/history.mjs';
import { CRITERIA, answer, checkPredict, isRight } from '../../web/lib/predict.mjs';
import { loadEngineWithData } from '../../tools/engine-node.mjs';

test('every predict field fits its experiment', () => {
  const withPredict = EXPERIMENTS.filter((e) => e.predict);
  assert.ok(withPredict.length >= 3);
  for (const e of withPredict) assert.deepEqual(checkPredict(e.predict, parseLink(e.link).runs.length), [], e.id);
});

const run = (result, stopReason = 'epochs') => ({ stopReason, result, epochs: [], steps: [] });

test('each criterion picks the run its results say, ties included', () => {
  const p = (criterion, n = 3) => ({ question: 'q', criterion, choices: Array.from({ length: n }, (_, i) => `run ${i}`) });
  const hs = [run({ valLoss: 0.3, trainLoss: 0.1, testAcc: 0.9, sparsity: 0.1 }), run({ valLoss: 0.2, trainLoss: 0.15, testAcc: 0.95, sparsity: 0.4 }),
    run({ valLoss: 0.25, trainLoss: 0.2, testAcc: 0.95, sparsity: 0.2 })];
  assert.deepEqual(answer(p('lowest-val-loss'), hs).answers, [1]);
  assert.deepEqual(answer(p('lowest-train-loss'), hs).answers, [0]);
  assert.deepEqual(answer(p('highest-test-acc'), hs).answers, [1, 2]);
  assert.deepEqual(answer(p('smallest-gap'), [run({ valLoss: 0.5, trainLoss: 0.1 }), run({ valLoss: 0.3, trainLoss: 0.2 }), run({ valLoss: 0.9, trainLoss: 0.1 })]).answers, [1]);
  assert.deepEqual(answer(p('highest-sparsity'), hs).answers, [1]);
  // the same question with other results gives another answer: nothing is written down in advance
  hs[0].result.valLoss = 0.1;
  assert.deepEqual(answer(p('lowest-val-loss'), hs).answers, [0]);
  assert.match(answer(p('lowest-val-loss'), hs).text, /run 0 had the lowest final validation loss \(0\.100\)/);
  const d = answer(p('diverges', 2), [run(null, 'diverged'), run({ valLoss: 1 })]);
  assert.deepEqual(d.answers, [0]);
  assert.ok(isRight(d, 0) && !isRight(d, 1));
  // not yet finished, or a wrong number of runs: no answer
  assert.equal(answer(p('lowest-val-loss'), [run({}, 'none'), hs[1], hs[2]]), null);
  assert.equal(answer(p('lowest-val-loss'), hs.slice(0, 2)), null);
  assert.equal(answer({ criterion: 'nope', choices: ['a'] }, [hs[0]]), null);
  assert.ok(Object.keys(CRITERIA).length >= 5);
});

test('the exploding experiment, run for real: the answer is the run that diverged', async () => {
  const engine = await loadEngineWithData();
  const e = EXPERIMENTS.find((x) => x.id === 'exploding');
  const hs = parseLink(e.link.replace('ep=3', 'ep=1')).runs.map((config, i) => {
    const r = engine.createRun(config);
    const h = newHistory(i + 1, config);
    drive(r, { budget: { maxMs: 1000 }, onEvents: (events) => record(h, events) });
    r.free();
    return h;
  });
  const result = answer(e.predict, hs);
  assert.deepEqual(result.answers, hs.flatMap((h, i) => (h.stopReason === 'diverged' ? [i] : [])));
  assert.deepEqual(result.answers, [0]);
  assert.equal(result.text, 'η = 10 diverged.');
});
