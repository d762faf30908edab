// The live charts, comparison first: every chart shows every run that is shown in the run list, in
// the run's colour, with one run legend above them all. Loss and accuracy overlay the runs with
// markers (best epoch, early stop, divergence, restored epoch); gradient norm, weight norm and
// sparsity are small multiples, one panel per layer with the runs overlaid and one y range shared
// by every panel and run, so equal heights mean equal values. An exact zero on a log axis sits on a
// labelled floor line instead of vanishing. Runs that differ only in their seed are drawn once, as
// their mean in a min-max band, and two such groups get a statement on whether they really differ.
// The numbers come from web/lib/chart-data.mjs.
// New data is taken at most every 200 ms and the charts are redrawn one per animation frame, so no
// single task on the main thread grows long.
import { LAYERS, PER_LAYER, chartEntries, comparisonLines, gradTotalLines, groupVerdict, histogramSeries, histogramTable, markers, perLayerPanels, shownLayers, sharedRange, tableOf } from '../lib/chart-data.mjs';
import { h, setText } from './dom.mjs';
import { alpha } from './deep-chart-kit.mjs';
import { redraw, redrawsPending } from './redraw.mjs';

const { Chart } = globalThis;
const MIN_REDRAW_MS = 200;
const MULTIPLES_EVERY_MS = 1500;
const MULTIPLES = Object.keys(PER_LAYER);
const TITLES = { loss: 'Loss', accuracy: 'Accuracy', gradTotal: 'Total gradient norm', grad: 'Gradient norm per layer', weight: 'Weight norm per layer', sparsity: 'Weight sparsity per layer', histogram: 'Weight histogram' };

// Colours come from the page's CSS, so the charts follow the light or dark theme.
const theme = { text: '', grid: '', bg: '', fg: '', font: '' };
function readTheme() {
  const css = getComputedStyle(document.documentElement);
  const v = (name) => css.getPropertyValue(name).trim();
  Object.assign(theme, { text: v('--muted'), grid: v('--grid'), bg: v('--card'), fg: v('--text'), font: v('--font') });
  Chart.defaults.font.family = theme.font;
}

function applyTheme(chart) {
  for (const scale of Object.values(chart.options.scales)) {
    scale.ticks.color = theme.text;
    scale.title.color = theme.text;
    scale.grid.color = scale.type === 'logarithmic' ? (c) => (c.tick && roundLog(c.tick.value) ? theme.grid : 'transparent') : theme.grid;
    scale.border.color = theme.grid;
  }
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

// On a log axis only 1, 2 and 5 times a power of ten get a label; the rest would overlap.
const roundLog = (v) => [1, 2, 5].some((m) => Math.abs(v / 10 ** Math.floor(Math.log10(v)) - m) < 1e-6);
const powerOfTen = (v) => Math.abs(Math.log10(v) - Math.round(Math.log10(v))) < 1e-6;

// Tick labels: powers of ten far from 1 as 1e-4 or 1e4, which fit a small panel's axis.
const tick = (x) => (x !== 0 && powerOfTen(Math.abs(x)) && Math.abs(Math.log10(Math.abs(x))) >= 3 ? `1e${Math.round(Math.log10(Math.abs(x)))}` : fmt(x));
const fmt = (x) => (Math.abs(x) >= 1000 || (x !== 0 && Math.abs(x) < 0.01) ? x.toExponential(1) : String(Number(x.toPrecision(3))));

function lineChart(canvas, { yTitle, xTitle = 'epoch', percent = false, compact = false }) {
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
      layout: { padding: compact ? { top: 4, right: 6 } : { top: 6, right: 8 } },
      plugins: {
        legend: { display: false },
        title: { display: compact, text: '', color: theme.fg, font: { size: 12, weight: '600' }, padding: { top: 0, bottom: 4 } },
        annotation: { annotations: {} },
        tooltip: {
          callbacks: {
            title: (items) => (items.length ? `epoch ${items[0].parsed.x.toFixed(2)}` : ''),
            label: (item) => {
              const raw = item.raw?.v ?? item.parsed.y;
              return `${item.dataset.label}: ${percent ? `${raw.toFixed(2)}%` : fmt(raw)}`;
            },
          },
        },
      },
      scales: {
        x: { type: 'linear', min: 0, title: { display: true, text: xTitle, padding: 0 }, ticks: { precision: 0, maxTicksLimit: compact ? 5 : 11, maxRotation: 0 } },
        y: {
          type: 'linear',
          title: { display: Boolean(yTitle), text: yTitle },
          ticks: { maxTicksLimit: compact ? 5 : 7, autoSkip: true },
          afterFit: compact ? (scale) => { scale.width = 46; } : undefined,
        },
      },
    },
    plugins: [background],
  });
}

// Sets a y axis to linear or log, with the tick labels each needs; `floor` is the value standing
// for an exact zero, labelled 0.
function setY(chart, { log, min, max, percent = false, floor = null, decades = 0 }) {
  const y = chart.options.scales.y;
  const type = log ? 'logarithmic' : 'linear';
  if (y.type !== type) {
    y.type = type;
    applyTheme(chart);
  }
  y.min = min;
  y.max = max;
  y.ticks.autoSkip = !log;
  y.ticks.callback = log
    ? (v) => {
      const n = Number(v);
      if (floor && Math.abs(n / floor - 1) < 1e-6) return '0';
      if (floor && n < floor * 1.5) return '';
      return (decades > 3 ? powerOfTen(n) : roundLog(n)) ? tick(n) : '';
    }
    : (v) => (percent ? `${fmt(Number(v))}%` : fmt(Number(v)));
}

function histogramChart(canvas) {
  const chart = lineChart(canvas, { yTitle: 'density', xTitle: 'weight value' });
  chart.options.scales.x.min = undefined;
  chart.options.scales.x.ticks.callback = (v) => fmt(Number(v));
  chart.options.plugins.tooltip.callbacks.title = (items) => (items.length ? `w ≈ ${fmt(items[0].parsed.x)}` : '');
  return chart;
}

// One dataset object per chart, run and line, created once and then only given new data.
const datasets = new Map();
// A style that changes (a run renamed, dots dropped past 15 epochs) gets a new object: Chart.js
// caches the options it resolved for a dataset object.
function dataset(key, data, style) {
  let d = datasets.get(key);
  if (!d || Object.entries(style).some(([k, v]) => d[k] !== v)) {
    d = { ...style };
    datasets.set(key, d);
  }
  // A copy: Chart.js wraps the push of arrays it is given and would do work on every new point.
  d.data = data.slice();
  return d;
}

// A seed group's band: the lowest seed's line, then the highest seed's filled down to it ('-1': the
// dataset before), both without a border, so the group's mean line drawn next reads on top.
function bandSets(key, label, color, band, opacity) {
  return [
    dataset(`${key}:min`, band.min, { label: `${label}, lowest seed`, borderColor: 'transparent', borderWidth: 0, pointRadius: 0, fill: false }),
    dataset(`${key}:max`, band.max, { label: `${label}, highest seed`, borderColor: 'transparent', borderWidth: 0, pointRadius: 0, fill: '-1', backgroundColor: alpha(color, opacity) }),
  ];
}

// Points where the value is exactly zero are drawn on the floor line, dots included.
const dotsOnZeros = (ctx) => (ctx.raw?.v === 0 ? 2.5 : 0);

const MARK_STYLE = {
  best: { dash: [], width: 1.5, text: 'best' },
  restored: { dash: [2, 3], width: 1.5, text: 'restored' },
  early: { dash: [6, 3], width: 2, text: 'early stop' },
  diverged: { dash: [3, 2], width: 2.5, text: 'diverged' },
};

const singleRuns = (entries) => entries.filter((e) => !e.group).map((e) => e.runs[0]);

// Vertical lines at each run's markers; labels on the big charts only, stacked so runs do not overlap.
function markerAnnotations(runs, withLabels) {
  const out = {};
  const list = [];
  runs.forEach((run, r) => {
    markers(run).forEach((m, k) => {
      const style = MARK_STYLE[m.kind];
      list.push({ runId: run.id, kind: m.kind, x: m.x });
      out[`m${run.id}-${k}`] = {
        type: 'line', xMin: m.x, xMax: m.x, borderColor: run.color, borderWidth: style.width, borderDash: style.dash,
        label: withLabels ? {
          display: true, content: `${style.text} #${run.id}`, position: 'end', yAdjust: ((r * 2 + k) * 18) % 126,
          backgroundColor: run.color, color: '#fff', font: { size: 10, weight: '600' }, padding: { x: 4, y: 2 }, borderRadius: 3,
        } : undefined,
      };
    });
  });
  return { annotations: out, list };
}

function floorAnnotation(floor, label) {
  if (!floor) return {};
  return {
    zero: {
      type: 'line', yMin: floor, yMax: floor, borderColor: theme.text, borderWidth: 1, borderDash: [4, 3],
      label: { display: Boolean(label), content: label, position: 'end', yAdjust: -9, backgroundColor: 'transparent', color: theme.fg, font: { size: 10 }, padding: 1 },
    },
  };
}

/**
 * Attaches the charts to the cards in `root`. The histogram layer picker calls onLayer(index).
 */
export function createCharts(root, onLayer) {
  readTheme();
  const card = (name) => root.querySelector(`[data-chart="${name}"]`);
  const canvas = (name) => card(name).querySelector('canvas');
  const charts = {
    loss: lineChart(canvas('loss'), { yTitle: 'cross-entropy' }),
    accuracy: lineChart(canvas('accuracy'), { yTitle: 'accuracy', percent: true }),
    gradTotal: lineChart(canvas('gradTotal'), { yTitle: '‖g‖ before clipping, log' }),
    histogram: histogramChart(canvas('histogram')),
  };
  // The small multiples: a canvas per layer, made here.
  const panels = {};
  const newPanel = (kind, layer) => {
    const c = h('canvas', { role: 'img', 'aria-label': `${PER_LAYER[kind].title} of ${layer}, every run shown` });
    card(kind).querySelector('.multiples').append(h('div', { class: 'panel-box' }, c));
    const chart = lineChart(c, { yTitle: '', compact: true, percent: kind === 'sparsity' });
    chart.options.plugins.title.text = layer;
    return chart;
  };
  for (const kind of MULTIPLES) panels[kind] = LAYERS.map((layer) => newPanel(kind, layer));
  // As many panels as the runs shown have layers (an mlp of depth 30 has 31): more are made when
  // needed, the ones beyond are hidden and emptied.
  const fitPanels = (kind, names) => {
    while (panels[kind].length < names.length) {
      const chart = newPanel(kind, names[panels[kind].length]);
      applyTheme(chart);
      panels[kind].push(chart);
    }
    panels[kind].forEach((chart, i) => {
      const box = chart.canvas.parentElement;
      box.hidden = i >= names.length;
      if (box.hidden && chart.data.datasets.length) {
        chart.data.datasets = [];
        chart.update('none');
      }
      if (!box.hidden) chart.canvas.setAttribute('aria-label', `${PER_LAYER[kind].title} of ${names[i]}, every run shown`);
    });
    card(kind).querySelector('.multiples').classList.toggle('many', names.length > 5);
  };
  const shownPanels = (kind) => panels[kind].filter((chart) => !chart.canvas.parentElement.hidden);
  const all = () => [charts.loss, charts.accuracy, charts.gradTotal, charts.histogram, ...MULTIPLES.flatMap((k) => panels[k])];

  // The first drawing of real data runs through Chart.js code that is not compiled yet and can
  // take ~60 ms; doing that once now, while the data downloads, keeps it out of training time.
  for (const chart of all()) {
    applyTheme(chart);
    chart.data.datasets.push({ label: '', data: [{ x: 0, y: 1 }, { x: 1, y: 2 }], pointRadius: 2 });
    chart.update('none');
    chart.data.datasets.pop();
    chart.update('none');
  }
  // The same for a log axis with a labelled floor and markers, as the per-layer panels and the
  // loss chart draw them once training starts.
  for (const chart of [panels.grad[0], charts.loss]) {
    const y = chart.options.scales.y;
    const saved = { type: y.type, min: y.min, max: y.max };
    setY(chart, { log: true, min: 0.005, max: 10, floor: 0.01, decades: 3 });
    chart.data.datasets.push({ label: '', data: [{ x: 0, y: 0.01, v: 0 }, { x: 1, y: 2, v: 2 }], pointRadius: (c) => (c.raw?.v === 0 ? 2 : 0) });
    chart.options.plugins.annotation.annotations = { ...floorAnnotation(0.01, '0'), ...markerAnnotations([{ id: 0, color: '#2563eb', config: { val: 1 }, epochs: [{ epoch: 1, valLoss: 1 }, { epoch: 2, valLoss: 2 }], stopReason: 'early' }], true).annotations };
    chart.update('none');
    chart.data.datasets.pop();
    chart.options.plugins.annotation.annotations = {};
    setY(chart, { log: saved.type === 'logarithmic', min: saved.min, max: saved.max });
    chart.update('none');
  }

  // Scale and smoothing of the loss and accuracy charts.
  const view = { loss: { log: false, smoothing: 0.9 }, accuracy: { log: false, smoothing: 0.9 } };
  for (const name of ['loss', 'accuracy']) {
    const c = card(name);
    c.querySelector('.scale').addEventListener('change', (ev) => { view[name].log = ev.target.value === 'log'; take(); });
    c.querySelector('.smoothing').addEventListener('change', (ev) => { view[name].smoothing = Number(ev.target.value); take(); });
  }

  const picker = root.querySelector('#hist-layer');
  // Options by layer name: the layers of the runs shown (fitPicker), LeNet-5's at first.
  const fitPicker = (names) => {
    if ([...picker.options].map((o) => o.value).join() === names.join() || !names.length) return;
    const was = picker.value;
    picker.replaceChildren(...names.map((name) => new Option(name, name)));
    picker.value = names.includes(was) ? was : names[Math.min(2, names.length - 1)];
    if (was && picker.value !== was) onLayer(picker.value);
  };
  fitPicker(LAYERS);
  picker.value = 'fc1';
  picker.addEventListener('change', () => onLayer(picker.value));

  // Data tables: a toggle per card shows the numbers behind the chart.
  const tablesOpen = new Set();
  for (const el of root.querySelectorAll('.chart-card')) {
    const name = el.dataset.chart;
    const toggle = el.querySelector('.table-toggle');
    if (!toggle) continue;
    const holder = h('div', { class: 'chart-table', hidden: true, id: `table-${name}`, tabindex: 0, role: 'region', 'aria-label': `${TITLES[name]}: data table` });
    el.append(holder);
    toggle.setAttribute('aria-controls', holder.id);
    toggle.setAttribute('aria-expanded', 'false');
    toggle.addEventListener('click', () => {
      const open = !tablesOpen.has(name);
      if (open) tablesOpen.add(name);
      else tablesOpen.delete(name);
      toggle.setAttribute('aria-expanded', String(open));
      holder.hidden = !open;
      if (open) fillTable(name);
    });
  }

  function fillTable(name) {
    const holder = root.querySelector(`#table-${name}`);
    const shown = latest ? latest.runs.filter((r) => r.visible) : [];
    const { columns, rows } = name === 'histogram' ? histogramTable(lastHistogram) : tableOf(name, shown);
    if (!rows.length) {
      holder.replaceChildren(h('p', { class: 'muted small' }, 'No numbers yet: they appear after the first epoch.'));
      return;
    }
    holder.replaceChildren(h('table', {},
      h('caption', { class: 'sr-only' }, `${TITLES[name]}: the numbers behind the chart, per run and epoch; a seed group's row gives the mean, with the lowest and highest seed beside it`),
      h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, rows.map((r) => h('tr', {}, r.map((v, i) => (i === 0 ? h('th', { scope: 'row' }, v) : h('td', {}, v))))))));
  }

  matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => {
    readTheme();
    for (const chart of all()) {
      applyTheme(chart);
      chart.options.plugins.title.color = theme.fg;
    }
    for (const kind of MULTIPLES) delete drawnSignature[kind];
    take();
  });

  const legend = root.querySelector('#run-legend');
  const verdict = root.querySelector('#chart-verdict');
  let latest = null;
  let timer = 0;
  let lastTake = 0;
  let lastMultiples = -Infinity;
  let multiTimer = 0;
  let plotted = 0;
  let runsPlotted = 0;
  let firstPointAt = null;
  let shownNames = [];
  const info = { panels: {}, markers: {}, histogram: { runs: 0 }, gradTotal: { lines: [] } };
  let lastHistogram = [];

  function renderLegend(entries) {
    const names = entries.map((e) => e.name);
    if (names.join('\n') === shownNames.join('\n') && legend.childElementCount) return;
    shownNames = names;
    legend.replaceChildren(
      h('span', { class: 'legend-title' }, entries.length ? 'Runs:' : 'No run shown yet.'),
      ...entries.map((e) => h('span', { class: e.group ? 'legend-run legend-group' : 'legend-run', style: `--run-color: ${e.color}` },
        h('span', { class: 'legend-line', 'aria-hidden': 'true' }), e.name)));
  }

  function renderVerdict(entries) {
    const text = groupVerdict(entries);
    verdict.hidden = !text;
    setText(verdict, text ?? '');
  }

  // Three lines per run or seed group: the per-step training curve (thin), training per epoch
  // (dashed) and validation per epoch (solid); the colour is the run's, a group's epoch lines sit in
  // their band (fainter for training, so two overlapping bands stay readable).
  function lineSets(name, line) {
    const key = `${name}:${line.key}:${line.role}`;
    // Dots on the epochs while there are few; past 15 epochs they would hide the lines.
    const dots = line.points.length <= 15;
    const style = {
      step: { label: line.label, borderColor: alpha(line.color, 0.5), borderWidth: 1 },
      train: { label: line.label, borderColor: line.color, borderDash: [5, 4], pointRadius: dots ? 2.5 : 0, pointBackgroundColor: line.color },
      val: { label: line.label, borderColor: line.color, borderWidth: 2.25, pointRadius: dots ? 3 : 0, pointBackgroundColor: line.color },
    }[line.role];
    const drawn = dataset(key, line.points, style);
    return line.band ? [...bandSets(key, line.label, line.color, line.band, line.role === 'val' ? 0.16 : 0.08), drawn] : [drawn];
  }

  function takeComparison(name, entries) {
    const chart = charts[name];
    const { log, smoothing } = view[name];
    const acc = name === 'accuracy';
    const error = acc && log; // accuracy on a log axis: the error rate, 100 − accuracy
    const lines = acc
      ? comparisonLines(entries, { curve: 'acc', train: 'trainAcc', val: 'valAcc', scale: 100, smoothing, value: error ? (y) => Math.max(100 - y, 1e-3) : null })
      : comparisonLines(entries, { curve: 'loss', train: 'trainLoss', val: 'valLoss', scale: 1, smoothing });
    chart.data.datasets = lines.flatMap((line) => lineSets(name, line));
    const range = sharedRange(chart.data.datasets.map((d) => d.data), { log });
    const decades = log ? Math.log10(range.max / range.min) : 0;
    if (acc && !log) {
      // Accuracy starts at 80% or the next 10% below the lowest point: room for detail near the top.
      const lowest = Math.min(...chart.data.datasets.flatMap((d) => d.data.map((p) => p.y)));
      setY(chart, { log: false, min: Math.max(0, Math.min(80, Math.floor(lowest / 10) * 10)), max: 100, percent: true });
    } else {
      setY(chart, { log, min: log ? range.min : 0, max: log ? range.max : undefined, percent: acc, decades });
    }
    chart.options.scales.y.title.text = acc ? (error ? 'error (100 − accuracy), log' : 'accuracy') : (log ? 'cross-entropy, log' : 'cross-entropy');
    // A group's markers would be one per seed at scattered epochs: only single runs get them.
    const marks = markerAnnotations(singleRuns(entries), true);
    chart.options.plugins.annotation.annotations = marks.annotations;
    info.markers[name] = marks.list;
  }

  // The total gradient norm before clipping, per step and run or group (a band for a group), with
  // each clipping entry's threshold as a dashed horizontal line and the runs' markers.
  function takeGradTotal(entries) {
    const chart = charts.gradTotal;
    const { lines, range } = gradTotalLines(entries);
    chart.data.datasets = lines.flatMap((l) => {
      const key = `gradTotal:${l.key}`;
      const drawn = dataset(key, l.points, { label: `${l.name} ‖g‖`, borderColor: l.color, backgroundColor: l.color, borderWidth: 1.25 });
      return l.band ? [...bandSets(key, l.name, l.color, l.band, 0.16), drawn] : [drawn];
    });
    setY(chart, { log: true, min: range.min, max: range.max, floor: range.floor, decades: Math.log10(range.max / range.min) });
    const clips = lines.filter((l) => l.clip);
    const marks = markerAnnotations(singleRuns(entries), true);
    chart.options.plugins.annotation.annotations = {
      ...floorAnnotation(range.floor, lines.some((l) => l.points.some((p) => p.v === 0)) ? '0' : ''),
      ...Object.fromEntries(clips.map((l, i) => [`clip${l.key}`, {
        type: 'line', yMin: l.clip, yMax: l.clip, borderColor: l.color, borderWidth: 1.5, borderDash: [6, 4],
        label: { display: true, content: `clip ${fmt(l.clip)} (${l.name.split(' ')[0]})`, position: 'center', yAdjust: -9 - 16 * i,
          backgroundColor: theme.bg, color: l.color, font: { size: 10, weight: '600' }, padding: 2 },
      }])),
      ...marks.annotations,
    };
    info.gradTotal = { log: true, min: range.min, max: range.max,
      lines: lines.map((l) => ({ key: l.key, points: l.points.length, band: Boolean(l.band), clip: l.clip })) };
  }

  const drawnSignature = {};
  function takeMultiples(kind, shown, entries) {
    const data = perLayerPanels(shown, kind);
    // Nothing new to draw (sparsity changes once an epoch): the panels are left alone.
    const signature = JSON.stringify([data.range, entries.map((e) => [e.key, e.color, e.name, e.runs.map((r) => r.stopReason)]),
      data.panels.map((p) => p.series.map((x) => [x.points.length, x.points.at(-1)?.y, x.band?.min.at(-1)?.y, x.band?.max.at(-1)?.y]))]);
    if (drawnSignature[kind] === signature) return;
    drawnSignature[kind] = signature;
    fitPanels(kind, data.panels.map((p) => p.name));
    const { range } = data;
    const decades = range.log ? Math.log10(range.max / range.min) : 0;
    const marks = markerAnnotations(singleRuns(entries).filter((r) => r.stopReason === 'diverged' || r.stopReason === 'early'), false);
    data.panels.forEach((panel, i) => {
      const chart = panels[kind][i];
      chart.data.datasets = panel.series.flatMap((s) => {
        const key = `${kind}:${s.key}:${i}`;
        const drawn = dataset(key, s.points, {
          label: s.name, borderColor: s.color, backgroundColor: s.color,
          pointRadius: s.zeros ? dotsOnZeros : kind === 'sparsity' ? 2 : 0,
        });
        return s.band ? [...bandSets(key, s.name, s.color, s.band, 0.18), drawn] : [drawn];
      });
      setY(chart, { log: range.log, min: range.min, max: range.max, percent: kind === 'sparsity', floor: range.floor, decades });
      chart.options.plugins.title.text = panel.frozenIn.length ? `${panel.name} (frozen in ${panel.frozenIn.map((id) => `#${id}`).join(', ')})` : panel.name;
      const zeros = panel.series.some((x) => x.zeros > 0);
      chart.options.plugins.annotation.annotations = { ...floorAnnotation(range.floor, zeros ? data.zeroLabel : ''), ...marks.annotations };
    });
    info.panels[kind] = {
      log: range.log, floor: range.floor, min: range.min, max: range.max,
      panels: data.panels.map((p) => ({ name: p.name, runs: p.series.map((s) => s.key), zeroPoints: p.series.reduce((n, s) => n + s.zeros, 0), frozenIn: p.frozenIn })),
    };
    redraw(...shownPanels(kind));
  }

  function take() {
    timer = 0;
    lastTake = performance.now();
    if (!latest) return;
    const { runs } = latest;
    const shown = runs.filter((r) => r.visible);
    const entries = chartEntries(shown);
    renderLegend(entries);
    renderVerdict(entries);
    fitPicker(shownLayers(shown));
    takeComparison('loss', entries);
    takeComparison('accuracy', entries);
    takeGradTotal(entries);
    redraw(charts.loss, charts.accuracy, charts.gradTotal);
    // The fifteen small panels follow at most every MULTIPLES_EVERY_MS while a run trains, and at
    // once when nothing does, so the main thread keeps its budget.
    const training = runs.some((r) => r.status === 'running');
    if (!training || lastTake - lastMultiples >= MULTIPLES_EVERY_MS) {
      lastMultiples = lastTake;
      clearTimeout(multiTimer);
      multiTimer = 0;
      for (const kind of MULTIPLES) takeMultiples(kind, shown, entries);
    } else if (!multiTimer) {
      multiTimer = setTimeout(() => { multiTimer = 0; take(); }, MULTIPLES_EVERY_MS - (lastTake - lastMultiples));
    }
    // A dataset goes with its run, or with any run of its group ('1+2+3').
    for (const key of datasets.keys()) {
      const ids = key.split(':')[1].split('+').map(Number);
      if (!ids.every((id) => runs.some((r) => r.id === id))) datasets.delete(key);
    }
    plotted = charts.loss.data.datasets.reduce((n, d) => n + d.data.length, 0);
    // Set with the data, so whoever sees points counted sees this too; the drawing follows in the next frame.
    if (plotted > 0 && firstPointAt === null) firstPointAt = performance.now();
    runsPlotted = shown.filter((r) => r.epochs.length > 0).length;
    for (const name of tablesOpen) fillTable(name);
  }

  /** Draws one card's charts into a PNG at twice the on-screen size, with a title, the run legend
   * and the line-style key above them. */
  async function png(name) {
    const el = card(name);
    const list = name in panels ? shownPanels(name) : [charts[name]];
    const area = el.querySelector(name in panels ? '.multiples' : '.chart-box');
    const scale = 2;
    const pad = 8 * scale;
    const width = Math.round(area.clientWidth * scale);
    const shown = latest ? latest.runs.filter((r) => r.visible) : [];
    const lineH = 18 * scale;
    const sample = 22 * scale;
    const out = document.createElement('canvas');
    const ctx = out.getContext('2d');
    const font = (px, weight = '') => `${weight} ${px * scale}px ${theme.font}`.trim();

    // The legend (a line sample in each run's colour and its name) and the key (line styles, or
    // the card's key text), laid out in rows that wrap at the image's width.
    ctx.font = font(12);
    const items = chartEntries(shown).map((e) => ({ color: e.color, style: e.group ? 'band' : 'solid', text: e.name }));
    const key = name === 'loss' || name === 'accuracy'
      ? [['thin', 'train, per step'], ['dash', 'train, per epoch'], ['solid', 'validation'], ['mark', 'markers: best epoch, early stop, diverged']]
        .map(([style, text]) => ({ color: theme.text, style, text, key: true }))
      : [{ text: el.querySelector('.key')?.textContent.trim() ?? '', key: true }];
    const rows = [];
    for (const group of [items, key]) {
      let row = [];
      let x = pad;
      for (const item of group) {
        const w = (item.style ? sample + 6 * scale : 0) + Math.min(ctx.measureText(item.text).width, width - 2 * pad - sample);
        if (row.length && x + w > width - pad) {
          rows.push(row);
          row = [];
          x = pad;
        }
        row.push({ ...item, x, w });
        x += w + 14 * scale;
      }
      if (row.length) rows.push(row);
    }
    const head = lineH * 1.5 + rows.length * lineH + 4 * scale;
    const areaRect = area.getBoundingClientRect();
    out.width = width;
    out.height = Math.round(areaRect.height * scale + head);
    ctx.fillStyle = theme.bg;
    ctx.fillRect(0, 0, out.width, out.height);
    ctx.textBaseline = 'middle';
    ctx.fillStyle = theme.fg;
    ctx.font = font(15, '600');
    const title = latest?.title ? `${TITLES[name]} · ${latest.title}` : TITLES[name];
    ctx.fillText(title, pad, lineH * 0.75, width - 2 * pad);
    ctx.font = font(12);
    rows.forEach((row, i) => {
      const y = lineH * (1.5 + i + 0.5);
      for (const item of row) {
        let tx = item.x;
        if (item.style) {
          ctx.save();
          if (item.style === 'band') {
            ctx.fillStyle = alpha(item.color, 0.2);
            ctx.fillRect(item.x, y - 5 * scale, sample, 10 * scale);
          }
          ctx.strokeStyle = item.color;
          ctx.lineWidth = { thin: 1, dash: 2, solid: 3, band: 3, mark: 2 }[item.style] * scale;
          ctx.setLineDash(item.style === 'dash' ? [5 * scale, 4 * scale] : item.style === 'mark' ? [3 * scale, 2 * scale] : []);
          ctx.beginPath();
          if (item.style === 'mark') {
            ctx.moveTo(item.x + sample / 2, y - 7 * scale);
            ctx.lineTo(item.x + sample / 2, y + 7 * scale);
          } else {
            ctx.moveTo(item.x, y);
            ctx.lineTo(item.x + sample, y);
          }
          ctx.stroke();
          ctx.restore();
          tx += sample + 6 * scale;
        }
        ctx.fillStyle = item.key ? theme.text : theme.fg;
        ctx.fillText(item.text, tx, y, width - tx - pad);
      }
    });
    for (const chart of list) {
      const rect = chart.canvas.getBoundingClientRect();
      chart.options.devicePixelRatio = scale;
      chart.resize();
      chart.update('none');
      ctx.drawImage(chart.canvas, Math.round((rect.left - areaRect.left) * scale), Math.round(head + (rect.top - areaRect.top) * scale),
        Math.round(rect.width * scale), Math.round(rect.height * scale));
      chart.options.devicePixelRatio = undefined;
      chart.resize();
      chart.update('none');
    }
    return new Promise((resolve) => out.toBlob(resolve, 'image/png'));
  }

  return {
    charts,
    panels,
    png,
    /** Schedules a redraw with the current runs; cheap to call on every update. `title` names the
     * experiment in exports. */
    render(runs, focus, title = '') {
      latest = { runs, focus, title };
      if (!timer) timer = setTimeout(take, Math.max(0, MIN_REDRAW_MS - (performance.now() - lastTake)));
    },
    /** Overlays the weight histograms of the runs shown: items [{run, data: {counts, range}}]. */
    histogram(layer, items) {
      const { series, range } = histogramSeries(items);
      charts.histogram.data.datasets = series.flatMap((s) => {
        const drawn = dataset(`hist:${s.key}`, s.points, { label: s.name, borderColor: s.color, backgroundColor: alpha(s.color, 0.12), fill: true, borderWidth: 1.75, stepped: 'middle' });
        return s.band ? [...bandSets(`hist:${s.key}`, s.name, s.color, s.band, 0.22), drawn] : [drawn];
      });
      charts.histogram.options.scales.x.min = -range;
      charts.histogram.options.scales.x.max = range;
      charts.histogram.options.scales.y.min = 0;
      const groups = series.filter((s) => s.band).length;
      setText(card('histogram').querySelector('.hist-note'), items.length ? `${layer} kernel weights of ${items.length} run${items.length > 1 ? 's' : ''}, on one x axis${groups ? `; a seed group as its mean density in a band from the lowest to the highest seed` : ''}` : '');
      info.histogram = { runs: series.length, layer, range };
      lastHistogram = series;
      if (tablesOpen.has('histogram')) fillTable('histogram');
      redraw(charts.histogram);
    },
    /** The weight histogram's layer, by name. */
    get layer() {
      return picker.value;
    },
    /** Data points on the loss chart, how many runs have per-epoch points there, when the first
     * point appeared (ms since navigation), whether every chart shows the latest data, and what the
     * charts show: the legend, the per-layer panels with their y ranges as drawn, the total gradient
     * norm's lines and clip thresholds, the markers. */
    stats: () => {
      const drawn = {};
      for (const kind of MULTIPLES) {
        drawn[kind] = shownPanels(kind).map((c) => ({ datasets: c.data.datasets.length, yMin: c.scales.y?.min, yMax: c.scales.y?.max, type: c.options.scales.y.type }));
      }
      return {
        lossPoints: plotted, runsPlotted, firstPointAt, settled: !timer && !multiTimer && redrawsPending() === 0,
        legend: shownNames.slice(), panels: structuredClone(info.panels), gradTotal: structuredClone(info.gradTotal), drawn, markers: structuredClone(info.markers), histogram: { ...info.histogram },
      };
    },
  };
}
