/**
 * history.mjs - a run's history built from its engine events (web/lib/engine.mjs), and the CSV
 * and JSON files written from it. The page and the CLI both keep their runs here and export with
 * the same functions, so one link gives the same file bytes from either.
 */
import { defaults, describe, diff, serialize, serializeLink } from './config.mjs';
import { actLayerNames, actLayersOf, layerNames, layersOf, unionNames } from './network.mjs';

// Raw step records kept; long runs keep every 2nd, 4th, … step beyond this.
const MAX_RAW_STEPS = 100_000;

/**
 * An empty history. Callers may add their own fields to the object (the page does).
 * @param {number} id the run's number in its link (1 for the first)
 * @param {object} config a config from config.mjs
 */
export function newHistory(id, config) {
  return {
    id,
    config,
    // The network's conv and dense layers and the layers an activation follows, in the order of
    // the per-layer and per-activation arrays; setNetwork() records the engine's own.
    layers: layerNames(config),
    actLayers: actLayerNames(config),
    label: '',
    phase: 'train', // the work under way: train | eval-train | eval-val | eval-test | done
    step: 0, // training steps done
    epoch: 0, // epochs completed
    stopReason: 'none', // none | epochs | early | diverged (| stopped, set by the page)
    message: null, // why it diverged
    restoredEpoch: null, // the epoch whose weights the model holds after restore-best
    result: null, // the done event's final numbers
    samples: null, // {train, val, test}: the splits' real sizes, from the done event
    epochs: [],
    steps: [],
    stepStride: 1,
  };
}

// What matters most about a run comes first in its label, in words: where its weights start and
// which layers are frozen.
const FIRST = ['from', 'head', 'freeze'];
function phrase(key, v) {
  if (key === 'from') return v === 'pretrained' ? 'pretrained' : `from ${v}`;
  if (key === 'head') return v ? 'new head' : 'same head';
  if (key === 'freeze') return v ? `frozen ${v}` : 'nothing frozen';
  return null;
}

function labelOf(config, base) {
  const keys = diff(base, config);
  const first = FIRST.filter((k) => keys.includes(k)).map((k) => phrase(k, config[k]));
  const rest = describe(Object.fromEntries(Object.entries(config).map(([k, v]) => [k, FIRST.includes(k) ? base[k] : v])), base);
  if (!first.length) return rest;
  return rest === 'baseline' ? first.join(', ') : `${first.join(', ')}, ${rest}`;
}

/**
 * Labels runs the way a link reads: the first by how it differs from the defaults, each later one
 * by how it differs from the first; fine-tuning settings first ("pretrained, frozen conv1,conv2").
 * @param {{id: number, config: object, label: string}[]} histories
 */
export function labelRuns(histories) {
  const [first, ...rest] = histories;
  if (!first) return;
  const base = labelOf(first.config, defaults());
  first.label = base === 'baseline' ? 'defaults' : base;
  for (const h of rest) {
    const d = labelOf(h.config, first.config);
    h.label = d === 'baseline' ? `same as #${first.id}` : d;
  }
}

/** Records the network a run was built as (engine run.net, or engine.describe()). */
export function setNetwork(h, net) {
  h.layers = [...net.layers];
  h.actLayers = [...net.actLayers];
}

const stepRecord = (e) => ({ step: e.step, epoch: e.epoch, loss: e.loss, penalty: e.penalty, acc: e.acc,
  gradNorm: e.gradNorm, weightNorm: e.weightNorm, updateRatio: e.updateRatio, gradTotal: e.gradTotal, preAct: e.preAct,
  batchHash: e.batchHash });

const epochRow = (e) => ({ epoch: e.epoch, step: e.step, trainLoss: e.trainLoss, trainAcc: e.trainAcc,
  valLoss: e.valLoss, valAcc: e.valAcc, testLoss: e.testLoss, testAcc: e.testAcc, penalty: e.penalty,
  sparsity: e.sparsity, meanLoss: e.meanLoss, meanAcc: e.meanAcc, bestEpoch: e.bestEpoch,
  gradMean: e.gradMean, gradMax: e.gradMax, weightNorm: e.weightNorm, layerSparsity: e.layerSparsity,
  dead: e.dead, saturated: e.saturated, actMean: e.actMean, actStd: e.actStd });

/**
 * Adds a chunk of events, in order, to a history.
 * @param {object} h a history
 * @param {object[]} events from run.advance()
 * @returns {number} epochs completed by these events
 */
export function record(h, events) {
  let epochs = 0;
  for (const e of events) {
    h.phase = e.phase;
    if (e.type === 'step') {
      h.step = e.step;
      if (e.step % h.stepStride === 0) h.steps.push(stepRecord(e));
      if (h.steps.length > MAX_RAW_STEPS) {
        h.stepStride *= 2;
        h.steps = h.steps.filter((s) => s.step % h.stepStride === 0);
      }
    } else if (e.type === 'epoch') {
      h.epoch = e.epoch;
      h.epochs.push(epochRow(e));
      epochs++;
    } else if (e.type === 'done') {
      h.step = e.steps;
      h.epoch = e.epochs;
      h.stopReason = e.stopReason;
      h.message = e.message;
      h.restoredEpoch = e.restoredEpoch;
      h.result = e.result;
      h.samples = e.samples;
    }
  }
  return epochs;
}

/**
 * The numbers the run's model now has: the final result once it is over (the restored epoch's
 * after restore-best), else the last epoch's.
 * @returns {object|null} with epoch, testLoss, testAcc and the other epoch numbers
 */
export function finalResult(h) {
  return h.result ?? h.epochs.at(-1) ?? null;
}

const SCALARS = [['epoch', 'epoch'], ['step', 'step'], ['train_loss', 'trainLoss'], ['train_acc', 'trainAcc'],
  ['val_loss', 'valLoss'], ['val_acc', 'valAcc'], ['test_loss', 'testLoss'], ['test_acc', 'testAcc'],
  ['penalty', 'penalty'], ['sparsity', 'sparsity'], ['mean_loss', 'meanLoss'], ['mean_acc', 'meanAcc'],
  ['best_epoch', 'bestEpoch']];
const PER_LAYER = [['grad_mean', 'gradMean'], ['grad_max', 'gradMax'], ['weight_norm', 'weightNorm'], ['sparsity', 'layerSparsity']];
/** LeNet-5's layers followed by an activation: the core's activation statistics are per these. */
export const ACT_LAYER_NAMES = Object.freeze(actLayerNames({ model: 'lenet5' }));
const PER_ACT_LAYER = [['dead', 'dead'], ['saturated', 'saturated']];

/**
 * The CSV header of some runs: the scalars, then per metric one column per layer of the union of
 * the runs' layers (first-seen order), then per activation metric one per activation layer.
 * @param {object[]} histories
 */
export function csvColumns(histories) {
  const layers = unionNames(histories.map(layersOf));
  const acts = unionNames(histories.map(actLayersOf));
  return ['run', 'label', ...SCALARS.map(([name]) => name), 'restored',
    ...PER_LAYER.flatMap(([name]) => layers.map((l) => `${name}_${l}`)),
    ...PER_ACT_LAYER.flatMap(([name]) => acts.map((l) => `${name}_${l}`))];
}

/** The CSV header of LeNet-5 runs: one row per run and epoch. */
export const CSV_COLUMNS = Object.freeze(csvColumns([{ config: { model: 'lenet5' } }]));

// A run's per-layer values placed in the columns of `names` (blank where it lacks the layer).
function placed(names, own, values) {
  return names.map((n) => {
    const i = own.indexOf(n);
    return i < 0 || !values ? null : values[i];
  });
}

// RFC 4180 quoting, and a leading quote mark for text a spreadsheet would run as a formula.
// Not measured (null) is an empty cell.
function cell(value) {
  if (value === null || value === undefined) return '';
  let s = String(value);
  if (/^[=+\-@\t\r]/.test(s) && typeof value === 'string') s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * Every epoch of every run as CSV; `restored` is 1 on the row of the epoch restore-best went back to.
 * @param {object[]} histories
 */
export function toCsv(histories) {
  const lines = [csvColumns(histories).join(',')];
  const layers = unionNames(histories.map(layersOf));
  const acts = unionNames(histories.map(actLayersOf));
  for (const h of histories) {
    for (const e of h.epochs) {
      lines.push([h.id, h.name || h.label, ...SCALARS.map(([, key]) => e[key]), e.epoch === h.restoredEpoch ? 1 : null,
        ...PER_LAYER.flatMap(([, key]) => placed(layers, layersOf(h), e[key])),
        ...PER_ACT_LAYER.flatMap(([, key]) => placed(acts, actLayersOf(h), e[key]))].map(cell).join(','));
    }
  }
  return `${lines.join('\r\n')}\r\n`;
}

/**
 * Every run as JSON: the link, and per run its config, how it ended, its final result, its epochs
 * and its step records. Nothing in it depends on timing, so it is the same file run after run.
 * @param {object[]} histories
 */
export function toJson(histories) {
  return `${JSON.stringify({
    link: serializeLink(histories.map((h) => h.config)),
    runs: histories.map((h) => ({
      id: h.id,
      label: h.name || h.label,
      config: serialize(h.config),
      layers: layersOf(h),
      actLayers: actLayersOf(h),
      stopReason: h.stopReason,
      message: h.message,
      epochsDone: h.epoch,
      stepsDone: h.step,
      restoredEpoch: h.restoredEpoch,
      samples: h.samples,
      result: h.result,
      epochs: h.epochs,
      stepStride: h.stepStride,
      steps: h.steps,
    })),
  })}\n`;
}
