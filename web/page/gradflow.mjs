// Gradient flow and update ratios across depth: x = the layers, input side left; y = the
// per-layer gradient norm (or ‖Δw‖/‖w‖) on a log axis; a line per run shown (a seed group: its mean
// in a band), redrawn as training goes. The numbers come from web/lib/gradflow-data.mjs.
import { depthSeries, RECENT_STEPS } from '../lib/gradflow-data.mjs';
import { h, setText } from './dom.mjs';
import { band, chartCard, depthAxis, fmt, line, lineChart, redraw } from './deep-chart-kit.mjs';

function logAxis(chart, range) {
  const y = chart.options.scales.y;
  y.min = range.min;
  y.max = range.max;
  y.ticks.callback = (v) => {
    const n = Number(v);
    if (range.floor && Math.abs(n / range.floor - 1) < 1e-6) return '0';
    const e = Math.round(Math.log10(n));
    if (Math.abs(Math.log10(n) - e) > 1e-6) return '';
    return Math.abs(e) >= 3 ? `1e${e}` : fmt(n);
  };
}

function depthCard(id, title, yTitle, kind, tools = []) {
  const c = chartCard(id, title, `${title}: a line per run shown, layers from the input (left) to the output`, { tools });
  const chart = c.add(lineChart(c.canvas(), { xTitle: 'layer (input → output)', yTitle, yLog: true }));
  const stats = { runs: [], labels: [] };
  return {
    card: c.card,
    note: c.note,
    chart,
    stats,
    draw(runs, options) {
      const data = depthSeries(runs, { kind, ...options });
      depthAxis(chart, data.labels, data.step);
      logAxis(chart, data.range);
      chart.data.datasets = data.series.flatMap((s) => [...(s.band ? band(s.name, s.color, s.band) : []),
        line(s.name, s.color, s.points, { pointRadius: data.labels.length > 20 ? 2 : 3, borderWidth: 2 })]);
      redraw(chart);
      stats.labels = data.labels;
      stats.runs = data.series.map((s) => ({ runId: s.runId, key: s.key, band: Boolean(s.band), points: s.points.length, layers: s.points.map((p) => p.layer), values: s.points.map((p) => p.v) }));
      return data;
    },
  };
}

/**
 * @param {HTMLElement} section the charts grid
 */
export function createGradFlow(section) {
  const source = h('select', { 'aria-label': 'Gradient flow: which gradients' },
    h('option', { value: 'recent' }, `last ${RECENT_STEPS} steps`), h('option', { value: 'epoch' }, 'epoch mean'));
  const grad = depthCard('gradFlow', 'Gradient flow across depth', 'gradient norm (log)', 'grad',
    [h('label', { class: 'small' }, 'Gradients ', source)]);
  setText(grad.note, `Each layer's gradient norm, the mean over the last ${RECENT_STEPS} training steps (or over the last epoch's steps), input layer on the left: ` +
    'a line falling towards the input is a vanishing gradient, one rising towards it an exploding one.');
  const update = depthCard('updateRatio', 'Update ratio across depth', '‖Δw‖/‖w‖ (log)', 'update');
  setText(update.note, `How much one step changes each layer's weights relative to their size, mean of the last ${RECENT_STEPS} steps: ` +
    'around 1e-3 is a common rule of thumb; far below, the layer barely learns.');
  section.append(grad.card, update.card);
  let latest = [];
  let last = 0;
  let timer = 0;

  function draw() {
    timer = 0;
    last = performance.now();
    grad.draw(latest, { source: source.value });
    update.draw(latest);
  }
  source.addEventListener('change', draw);

  return {
    /** The runs shown; redrawn at most every second while they change. */
    render(runs) {
      latest = runs;
      if (!timer) timer = setTimeout(draw, Math.max(0, 1000 - (performance.now() - last)));
    },
    stats: () => ({ gradFlow: structuredClone(grad.stats), updateRatio: structuredClone(update.stats) }),
  };
}
