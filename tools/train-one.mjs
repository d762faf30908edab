/**
 * train-one.mjs - one run, start to end, into its history: what `train.mjs --json-line` prints
 * and what each run of a sweep prints, so that a sweep's lines are those of its runs alone.
 */
import { drive } from '../web/lib/driver.mjs';
import { labelRuns, newHistory, setNetwork, record, toJson } from '../web/lib/history.mjs';

/**
 * Trains config to the end.
 * @param {object} engine an engine with data
 * @param {object} config
 * @param {{weights?: Uint8Array, budget?: object, onEvents?: Function}} [options]
 * @returns {{history: object, run: object}} the caller frees the run
 */
export function trainOne(engine, config, { weights, budget = { maxMs: 100 }, onEvents = () => {} } = {}) {
  const run = engine.createRun(config, { weights });
  const history = newHistory(1, config);
  setNetwork(history, run.net);
  labelRuns([history]);
  drive(run, { budget, onEvents(events) { record(history, events); onEvents(events, history); } });
  return { history, run };
}

/** A run as one line of JSON: the bytes --json writes for it alone (its link, config and results). */
export const jsonLine = (history) => toJson([history]);
