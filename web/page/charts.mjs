// The live charts. Loss and accuracy compare every shown run; gradient norms, sparsity and the
// weight histogram look inside the run being inspected. New data is taken at most every 200 ms and
// the charts are redrawn one per animation frame, so no single task on the main thread grows long.
// Dataset objects are reused between redraws, which spares Chart.js re-resolving their options.
import { LAYER_NAMES } from '../lib/config.mjs';

const { Chart } = globalThis;
const LAYER_COLORS = ['#0ea5e9', '#6366f1', '#f59e0b', '#10b981', '#ef4444'];
const MIN_REDRAW_MS = 200;

const ALL_COLOR = '#6b7280';

// Colours come from the page's CSS, so the charts follow the light or dark theme.
const theme = { text: '', grid: '', bg: '' };
function readTheme() {
  const css = getComputedStyle(document.documentElement);
  const v = (name) => css.getPropertyValue(name).trim();
  Object.assign(theme, { text: v('--muted'), grid: v('--grid'), bg: v('--card') });
  Chart.defaults.font.family = v('--font');
}

function applyTheme(chart) {
  for (const scale of Object.values(chart.options.scales)) {
    scale.ticks.color = theme.text;
    scale.title.color = theme.text;
    scale.grid.color = scale.type === 'logarithmic' ? (c) => (c.tick && roundLog(c.tick.value) ? theme.grid : 'transparent') : theme.grid;
    scale.border.color = theme.grid;
  }
  chart.options.plugins.legend.labels.color = theme.text;
}

// Charts are transparent by default; a filled background keeps exported PNGs readable.
const background = {
  id: 'background',
  beforeDraw(chart) {
    const { ctx, width, height } = chart;
    ctx.save();
    ctx.fillStyle = theme.bg;
    ctx.fillRect(0, 0, width, height);
    ctx.restore();
  },
};

function alpha(hex, a) {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${n >> 16}, ${(n >> 8) & 255}, ${n & 255}, ${a})`;
}

// On a log axis only 1, 2 and 5 times a power of ten get a label; the rest would overlap.
const roundLog = (v) => [1, 2, 5].some((m) => Math.abs(v / 10 ** Math.floor(Math.log10(v)) - m) < 1e-6);

const fmt = (x) => (Math.abs(x) >= 1000 || (x !== 0 && Math.abs(x) < 0.01) ? x.toExponential(1) : String(Number(x.toPrecision(3))));

function lineChart(canvas, { yTitle, yLog = false, yMin, yMax, percent = false, legend = false }) {
  return new Chart(canvas, {
    type: 'line',
    data: { datasets: [] },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      parsing: false,
      normalized: true,
      spanGaps: true,
      interaction: { mode: 'nearest', axis: 'x', intersect: false },
      elements: { point: { radius: 0, hitRadius: 6 }, line: { borderWidth: 1.5 } },
      plugins: {
        legend: { display: legend, position: 'bottom', labels: { boxWidth: 12, boxHeight: 2, padding: 10 } },
        tooltip: {
          callbacks: {
            title: (items) => (items.length ? `epoch ${items[0].parsed.x.toFixed(2)}` : ''),
            label: (item) => `${item.dataset.label}: ${percent ? `${item.parsed.y.toFixed(2)}%` : fmt(item.parsed.y)}`,
          },
        },
      },
      scales: {
        x: { type: 'linear', min: 0, title: { display: true, text: 'epoch' }, ticks: { precision: 0 } },
        y: {
          type: yLog ? 'logarithmic' : 'linear',
          min: yMin,
          max: yMax,
          title: { display: true, text: yTitle },
          ticks: yLog
            ? { callback: (v) => (roundLog(v) ? fmt(Number(v)) : ''), autoSkip: false }
            : { callback: (v) => (percent ? `${v}%` : fmt(Number(v))), maxTicksLimit: 7 },
        },
      },
    },
    plugins: [background],
  });
}

function histogramChart(canvas) {
  return new Chart(canvas, {
    type: 'bar',
    data: { datasets: [{ label: 'weights', data: [], backgroundColor: LAYER_COLORS[0], barPercentage: 1, categoryPercentage: 1 }] },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      parsing: false,
      plugins: {
        legend: { display: false },
        tooltip: { callbacks: { title: (items) => `w ≈ ${fmt(items[0].parsed.x)}`, label: (item) => `${item.parsed.y} weights` } },
      },
      scales: {
        x: { type: 'linear', offset: false, title: { display: true, text: 'weight value' }, grid: { display: false }, ticks: { maxTicksLimit: 9, maxRotation: 0, callback: (v) => fmt(Number(v)) } },
        y: { title: { display: true, text: 'count' }, beginAtZero: true },
      },
    },
    plugins: [background],
  });
}

const epochPoints = (run, key, scale = 1) =>
  run.epochs.filter((e) => Number.isFinite(e[key])).map((e) => ({ x: e.epoch, y: e[key] * scale }));

// One dataset object per chart, run and line, created once and then only given new data.
const datasets = new Map();
function dataset(key, data, style) {
  let d = datasets.get(key);
  if (!d) {
    d = { ...style };
    datasets.set(key, d);
  }
  // A copy: Chart.js wraps the push of arrays it is given and would do work on every new point.
  d.data = data.slice();
  return d;
}

// Three lines per run: the smoothed per-step training curve (thin), training per epoch (dashed)
// and validation per epoch (solid); the colour is the run's.
function comparisonSets(chart, runs, stepCurve, trainKey, valKey, scale) {
  const sets = [];
  for (const run of runs) {
    const name = `#${run.id}`;
    const key = `${chart}:${run.id}`;
    sets.push(dataset(`${key}:step`, run.plot[stepCurve].points, { label: `${name} train (step)`, borderColor: alpha(run.color, 0.45), borderWidth: 1 }));
    sets.push(dataset(`${key}:train`, epochPoints(run, trainKey, scale), { label: `${name} train`, borderColor: run.color, borderDash: [5, 4], pointRadius: 2.5, pointBackgroundColor: run.color }));
    if (run.config.val > 0) {
      sets.push(dataset(`${key}:val`, epochPoints(run, valKey, scale), { label: `${name} validation`, borderColor: run.color, borderWidth: 2.25, pointRadius: 3, pointBackgroundColor: run.color }));
    }
  }
  return sets;
}

/**
 * Attaches the charts to the cards in `root`. The histogram layer picker calls onLayer(index).
 */
export function createCharts(root, onLayer) {
  readTheme();
  const canvas = (name) => root.querySelector(`[data-chart="${name}"] canvas`);
  const charts = {
    loss: lineChart(canvas('loss'), { yTitle: 'cross-entropy', yMin: 0 }),
    accuracy: lineChart(canvas('accuracy'), { yTitle: 'accuracy', percent: true, yMin: 80, yMax: 100 }),
    grad: lineChart(canvas('grad'), { yTitle: 'L2 norm', yLog: true, legend: true }),
    sparsity: lineChart(canvas('sparsity'), { yTitle: 'weights ≈ 0', percent: true, yMin: 0, legend: true }),
    histogram: histogramChart(canvas('histogram')),
  };

  // The first drawing of real data runs through Chart.js code that is not compiled yet and can
  // take ~60 ms; doing that once now, while the data downloads, keeps it out of training time.
  for (const chart of Object.values(charts)) {
    applyTheme(chart);
    chart.data.datasets.push({ label: '', data: [{ x: 0, y: 1 }, { x: 1, y: 2 }], pointRadius: 2 });
    chart.update('none');
    chart.data.datasets.pop();
    chart.update('none');
  }

  const picker = root.querySelector('#hist-layer');
  LAYER_NAMES.forEach((name, i) => picker.append(new Option(name, String(i))));
  picker.value = '2';
  picker.addEventListener('change', () => onLayer(Number(picker.value)));

  matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => {
    readTheme();
    for (const chart of Object.values(charts)) applyTheme(chart);
    redraw(...Object.keys(charts));
  });

  let latest = null;
  let timer = 0;
  let frame = 0;
  let lastTake = 0;
  let plotted = 0;
  let runsPlotted = 0;
  let firstPointAt = null;
  const dirty = new Set();

  function pump() {
    frame = 0;
    const [name] = dirty;
    if (!name) return;
    dirty.delete(name);
    charts[name].update('none');
    if (name === 'loss' && plotted > 0 && firstPointAt === null) firstPointAt = performance.now();
    if (dirty.size) frame = requestAnimationFrame(pump);
  }

  function redraw(...names) {
    for (const name of names) dirty.add(name);
    if (!frame) frame = requestAnimationFrame(pump);
  }

  function take() {
    timer = 0;
    lastTake = performance.now();
    const { runs, focus } = latest;
    const shown = runs.filter((r) => r.visible);
    charts.loss.data.datasets = comparisonSets('loss', shown, 'loss', 'trainLoss', 'valLoss', 1);
    charts.accuracy.data.datasets = comparisonSets('accuracy', shown, 'acc', 'trainAcc', 'valAcc', 100);
    const id = focus?.id;
    charts.grad.data.datasets = focus
      ? LAYER_NAMES.map((name, i) => dataset(`grad:${id}:${i}`, focus.plot.grad[i].points, { label: name, borderColor: LAYER_COLORS[i], backgroundColor: LAYER_COLORS[i] }))
      : [];
    charts.sparsity.data.datasets = focus
      ? [
          dataset(`sparsity:${id}:all`, epochPoints(focus, 'sparsity', 100), { label: 'all', borderColor: ALL_COLOR, backgroundColor: ALL_COLOR, borderWidth: 2.5, pointRadius: 2.5 }),
          ...LAYER_NAMES.map((name, i) =>
            dataset(`sparsity:${id}:${i}`, focus.epochs.map((e) => ({ x: e.epoch, y: e.layerSparsity[i] * 100 })), {
              label: name, borderColor: LAYER_COLORS[i], backgroundColor: LAYER_COLORS[i], pointRadius: 2,
            })),
        ]
      : [];
    for (const key of datasets.keys()) {
      const id = Number(key.split(':')[1]);
      if (!runs.some((r) => r.id === id)) datasets.delete(key);
    }
    // Accuracy starts at 80% or the next 10% below the lowest point: room for detail near the
    // top, without the nice-number rounding of Chart.js reaching below 0%.
    const lowest = Math.min(...charts.accuracy.data.datasets.flatMap((d) => d.data.map((p) => p.y)));
    charts.accuracy.options.scales.y.min = Math.max(0, Math.min(80, Math.floor(lowest / 10) * 10));
    plotted = charts.loss.data.datasets.reduce((n, d) => n + d.data.length, 0);
    runsPlotted = shown.filter((r) => r.epochs.length > 0).length;
    redraw('loss', 'accuracy', 'grad', 'sparsity');
  }

  return {
    charts,
    /** Schedules a redraw with the current runs; cheap to call on every update. */
    render(runs, focus) {
      latest = { runs, focus };
      if (!timer) timer = setTimeout(take, Math.max(0, MIN_REDRAW_MS - (performance.now() - lastTake)));
    },
    histogram(layer, data) {
      const set = charts.histogram.data.datasets[0];
      const width = data ? (2 * data.range) / data.counts.length : 0;
      set.data = data ? data.counts.map((y, i) => ({ x: -data.range + (i + 0.5) * width, y })) : [];
      set.backgroundColor = LAYER_COLORS[layer];
      redraw('histogram');
    },
    get layer() {
      return Number(picker.value);
    },
    /** Data points on the loss chart, how many runs have per-epoch points there, when the first
     * point appeared (ms since navigation), and whether every chart shows the latest data. */
    stats: () => ({ lossPoints: plotted, runsPlotted, firstPointAt, settled: !timer && dirty.size === 0 }),
  };
}
