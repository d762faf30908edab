/**
 * driver.mjs - the one loop that advances a run: chunk by chunk, handing each chunk's events, in
 * the order they happened, to a callback. The CLI, the page's worker, the tests and the
 * benchmarks all drive runs through it, so none of them can count or group events its own way.
 * A budget is a time ({maxMs}) or a number of units of work ({maxUnits}); the numbers a run
 * produces never depend on it.
 */
import { LabError } from './errors.mjs';

/**
 * Reads a chunk size as written on a command line: '7' is 7 units of work, '50ms' is 50 ms.
 * @param {string} text
 * @returns {{maxUnits: number} | {maxMs: number}}
 */
export function parseBudget(text) {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms)?\s*$/.exec(String(text));
  const value = m ? Number(m[1]) : NaN;
  if (!(value > 0) || (!m[2] && !Number.isInteger(value))) {
    throw new LabError('bad-argument', `chunk '${text}' is neither a whole number of units (7) nor a time in ms (50ms)`);
  }
  return m[2] ? { maxMs: value } : { maxUnits: value };
}

/**
 * Advances a run by one chunk; hands its events, if any, to onEvents.
 * @param {{advance: Function}} run an engine run
 * @param {{maxMs?: number, maxUnits?: number}} budget
 * @param {(events: object[]) => void} onEvents
 * @returns {boolean} whether the run is over
 */
export function advanceChunk(run, budget, onEvents) {
  const { events, done } = run.advance(budget);
  if (events.length) onEvents(events);
  return done;
}

/**
 * Advances a run chunk by chunk until it is over, or until `until` (asked after each chunk with
 * that chunk's events) says to stop.
 * @param {{advance: Function}} run
 * @param {{budget?: {maxMs?: number, maxUnits?: number}, onEvents?: (events: object[]) => void,
 *          until?: (events: object[]) => boolean}} [options]
 * @returns {boolean} whether the run is over
 */
export function drive(run, { budget = { maxMs: 100 }, onEvents = () => {}, until = () => false } = {}) {
  for (;;) {
    let chunk = [];
    const done = advanceChunk(run, budget, (events) => {
      chunk = events;
      onEvents(events);
    });
    if (done || until(chunk)) return done;
  }
}
