/**
 * diagnosis.mjs - short automatic notes on a run's curves, each with the numbers that justify it
 * and the chart that shows them. Pure rules over a run history (history.mjs): no DOM, no timing,
 * no number of its own beyond comparing the core's (every loss, the dead and saturated shares
 * come from the C core's epoch and step events). A rule that lacks the data it needs says nothing.
 *
 * Rules (thresholds in THRESHOLDS):
 * - overfitting: the validation loss reaches its lowest point, then rises for at least
 *   `overfitMinEpochsAfter` epochs to `overfitRise` above it while the training loss keeps falling.
 * - divergence: the run stopped as diverged; the step and the core's message.
 * - oscillation: a learning rate so high the batch loss jumps around instead of falling: over the
 *   last half of the steps its mean is still above `oscillationProgress` of the first tenth's and
 *   its standard deviation above `oscillationSpread` of its mean.
 * - dead ReLUs: a layer with at least `dead` of its units silent on every evaluated training sample.
 * - saturation: a layer with at least `saturated` of its tanh/sigmoid outputs in the flat tails.
 */
import { actLayersOf } from './network.mjs';

export const THRESHOLDS = Object.freeze({
  overfitRise: 0.08, // the final validation loss at least 8 % above its minimum
  overfitMinEpochsAfter: 3,
  oscillationMinSteps: 20,
  oscillationProgress: 0.75,
  oscillationSpread: 0.25,
  dead: 0.5,
  saturated: 0.3,
});

/** The charts a note can point at, as the page names them (data-chart). */
export const CHARTS = Object.freeze({ loss: 'loss', activations: 'activations' });

const pct = (x) => `${(100 * x).toFixed(x < 0.1 ? 1 : 0)} %`;
const f3 = (x) => (Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(3));
const finite = (x) => typeof x === 'number' && Number.isFinite(x);

function mean(xs) {
  return xs.reduce((s, x) => s + x, 0) / xs.length;
}
function std(xs) {
  const m = mean(xs);
  return Math.sqrt(mean(xs.map((x) => (x - m) ** 2)));
}

/**
 * A note.
 * @typedef {object} Note
 * @property {string} rule     overfitting | divergence | oscillation | dead-relu | saturation
 * @property {string} title    one short line
 * @property {string} evidence the numbers behind it, plain text (never empty)
 * @property {string} chart    the chart that shows it (CHARTS)
 * @property {number} [epoch]  where it shows, when it is an epoch
 * @property {number} [step]   where it shows, when it is a step
 * @property {string} [layer]  the layer it is about
 * @property {object} data     the raw numbers of the evidence
 */

function overfitting(h) {
  const rows = h.epochs.filter((e) => finite(e.valLoss) && finite(e.trainLoss));
  if (rows.length < THRESHOLDS.overfitMinEpochsAfter + 2) return [];
  let best = rows[0];
  for (const e of rows) if (e.valLoss < best.valLoss) best = e;
  const last = rows.at(-1);
  const after = rows.filter((e) => e.epoch > best.epoch).length;
  const rise = last.valLoss / best.valLoss - 1;
  if (after < THRESHOLDS.overfitMinEpochsAfter || !(rise >= THRESHOLDS.overfitRise) || !(last.trainLoss < best.trainLoss)) return [];
  return [{
    rule: 'overfitting', chart: CHARTS.loss, epoch: best.epoch,
    title: `Overfitting from epoch ${best.epoch}`,
    evidence: `The validation loss was lowest at epoch ${best.epoch} (${f3(best.valLoss)}) and rose to ` +
      `${f3(last.valLoss)} by epoch ${last.epoch} (+${pct(rise)}), while the training loss kept falling ` +
      `(${f3(best.trainLoss)} → ${f3(last.trainLoss)}).`,
    data: { bestEpoch: best.epoch, bestValLoss: best.valLoss, lastEpoch: last.epoch, lastValLoss: last.valLoss, rise,
      trainLossAtBest: best.trainLoss, lastTrainLoss: last.trainLoss },
  }];
}

function divergence(h) {
  if (h.stopReason !== 'diverged') return [];
  const last = h.steps.at(-1);
  if (!last) return [];
  const loss = finite(last.loss) ? `a batch loss of ${f3(last.loss)}` : 'a loss that is not a number';
  return [{
    rule: 'divergence', chart: CHARTS.loss, step: last.step,
    title: `Diverged at step ${last.step}`,
    evidence: `Training stopped at step ${last.step} (epoch ${last.epoch + 1}) with ${loss}: a batch loss above 1000, ` +
      'or a NaN or infinity anywhere, counts as divergence. Try a learning rate ten times lower.',
    data: { step: last.step, epoch: last.epoch + 1, loss: last.loss },
  }];
}

function oscillation(h) {
  if (h.stopReason === 'diverged') return []; // divergence says more
  const steps = h.steps.filter((s) => finite(s.loss));
  const losses = steps.map((s) => s.loss);
  if (losses.length < THRESHOLDS.oscillationMinSteps) return [];
  const head = losses.slice(0, Math.max(2, Math.floor(losses.length / 10)));
  const tail = losses.slice(Math.floor(losses.length / 2));
  const start = mean(head), end = mean(tail), spread = std(tail);
  const progress = end / start, swing = spread / end;
  if (!(progress >= THRESHOLDS.oscillationProgress && swing >= THRESHOLDS.oscillationSpread)) return [];
  const from = steps[Math.floor(steps.length / 2)].step;
  const lr = h.config?.lr;
  return [{
    rule: 'oscillation', chart: CHARTS.loss, step: from,
    title: `The loss oscillates${lr !== undefined ? `: η = ${lr} looks too high` : ''}`,
    evidence: `From step ${from} on, the batch loss averages ${f3(end)} ± ${f3(spread)} (swings of ${pct(swing)} ` +
      `of its mean), against ${f3(start)} in the first ${head.length} steps: it jumps around instead of falling.`,
    data: { fromStep: from, startMean: start, endMean: end, endStd: spread, progress, swing },
  }];
}

function activations(h, key, rule, threshold) {
  const last = [...h.epochs].reverse().find((e) => Array.isArray(e[key]) && e[key].some(finite));
  if (!last) return [];
  const notes = [];
  last[key].forEach((share, i) => {
    if (!finite(share) || share < threshold) return;
    const layer = actLayersOf(h)[i] ?? `layer ${i + 1}`;
    const unit = layer.startsWith('conv') ? 'feature maps' : 'units';
    notes.push(rule === 'dead-relu' ? {
      rule, chart: CHARTS.activations, epoch: last.epoch, layer,
      title: `${pct(share)} of ${layer}'s ReLUs are dead`,
      evidence: `At epoch ${last.epoch}, ${pct(share)} of ${layer}'s ${unit} output 0 for every evaluated training ` +
        `sample: no gradient flows through them, so they can no longer learn.`,
      data: { epoch: last.epoch, layer, share },
    } : {
      rule, chart: CHARTS.activations, epoch: last.epoch, layer,
      title: `${layer} is saturated (${pct(share)})`,
      evidence: `At epoch ${last.epoch}, ${pct(share)} of ${layer}'s ${h.config?.act ?? 'activation'} outputs over the ` +
        `training subset are in the flat tails (${h.config?.act === 'sigmoid' ? 'below 0.01 or above 0.99' : '|y| > 0.99'}), ` +
        'where the derivative is nearly 0.',
      data: { epoch: last.epoch, layer, share },
    });
  });
  return notes;
}

/**
 * The notes on one run, most serious first. Each has its evidence.
 * @param {{config?: object, epochs: object[], steps: object[], stopReason?: string, message?: string}} h
 * @returns {Note[]}
 */
export function diagnose(h) {
  if (!h || !Array.isArray(h.epochs) || !Array.isArray(h.steps)) return [];
  const notes = [
    ...divergence(h),
    ...oscillation(h),
    ...activations(h, 'dead', 'dead-relu', THRESHOLDS.dead),
    ...activations(h, 'saturated', 'saturation', THRESHOLDS.saturated),
    ...overfitting(h),
  ];
  return notes.filter((n) => typeof n.evidence === 'string' && n.evidence.length > 0);
}
