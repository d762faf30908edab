// Runs a guided experiment's link headless, exactly as the page would, and summarises each run.
import { parseLink } from '../../web/lib/config.mjs';
import { drive } from '../../web/lib/driver.mjs';
import { EXPERIMENTS } from '../../web/lib/experiments.mjs';
import { newHistory, record } from '../../web/lib/history.mjs';
import { ensureData, loadEngine, readCheckpoint } from '../../tools/engine-node.mjs';

let engine;

/**
 * Every run of experiment `id`: its epochs, steps and final metrics (the core's, as the run ended,
 * and why it ended), and the engine's raw step and epoch events. `seed` overrides the seed of every
 * run of the link (the links use seed 1).
 */
export async function runExperiment(id, { seed } = {}) {
  const experiment = EXPERIMENTS.find((e) => e.id === id);
  if (!experiment) throw new Error(`no experiment ${id}`);
  const { runs, warnings } = parseLink(experiment.link);
  if (warnings.length) throw new Error(`experiment ${id} has a bad link: ${warnings.join('; ')}`);
  engine ??= await loadEngine('simd');
  // The datasets and checkpoints the runs name, each loaded once.
  const checkpoints = new Map();
  for (const config of runs) {
    await ensureData(engine, config.data ?? 'mnist');
    if (config.from !== 'scratch' && !checkpoints.has(config.from)) checkpoints.set(config.from, await readCheckpoint(config.from));
  }
  return runs.map((linked, i) => {
    const config = seed === undefined ? linked : { ...linked, seed };
    const run = engine.createRun(config, { weights: checkpoints.get(config.from) });
    const h = newHistory(i + 1, config);
    // The engine's own step and epoch events too: they carry what the history does not keep
    // (pre-activation percentiles, gradTotal, update ratios, activation means and spreads).
    const [stepEvents, epochEvents] = [[], []];
    drive(run, { budget: { maxMs: 1000 }, onEvents: (events) => {
      record(h, events);
      for (const e of events) (e.type === 'step' ? stepEvents : e.type === 'epoch' ? epochEvents : []).push(e);
    } });
    const final = { ...run.metrics(), message: h.message };
    run.free();
    return { config, steps: h.steps, epochs: h.epochs, final, last: h.epochs.at(-1), stepEvents, epochEvents };
  });
}

/** Mean of one layer's gradient norm over a range of steps. */
export const meanGrad = (steps, layer) => steps.reduce((s, x) => s + x.gradNorm[layer], 0) / steps.length;

/** The seeds the tests use: none is the links' own seed 1, so a claim cannot rest on one draw. */
export const TEST_SEEDS = [2, 3, 4];

/** Runs experiment `id` once per test seed and calls check(runs, note) on each; note() prints. */
export async function forSeeds(t, id, check, seeds = TEST_SEEDS) {
  for (const seed of seeds) {
    const [start, cpu] = [performance.now(), process.cpuUsage()];
    const runs = await runExperiment(id, { seed });
    // CPU time is what the runs cost on an idle core; wall time grows on a busy machine.
    const time = `${((performance.now() - start) / 1000).toFixed(1)} s, ${(process.cpuUsage(cpu).user / 1e6).toFixed(1)} s CPU`;
    check(runs, (msg) => t.diagnostic(`${id} seed ${seed} (${time}): ${msg}`));
  }
}
