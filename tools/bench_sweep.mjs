#!/usr/bin/env node
/**
 * bench_sweep.mjs - a sweep's wall time on one worker thread against one per core: a 6-value λ
 * sweep (2,000 samples, 3 epochs) run by tools/sweep-cli.mjs both ways, checking that both give
 * the same lines.
 */
import { availableParallelism } from 'node:os';
import { parse } from '../web/lib/config.mjs';
import { expandSweep, parseSweep } from '../web/lib/sweep.mjs';
import { runSweep } from './sweep-cli.mjs';

const runs = expandSweep(parse('n=2000&val=500&test=2000&ep=3&reg=l2').config, parseSweep(['lam=log:1e-5..1e-1:6']));
const cores = availableParallelism();
const outputs = [];
for (const jobs of [1, cores]) {
  const lines = [];
  const start = performance.now();
  await runSweep(runs, { jobs: Math.min(jobs, runs.length), weightsFor: () => undefined, write: (l) => lines.push(l) });
  const seconds = (performance.now() - start) / 1000;
  outputs.push(lines.join(''));
  console.log(`sweep of ${runs.length} runs on ${jobs} worker thread${jobs > 1 ? 's' : ''}: ${seconds.toFixed(1)} s`);
}
if (outputs[0] !== outputs[1]) throw new Error('the sweep gave other lines on one worker than on all');
console.log('the same lines either way');
