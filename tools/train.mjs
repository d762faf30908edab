#!/usr/bin/env node
/**
 * train.mjs - LeNet Lab's headless trainer: the same experiment as the page, from a link or a
 * hash, on real MNIST or Fashion-MNIST under Node. Exit codes: 0 done, 1 an output not written, 2 bad arguments or
 * input (checked before training), 3 diverged.
 */
import { parse, SCHEMA, validate } from '../web/lib/config.mjs';
import { drive, parseBudget } from '../web/lib/driver.mjs';
import { LabError } from '../web/lib/errors.mjs';
import { finalResult, labelRuns, newHistory, setNetwork, record, toCsv, toJson } from '../web/lib/history.mjs';
import { parseCli, prepareOutputs, readWeightsFile, UsageError } from './cli-args.mjs';
import { CHECKPOINTS } from '../web/lib/datasets.mjs';
import { commandLines, isSweep, jobCount, runSweep, sweepRuns } from './sweep-cli.mjs';
import { jsonLine } from './train-one.mjs';
import { readLink, splitLink } from '../web/lib/result-link.mjs';
import { loadEngineWithData } from './engine-node.mjs';

const USAGE = `usage: node tools/train.mjs [--config '<hash or link>'] [--KEY VALUE ...] [options]

Trains LeNet-5 on MNIST or Fashion-MNIST (--data fashion) with the experiment a LeNet Lab link describes.

  -c, --config HASH   the experiment: a whole link, '#v=1&act=relu&...' or 'act=relu&...'
      --epochs N      train for N epochs (same as --ep N)
      --json FILE     write the run as JSON: link, config, how it ended, the final result
                      (the restored epoch's after restore-best), every epoch, every step
      --csv FILE      write one row per epoch as CSV (the page's Download CSV, same bytes)
      --save FILE     write the trained weights (and batch-norm statistics) as safetensors
      --predictions FILE  write the digit predicted for each evaluated test image, one
                      'index digit' line each (test-set index, as torch_check_export.py reads)
      --load FILE     start from these safetensors weights (fine-tuning); without it,
                      --from pretrained|mnist|fashion starts from a shipped checkpoint
      --chunk SIZE    advance the run SIZE units of work at a time (7) or SIZE ms at a
                      time (50ms); default 100ms. The numbers never depend on it
      --json-line     print the run as one line of JSON to standard output (what --json
                      writes) and nothing else there

Sweeps (one JSON line per run to standard output, in the sweep's order):
      --sweep KEY=V1,V2,...    one setting over a list of values; KEY=log:A..B:N for N values
                      evenly spaced on a log scale, KEY=lin:A..B:N on a linear one. Give
                      --sweep again for a grid (the first one outermost)
      --seeds N       N runs of every point, with seeds seed, seed+1, ..., seed+N-1
      --jobs N        worker threads (default: one per core)
      --print-commands  print one 'node tools/train.mjs --config ... --json-line' command per
                      run instead of training, e.g. for 'parallel -k -j2 < commands.txt'
  -q, --quiet         print nothing but errors
  -h, --help          this text

Experiment keys (any of them as --KEY VALUE):
${SCHEMA.map((e) => `  ${e.key.padEnd(7)} ${e.label}${e.choices ? ` (${e.choices.join('|')})` : e.min !== undefined ? ` [${e.min}, ${e.max}]` : ''}, default ${e.default === '' ? "''" : e.default}`).join('\n')}

Throughput goes to the terminal only, so the JSON and CSV files are the same run after run.
Exit status: 0 done, 1 an output could not be written, 2 bad arguments or input (nothing trained
or written), 3 training diverged.`;

/** The experiment from the arguments; any warning is an error here, as scripts need exact runs. */
function experiment(values) {
  // A link's extra parts (a sweep, results: web/lib/result-link.mjs) follow a '!'.
  const { config: fromLink, warnings } = parse(splitLink(values.config ?? '').runs);
  const overrides = {};
  for (const e of SCHEMA) if (values[e.key] !== undefined) overrides[e.key] = values[e.key];
  if (values.epochs !== undefined) overrides.ep = values.epochs;
  const { config, warnings: more } = validate(overrides, fromLink);
  const all = [...warnings, ...more];
  if (all.length) throw new UsageError(`bad experiment:\n  ${all.join('\n  ')}`);
  return config;
}

/** Where the shipped checkpoint a config's `from` names lies. */
const checkpointUrl = (from) => new URL(`../assets/${CHECKPOINTS[from]}`, import.meta.url);

/** The test predictions of the weights the run ends with (evaluated afresh, so they are the saved
 * weights' also after restore-best) as 'index digit' lines. */
function predictionLines(run) {
  run.evaluateTest();
  const { predictions, indices } = run.testPredictions();
  return Array.from(predictions, (d, i) => `${indices[i]} ${d}\n`).join('');
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
  const values = parseCli(argv);
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const config = experiment(values);
  // A sweep link runs its sweep, unless the flags give one.
  const { sweep: linked } = readLink(values.config ?? '');
  if (linked && values.sweep === undefined && values.seeds === undefined) {
    values.sweep = linked.axes.map((a) => a.spec);
    values.seeds = String(linked.seeds);
  }
  if (isSweep(values)) return sweep(values, config);
  const budget = values.chunk === undefined ? { maxMs: 100 } : parseBudget(values.chunk);
  // Every argument and path is checked here, before the engine and the data load.
  const outputs = await prepareOutputs(values);
  let weights;
  if (values.load !== undefined) weights = await readWeightsFile(values.load);
  else if (config.from !== 'scratch') weights = await readWeightsFile(checkpointUrl(config.from));

  const engine = await loadEngineWithData('simd', [config.data]);
  const run = engine.createRun(config, { weights });
  const { stepsPerEpoch, trainCount } = run.metrics();
  const history = newHistory(1, config);
  setNetwork(history, run.net);
  labelRuns([history]);
  const lineOnly = values['json-line'] === true;
  const out = reporter(values.quiet || lineOnly, process.stderr.isTTY);
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

  await outputs.write({
    json: toJson([history]),
    csv: toCsv([history]),
    save: history.stopReason === 'diverged' ? undefined : run.exportSafetensors(),
    predictions: history.stopReason === 'diverged' ? undefined : predictionLines(run),
  });
  run.free();
  if (lineOnly) process.stdout.write(jsonLine(history));
  if (history.stopReason === 'diverged') {
    console.error(`diverged: ${history.message}`);
    return 3;
  }
  if (!values.quiet && !lineOnly) {
    const r = finalResult(history);
    const stop = `${history.epoch} epochs${history.stopReason === 'early' ? ' (early stop)' : ''}`;
    const note = history.restoredEpoch ? `; epoch ${history.restoredEpoch}, the best, restored` : '';
    console.log(`test accuracy ${(100 * r.testAcc).toFixed(2)} %, loss ${r.testLoss.toFixed(4)} after ${stop}${note}; ` +
      `${Math.round(samplesPerSecond)} samples/s including evaluation`);
  }
  return 0;
}

/** A sweep: its commands, or its runs on worker threads, one JSON line each. */
async function sweep(values, base) {
  const runs = sweepRuns(values, base);
  const load = values.load !== undefined ? await readWeightsFile(values.load) : undefined;
  if (values['print-commands']) {
    if (values.load !== undefined && /['\n]/.test(values.load)) throw new UsageError('--print-commands cannot quote a --load path holding a quote mark or a newline');
    const extra = values.load !== undefined ? ` --load '${values.load}'` : '';
    process.stdout.write(commandLines(runs).replaceAll(' --json-line\n', `${extra} --json-line\n`));
    return 0;
  }
  const jobs = jobCount(values.jobs, runs.length);
  // The shipped checkpoints the runs start from, each read once.
  const checkpoints = new Map();
  if (!load) {
    for (const { config: c } of runs) {
      if (c.from !== 'scratch' && !checkpoints.has(c.from)) checkpoints.set(c.from, await readWeightsFile(checkpointUrl(c.from)));
    }
  }
  const started = performance.now();
  const { diverged } = await runSweep(runs, {
    jobs,
    weightsFor: (c) => load ?? checkpoints.get(c.from),
    write: (line) => process.stdout.write(line),
  });
  if (!values.quiet) {
    console.error(`${runs.length} runs on ${jobs} worker thread${jobs > 1 ? 's' : ''} in ${((performance.now() - started) / 1000).toFixed(1)} s` +
      (diverged ? `; ${diverged} diverged` : ''));
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
