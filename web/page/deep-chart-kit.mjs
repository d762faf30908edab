// What the deep-network charts (gradflow.mjs, activations-view.mjs) share: a chart card with its
// own PNG button, a Chart.js line chart in the page's theme, and an x axis along depth whose
// tick labels are the layer names, thinned and turned when there are many.
import { h } from './dom.mjs';

const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

/** A chart card: {card, tools, box(extraClass) -> canvas holder, note}. */
export function chartCard(id, title, ariaLabel, { wide = true, tools = [] } = {}) {
  const note = h('p', { class: 'key' });
  const png = h('button', { type: 'button', class: 'btn btn-quiet btn-small', 'aria-label': `Download the ${title.toLowerCase()} chart as PNG` }, 'PNG');
  const toolbox = h('div', { class: 'chart-tools' }, ...tools, png);
  const canvases = h('div', { class: 'deep-canvases' });
  const card = h('article', { class: `card chart-card deep-card${wide ? ' wide' : ''}`, 'data-chart': id },
    h('header', {}, h('h3', {}, title), toolbox), canvases, note);
  const charts = [];
  png.addEventListener('click', () => {
    for (const [i, c] of charts.entries()) {
      const a = h('a', { href: c.toBase64Image('image/png', 1), download: `lenet-lab-${id}${charts.length > 1 ? `-${i + 1}` : ''}.png` });
      document.body.append(a);
      a.click();
      a.remove();
    }
  });
  return {
    card, note,
    /** A canvas in its box; the chart made on it is registered for the PNG button. */
    canvas(label) {
      const c = h('canvas', { role: 'img', 'aria-label': label ?? ariaLabel });
      canvases.append(h('div', { class: 'chart-box' }, c));
      return c;
    },
    add(chart) {
      charts.push(chart);
      return chart;
    },
  };
}

// Filled background, so the PNGs are readable.
const background = {
  id: 'deep-background',
  beforeDraw(chart) {
    const { ctx, width, height } = chart;
    ctx.save();
    ctx.fillStyle = css('--card') || '#fff';
    ctx.fillRect(0, 0, width, height);
    ctx.restore();
  },
};

export const fmt = (x) => (Math.abs(x) >= 1000 || (x !== 0 && Math.abs(x) < 0.01) ? x.toExponential(1) : String(Number(x.toPrecision(3))));

/** A line chart with linear x; yLog for a log y axis. */
export function lineChart(canvas, { xTitle, yTitle, yLog = false, legend = false }) {
  const muted = css('--muted') || '#666';
  const grid = css('--grid') || '#ddd';
  return new globalThis.Chart(canvas, {
    type: 'line',
    data: { datasets: [] },
    options: {
      animation: false, responsive: true, maintainAspectRatio: false, parsing: false, normalized: true, spanGaps: true,
      interaction: { mode: 'nearest', intersect: false },
      elements: { point: { radius: 0, hitRadius: 6 }, line: { borderWidth: 1.75 } },
      plugins: {
        legend: { display: legend, labels: { color: muted, boxWidth: 12 } },
        tooltip: { callbacks: { label: (item) => `${item.dataset.label}: ${fmt(item.raw?.v ?? item.parsed.y)}` } },
      },
      scales: {
        x: { type: 'linear', title: { display: true, text: xTitle, color: muted }, ticks: { color: muted, maxRotation: 0 }, grid: { color: grid } },
        y: { type: yLog ? 'logarithmic' : 'linear', title: { display: true, text: yTitle, color: muted },
          ticks: { color: muted, callback: (v) => fmt(Number(v)) }, grid: { color: grid } },
      },
    },
    plugins: [background],
  });
}

/**
 * Puts layer names on a chart's x axis: one tick per depth position, a label on every `step`-th
 * (and the last), turned 60° when there are more than eight.
 */
export function depthAxis(chart, labels, step) {
  const x = chart.options.scales.x;
  const n = labels.length;
  x.min = -0.5;
  x.max = Math.max(0.5, n - 0.5);
  x.ticks.stepSize = 1;
  x.ticks.autoSkip = false;
  x.ticks.maxRotation = n > 8 ? 60 : 0;
  x.ticks.minRotation = n > 8 ? 60 : 0;
  x.afterBuildTicks = (scale) => {
    scale.ticks = labels.map((_, i) => ({ value: i }));
  };
  x.ticks.callback = (v) => {
    const i = Math.round(Number(v));
    return i >= 0 && i < n && (i % step === 0 || i === n - 1) ? labels[i] : '';
  };
}

/** A dataset; the points are copied, since Chart.js hooks the push of the arrays it is given
 * (a run's plot buffers keep growing). */
export function line(label, color, data, extra = {}) {
  return { label, borderColor: color, backgroundColor: color, data: data.slice(), ...extra };
}

/** A #rrggbb colour at opacity a. */
export function alpha(hex, a) {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${n >> 16}, ${(n >> 8) & 255}, ${n & 255}, ${a})`;
}

/** A seed group's band: its lowest seed's line, then its highest seed's, filled down to it. */
export function band(label, color, { min, max }) {
  const edge = { borderColor: 'transparent', borderWidth: 0, pointRadius: 0 };
  return [{ ...line(`${label}, lowest seed`, color, min, edge), fill: false },
    { ...line(`${label}, highest seed`, color, max, edge), fill: '-1', backgroundColor: alpha(color, 0.18) }];
}

export { redraw } from './redraw.mjs';
