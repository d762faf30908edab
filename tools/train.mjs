#!/usr/bin/env node
/**
 * train.mjs - LeNet Lab's headless trainer: the same experiment as the page, from a link or a
 * hash, on real MNIST under Node. Exit codes: 0 done, 1 an output not written, 2 bad arguments or
 * input (checked before training), 3 diverged.
 */
import { parse, SCHEMA, serialize, validate } from '../web/lib/config.mjs';
import { LAYERS } from '../web/lib/engine.mjs';
import { parseCli, prepareOutputs, readWeightsFile, UsageError } from './cli-args.mjs';
import { loadEngineWithData } from './engine-node.mjs';

const PRETRAINED = new URL('../assets/pretrained/lenet5-digits0-4.safetensors', import.meta.url);

const USAGE = `usage: node tools/train.mjs [--config '<hash or link>'] [--KEY VALUE ...] [options]

Trains LeNet-5 on MNIST with the experiment a LeNet Lab link describes.

  -c, --config HASH   the experiment: a whole link, '#v=1&act=relu&...' or 'act=relu&...'
      --epochs N      train for N epochs (same as --ep N)
      --json FILE     write the config, the per-epoch history, gradient norms, sparsity,
                      the final test metrics and the throughput as JSON
      --csv FILE      write the per-epoch history as CSV
      --save FILE     write the trained weights as safetensors
      --load FILE     start from these safetensors weights (fine-tuning)
  -q, --quiet         print nothing but errors
  -h, --help          this text

Experiment keys (any of them as --KEY VALUE):
${SCHEMA.map((e) => `  ${e.key.padEnd(7)} ${e.label}${e.choices ? ` (${e.choices.join('|')})` : e.min !== undefined ? ` [${e.min}, ${e.max}]` : ''}, default ${e.default === '' ? "''" : e.default}`).join('\n')}

Exit status: 0 done, 1 an output could not be written, 2 bad arguments or input (nothing trained
or written), 3 training diverged.`;

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

/** A one-line progress report: a bar on a terminal, a plain line per epoch otherwise. */
function reporter(quiet, tty) {
  let lastDraw = 0;
  return {
    progress(run, r, samplesPerSecond) {
      if (quiet || !tty) return;
      const now = Date.now();
      if (now - lastDraw < 100 && !r.done) return;
      lastDraw = now;
      const total = run.config.ep * r.stepsPerEpoch;
      const frac = total ? Math.min(1, r.step / total) : 1;
      const bar = '#'.repeat(Math.round(frac * 30)).padEnd(30, '-');
      const m = run.metrics();
      process.stderr.write(`\repoch ${Math.min(r.epoch + 1, run.config.ep)}/${run.config.ep} [${bar}] ${(100 * frac).toFixed(0).padStart(3)}%` +
        `  loss ${m.loss?.toFixed(4) ?? '-'}  ${Math.round(samplesPerSecond)} samples/s `);
    },
    epoch(e) {
      if (quiet) return;
      if (tty) process.stderr.write('\r\x1b[K');
      const f = (x, d = 4) => (x === null ? '-' : x.toFixed(d));
      console.log(`epoch ${e.epoch}: train loss ${f(e.trainLoss)} acc ${f(e.trainAcc)} | val loss ${f(e.valLoss)} acc ${f(e.valAcc)} | test loss ${f(e.testLoss)} acc ${f(e.testAcc)}`);
    },
  };
}

function csv(history) {
  const head = ['epoch', 'step', 'train_loss', 'train_acc', 'val_loss', 'val_acc', 'test_loss', 'test_acc', 'penalty', 'sparsity',
    ...LAYERS.map((l) => `grad_norm_${l}`), ...LAYERS.map((l) => `sparsity_${l}`)];
  const rows = history.map((e) => [e.epoch, e.step, e.trainLoss, e.trainAcc, e.valLoss, e.valAcc, e.testLoss, e.testAcc, e.penalty,
    e.sparsity, ...e.gradNorm, ...e.layerSparsity].map((x) => (x === null ? '' : String(x))).join(','));
  return [head.join(','), ...rows].join('\n') + '\n';
}

async function main(argv) {
  const values = parseCli(argv);
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const config = experiment(values);
  // Every argument and path is checked here, before the engine and the data load.
  const outputs = await prepareOutputs(values);
  let weights;
  if (values.load !== undefined) weights = await readWeightsFile(values.load);
  else if (config.from === 'pretrained') weights = await readWeightsFile(PRETRAINED);

  const engine = await loadEngineWithData('simd');
  let run;
  try {
    run = engine.createRun(config, { weights });
  } catch (e) {
    throw new UsageError(e.message);
  }
  const out = reporter(values.quiet, process.stderr.isTTY);
  const history = [];
  let gradSums = LAYERS.map(() => 0), gradSteps = 0, samples = 0, result;
  // An epoch's last batch may be short: count whole epochs by the training set's size.
  const samplesTrained = (m) => {
    const full = Math.floor(m.step / m.stepsPerEpoch);
    return full * m.trainCount + Math.min((m.step - full * m.stepsPerEpoch) * config.bs, m.trainCount);
  };
  const started = performance.now();
  do {
    result = run.advance({ maxMs: 100 });
    for (const s of result.steps) {
      s.gradNorm.forEach((g, i) => { gradSums[i] += g ?? 0; });
      gradSteps++;
    }
    samples = samplesTrained(run.metrics());
    for (const e of result.epochs) {
      // The epoch's mean gradient norm per layer: what vanishing or exploding gradients look like.
      const entry = { ...e, gradNorm: gradSums.map((g) => (gradSteps ? g / gradSteps : null)) };
      history.push(entry);
      out.epoch(entry);
      gradSums = LAYERS.map(() => 0);
      gradSteps = 0;
    }
    out.progress(run, result, samples / ((performance.now() - started) / 1000));
  } while (!result.done);
  const seconds = (performance.now() - started) / 1000;
  const m = run.metrics();
  samples = samplesTrained(m);
  if (process.stderr.isTTY && !values.quiet) process.stderr.write('\r\x1b[K');

  const report = {
    config: serialize(config),
    history,
    final: {
      stopReason: m.stopReason, error: m.error, epochs: m.epoch, steps: m.step, bestEpoch: m.bestEpoch || null,
      testLoss: m.testLoss, testAcc: m.testAcc, sparsity: m.sparsity, layerSparsity: m.layerSparsity,
      gradNorm: m.gradNorm, weightNorm: m.weightNorm,
      trainCount: m.trainCount, valCount: m.valCount, testCount: m.testCount,
    },
    throughput: { samples, seconds, samplesPerSecond: samples / seconds },
  };
  await outputs.write({
    json: JSON.stringify(report, null, 2) + '\n',
    csv: csv(history),
    save: m.stopReason === 'diverged' ? undefined : run.exportSafetensors(),
  });
  if (m.stopReason === 'diverged') {
    console.error(`diverged: ${m.error}`);
    return 3;
  }
  if (!values.quiet) {
    const note = m.stopReason === 'early' ? ` (early stop; best epoch ${m.bestEpoch} restored when asked)` : '';
    console.log(`test accuracy ${(100 * m.testAcc).toFixed(2)} %, loss ${m.testLoss.toFixed(4)} after ${m.epoch} epochs${note}; ` +
      `${Math.round(report.throughput.samplesPerSecond)} samples/s including evaluation`);
  }
  run.free();
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e) => {
    console.error(`train: ${e.message}`);
    process.exitCode = e instanceof UsageError ? 2 : 1;
  },
);
