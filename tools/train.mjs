#!/usr/bin/env node
/**
 * train.mjs - LeNet Lab's headless trainer: the same experiment as the page, from a link or a
 * hash, on real MNIST under Node. Exit codes: 0 done, 2 bad arguments or input, 3 diverged.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { parse, SCHEMA, validate } from '../web/lib/config.mjs';
import { drive, parseBudget } from '../web/lib/driver.mjs';
import { LabError } from '../web/lib/errors.mjs';
import { finalResult, labelRuns, newHistory, record, toCsv, toJson } from '../web/lib/history.mjs';
import { loadEngineWithData } from './engine-node.mjs';

const PRETRAINED = new URL('../assets/pretrained/lenet5-digits0-4.safetensors', import.meta.url);

const OPTIONS = {
  config: { type: 'string', short: 'c' },
  epochs: { type: 'string' },
  json: { type: 'string' },
  csv: { type: 'string' },
  save: { type: 'string' },
  load: { type: 'string' },
  chunk: { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' },
};
// Every schema key is a flag too (--lr 0.01, --act tanh), applied after --config.
for (const e of SCHEMA) if (!(e.key in OPTIONS)) OPTIONS[e.key] = { type: 'string' };

const USAGE = `usage: node tools/train.mjs [--config '<hash or link>'] [--KEY VALUE ...] [options]

Trains LeNet-5 on MNIST with the experiment a LeNet Lab link describes.

  -c, --config HASH   the experiment: a whole link, '#v=1&act=relu&...' or 'act=relu&...'
      --epochs N      train for N epochs (same as --ep N)
      --json FILE     write the run as JSON: link, config, how it ended, the final result
                      (the restored epoch's after restore-best), every epoch, every step
      --csv FILE      write one row per epoch as CSV (the page's Download CSV, same bytes)
      --save FILE     write the trained weights as safetensors
      --load FILE     start from these safetensors weights (fine-tuning)
      --chunk SIZE    advance the run SIZE units of work at a time (7) or SIZE ms at a
                      time (50ms); default 100ms. The numbers never depend on it
  -q, --quiet         print nothing but errors
  -h, --help          this text

Experiment keys (any of them as --KEY VALUE):
${SCHEMA.map((e) => `  ${e.key.padEnd(7)} ${e.label}${e.choices ? ` (${e.choices.join('|')})` : e.min !== undefined ? ` [${e.min}, ${e.max}]` : ''}, default ${e.default === '' ? "''" : e.default}`).join('\n')}

Throughput goes to the terminal only, so the JSON and CSV files are the same run after run.
Exit status: 0 done, 2 bad arguments or input, 3 training diverged.`;

class UsageError extends Error {}

/** The experiment from the arguments; any warning is an error here, as scripts need exact runs. */
function experiment(values) {
  const { config: fromLink, warnings } = parse(values.config ?? '');
  const overrides = {};
  for (const e of SCHEMA) if (values[e.key] !== undefined) overrides[e.key] = values[e.key];
  if (values.epochs !== undefined) overrides.ep = values.epochs;
  const { config, warnings: more } = validate(overrides, fromLink);
  const all = [...warnings, ...more];
  if (all.length) throw new UsageError(`bad experiment:\n  ${all.join('\n  ')}`);
  return config;
}

async function readWeights(path) {
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    throw new UsageError(`cannot read weights ${path}: ${e.code ?? e.message}`);
  }
}

/** A one-line progress report: a bar on a terminal, a plain line per epoch otherwise. */
function reporter(quiet, tty) {
  let lastDraw = 0;
  return {
    progress(h, totalSteps, samplesPerSecond) {
      if (quiet || !tty) return;
      const now = Date.now();
      if (now - lastDraw < 100) return;
      lastDraw = now;
      const frac = totalSteps ? Math.min(1, h.step / totalSteps) : 1;
      const bar = '#'.repeat(Math.round(frac * 30)).padEnd(30, '-');
      const loss = h.steps.at(-1)?.loss;
      process.stderr.write(`\repoch ${Math.min(h.epoch + 1, h.config.ep)}/${h.config.ep} [${bar}] ${(100 * frac).toFixed(0).padStart(3)}%` +
        `  loss ${loss?.toFixed(4) ?? '-'}  ${Math.round(samplesPerSecond)} samples/s `);
    },
    epoch(e) {
      if (quiet) return;
      if (tty) process.stderr.write('\r\x1b[K');
      const f = (x, d = 4) => (x === null ? '-' : x.toFixed(d));
      console.log(`epoch ${e.epoch}: train loss ${f(e.trainLoss)} acc ${f(e.trainAcc)} | val loss ${f(e.valLoss)} acc ${f(e.valAcc)} | test loss ${f(e.testLoss)} acc ${f(e.testAcc)}`);
    },
  };
}

async function main(argv) {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (e) {
    throw new UsageError(e.message);
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const config = experiment(values);
  let weights;
  if (values.load) weights = await readWeights(values.load);
  else if (config.from === 'pretrained') weights = await readWeights(PRETRAINED);

  const budget = values.chunk === undefined ? { maxMs: 100 } : parseBudget(values.chunk);

  const engine = await loadEngineWithData('simd');
  const run = engine.createRun(config, { weights });
  const { stepsPerEpoch, trainCount } = run.metrics();
  const history = newHistory(1, config);
  labelRuns([history]);
  const out = reporter(values.quiet, process.stderr.isTTY);
  // Only for the rate shown: an epoch's last batch may be short, so whole epochs count the
  // training set's size.
  const samplesTrained = (step) => {
    const full = Math.floor(step / stepsPerEpoch);
    return full * trainCount + Math.min((step - full * stepsPerEpoch) * config.bs, trainCount);
  };
  const started = performance.now();
  const rate = () => samplesTrained(history.step) / ((performance.now() - started) / 1000);
  drive(run, {
    budget,
    onEvents(events) {
      record(history, events);
      for (const e of events) if (e.type === 'epoch') out.epoch(e);
      out.progress(history, config.ep * stepsPerEpoch, rate());
    },
  });
  const samplesPerSecond = rate();
  if (process.stderr.isTTY && !values.quiet) process.stderr.write('\r\x1b[K');

  if (values.json) await writeFile(values.json, toJson([history]));
  if (values.csv) await writeFile(values.csv, toCsv([history]));
  if (values.save && history.stopReason !== 'diverged') await writeFile(values.save, run.exportSafetensors());
  run.free();
  if (history.stopReason === 'diverged') {
    console.error(`diverged: ${history.message}`);
    return 3;
  }
  if (!values.quiet) {
    const r = finalResult(history);
    const stop = `${history.epoch} epochs${history.stopReason === 'early' ? ' (early stop)' : ''}`;
    const note = history.restoredEpoch ? `; epoch ${history.restoredEpoch}, the best, restored` : '';
    console.log(`test accuracy ${(100 * r.testAcc).toFixed(2)} %, loss ${r.testLoss.toFixed(4)} after ${stop}${note}; ` +
      `${Math.round(samplesPerSecond)} samples/s including evaluation`);
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e) => {
    console.error(`train: ${e.message}`);
    // A bad config, data or weights file is bad input too.
    process.exitCode = e instanceof UsageError || (e instanceof LabError && e.code.startsWith('bad-')) ? 2 : 1;
  },
);
