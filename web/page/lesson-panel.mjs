// The lesson panel: a guided experiment's explanation and formula, kept in view beside the charts
// it cites (in the sticky settings column on wide screens; a bar at the bottom of the screen, one
// tap from open, on phones). Opening a lesson highlights the charts its `charts` field names and
// scrolls the first of them into view.
import { h } from './dom.mjs';

// The experiments' chart names (web/lib/experiments.mjs) and the page's cards.
const CARDS = {
  loss: '[data-chart="loss"]',
  accuracy: '[data-chart="accuracy"]',
  gradTotal: '[data-chart="gradTotal"]',
  gradNorm: '[data-chart="grad"]',
  weightNorm: '[data-chart="weight"]',
  sparsity: '[data-chart="sparsity"]',
  histogram: '[data-chart="histogram"]',
  gradFlow: '[data-chart="gradFlow"]',
  updateRatio: '[data-chart="updateRatio"]',
  actStats: '[data-chart="actStats"]',
  actHist: '[data-chart="actHist"]',
  preAct: '[data-chart="preAct"]',
  results: '.results',
};
const NAMES = {
  loss: 'Loss', accuracy: 'Accuracy', gradTotal: 'Total gradient norm', gradNorm: 'Gradient norm', weightNorm: 'Weight norm',
  sparsity: 'Sparsity', histogram: 'Weight histogram', results: 'Results',
  gradFlow: 'Gradient flow', updateRatio: 'Update ratio', actStats: 'Activations across depth',
  actHist: 'Activation histogram', preAct: 'Pre-activation percentiles',
};

/** The formula as a node. The one place a typesetter (KaTeX) would go: it returns plain text now. */
export function renderFormula(formula) {
  return h('p', { class: 'formula' }, formula);
}

/** The cards an experiment cites, as [name, element]; a missing `charts` field cites none. */
export function citedCards(experiment, root = document) {
  return (experiment.charts ?? [])
    .map((name) => [name, CARDS[name] ? root.querySelector(CARDS[name]) : null])
    .filter(([, el]) => el);
}

/**
 * @param {HTMLElement} panel the (empty, hidden) lesson element
 */
export function createLesson(panel) {
  let current = null;
  let cited = [];
  const narrow = matchMedia('(max-width: 860px)');

  function clearHighlight() {
    for (const [, el] of cited) el.classList.remove('cited');
    cited = [];
  }

  function scrollTo(el) {
    el.scrollIntoView({ block: 'start', behavior: 'auto' });
  }

  function setExpanded(open) {
    panel.classList.toggle('expanded', open);
    panel.querySelector('.lp-toggle')?.setAttribute('aria-expanded', String(open));
  }

  const api = {
    get current() { return current; },

    /** Shows the experiment's lesson; `note` is a line about its runs, `extras` more nodes to show
     * under the formula (a question to answer before training, say). */
    open(experiment, note = '', extras = []) {
      clearHighlight();
      current = experiment;
      cited = citedCards(experiment);
      for (const [, el] of cited) el.classList.add('cited');
      const toggle = h('button', { type: 'button', class: 'lp-toggle', 'aria-expanded': 'false', 'aria-controls': 'lp-body',
        onclick: () => setExpanded(!panel.classList.contains('expanded')) },
      h('span', { class: 'lp-kicker' }, 'Lesson'), h('span', { class: 'lp-short' }, experiment.title));
      panel.replaceChildren(
        toggle,
        h('div', { class: 'lp-body', id: 'lp-body' },
          h('div', { class: 'lp-head' },
            h('h2', { id: 'lp-title' }, experiment.title),
            h('button', { type: 'button', class: 'icon-btn', 'aria-label': 'Close the lesson', title: 'Close the lesson', onclick: () => api.close() }, '✕')),
          h('p', { class: 'lp-text' }, experiment.text),
          renderFormula(experiment.formula),
          cited.length ? h('p', { class: 'lp-cites small' }, 'Look at: ',
            cited.flatMap(([name, el], i) => [i ? ', ' : '', h('button', { type: 'button', class: 'link-btn', onclick: () => { setExpanded(false); scrollTo(el); } }, NAMES[name] ?? name)])) : null,
          ...extras,
          note ? h('p', { class: 'small muted' }, note) : null));
      panel.hidden = false;
      setExpanded(!narrow.matches);
      if (cited.length && !narrow.matches) scrollTo(cited[0][1]);
    },

    close() {
      clearHighlight();
      current = null;
      panel.hidden = true;
      panel.replaceChildren();
    },
  };
  return api;
}
