/**
 * chart-data.mjs - the numbers behind the page's charts, without the DOM or Chart.js, so Node tests
 * check them: smoothing, per-epoch series, per-layer small multiples with one y range shared by
 * every panel and run, the floor that shows an exact zero on a log axis, the markers (best epoch,
 * early stop, divergence, restored epoch) and the rows of the charts' data tables.
 *
 * A run here is any object with id, color, config, epochs (history.mjs rows), stopReason,
 * restoredEpoch, step, stepsPerEpoch and plot: { loss, acc, gradTotal, grad[], weight[] } of {points: [{x, y}]}
 * (web/page/runs.mjs); the gradTotal table reads its step records (steps). A name (run.name or run.label) is shown in legends.
 *
 * Runs that differ only in their seed are drawn as one seed group: a mean line in a band from the
 * lowest to the highest seed (chartEntries), on every chart and in every table.
 */
import { LAYER_NAMES } from './config.mjs';
import { bandOf, compareGroups, groupKey } from './groups.mjs';
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

const SEED_PHRASE = /^seed \d+$/;

// "#1–#3" for consecutive ids, else "#1, #4, #7".
const idList = (ids) => (ids.every((id, i) => id === ids[0] + i) ? `#${ids[0]}–#${ids.at(-1)}` : ids.map((id) => `#${id}`).join(', '));

function groupName(members) {
  const label = members[0].label.split(', ').filter((p) => !SEED_PHRASE.test(p)).join(', ');
  const name = `${idList(members.map((r) => r.id))} ${label} · ${members.length} seeds`;
  // Finished runs of different lengths (early stopping): the band stops where the shortest did.
  const lengths = members.map((r) => r.epochs.length);
  const finished = members.every((r) => r.stopReason !== 'none');
  return finished && Math.min(...lengths) < Math.max(...lengths) ? `${name} · to epoch ${Math.min(...lengths)}, which all reached` : name;
}

/**
 * The runs shown as the charts draw them: runs that differ only in their seed, each with a seed of
 * its own, become one seed group (a mean line in a min-max band, in its first run's colour); the
 * rest are drawn one by one. In the order of each one's first run. Two runs with the same seed are
 * not a group: they are repeats (a retrained run, a fork), not a spread between seeds.
 * @param {object[]} runs the runs shown, in order
 * @returns {{key: string, color: string, name: string, runs: object[], group: boolean}[]}
 */
export function chartEntries(runs) {
  const byKey = new Map();
  for (const run of runs) {
    const key = groupKey(run.config);
    if (!byKey.has(key)) byKey.set(key, []);
    byKey.get(key).push(run);
  }
  const out = [];
  for (const run of runs) {
    const members = byKey.get(groupKey(run.config));
    const group = members.length > 1 && new Set(members.map((r) => r.config.seed)).size === members.length;
    if (!group) out.push({ key: String(run.id), color: run.color, name: runName(run), runs: [run], group: false });
    else if (members[0] === run) out.push({ key: members.map((r) => r.id).join('+'), color: run.color, name: groupName(members), runs: members, group: true });
  }
  return out;
}

/**
 * With exactly two seed groups shown and every seed finished: the plain statement of whether the
 * groups' final test accuracies differ by more than the spread between seeds; else null.
 * @param {object[]} entries chartEntries()'s
 */
export function groupVerdict(entries) {
  const groups = entries.filter((e) => e.group);
  if (groups.length !== 2 || groups.some((g) => g.runs.some((r) => r.stopReason === 'none'))) return null;
  const [a, b] = groups;
  return compareGroups(a.runs, b.runs, 'testAcc', [a.name, b.name])?.text ?? null;
}

/**
 * One line of an entry: a run's own points, or a group's mean with its min and max.
 * @param {object} entry chartEntries()'s
 * @param {(run: object) => {x: number, y: number}[]} pointsOf
 * @returns {{points: {x, y}[], band: {min: {x, y}[], max: {x, y}[]} | null}}
 */
export function entryLine(entry, pointsOf) {
  if (!entry.group) return { points: pointsOf(entry.runs[0]), band: null };
  const b = bandOf(entry.runs.map(pointsOf));
  return { points: b.map((p) => ({ x: p.x, y: p.mean })), band: { min: b.map((p) => ({ x: p.x, y: p.min })), max: b.map((p) => ({ x: p.x, y: p.max })) } };
}

/**
 * The lines of the loss or accuracy chart, per entry: the per-step training curve (smoothed), the
 * training and (when the runs validate) validation values per epoch. A group's per-step curve is
 * its mean alone: a band there would only draw the noise between steps.
 * @param {object[]} entries chartEntries()'s
 * @param {{curve: 'loss'|'acc', train: string, val: string, scale: number, smoothing: number, value?: (y: number) => number}} spec
 *   value maps what is drawn (e.g. accuracy to error rate) before the mean is taken
 * @returns {{key: string, role: 'step'|'train'|'val', label: string, color: string, group: boolean, points: {x, y}[], band: object|null}[]}
 */
export function comparisonLines(entries, { curve, train, val, scale, smoothing, value }) {
  const map = (points) => (value ? points.map((p) => ({ x: p.x, y: value(p.y) })) : points);
  const lines = [];
  for (const e of entries) {
    const add = (role, label, pointsOf, banded) => {
      const { points, band } = entryLine(e, (r) => map(pointsOf(r)));
      lines.push({ key: e.key, role, label: `${e.name} ${label}`, color: e.color, group: e.group, points, band: banded ? band : null });
    };
    add('step', 'train (step)', (r) => smooth(r.plot[curve].points, smoothing), false);
    add('train', 'train', (r) => epochSeries(r, train, { scale }), true);
    if (e.runs[0].config.val > 0) add('val', 'validation', (r) => epochSeries(r, val, { scale }), true);
  }
  return lines;
}

/**
 * The total gradient norm chart: per entry the global norm ‖g‖ of every trained tensor's gradient
 * before clipping, at every step (a group's mean in its band), and the clip threshold of the
 * entries whose config clips (clip > 0), as a horizontal line; one log y range holds both.
 * @param {object[]} entries chartEntries()'s
 * @returns {{lines: {key, color, name, group, clip: number|null, points, band}[], range: object}}
 */
export function gradTotalLines(entries) {
  const raw = entries.map((e) => ({ key: e.key, color: e.color, name: e.name, group: e.group,
    clip: e.runs[0].config?.clip > 0 ? e.runs[0].config.clip : null, ...entryLine(e, (r) => r.plot?.gradTotal?.points ?? []) }));
  const range = sharedRange([...raw.flatMap((l) => (l.band ? [l.points, l.band.min, l.band.max] : [l.points])),
    raw.filter((l) => l.clip).map((l) => ({ y: l.clip }))], { log: true });
  const place = (points) => (range.floor ? onFloor(points, range.floor) : points);
  const lines = raw.map((l) => ({ ...l, points: place(l.points), band: l.band && { min: place(l.band.min), max: place(l.band.max) } }));
  return { lines, range };
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
 * per entry (a run, or a seed group's mean with its band) in its colour, and one y range for all
 * of them, bands included.
 * @param {object[]} runs the runs shown, in order
 * @param {'grad'|'weight'|'sparsity'} kind
 */
export function perLayerPanels(runs, kind) {
  const spec = PER_LAYER[kind];
  // A panel per layer any run shown has (an mlp's fc1 … fc31 beside LeNet-5's conv1 … fc3); in
  // each, the runs or seed groups that have that layer (a group's runs share their network).
  const entries = chartEntries(runs);
  const names = shownLayers(runs);
  const raw = names.map((name) => entries.map((e) => (layerIndex(e.runs[0], name) < 0 ? null
    : entryLine(e, (run) => layerPoints(run, kind, layerIndex(run, name))))));
  const range = sharedRange(raw.flat().filter(Boolean).flatMap((l) => (l.band ? [l.points, l.band.min, l.band.max] : [l.points])), { log: spec.log });
  const place = (points) => (range.floor ? onFloor(points, range.floor) : points);
  const panels = names.map((name, layer) => ({
    layer,
    name,
    frozenIn: runs.filter((r) => String(r.config?.freeze ?? '').split(',').includes(name)).map((r) => r.id),
    series: entries.flatMap((e, i) => {
      if (!raw[layer][i]) return [];
      const { points, band } = raw[layer][i];
      return [{ key: e.key, color: e.color, name: e.name, group: e.group, points: place(points),
        band: band && { min: place(band.min), max: place(band.max) }, zeros: points.filter((p) => p.y === 0).length }];
    }),
  }));
  return { kind, ...spec, range, panels };
}

/** A run's name for legends: '#3 pretrained, frozen conv1,conv2', or the person's own name. */
export function runName(run) {
  return `#${run.id} ${run.name || run.label || ''}`.trim();
}

const num = (v) => (v === null || v === undefined || !Number.isFinite(v) ? '' : Math.abs(v) >= 1000 || (v !== 0 && Math.abs(v) < 0.001) ? v.toExponential(2) : String(Number(v.toPrecision(4))));

// The columns of each chart's table: a name and the value it reads from an epoch row.
/** A chart's table columns for the layers shown: [name, value of an epoch of a run]. */
const perLayerColumns = (names, label, field, scale = 1) =>
  names.map((l) => [label(l), (e, run) => e[field]?.[layerIndex(run, l)] * scale]);
const TABLES = {
  loss: () => [['train loss', (e) => e.trainLoss], ['validation loss', (e) => e.valLoss], ['test loss', (e) => e.testLoss]],
  accuracy: () => [['train accuracy %', (e) => e.trainAcc * 100], ['validation accuracy %', (e) => e.valAcc * 100], ['test accuracy %', (e) => e.testAcc * 100]],
  grad: (names) => perLayerColumns(names, (l) => `${l} mean gradient norm`, 'gradMean'),
  weight: (names) => perLayerColumns(names, (l) => `${l} weight norm`, 'weightNorm'),
  sparsity: (names) => [['all %', (e) => e.sparsity * 100], ...perLayerColumns(names, (l) => `${l} %`, 'layerSparsity', 100)],
  gradTotal: () => [['mean ‖g‖ before clipping', (e, run) => stepStat(run, e, 'mean')], ['max ‖g‖', (e, run) => stepStat(run, e, 'max')],
    ['% of steps with ‖g‖ > clip', (e, run) => (run.config?.clip > 0 ? stepStat(run, e, 'above', run.config.clip) : null)]],
};

// The total gradient norm over an epoch's recorded steps (history.mjs step records): their mean,
// their largest, or the share (%) above `clip`; null without step records.
function stepStat(run, e, what, clip = 0) {
  const i = run.epochs.indexOf(e);
  const from = i > 0 ? run.epochs[i - 1].step : 0;
  const g = (run.steps ?? []).filter((s) => s.step > from && s.step <= e.step && Number.isFinite(s.gradTotal)).map((s) => s.gradTotal);
  if (!g.length) return null;
  if (what === 'max') return Math.max(...g);
  if (what === 'above') return (100 * g.filter((v) => v > clip).length) / g.length;
  return g.reduce((a, b) => a + b, 0) / g.length;
}

/**
 * The numbers behind a chart, as a table: per run and epoch (loss, accuracy, per-layer charts at
 * epoch resolution), so a screen reader can read what the chart draws. With a seed group shown,
 * each value gets the lowest and highest seed's beside it, and the group's row gives the mean.
 * @returns {{columns: string[], rows: string[][]}}
 */
export function tableOf(chart, runs) {
  if (!TABLES[chart]) return { columns: [], rows: [] };
  const cols = TABLES[chart](shownLayers(runs));
  const entries = chartEntries(runs);
  const banded = entries.some((e) => e.group);
  const columns = ['run', 'epoch', ...(banded ? cols.flatMap(([c]) => [c, `${c}, lowest seed`, `${c}, highest seed`]) : cols.map(([c]) => c))];
  const rows = entries.flatMap((e) => {
    if (!e.group) {
      const run = e.runs[0];
      return run.epochs.map((ep) => [e.name, String(ep.epoch), ...cols.flatMap(([, f]) => (banded ? [num(f(ep, run)), '', ''] : [num(f(ep, run))]))]);
    }
    const bands = cols.map(([, f]) => new Map(bandOf(e.runs.map((r) => r.epochs.map((ep) => ({ x: ep.epoch, y: f(ep, r) })).filter((p) => Number.isFinite(p.y))))
      .map((p) => [p.x, p])));
    const epochs = [...new Set(bands.flatMap((b) => [...b.keys()]))].sort((a, b) => a - b);
    return epochs.map((x) => [e.name, String(x), ...bands.flatMap((b) => (b.has(x) ? [b.get(x).mean, b.get(x).min, b.get(x).max].map(num) : ['', '', '']))]);
  });
  return { columns, rows };
}

/** The histogram's table: a row per run (or seed group) and bin, with the bin's centre and density;
 * with a seed group shown, the lowest and highest seed's density beside it. */
export function histogramTable(series) {
  const banded = series.some((s) => s.band);
  return {
    columns: ['run', 'weight value (bin centre)', 'density', ...(banded ? ['density, lowest seed', 'density, highest seed'] : [])],
    rows: series.flatMap((s) => s.points.map((p, i) => [s.name, num(p.x), num(p.y),
      ...(banded ? (s.band ? [num(s.band.min[i].y), num(s.band.max[i].y)] : ['', '']) : [])])),
  };
}

/** Histograms of several runs on one x axis: each {counts, range} becomes a density curve (share
 * of weights per unit of weight value), so runs with different ranges compare. A seed group's
 * curve is its seeds' mean density, in a band from the lowest to the highest; a seed whose range
 * is narrower has density 0 beyond it. */
export function histogramSeries(items) {
  const range = Math.max(0, ...items.map(({ data }) => data.range)) || 1;
  const curves = new Map(items.map(({ run, data }) => {
    const width = (2 * data.range) / data.counts.length;
    const total = data.counts.reduce((a, b) => a + b, 0) || 1;
    return [run, data.counts.map((c, i) => ({ x: -data.range + (i + 0.5) * width, y: c / total / (width || 1) }))];
  }));
  // Zeros out to the widest range, so every seed's curve covers the x axis the band is read on.
  const padded = (run) => {
    const r = items.find((i) => i.run === run).data.range;
    const edge = r < range ? [{ x: -range, y: 0 }, { x: -r, y: 0 }] : [{ x: -range, y: 0 }];
    return [...edge, ...curves.get(run), ...edge.map((p) => ({ x: -p.x, y: 0 })).reverse()];
  };
  const series = chartEntries(items.map((i) => i.run)).map((e) => ({
    key: e.key, color: e.color, name: e.name, ...(e.group ? entryLine(e, padded) : { points: curves.get(e.runs[0]), band: null }),
  }));
  return { series, range };
}
