/**
 * throughput.mjs - how the benchmarks measure: samples/s of one epoch's training steps under
 * Node (no evaluation, after a 10-step warm-up), and the median of repetitions.
 */
import { parse } from '../web/lib/config.mjs';
import { drive } from '../web/lib/driver.mjs';

/** Samples/s of the training steps of one epoch of `samples` samples at batch `bs`. */
export function nodeRate(engine, samples, bs) {
  const run = engine.createRun(parse(`n=${samples}&val=0&test=100&ep=1&bs=${bs}`).config);
  run.advance({ maxUnits: 10 });
  let steps = 0;
  const start = performance.now();
  // Unit by unit until the epoch's evaluation begins.
  drive(run, {
    budget: { maxUnits: 1 },
    onEvents: (events) => { steps += events.filter((e) => e.type === 'step').length; },
    until: (events) => events.at(-1).phase !== 'train',
  });
  const seconds = (performance.now() - start) / 1000;
  run.free();
  return (steps * bs) / seconds;
}

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
