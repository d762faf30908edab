/**
 * chart-data.mjs - the numbers behind the page's charts, without the DOM or Chart.js, so Node tests
 * check them: smoothing, per-epoch series, per-layer small multiples with one y range shared by
 * every panel and run, the floor that shows an exact zero on a log axis, the markers (best epoch,
 * early stop, divergence, restored epoch) and the rows of the charts' data tables.
 *
 * A run here is any object with id, color, config, epochs (history.mjs rows), stopReason,
 * restoredEpoch, step, stepsPerEpoch and plot: { loss, acc, grad[], weight[] } of {points: [{x, y}]}
 * (web/page/runs.mjs). A name (run.name or run.label) is shown in legends.
 */
import { LAYER_NAMES } from './config.mjs';
import { layersOf, unionNames } from './network.mjs';

/** LeNet-5's layers (the weight histogram's picker and a run without a network of its own). */
export const LAYERS = LAYER_NAMES;

/** The layers of the runs shown, in first-seen order: the panels of the per-layer charts. */
export const shownLayers = (runs) => unionNames(runs.map((r) => (r.config ? layersOf(r) : LAYER_NAMES)));
const layerIndex = (run, name) => (run.config ? layersOf(run) : LAYER_NAMES).indexOf(name);

/** Exponential moving average with bias correction, so early points are not pulled towards 0.
 * beta 0 returns the points as they are. A run of exact zeros stays exactly zero. */
export function smooth(points, beta) {
  if (!beta) return points.slice();
  let ema = 0;
  return points.map((p, n) => {
    ema = beta * ema + (1 - beta) * p.y;
    return { x: p.x, y: ema / (1 - beta ** (n + 1)) };
  });
}

/** Per-epoch points of one key of the epoch rows (a number, or one layer's entry of an array). */
export function epochSeries(run, key, { scale = 1, layer = null } = {}) {
  const out = [];
  for (const e of run.epochs) {
    const v = layer === null ? e[key] : e[key]?.[layer];
    if (Number.isFinite(v)) out.push({ x: e.epoch, y: v * scale });
  }
  return out;
}

// Exact powers of ten (10 ** -5 is 9.999999999999999e-6).
const pow10 = (e) => Number(`1e${e}`);

const niceCeil = (v) => {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 2.5, 5, 10].map((m) => m * p).find((c) => c >= v * (1 - 1e-9));
};

/**
 * One y range for many series. Linear: from 0 (or the lowest value when negative) to a round
 * number above the highest. Log: powers of ten around the positive values; when some value is
 * exactly 0 a floor a decade below the smallest positive value stands for it, so zeros are drawn
 * on a labelled line instead of vanishing.
 * @param {{y: number}[][]} seriesList
 * @returns {{min: number, max: number, log: boolean, floor: number|null, zeros: number}}
 */
export function sharedRange(seriesList, { log = false } = {}) {
  let lo = Infinity;
  let hi = -Infinity;
  let minPositive = Infinity;
  let zeros = 0;
  for (const s of seriesList) {
    for (const { y } of s) {
      if (!Number.isFinite(y)) continue;
      lo = Math.min(lo, y);
      hi = Math.max(hi, y);
      if (y > 0) minPositive = Math.min(minPositive, y);
      else if (y === 0) zeros++;
    }
  }
  if (!log) {
    if (!Number.isFinite(lo)) return { min: 0, max: 1, log, floor: null, zeros };
    return { min: Math.min(0, lo), max: niceCeil(Math.max(hi, 1e-12)), log, floor: null, zeros };
  }
  if (!Number.isFinite(minPositive)) {
    // Nothing positive: only zeros (or nothing) to show.
    return { min: 0.05, max: 10, log, floor: zeros ? 0.1 : null, zeros };
  }
  const minExp = Math.floor(Math.log10(minPositive) + 1e-9);
  const max = Math.max(pow10(Math.ceil(Math.log10(hi) - 1e-9)), pow10(minExp + 1));
  if (!zeros) return { min: pow10(minExp), max, log, floor: null, zeros };
  const floor = pow10(minExp - 1);
  return { min: floor / 2, max, log, floor, zeros };
}

/** Puts exact zeros on the floor (a log axis cannot show 0); each point keeps its true value in `v`. */
export function onFloor(points, floor) {
  return points.map((p) => ({ x: p.x, y: p.y === 0 && floor ? floor : p.y, v: p.y }));
}

/** The epoch the run counts as its best: the core's best epoch (lowest validation loss) when it
 * measured one, else the epoch with the lowest validation loss, else none (no validation set). */
export function bestEpoch(run) {
  const last = run.epochs.at(-1);
  if (!last || !(run.config?.val > 0)) return null;
  if (last.bestEpoch > 0) return last.bestEpoch;
  let best = null;
  for (const e of run.epochs) if (Number.isFinite(e.valLoss) && (!best || e.valLoss < best.valLoss)) best = e;
  return best?.epoch ?? null;
}

/**
 * Where a run's curves get a vertical marker: its best epoch, the epoch early stopping stopped at,
 * the point where it diverged, and the epoch restore-best went back to (when that is not the best
 * already marked).
 * @returns {{kind: 'best'|'early'|'diverged'|'restored', x: number, label: string}[]}
 */
export function markers(run) {
  const out = [];
  const best = bestEpoch(run);
  if (best !== null && run.epochs.length > 1) out.push({ kind: 'best', x: best, label: `best #${run.id}: epoch ${best}` });
  if (run.restoredEpoch && run.restoredEpoch !== best) out.push({ kind: 'restored', x: run.restoredEpoch, label: `restored #${run.id}` });
  if (run.stopReason === 'early') out.push({ kind: 'early', x: run.epochs.at(-1)?.epoch ?? run.epoch, label: `early stop #${run.id}` });
  if (run.stopReason === 'diverged') {
    const x = run.stepsPerEpoch ? run.step / run.stepsPerEpoch : run.epoch;
    out.push({ kind: 'diverged', x, label: `diverged #${run.id}` });
  }
  return out;
}

/** The per-layer quantities drawn as small multiples: one panel per layer, runs overlaid. */
export const PER_LAYER = Object.freeze({
  grad: { title: 'Gradient norm', unit: '‖∂L/∂θ‖₂', log: true, zeroLabel: '0: no gradient', smoothing: 0.8 },
  weight: { title: 'Weight norm', unit: '‖θ‖₂', log: true, zeroLabel: '0: all weights zero', smoothing: 0 },
  sparsity: { title: 'Weight sparsity', unit: '% of kernel weights with |w| < 10⁻³', log: false, zeroLabel: null, smoothing: 0 },
});

/** Every k-th point (and the last), so a curve has at most `max` points: a small panel has no
 * room for more, and fewer points keep its redraw short. */
export function thin(points, max) {
  if (points.length <= max) return points;
  const k = Math.ceil(points.length / max);
  const out = points.filter((_, i) => i % k === 0);
  if ((points.length - 1) % k !== 0) out.push(points.at(-1));
  return out;
}

/** Points per curve in a small panel. */
export const PANEL_POINTS = 200;

function layerPoints(run, kind, layer) {
  if (kind === 'sparsity') return epochSeries(run, 'layerSparsity', { layer, scale: 100 });
  const steps = run.plot?.[kind]?.[layer]?.points ?? [];
  if (steps.length) return thin(smooth(steps, PER_LAYER[kind].smoothing), PANEL_POINTS);
  // No step records (weights loaded before any training): the epoch rows' values where there are some.
  return kind === 'weight' ? epochSeries(run, 'weightNorm', { layer }) : [];
}

/**
 * Small multiples of one per-layer quantity for the runs shown: a panel per layer, in each a series
 * per run in the run's colour, and one y range for all of them.
 * @param {object[]} runs the runs shown, in order
 * @param {'grad'|'weight'|'sparsity'} kind
 */
export function perLayerPanels(runs, kind) {
  const spec = PER_LAYER[kind];
  // A panel per layer any run shown has (an mlp's fc1 … fc31 beside LeNet-5's conv1 … fc3); in
  // each, the runs that have that layer.
  const names = shownLayers(runs);
  const raw = names.map((name) => runs.map((run) => {
    const i = layerIndex(run, name);
    return i < 0 ? null : layerPoints(run, kind, i);
  }));
  const range = sharedRange(raw.flat().filter(Boolean), { log: spec.log });
  const panels = names.map((name, layer) => ({
    layer,
    name,
    frozenIn: runs.filter((r) => String(r.config?.freeze ?? '').split(',').includes(name)).map((r) => r.id),
    series: runs.flatMap((run, i) => {
      const own = raw[layer][i];
      if (!own) return [];
      const points = range.floor ? onFloor(own, range.floor) : own;
      return [{ runId: run.id, color: run.color, name: runName(run), points, zeros: own.filter((p) => p.y === 0).length }];
    }),
  }));
  return { kind, ...spec, range, panels };
}

/** A run's name for legends: '#3 pretrained, frozen conv1,conv2', or the person's own name. */
export function runName(run) {
  return `#${run.id} ${run.name || run.label || ''}`.trim();
}

const num = (v) => (v === null || v === undefined || !Number.isFinite(v) ? '' : Math.abs(v) >= 1000 || (v !== 0 && Math.abs(v) < 0.001) ? v.toExponential(2) : String(Number(v.toPrecision(4))));

/**
 * The numbers behind a chart, as a table: per run and epoch (loss, accuracy, per-layer charts at
 * epoch resolution), so a screen reader can read what the chart draws.
 * @returns {{columns: string[], rows: string[][]}}
 */
export function tableOf(chart, runs) {
  const names = shownLayers(runs);
  const byName = (run, values) => names.map((n) => values?.[layerIndex(run, n)]);
  const perEpoch = (cols, cells) => ({
    columns: ['run', 'epoch', ...cols],
    rows: runs.flatMap((run) => run.epochs.map((e) => [runName(run), String(e.epoch), ...cells(e, run).map(num)])),
  });
  switch (chart) {
    case 'loss':
      return perEpoch(['train loss', 'validation loss', 'test loss'], (e) => [e.trainLoss, e.valLoss, e.testLoss]);
    case 'accuracy':
      return perEpoch(['train accuracy %', 'validation accuracy %', 'test accuracy %'], (e) => [e.trainAcc * 100, e.valAcc * 100, e.testAcc * 100]);
    case 'grad':
      return perEpoch(names.map((l) => `${l} mean gradient norm`), (e, run) => byName(run, e.gradMean));
    case 'weight':
      return perEpoch(names.map((l) => `${l} weight norm`), (e, run) => byName(run, e.weightNorm));
    case 'sparsity':
      return perEpoch(['all %', ...names.map((l) => `${l} %`)], (e, run) => [e.sparsity * 100, ...byName(run, e.layerSparsity).map((v) => v * 100)]);
    default:
      return { columns: [], rows: [] };
  }
}

/** The histogram's table: a row per run and bin, with the bin's centre and density. */
export function histogramTable(series) {
  return {
    columns: ['run', 'weight value (bin centre)', 'density'],
    rows: series.flatMap((s) => s.points.map((p) => [s.name, num(p.x), num(p.y)])),
  };
}

/** Histograms of several runs on one x axis: each {counts, range} becomes a density curve (share
 * of weights per unit of weight value), so runs with different ranges compare. */
export function histogramSeries(items) {
  let range = 0;
  const series = items.map(({ run, data }) => {
    const width = (2 * data.range) / data.counts.length;
    const total = data.counts.reduce((a, b) => a + b, 0) || 1;
    range = Math.max(range, data.range);
    return {
      runId: run.id, color: run.color, name: runName(run),
      points: data.counts.map((c, i) => ({ x: -data.range + (i + 0.5) * width, y: c / total / (width || 1) })),
    };
  });
  return { series, range: range || 1 };
}
