/**
 * throughput.mjs - how the benchmarks measure: samples/s of one epoch's training steps under
 * Node (no evaluation, after a 10-step warm-up), and the median of repetitions.
 */
import { parse } from '../web/lib/config.mjs';
import { drive } from '../web/lib/driver.mjs';

/**
 * Samples/s of the training steps of one epoch of `samples` samples at batch `bs`, and the
 * network's parameter count (when the engine tells it). `config` adds link keys (the network;
 * not n, val, test, ep or bs); `parseLink` is the config module's parse, for an engine of another
 * build that comes with its own (tools/bench.mjs's build before the network-as-data change).
 */
export function nodeMeasure(engine, samples, bs, { config = '', parseLink = parse } = {}) {
  const run = engine.createRun(parseLink(`${config ? `${config}&` : ''}n=${samples}&val=0&test=100&ep=1&bs=${bs}`).config);
  const params = run.net?.params;
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
  return { rate: (steps * bs) / seconds, params };
}

/** Samples/s of the training steps of one epoch of `samples` samples at batch `bs`. */
export const nodeRate = (engine, samples, bs, options) => nodeMeasure(engine, samples, bs, options).rate;

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
