// Predict, then run, in the page: before an experiment's runs train, the student picks the run
// they expect to win (experiment.predict, web/lib/predict.mjs); once every run is over, the answer
// computed from the runs' results is shown next to theirs, with the numbers.
import { parseLink, serialize } from '../lib/config.mjs';
import { CRITERIA, answer, isRight } from '../lib/predict.mjs';
import { h } from './dom.mjs';

/**
 * @param {object} experiment a guided experiment with a predict field
 * @returns {{element: HTMLElement, update: (runs: object[]) => void, choice: () => number|null}}
 */
export function createPredictBox(experiment) {
  const p = experiment.predict;
  const wanted = parseLink(experiment.link).runs.map(serialize);
  let choice = null;
  let revealed = false;
  const name = `predict-${experiment.id}`;
  const radios = p.choices.map((text, i) => h('label', { class: 'predict-choice' },
    h('input', { type: 'radio', name, value: String(i) }), ` ${text}`));
  const lockIn = h('button', { type: 'button', class: 'btn btn-small', id: 'predict-lock', disabled: true }, 'Lock in my prediction');
  const status = h('p', { class: 'small predict-status', 'aria-live': 'polite' }, 'Make your prediction before you press Train.');
  const reveal = h('div', { class: 'predict-reveal', hidden: true, 'aria-live': 'polite' });
  const box = h('fieldset', { class: 'predict', id: 'predict', 'data-experiment': experiment.id },
    h('legend', {}, 'Predict first: ', p.question), ...radios, lockIn, status, reveal);

  box.addEventListener('change', () => { lockIn.disabled = choice !== null || !box.querySelector('input:checked'); });
  lockIn.addEventListener('click', () => {
    const picked = box.querySelector('input:checked');
    if (!picked) return;
    choice = Number(picked.value);
    box.dataset.choice = String(choice);
    for (const r of box.querySelectorAll('input')) r.disabled = true;
    lockIn.disabled = true;
    status.textContent = `Your prediction: ${p.choices[choice]}. Now press Train; the answer appears when every run has finished.`;
  });

  /** The experiment's runs among the page's, in link order (null until all are there). */
  function experimentRuns(runs) {
    const used = new Set();
    const found = wanted.map((s) => {
      const run = runs.find((r) => !used.has(r) && serialize(r.config) === s);
      if (run) used.add(run);
      return run;
    });
    return found.every(Boolean) ? found : null;
  }

  function update(runs) {
    if (revealed) return;
    const mine = experimentRuns(runs);
    if (!mine) return;
    const result = answer(p, mine);
    if (!result) return;
    revealed = true;
    box.dataset.answer = result.answers.join(',');
    const right = choice !== null && isRight(result, choice);
    reveal.replaceChildren(
      h('p', {}, h('strong', {}, choice === null ? 'Result' : right ? 'Your prediction was right.' : 'Not this time.'),
        ' ', choice === null ? '' : `You predicted ${p.choices[choice]}. `, result.text),
      h('table', { class: 'predict-table small' },
        h('thead', {}, h('tr', {}, h('th', {}, 'Run'), h('th', {}, CRITERIA[p.criterion].text))),
        h('tbody', {}, p.choices.map((text, i) => h('tr', { class: [result.answers.includes(i) ? 'winner' : '', i === choice ? 'chosen' : ''].join(' ').trim() },
          h('td', {}, `#${mine[i].id} ${text}${i === choice ? ' (your pick)' : ''}`), h('td', {}, result.shown[i]))))));
    reveal.hidden = false;
    box.classList.add(right ? 'right' : 'wrong');
    if (choice === null) status.textContent = 'No prediction was locked in.';
    for (const r of box.querySelectorAll('input')) r.disabled = true;
    lockIn.disabled = true;
  }

  return { element: box, update, choice: () => choice };
}
