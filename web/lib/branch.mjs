/**
 * branch.mjs - forking a run at a completed epoch: the child starts from the parent's exact state
 * after that epoch, with some settings changed, and its history shares the parent's up to there.
 *
 * Where the state at epoch k comes from: the run is trained again, deterministically, from its
 * seed to epoch k (stateAtEpoch), which gives the very bits the parent had (the core is
 * bit-reproducible). Nothing has to be kept per epoch, so memory stays bounded whatever the run's
 * length; the cost is re-training k epochs, the same time the parent took to get there. A caller
 * that still holds a snapshot (run.saveState() at the epoch event) passes it instead.
 *
 * What a branch may change: everything but the data selection (BRANCH_FIXED). Changing the
 * optimiser resets its state (moments, accumulators, step count) as a fresh optimiser starts;
 * changing its hyperparameters (lr, momentum, betas, …) keeps it. The batch size may change (a
 * branch starts at an epoch boundary). `init`, `from` and `head` act only when a run starts, so
 * in a branch they have no effect. Epochs and early stopping are decided again under the new
 * config: a child of a finished run trains on when its `ep` is larger.
 */
import { diff } from './config.mjs';
import { LabError } from './errors.mjs';
import { newHistory } from './history.mjs';

/** Keys a branch keeps from its parent: they choose the samples, and a state belongs to them. */
export const BRANCH_FIXED = Object.freeze(['seed', 'n', 'val', 'test', 'digits', 'std']);

/**
 * Throws a 'bad-config' LabError unless child may branch from parent (same data selection).
 * @param {object} parent config
 * @param {object} child config
 */
export function checkBranch(parent, child) {
  const changed = diff(parent, child).filter((k) => BRANCH_FIXED.includes(k));
  if (changed.length) {
    throw new LabError('bad-config', `a branch keeps the data selection (${BRANCH_FIXED.join(', ')}); this one changes ${changed.join(', ')}`);
  }
}

/**
 * The trainer state right after epoch k of the run config describes, by training it again from
 * its seed (exact: the same bits as the original run had at that epoch).
 * @param {object} engine
 * @param {object} config the parent's config
 * @param {number} k a completed epoch, 1 ≤ k ≤ config.ep
 * @param {{weights?: Uint8Array, onEvents?: (events: object[]) => void}} [options]
 * @returns {Uint8Array}
 */
export function stateAtEpoch(engine, config, k, { weights, onEvents } = {}) {
  if (!Number.isInteger(k) || k < 1 || k > config.ep) throw new LabError('bad-argument', `epoch ${k} is not an epoch of this run (1 to ${config.ep})`);
  const run = engine.createRun(config, { weights });
  try {
    for (;;) {
      // One unit at a time, so the run stops exactly at the epoch's end.
      const { events, done } = run.advance({ maxUnits: 1 });
      if (events.length && onEvents) onEvents(events);
      if (events.some((e) => e.type === 'epoch' && e.epoch === k)) return run.saveState();
      if (done) throw new LabError('state', `the run ended before epoch ${k}`);
    }
  } finally {
    run.free();
  }
}

/**
 * A child history: a copy of the parent's epochs and steps up to epoch k, under the child's
 * config, remembering where it branched.
 * @param {object} parent a history (history.mjs) that has completed epoch k
 * @param {number} k
 * @param {number} id the child's id
 * @param {object} config the child's config
 */
export function forkHistory(parent, k, id, config) {
  const row = parent.epochs.find((e) => e.epoch === k);
  if (!row) throw new LabError('bad-argument', `run #${parent.id} has not completed epoch ${k}`);
  checkBranch(parent.config, config);
  const h = newHistory(id, config);
  const copy = (x) => structuredClone(x);
  h.epochs = parent.epochs.filter((e) => e.epoch <= k).map(copy);
  h.steps = parent.steps.filter((s) => s.step <= row.step).map(copy);
  h.stepStride = parent.stepStride;
  h.epoch = k;
  h.step = row.step;
  h.branch = { from: parent.id, epoch: k };
  return h;
}

/**
 * Starts a branch: the child's run, continuing from the parent's state after epoch k, and its
 * history so far.
 * @param {object} engine
 * @param {object} parent the parent's history
 * @param {number} k
 * @param {object} config the child's config
 * @param {{id?: number, state?: Uint8Array, weights?: Uint8Array}} [options] state: the parent's
 *   snapshot after epoch k, if kept; else it is re-trained (weights: the parent's start, if any)
 * @returns {{run: object, history: object}}
 */
export function branch(engine, parent, k, config, { id = parent.id + 1, state, weights } = {}) {
  const history = forkHistory(parent, k, id, config);
  const run = engine.createRun(config, { state: state ?? stateAtEpoch(engine, parent.config, k, { weights }) });
  return { run, history };
}
