/**
 * groups.mjs - runs that differ only in their seed, taken together: per-epoch mean, min and max
 * (a line with a band), a plain verdict on whether two groups differ by more than the spread
 * between seeds, and the summary of a sweep (one row per swept point). Pure ES module, no DOM:
 * the page's charts and table and the tests use it alike.
 */
import { serialize } from './config.mjs';
import { finalResult } from './history.mjs';

/** The group a config belongs to: its canonical link with the seed left out. */
export const groupKey = (config) => serialize({ ...config, seed: 0 });

/**
 * Histories grouped by everything but the seed, in order of first appearance.
 * @param {object[]} histories
 * @returns {{key: string, members: object[]}[]}
 */
export function groupRuns(histories) {
  const groups = new Map();
  for (const h of histories) {
    const key = groupKey(h.config);
    if (!groups.has(key)) groups.set(key, { key, members: [] });
    groups.get(key).members.push(h);
  }
  return [...groups.values()];
}

const stats = (xs) => {
  const v = xs.filter((x) => x !== null && x !== undefined && Number.isFinite(x));
  if (!v.length) return null;
  return { mean: v.reduce((s, x) => s + x, 0) / v.length, min: Math.min(...v), max: Math.max(...v), n: v.length };
};

// A series' value at x, linear between its points (x within the series' range); `from` is where the
// search starts, so a walk along increasing x stays linear in the points.
function valueAt(points, x, from) {
  let i = from;
  while (i + 1 < points.length && points[i + 1].x <= x) i++;
  const p = points[i], q = points[i + 1];
  return { i, y: !q || p.x === x ? p.y : p.y + ((q.y - p.y) * (x - p.x)) / (q.x - p.x) };
}

/**
 * Mean, min and max of several series ({x, y} points, x increasing) over the x range they all
 * cover: runs that stopped early, or train on, do not widen the band beyond the shortest. The
 * points are the x values of the series that ends first; the others are read there, linearly
 * between their own points (per-epoch series share their x values, so nothing is interpolated).
 * @param {{x: number, y: number}[][]} list
 * @returns {{x: number, mean: number, min: number, max: number, n: number}[]}
 */
export function bandOf(list) {
  if (!list.length || list.some((s) => !s.length)) return [];
  const start = Math.max(...list.map((s) => s[0].x));
  const grid = list.reduce((a, b) => (b.at(-1).x < a.at(-1).x ? b : a));
  const at = list.map(() => 0);
  const out = [];
  for (const { x } of grid) {
    if (x < start) continue;
    const ys = list.map((s, k) => {
      const v = valueAt(s, x, at[k]);
      at[k] = v.i;
      return v.y;
    });
    out.push({ x, mean: ys.reduce((a, b) => a + b, 0) / ys.length, min: Math.min(...ys), max: Math.max(...ys), n: ys.length });
  }
  return out;
}

/**
 * A group's per-epoch band of one epoch field, over the epochs every member has reached.
 * @param {object[]} members histories
 * @param {string} field e.g. 'valLoss', 'testAcc'
 * @returns {{epoch: number, mean: number, min: number, max: number, n: number}[]}
 */
export function band(members, field) {
  const series = members.map((h) => h.epochs.filter((e) => Number.isFinite(e[field])).map((e) => ({ x: e.epoch, y: e[field] })));
  return bandOf(series).map(({ x, ...s }) => ({ epoch: x, ...s }));
}

/** A group's final values of one field (finalResult: the restored epoch's after restore-best). */
export const finals = (members, field) => members.map((h) => finalResult(h)?.[field] ?? null);

const PERCENT = new Set(['trainAcc', 'valAcc', 'testAcc']);
const NAMES = { trainLoss: 'training loss', valLoss: 'validation loss', testLoss: 'test loss', trainAcc: 'training accuracy',
  valAcc: 'validation accuracy', testAcc: 'test accuracy' };
const show = (field, x) => (PERCENT.has(field) ? `${(100 * x).toFixed(2)} %` : x.toFixed(4));

/**
 * Whether two groups' final values of a field differ by more than the spread between seeds: they
 * do when their ranges (min to max over seeds) do not overlap, i.e. every seed of one beats
 * every seed of the other.
 * @param {object[]} a histories of one group
 * @param {object[]} b histories of the other
 * @param {string} [field]
 * @param {[string, string]} [names] the groups' names, when the text should say which is which
 * @returns {{a: object, b: object, difference: number, exceeds: boolean, text: string} | null}
 */
export function compareGroups(a, b, field = 'testAcc', names = ['', '']) {
  const sa = stats(finals(a, field)), sb = stats(finals(b, field));
  if (!sa || !sb) return null;
  const exceeds = sa.min > sb.max || sb.min > sa.max;
  const difference = sa.mean - sb.mean;
  const name = NAMES[field] ?? field;
  const range = (s) => `${show(field, s.min)} to ${show(field, s.max)} over ${s.n} seed${s.n > 1 ? 's' : ''}`;
  const diffText = PERCENT.has(field) ? `${Math.abs(100 * difference).toFixed(2)} points` : Math.abs(difference).toFixed(4);
  const of = (k) => (names[k] ? ` for ${names[k]}` : '');
  const text = `Final ${name}: ${show(field, sa.mean)} on average${of(0)} (${range(sa)}) against ${show(field, sb.mean)}${of(1)} (${range(sb)}). ` +
    (exceeds
      ? `The difference, ${diffText}, exceeds the spread between seeds: every seed of one group is on the same side of every seed of the other.`
      : `The difference, ${diffText}, is within the spread between seeds (the ranges overlap): these runs do not show that one setting is better.`);
  return { a: sa, b: sb, difference, exceeds, text };
}

/** The fields a sweep's summary reports per run: final and best losses, final test accuracy. */
export const SUMMARY_FIELDS = Object.freeze(['finalTrainLoss', 'finalValLoss', 'bestValLoss', 'finalTestAcc']);

/** One run's summary numbers. */
export function runSummary(h) {
  const r = finalResult(h);
  const vals = h.epochs.map((e) => e.valLoss).filter((x) => x !== null);
  return { finalTrainLoss: r?.trainLoss ?? null, finalValLoss: r?.valLoss ?? null, bestValLoss: vals.length ? Math.min(...vals) : null,
    finalTestAcc: r?.testAcc ?? null };
}

/**
 * A sweep's summary: one row per swept point, its runs' numbers averaged over seeds (with min and max).
 * @param {{point: object}[]} runs expandSweep()'s runs, in order
 * @param {object[]} histories one per run, same order (unfinished ones are left out)
 * @returns {{point: object, runs: number[], n: number, [field: string]: *}[]} each field {mean, min, max, n} or null
 */
export function summarize(runs, histories) {
  const rows = new Map();
  runs.forEach((r, i) => {
    const key = JSON.stringify(r.point);
    if (!rows.has(key)) rows.set(key, { point: r.point, runs: [], members: [] });
    rows.get(key).runs.push(i);
    const h = histories[i];
    if (h && h.stopReason !== 'none') rows.get(key).members.push(h);
  });
  return [...rows.values()].map(({ point, runs: idx, members }) => {
    const row = { point, runs: idx, n: members.length };
    for (const f of SUMMARY_FIELDS) row[f] = stats(members.map((h) => runSummary(h)[f]));
    return row;
  });
}

/**
 * Where a summary field has its lowest (or highest) mean along a one-axis sweep: 'inside' when it
 * is neither at the first nor at the last value.
 * @returns {{index: number, where: 'first'|'inside'|'last'} | null}
 */
export function extremum(rows, field, { highest = false } = {}) {
  const means = rows.map((r) => r[field]?.mean ?? null);
  let index = -1;
  means.forEach((m, i) => {
    if (m !== null && (index < 0 || (highest ? m > means[index] : m < means[index]))) index = i;
  });
  if (index < 0) return null;
  return { index, where: index === 0 ? 'first' : index === rows.length - 1 ? 'last' : 'inside' };
}
