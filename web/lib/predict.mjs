/**
 * predict.mjs - predict, then run: a guided experiment (experiments.mjs) may carry
 *   predict: {question, choices, criterion}
 * where choices name the experiment's runs in link order (one each) and criterion says how the
 * right answer is found from the runs' actual results, never written down in advance. Pure
 * module: the page asks the question, records the student's choice, and reveals the answer with
 * the numbers it came from.
 */
import { finalResult } from './history.mjs';

const fmtLoss = (x) => x.toFixed(3);
const fmtPct = (x) => `${(100 * x).toFixed(1)} %`;

/** How each criterion reads a run, and which end of it wins. */
export const CRITERIA = Object.freeze({
  'lowest-val-loss': { text: 'the lowest final validation loss', value: (h) => finalResult(h)?.valLoss, best: 'min', fmt: fmtLoss },
  'lowest-train-loss': { text: 'the lowest final training loss', value: (h) => finalResult(h)?.trainLoss, best: 'min', fmt: fmtLoss },
  'highest-test-acc': { text: 'the highest final test accuracy', value: (h) => finalResult(h)?.testAcc, best: 'max', fmt: fmtPct },
  'smallest-gap': {
    text: 'the smallest final gap between validation and training loss',
    value: (h) => { const r = finalResult(h); return r && r.valLoss !== null && r.trainLoss !== null ? r.valLoss - r.trainLoss : null; },
    best: 'min', fmt: fmtLoss,
  },
  'highest-sparsity': { text: 'the largest share of kernel weights near zero', value: (h) => finalResult(h)?.sparsity, best: 'max', fmt: fmtPct },
  diverges: { text: 'divergence', value: (h) => (h.stopReason === 'diverged' ? 1 : 0), best: 'flag', fmt: (x) => (x ? 'diverged' : 'trained') },
});

/**
 * Checks an experiment's predict field against its number of runs.
 * @returns {string[]} problems ([] when it is fine)
 */
export function checkPredict(predict, runCount) {
  const problems = [];
  if (!predict) return problems;
  if (typeof predict.question !== 'string' || !predict.question) problems.push('no question');
  if (!Array.isArray(predict.choices) || predict.choices.length !== runCount) problems.push(`needs one choice per run (${runCount})`);
  if (!Object.hasOwn(CRITERIA, predict.criterion)) problems.push(`unknown criterion ${predict.criterion}`);
  return problems;
}

/**
 * The right answer, from the runs' results.
 * @param {{criterion: string, choices: string[]}} predict
 * @param {object[]} histories the runs, in link order, all finished
 * @returns {{answers: number[], values: (number|null)[], shown: string[], text: string} | null}
 *   answers: indexes of the winning runs (ties all win); null while a run has no result yet
 */
export function answer(predict, histories) {
  const c = CRITERIA[predict?.criterion];
  if (!c || !Array.isArray(histories) || histories.length !== predict.choices.length) return null;
  if (histories.some((h) => !h || (h.stopReason ?? 'none') === 'none')) return null;
  const values = histories.map((h) => {
    const v = c.value(h);
    return typeof v === 'number' && Number.isFinite(v) ? v : null;
  });
  const known = values.filter((v) => v !== null);
  if (!known.length) return null;
  const target = c.best === 'min' ? Math.min(...known) : c.best === 'max' ? Math.max(...known) : 1;
  const answers = values.flatMap((v, i) => (v === target ? [i] : []));
  const shown = values.map((v) => (v === null ? 'not measured' : c.fmt(v)));
  const names = answers.map((i) => predict.choices[i]);
  const text = answers.length
    ? c.best === 'flag'
      ? `${names.join(' and ')} diverged.`
      : `${names.join(' and ')} had ${c.text} (${answers.map((i) => shown[i]).join(', ')}).`
    : `No run showed ${c.text}.`;
  return { answers, values, shown, text };
}

/** Whether a choice (a run index) was right. */
export function isRight(result, choice) {
  return Boolean(result && result.answers.includes(choice));
}
