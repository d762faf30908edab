/**
 * gradflow-data.mjs - the numbers of the deep-network views, without the DOM: gradient flow and
 * update ratios across depth, activation statistics across depth, an activation histogram, and
 * the watched layer's pre-activation percentiles over training. Runs are page runs or histories
 * (web/lib/history.mjs, with the page's plot buffers for the percentiles).
 */
import { chartEntries, entryLine, runName, sharedRange, thin } from './chart-data.mjs';
import { actLayersOf, layersOf } from './network.mjs';

/** Step records averaged for the "recent steps" view of the gradient flow. */
export const RECENT_STEPS = 20;

/**
 * Tick labels along depth: position i names the layer(s) the runs have there ('fc2', or
 * 'conv2/fc2' when runs of different networks disagree).
 * @param {string[][]} lists each run's layer names
 */
export function depthLabels(lists) {
  const n = Math.max(0, ...lists.map((l) => l.length));
  return Array.from({ length: n }, (_, i) => [...new Set(lists.map((l) => l[i]).filter(Boolean))].join('/'));
}

/**
 * Which depth positions get a tick label so that at most `max` are written (always the first and
 * the last): every k-th.
 */
export function tickStep(n, max = 24) {
  return n <= max ? 1 : Math.ceil((n - 1) / (max - 1));
}

const mean = (xs) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

/**
 * Per layer of a run: the mean over its last `window` step records of step field `field`
 * (gradNorm or updateRatio), or the latest epoch's `epochField` (gradMean). Non-finite values
 * (not measured) are left out; a layer without any value is null.
 */
export function perLayerNow(run, { field = 'gradNorm', source = 'recent', window = RECENT_STEPS, epochField = 'gradMean' } = {}) {
  const n = layersOf(run).length;
  if (source === 'epoch') {
    const last = run.epochs.findLast((e) => Array.isArray(e[epochField]));
    return Array.from({ length: n }, (_, i) => (Number.isFinite(last?.[epochField][i]) ? last[epochField][i] : null));
  }
  const steps = (run.steps ?? []).slice(-window).filter((s) => Array.isArray(s[field]));
  return Array.from({ length: n }, (_, i) => {
    const m = mean(steps.map((s) => s[field][i]).filter(Number.isFinite));
    return Number.isFinite(m) ? m : null;
  });
}

/**
 * The gradient-flow chart (or the update-ratio chart): x = depth (0 = the layer next to the input),
 * y = the per-layer value on a log axis, a line per run, or per seed group its mean in a band from
 * the lowest to the highest seed; exact zeros (a frozen layer) on the shared range's floor.
 * @param {object[]} runs the runs shown
 * @param {{kind?: 'grad'|'update', source?: 'recent'|'epoch'}} [options]
 * @returns {{labels: string[], step: number, range: object, series: {key: string, runId: number, color: string, name: string, group: boolean, points: {x: number, y: number, v: number, layer: string}[], band: {min: object[], max: object[]}|null}[]}}
 */
export function depthSeries(runs, { kind = 'grad', source = 'recent' } = {}) {
  const field = kind === 'update' ? 'updateRatio' : 'gradNorm';
  const src = kind === 'update' ? 'recent' : source;
  const pointsOf = (run) => perLayerNow(run, { field, source: src }).flatMap((y, x) => (y === null ? [] : [{ x, y }]));
  const entries = chartEntries(runs);
  const lines = entries.map((e) => entryLine(e, pointsOf));
  const range = sharedRange(lines.flatMap((l) => (l.band ? [l.points, l.band.min, l.band.max] : [l.points])), { log: true });
  const place = (p) => ({ x: p.x, y: p.y === 0 && range.floor ? range.floor : p.y });
  const labels = depthLabels(runs.map(layersOf));
  return {
    labels,
    step: tickStep(labels.length),
    range,
    series: entries.map((e, i) => {
      const names = layersOf(e.runs[0]);
      const { points, band } = lines[i];
      return { key: e.key, runId: e.runs[0].id, color: e.color, name: e.name, group: e.group,
        points: points.map((p) => ({ ...place(p), v: p.y, layer: names[p.x] })),
        band: band && { min: band.min.map(place), max: band.max.map(place) } };
    }),
  };
}

/**
 * Activation statistics across depth at each run's latest epoch that has them: per activation
 * layer the mean ± standard deviation of its outputs, and the share of dead units (relu) or of
 * saturated outputs (tanh, sigmoid), in %.
 */
export function activationDepth(runs) {
  const labels = depthLabels(runs.map(actLayersOf));
  const series = runs.map((run) => {
    const e = run.epochs.findLast((r) => Array.isArray(r.actMean));
    const names = actLayersOf(run);
    const relu = (run.config?.act ?? 'relu') === 'relu';
    const share = relu ? e?.dead : e?.saturated;
    return {
      runId: run.id, color: run.color, name: runName(run), epoch: e?.epoch ?? null, what: relu ? 'dead' : 'saturated',
      stats: e ? names.flatMap((layer, x) => (Number.isFinite(e.actMean[x]) ? [{ x, layer, mean: e.actMean[x], std: e.actStd[x] ?? 0 }] : [])) : [],
      share: e && share ? names.flatMap((layer, x) => (Number.isFinite(share[x]) ? [{ x, layer, y: 100 * share[x] }] : [])) : [],
    };
  });
  return { labels, step: tickStep(labels.length), series };
}

/**
 * Activation histograms of several runs as densities on one x axis: items [{run, hist: {counts,
 * lo, hi}}] (engine run.actHistogram).
 */
export function activationHistogram(items) {
  let lo = Infinity, hi = -Infinity;
  const series = items.map(({ run, hist }) => {
    const counts = Array.from(hist.counts); // a Uint32Array from the engine maps to integers only
    const bins = counts.length;
    const width = (hist.hi - hist.lo) / bins || 1;
    const total = counts.reduce((a, b) => a + b, 0) || 1;
    lo = Math.min(lo, hist.lo);
    hi = Math.max(hi, hist.hi);
    return {
      runId: run.id, color: run.color, name: runName(run), total,
      points: counts.map((c, i) => ({ x: hist.lo + (i + 0.5) * width, y: c / total / width })),
    };
  });
  return { series, lo: Number.isFinite(lo) ? lo : 0, hi: Number.isFinite(hi) ? hi : 1 };
}

/** Points per percentile curve. */
export const PERCENTILE_POINTS = 300;

/**
 * The watched layer's pre-activation 15th, 50th and 85th percentiles over training (x in epochs),
 * three lines per run, as Ioffe & Szegedy's Figure 1. Uses the page's thinned plot buffers
 * (plot.pre) when there are some, else the history's step records.
 */
export function percentileSeries(runs) {
  return runs.flatMap((run) => {
    const per = run.stepsPerEpoch || 1;
    return [0, 1, 2].map((k) => {
      const buffered = run.plot?.pre?.[k]?.points;
      const points = buffered?.length ? buffered
        : (run.steps ?? []).filter((s) => Number.isFinite(s.preAct?.[k])).map((s) => ({ x: s.step / per, y: s.preAct[k] }));
      return { runId: run.id, color: run.color, name: runName(run), percentile: [15, 50, 85][k], points: thin(points, PERCENTILE_POINTS) };
    });
  });
}

/** The watched activation layer's name: watch = 0 is the last one. */
export function watchedLayer(run) {
  const names = actLayersOf(run);
  const w = run.config?.watch ?? 0;
  return w === 0 ? names.at(-1) : names[w - 1];
}
