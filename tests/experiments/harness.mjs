// Runs a guided experiment's link headless, exactly as the page would, and summarises each run.
import { readFile } from 'node:fs/promises';
import { parseLink } from '../../web/lib/config.mjs';
import { drive } from '../../web/lib/driver.mjs';
import { EXPERIMENTS } from '../../web/lib/experiments.mjs';
import { newHistory, record } from '../../web/lib/history.mjs';
import { loadEngineWithData } from '../../tools/engine-node.mjs';

const PRETRAINED = new URL('../../assets/pretrained/lenet5-digits0-4.safetensors', import.meta.url);
let engine;

/** Every run of experiment `id`: its epochs, steps and final result (epochs: how many ran). */
export async function runExperiment(id) {
  const experiment = EXPERIMENTS.find((e) => e.id === id);
  if (!experiment) throw new Error(`no experiment ${id}`);
  const { runs, warnings } = parseLink(experiment.link);
  if (warnings.length) throw new Error(`experiment ${id} has a bad link: ${warnings.join('; ')}`);
  engine ??= await loadEngineWithData('simd');
  const weights = new Uint8Array(await readFile(PRETRAINED));
  return runs.map((config, i) => {
    const run = engine.createRun(config, { weights: config.from === 'pretrained' ? weights : undefined });
    const h = newHistory(i + 1, config);
    drive(run, { budget: { maxMs: 1000 }, onEvents: (events) => record(h, events) });
    const { testCount } = run.metrics();
    run.free();
    const final = { ...h.result, epochs: h.epoch, stopReason: h.stopReason, message: h.message, restoredEpoch: h.restoredEpoch, testCount };
    return { config, steps: h.steps, epochs: h.epochs, final, last: h.epochs.at(-1) };
  });
}

/** Mean of one layer's gradient norm over a range of steps. */
export const meanGrad = (steps, layer) => steps.reduce((s, x) => s + x.gradNorm[layer], 0) / steps.length;
