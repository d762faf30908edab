// The sweep panel: choose one setting and its values (or a range), or two for a grid, and seeds;
// the summary chart against the swept value, a heatmap for a grid, a sortable table whose rows
// select runs on the other charts, "Repeat with N seeds", links with results and Reproduce.
// Thin: what it shows comes from sweep-view.mjs and the session.
import { readLink as readFullLink, decodeResults } from '../lib/result-link.mjs';
import { parseSweep } from '../lib/sweep.mjs';
import { COLUMNS, SWEEPABLE, groupBands, heatmap, seedVerdict, sortRows, summarySeries, tableRows } from './sweep-view.mjs';
import { h, setText } from './dom.mjs';

const COLORS = ['#2563eb', '#e11d48', '#059669', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#65a30d'];
const fmt = (x, percent) => (x === null || x === undefined ? '–' : percent ? `${(100 * x).toFixed(2)} %` : x.toFixed(4));

/**
 * Reads a whole link (runs, sweep, results) for session.openLink; results are decoded here.
 * @returns {Promise<{runs, warnings, base, sweep, shared} | {error: string}>}
 */
export async function readPageLink(text) {
  let link;
  try {
    link = readFullLink(text);
  } catch (e) {
    return { error: e.message };
  }
  let shared = null;
  if (link.results) {
    try {
      shared = await decodeResults(link.results, link.configs);
    } catch (e) {
      return { runs: link.configs, warnings: link.warnings, base: link.base, sweep: link.sweep, shared: null, resultsError: e.message };
    }
  }
  return { runs: link.configs, warnings: link.warnings, base: link.base, sweep: link.sweep, shared };
}

export function createSweepPanel(anchor, { session, notice, say, shareUrl, copyText }) {
  const keySelect = (id) => h('select', { id, 'aria-label': 'Setting to sweep' }, h('option', { value: '' }, id.endsWith('2') ? '(no second setting)' : 'Setting…'), SWEEPABLE.map((k) => h('option', { value: k }, k)));
  const key1 = keySelect('sweep-key'), key2 = keySelect('sweep-key2');
  const values1 = h('input', { id: 'sweep-values', placeholder: '1e-5,1e-4  or  log:1e-5..1e-1:6', size: 26, 'aria-label': 'Values' });
  const values2 = h('input', { id: 'sweep-values2', placeholder: 'values', size: 16, 'aria-label': 'Values of the second setting' });
  const seeds = h('input', { id: 'sweep-seeds', type: 'number', min: 1, max: 20, value: 1, 'aria-label': 'Seeds', style: 'width:4em' });
  const runBtn = h('button', { id: 'sweep-run', class: 'btn btn-primary', type: 'button' }, 'Run sweep');
  const repeatBtn = h('button', { id: 'sweep-repeat', class: 'btn', type: 'button', title: 'The focused run with the seeds seed … seed+N−1' }, 'Repeat with N seeds');
  const shareBtn = h('button', { id: 'share-results', class: 'btn', type: 'button', title: 'A link that holds every run\'s finished curves' }, 'Copy link with results');
  const reproduceBtn = h('button', { id: 'reproduce', class: 'btn btn-accent', type: 'button', hidden: true }, 'Reproduce');
  const forkEpoch = h('input', { id: 'fork-epoch', type: 'number', min: 1, value: 1, 'aria-label': 'Epoch to fork at', style: 'width:4em' });
  const forkBtn = h('button', { id: 'fork', class: 'btn', type: 'button', title: 'A new run that continues the focused run from the end of this epoch with the settings in the form (the data selection stays)' }, 'Fork at epoch');
  const note = h('p', { id: 'sweep-note', class: 'muted small', 'aria-live': 'polite' });
  const verdict = h('p', { id: 'seed-verdict', class: 'small' });
  const canvas = h('canvas', { id: 'sweep-chart', height: 220, role: 'img', 'aria-label': 'Summary: final and best losses and test accuracy against the swept value' });
  const heat = h('div', { id: 'sweep-heatmap' });
  const bandCanvases = { valLoss: h('canvas', { id: 'band-loss', role: 'img', 'aria-label': 'Validation loss per epoch of each seed group: mean line, band from the lowest to the highest seed' }),
    testAcc: h('canvas', { id: 'band-acc', role: 'img', 'aria-label': 'Test accuracy per epoch of each seed group: mean line, band from the lowest to the highest seed' }) };
  const bands = h('div', { id: 'seed-bands', class: 'sweep-bands', hidden: true },
    h('div', { style: 'position:relative;height:200px' }, bandCanvases.valLoss), h('div', { style: 'position:relative;height:200px' }, bandCanvases.testAcc));
  const table = h('table', { id: 'sweep-table', class: 'sweep-table' });
  const body = h('div', { id: 'sweep-results', hidden: true }, h('div', { style: 'position:relative;height:240px' }, canvas), heat, bands, verdict,
    h('div', { style: 'overflow:auto;max-height:320px' }, table));
  const section = h('section', { class: 'panel', id: 'sweep-panel', 'aria-labelledby': 'sweep-title' },
    h('div', { class: 'panel-head' }, h('h2', { id: 'sweep-title' }, 'Sweep and seeds'), h('div', {}, shareBtn, ' ', reproduceBtn)),
    h('div', { class: 'sweep-form' }, key1, ' = ', values1, ' ', key2, ' = ', values2, ' seeds ', seeds, ' ', runBtn, ' ', repeatBtn),
    h('div', { class: 'sweep-form' }, forkBtn, ' ', forkEpoch, h('span', { class: 'muted small' }, ' with the settings in the form: the new run shares the focused run\'s curves up to that epoch.')),
    note, body);
  anchor.before(section);

  let chart = null;
  let sort = { column: 'id', descending: false };
  const selected = new Set();

  function spec() {
    const axes = [];
    if (key1.value) axes.push(`${key1.value}=${values1.value}`);
    if (key2.value) axes.push(`${key2.value}=${values2.value}`);
    return parseSweep(axes, seeds.value || '1');
  }

  runBtn.addEventListener('click', () => {
    try {
      const s = spec();
      if (!s.axes.length && s.seeds < 2) throw new Error('Choose a setting and its values, or more than one seed.');
      selected.clear();
      session.openSweep(session.draft, s);
      setText(note, `${s.axes.reduce((n, a) => n * a.values.length, s.seeds)} runs queued over the workers.`);
    } catch (e) {
      setText(note, e.message);
    }
  });
  repeatBtn.addEventListener('click', () => {
    const f = session.focused;
    const n = Number(seeds.value);
    if (!f || !(n >= 2)) return setText(note, 'Focus a run and set seeds to 2 or more.');
    selected.clear();
    session.openSweep(f.config, parseSweep([], n));
  });
  shareBtn.addEventListener('click', async () => {
    try {
      const link = await session.linkWithResults(shareUrl('').replace(/#$/, ''));
      if (await copyText(link)) say(`Link with results copied (${link.length} characters).`);
      else notice('info', 'Copy this link:', [], h('input', { class: 'link-field', readOnly: true, value: link }));
    } catch (e) {
      notice('error', 'No link with results', [e.message]);
    }
  });
  reproduceBtn.addEventListener('click', () => session.reproduce());
  forkBtn.addEventListener('click', () => {
    try {
      session.fork(Number(forkEpoch.value));
      setText(note, `Forked run #${session.focused?.id ?? ''} at epoch ${forkEpoch.value}: the epochs up to it are trained again from the seed to reach its exact state, then the new settings apply.`);
    } catch (e) {
      setText(note, e.message);
    }
  });

  function select(id) {
    if (selected.has(id)) selected.delete(id);
    else selected.add(id);
    for (const r of session.runs) session.setVisible(r.id, selected.size === 0 || selected.has(r.id));
  }

  function drawTable(sweep, runs) {
    const rows = sortRows(tableRows(sweep, runs), sort.column, sort.descending);
    const keys = sweep.axes.map((a) => a.key);
    const cols = [['id', '#'], ...keys.map((k) => [k, k]), ['seed', 'seed'], ...COLUMNS, ['state', 'state']];
    const head = h('tr', {}, cols.map(([c, label]) => h('th', { scope: 'col' },
      h('button', { type: 'button', class: 'sort', 'data-column': c, onclick: () => { sort = { column: c, descending: sort.column === c && !sort.descending }; render(); } },
        label + (sort.column === c ? (sort.descending ? ' ▼' : ' ▲') : '')))));
    const trs = rows.map((r) => h('tr', { class: selected.has(r.id) ? 'selected' : '', 'data-run': r.id, tabindex: 0, title: 'Show only the selected runs on the charts',
      onclick: () => { select(r.id); render(); }, onkeydown: (ev) => { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); select(r.id); render(); } } },
    cols.map(([c]) => h('td', {}, c in r && c !== 'point' ? (COLUMNS.some(([f]) => f === c) ? fmt(r[c], c === 'finalTestAcc') : String(r[c])) : String(r.point[c])))));
    table.replaceChildren(h('thead', {}, head), h('tbody', {}, trs));
  }

  function drawChart(sweep, runs) {
    const { Chart } = globalThis;
    if (!Chart) return;
    const s = summarySeries(sweep, runs);
    const datasets = s.series.map((d, i) => ({
      label: d.name, data: s.labels.map((x, j) => ({ x: s.categorical ? String(x) : x, y: d.y[j] === null ? null : d.percent ? 100 * d.y[j] : d.y[j] })),
      yAxisID: d.percent ? 'acc' : 'loss', borderColor: COLORS[i % COLORS.length], backgroundColor: COLORS[i % COLORS.length], showLine: true, spanGaps: true,
    }));
    const xScale = s.categorical ? { type: 'category', labels: s.labels.map(String), title: { display: true, text: s.key } }
      : { type: s.log ? 'logarithmic' : 'linear', title: { display: true, text: `${s.key}${s.log ? ' (log)' : ''}` } };
    if (!chart) {
      chart = new Chart(canvas, { type: 'line', data: { datasets }, options: { animation: false, maintainAspectRatio: false, parsing: true,
        scales: { x: xScale, loss: { type: 'linear', position: 'left', title: { display: true, text: 'loss' } },
          acc: { type: 'linear', position: 'right', title: { display: true, text: 'test accuracy %' }, grid: { drawOnChartArea: false } } } } });
    } else {
      chart.data.datasets = datasets;
      chart.options.scales.x = xScale;
      chart.update('none');
    }
  }

  const bandCharts = {};
  function drawBands(runs) {
    const { Chart } = globalThis;
    let shown = false;
    for (const [field, canvasEl] of Object.entries(bandCanvases)) {
      const groups = groupBands(runs, field);
      shown ||= groups.length > 0;
      const percent = field === 'testAcc';
      const y = (p) => ({ x: p.x, y: percent ? 100 * p.y : p.y });
      const datasets = groups.flatMap((g, i) => {
        const c = COLORS[i % COLORS.length];
        return [
          { label: `${g.label} min`, data: g.min.map(y), borderColor: 'transparent', pointRadius: 0, fill: false },
          { label: `${g.label} max`, data: g.max.map(y), borderColor: 'transparent', backgroundColor: `${c}33`, pointRadius: 0, fill: '-1' },
          { label: g.label, data: g.mean.map(y), borderColor: c, backgroundColor: c, pointRadius: 2, fill: false },
        ];
      });
      if (!Chart) continue;
      if (!bandCharts[field]) {
        bandCharts[field] = new Chart(canvasEl, { type: 'line', data: { datasets }, options: { animation: false, maintainAspectRatio: false,
          plugins: { legend: { labels: { filter: (item) => !/ (min|max)$/.test(item.text) } } },
          scales: { x: { type: 'linear', title: { display: true, text: 'epoch' } }, y: { title: { display: true, text: percent ? 'test accuracy %' : 'validation loss' } } } } });
      } else {
        bandCharts[field].data.datasets = datasets;
        bandCharts[field].update('none');
      }
    }
    bands.hidden = !shown;
    return shown;
  }

  function drawHeatmap(sweep, runs) {
    const m = heatmap(sweep, runs);
    if (!m) return heat.replaceChildren();
    const shade = (v) => (v === null || m.max === m.min ? '#f3f4f6' : `hsl(${220 - 200 * ((v - m.min) / (m.max - m.min))} 70% 80%)`);
    heat.replaceChildren(h('table', { class: 'sweep-heatmap', 'aria-label': 'Final validation loss over the grid' },
      h('caption', {}, `final validation loss: ${m.y.key} (rows) × ${m.x.key} (columns)`),
      h('tr', {}, h('th', {}, ''), m.x.values.map((v) => h('th', { scope: 'col' }, String(v)))),
      m.cells.map((row, i) => h('tr', {}, h('th', { scope: 'row' }, String(m.y.values[i])), row.map((v) => h('td', { style: `background:${shade(v)}` }, fmt(v)))))));
  }

  function render() {
    const sweep = session.sweep;
    const runs = session.runs;
    reproduceBtn.hidden = !session.toolbar().reproduce;
    const finished = runs.length > 0 && runs.every((r) => r.status === 'done' || (r.shared && !r.started));
    shareBtn.disabled = !finished;
    body.hidden = !sweep || runs.length !== sweep.runs.length;
    if (body.hidden) return;
    drawChart(sweep, runs);
    drawHeatmap(sweep, runs);
    drawBands(runs);
    drawTable(sweep, runs);
    setText(verdict, seedVerdict(runs) ?? '');
  }

  return {
    render,
    stats: () => ({ rows: table.querySelectorAll('tbody tr').length, points: chart ? chart.data.datasets[0]?.data.length ?? 0 : 0,
      series: chart ? chart.data.datasets.length : 0, visible: body.hidden === false,
      bands: bands.hidden ? 0 : (bandCharts.valLoss?.data.datasets.length ?? 0) / 3 }),
  };
}
