// Activation views for any depth: per activation layer the mean ± standard deviation of its
// outputs and the share of dead (relu) or saturated (tanh, sigmoid) units at the latest epoch; a
// histogram of a chosen layer's outputs (the worker sends them at each epoch's end); and the
// watched layer's pre-activation 15th/50th/85th percentiles over training, as Ioffe & Szegedy's
// Figure 1. The numbers come from web/lib/gradflow-data.mjs.
import { activationDepth, activationHistogram, percentileSeries, watchedLayer } from '../lib/gradflow-data.mjs';
import { actLayersOf, unionNames } from '../lib/network.mjs';
import { h, setText } from './dom.mjs';
import { alpha, chartCard, depthAxis, line, lineChart, redraw } from './deep-chart-kit.mjs';

/**
 * @param {HTMLElement} section the charts grid
 */
export function createActivationsView(section) {
  // Mean ± std and dead/saturated share across depth.
  const depth = chartCard('actStats', 'Activations across depth', 'Activation statistics per layer at the latest epoch');
  const meanChart = depth.add(lineChart(depth.canvas('Mean ± standard deviation of each activation layer\'s outputs, every run shown'), { xTitle: 'activation layer (input → output)', yTitle: 'mean ± std' }));
  const shareChart = depth.add(lineChart(depth.canvas('Share of dead or saturated units per activation layer, every run shown'), { xTitle: 'activation layer (input → output)', yTitle: '% dead / saturated' }));
  shareChart.options.scales.y.min = 0;
  shareChart.options.scales.y.max = 100;
  setText(depth.note, 'Left: each activation layer\'s output mean, with a band of ± one standard deviation, over the training subset ' +
    'evaluated after the latest epoch. Right: the share of dead ReLU units, or of tanh/sigmoid outputs in the flat tails.');

  // Histogram of one layer's outputs.
  const picker = h('select', { id: 'act-hist-layer', 'aria-label': 'Activation histogram: layer' });
  const hist = chartCard('actHist', 'Activation histogram', 'Histogram of the chosen layer\'s outputs, every run shown',
    { tools: [h('label', { class: 'small', for: 'act-hist-layer' }, 'Layer'), picker] });
  const histChart = hist.add(lineChart(hist.canvas(), { xTitle: 'activation value', yTitle: 'density' }));
  histChart.options.scales.y.min = 0;

  // Percentiles of the watched layer's pre-activations.
  const pre = chartCard('preAct', 'Pre-activation percentiles', 'The watched layer\'s pre-activation 15th, 50th and 85th percentiles per step, every run shown');
  const preChart = pre.add(lineChart(pre.canvas(), { xTitle: 'epoch', yTitle: 'pre-activation' }));
  preChart.options.scales.x.min = 0;

  section.append(depth.card, hist.card, pre.card);
  const stats = { actStats: [], actHist: [], preAct: [] };
  let latest = [];
  let last = 0;
  let timer = 0;

  function drawDepth(runs) {
    const data = activationDepth(runs);
    for (const c of [meanChart, shareChart]) depthAxis(c, data.labels, data.step);
    meanChart.data.datasets = data.series.flatMap((s) => [
      line(`${s.name} − std`, alpha(s.color, 0.25), s.stats.map((p) => ({ x: p.x, y: p.mean - p.std })), { borderWidth: 0, pointRadius: 0 }),
      line(`${s.name} + std`, alpha(s.color, 0.25), s.stats.map((p) => ({ x: p.x, y: p.mean + p.std })), { borderWidth: 0, pointRadius: 0, fill: '-1', backgroundColor: alpha(s.color, 0.15) }),
      line(`${s.name} mean`, s.color, s.stats.map((p) => ({ x: p.x, y: p.mean })), { pointRadius: 2.5, borderWidth: 2 }),
    ]);
    shareChart.data.datasets = data.series.map((s) => line(`${s.name} % ${s.what}`, s.color, s.share, { pointRadius: 2.5, borderWidth: 2 }));
    redraw(meanChart);
    redraw(shareChart);
    stats.actStats = data.series.map((s) => ({ runId: s.runId, epoch: s.epoch, layers: s.stats.map((p) => p.layer), share: s.share.length, what: s.what }));
  }

  function drawHistogram(runs) {
    const names = unionNames(runs.map(actLayersOf));
    const wanted = picker.value || names.at(-1) || '';
    if ([...picker.options].map((o) => o.value).join() !== names.join()) {
      picker.replaceChildren(...names.map((n) => new Option(n, n)));
    }
    picker.value = names.includes(wanted) ? wanted : names.at(-1) ?? '';
    const layer = picker.value;
    const items = runs.flatMap((run) => {
      const i = actLayersOf(run).indexOf(layer);
      const hist = run.actHist?.layers?.[i];
      return hist ? [{ run, hist, epoch: run.actHist.epoch }] : [];
    });
    const data = activationHistogram(items);
    histChart.options.scales.x.min = data.lo;
    histChart.options.scales.x.max = data.hi;
    histChart.data.datasets = data.series.map((s) => line(s.name, s.color, s.points, { stepped: 'middle', fill: true, backgroundColor: alpha(s.color, 0.12), borderWidth: 1.75 }));
    redraw(histChart);
    setText(hist.note, items.length
      ? `${layer}'s outputs over the last evaluated batch of each run's latest epoch (${items.map((it) => `#${it.run.id} epoch ${it.epoch}`).join(', ')}), as densities on one x axis.`
      : 'The outputs of the chosen activation layer appear after the first epoch.');
    stats.actHist = data.series.map((s) => ({ runId: s.runId, layer, bins: s.points.length, total: s.total }));
  }

  function drawPercentiles(runs) {
    const series = percentileSeries(runs);
    preChart.data.datasets = series.map((s) => line(`${s.name} p${s.percentile}`, s.color, s.points,
      { borderDash: s.percentile === 50 ? [] : [5, 4], borderWidth: s.percentile === 50 ? 2 : 1.25 }));
    redraw(preChart);
    const watched = [...new Set(runs.map((r) => `${watchedLayer(r)}`))];
    setText(pre.note, `The 15th, 50th (solid) and 85th (dashed) percentiles of the inputs to ${watched.join(' / ') || 'the watched layer'}'s activation over the batch, ` +
      'at every step (Ioffe & Szegedy, Figure 1): without batch norm they drift as the layers below change; batch norm, before the activation, ' +
      'normalises them over each batch. The Watched layer setting chooses the layer.');
    stats.preAct = runs.map((r) => ({ runId: r.id, layer: watchedLayer(r), points: series.filter((s) => s.runId === r.id).map((s) => s.points.length) }));
  }

  function draw() {
    timer = 0;
    last = performance.now();
    drawDepth(latest);
    drawHistogram(latest);
    drawPercentiles(latest);
  }
  picker.addEventListener('change', () => drawHistogram(latest));

  return {
    render(runs) {
      latest = runs;
      if (!timer) timer = setTimeout(draw, Math.max(0, 1000 - (performance.now() - last)));
    },
    stats: () => structuredClone(stats),
  };
}
