// The curve diagnosis in the page: notes on the selected run (web/lib/diagnosis.mjs), each with
// its evidence and a button that scrolls to the chart showing it and highlights it; and the
// activations chart (dead ReLU units, or saturated tanh/sigmoid outputs, per layer and epoch, as
// the core measured them).
import { diagnose } from '../lib/diagnosis.mjs';
import { actLayersOf, layerColor } from '../lib/network.mjs';
import { h } from './dom.mjs';


/** Scrolls to a chart card and highlights it for a moment. */
export function showChart(name, root = document) {
  const card = root.querySelector(`[data-chart="${CSS.escape(name)}"]`);
  if (!card) return false;
  card.scrollIntoView({ behavior: 'smooth', block: 'center' });
  card.classList.remove('chart-highlight');
  void card.offsetWidth; // restart the animation
  card.classList.add('chart-highlight');
  setTimeout(() => card.classList.remove('chart-highlight'), 2400);
  return true;
}

/**
 * @param {HTMLElement} chartsSection where the two cards go (the charts grid)
 */
export function createDiagnosisView(chartsSection) {
  const list = h('ul', { class: 'diagnosis-list' });
  const empty = h('p', { class: 'small muted' }, 'Notes appear here when a curve shows overfitting, divergence, oscillation, dead or saturated units.');
  const title = h('span', { class: 'for-run' });
  const notesCard = h('article', { class: 'card diagnosis-card wide', id: 'diagnosis', 'aria-live': 'polite' },
    h('header', {}, h('h3', {}, 'Diagnosis ', title)), empty, list);

  const canvas = h('canvas', { role: 'img', 'aria-label': 'Dead ReLU units or saturated outputs per layer and epoch' });
  const chartTitle = h('h3', {}, 'Activations');
  const actCard = h('article', { class: 'card chart-card', 'data-chart': 'activations' },
    h('header', {}, chartTitle), h('div', { class: 'chart-box' }, canvas));
  chartsSection.append(notesCard, actCard);

  let chart = null;
  function ensureChart() {
    if (chart || !globalThis.Chart) return chart;
    const muted = getComputedStyle(document.body).getPropertyValue('--muted').trim() || '#666';
    chart = new globalThis.Chart(canvas, {
      type: 'line',
      data: { datasets: [] },
      options: {
        animation: false, responsive: true, maintainAspectRatio: false, parsing: false,
        plugins: { legend: { display: true, labels: { color: muted, boxWidth: 12 } } },
        scales: {
          x: { type: 'linear', title: { display: true, text: 'epoch', color: muted }, ticks: { color: muted, precision: 0 } },
          y: { min: 0, max: 100, title: { display: true, text: '% of layer', color: muted }, ticks: { color: muted } },
        },
      },
    });
    return chart;
  }

  let lastKey = '';
  /** Shows the notes and the activations of `run` (a page run: a history). */
  // Diagnosing walks every step: done again only when the run moved on by an epoch, 50 steps or
  // its end, not on every frame.
  function update(run) {
    const key = run ? `${run.id}:${run.epochs.length}:${run.stopReason}:${run.status}:${Math.floor(run.step / 50)}:${run.config.act}` : '';
    if (key === lastKey) return;
    lastKey = key;
    const notes = run ? diagnose(run) : [];
    title.textContent = run ? `(run #${run.id})` : '';
    list.replaceChildren(...notes.map((n) => h('li', { class: `diagnosis-note note-${n.rule}`, 'data-rule': n.rule },
      h('strong', {}, n.title),
      h('p', { class: 'small' }, n.evidence),
      h('button', { type: 'button', class: 'btn btn-quiet btn-small', 'data-chart-link': n.chart, onclick: () => showChart(n.chart) },
        n.chart === 'activations' ? 'Show the activations chart' : 'Show the loss chart'))));
    empty.hidden = notes.length > 0;

    const relu = (run?.config.act ?? 'relu') === 'relu';
    chartTitle.textContent = relu ? 'Dead ReLU units per layer' : `Saturated ${run.config.act} outputs per layer`;
    const c = ensureChart();
    if (c) {
      const field = relu ? 'dead' : 'saturated';
      const names = run ? actLayersOf(run) : [];
      // Past eight layers a legend would crowd the chart: the colours run from blue (input) to red.
      c.options.plugins.legend.display = names.length <= 8;
      c.options.plugins.title = { display: names.length > 8, text: `${names[0]} (blue) … ${names.at(-1)} (red)`, color: c.options.plugins.legend.labels.color };
      c.data.datasets = names.map((layer, i) => ({
        label: layer, borderColor: layerColor(i, names.length), backgroundColor: layerColor(i, names.length), pointRadius: 2, borderWidth: 2,
        data: run.epochs.filter((e) => Array.isArray(e[field]) && Number.isFinite(e[field][i])).map((e) => ({ x: e.epoch, y: 100 * e[field][i] })),
      }));
      c.update('none');
    }
  }

  return { update, element: notesCard, chartCard: actCard };
}
