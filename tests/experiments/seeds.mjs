// Runs a guided experiment's link headless over several seeds, on whichever dataset and checkpoint
// each run names, and summarises each run as harness.mjs does.
import { parseLink } from '../../web/lib/config.mjs';
import { drive } from '../../web/lib/driver.mjs';
import { EXPERIMENTS } from '../../web/lib/experiments.mjs';
import { newHistory, record } from '../../web/lib/history.mjs';
import { ensureData, loadEngine, readCheckpoint } from '../../tools/engine-node.mjs';

let engine;

/** Every run of experiment `id` with the given seed: [{config, epochs, final, last}]. */
export async function runSeed(id, seed) {
  const experiment = EXPERIMENTS.find((e) => e.id === id);
  if (!experiment) throw new Error(`no experiment ${id}`);
  const { runs, warnings } = parseLink(experiment.link);
  if (warnings.length) throw new Error(`experiment ${id} has a bad link: ${warnings.join('; ')}`);
  engine ??= await loadEngine('simd');
  const out = [];
  for (const base of runs) {
    const config = seed === undefined ? base : { ...base, seed };
    await ensureData(engine, config.data);
    const weights = config.from === 'scratch' ? undefined : await readCheckpoint(config.from);
    const run = engine.createRun(config, { weights });
    const h = newHistory(out.length + 1, config);
    drive(run, { budget: { maxMs: 1000 }, onEvents: (events) => record(h, events) });
    const { trainCount, testCount } = run.metrics();
    run.free();
    const final = { ...h.result, epochs: h.epoch, stopReason: h.stopReason, trainCount, testCount };
    out.push({ config, epochs: h.epochs, final, last: h.epochs.at(-1) });
  }
  return out;
}

/** The seeds each claim is checked on: the link's own (1) and two more. */
export const SEEDS = [1, 2, 3];
