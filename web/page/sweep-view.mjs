// What the sweep panel shows, without the DOM: per-run table rows (sortable), the summary chart's
// series against the swept value (log axis for λ, learning rates and other scale-like keys), a
// heatmap for a grid, and the verdict on two seed groups. Tested under Node.
import { SCHEMA, diff } from '../lib/config.mjs';
import { band, compareGroups, groupRuns, runSummary, summarize } from '../lib/groups.mjs';

const BY_KEY = new Map(SCHEMA.map((e) => [e.key, e]));
/** Keys whose sweeps are read on a log axis. */
export const LOG_KEYS = new Set(['lam', 'lr', 'eps', 'wd', 'mind', 'n']);

/** Keys a sweep may vary in the page's form: numbers, integers, choices and switches. */
export const SWEEPABLE = SCHEMA.filter((e) => ['number', 'int', 'choice', 'bool'].includes(e.type) && e.key !== 'seed').map((e) => e.key);

export const COLUMNS = Object.freeze([
  ['finalTrainLoss', 'final train loss'], ['finalValLoss', 'final val loss'], ['bestValLoss', 'best val loss'], ['finalTestAcc', 'test accuracy'],
]);

/**
 * One row per run of the sweep: its swept values, seed, summary numbers and state.
 * @param {{axes: object[], runs: {point: object, seed: number}[]}} sweep session.sweep
 * @param {object[]} runs session.runs, in the sweep's order
 */
export function tableRows(sweep, runs) {
  return runs.map((run, i) => ({
    id: run.id, point: sweep.runs[i]?.point ?? {}, seed: run.config.seed,
    ...(run.stopReason !== 'none' || run.shared ? runSummary(run) : { finalTrainLoss: null, finalValLoss: null, bestValLoss: null, finalTestAcc: null }),
    state: run.reproduction ?? (run.status === 'done' ? 'finished' : run.status),
  }));
}

/** Rows sorted by a column (a summary field, 'seed', 'id' or a swept key); nulls last. */
export function sortRows(rows, column, descending = false) {
  const value = (r) => (column in r ? r[column] : r.point[column]);
  const order = (a, b) => {
    const x = value(a), y = value(b);
    if (x === null || x === undefined) return y === null || y === undefined ? 0 : 1;
    if (y === null || y === undefined) return -1;
    const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
    return descending ? -c : c;
  };
  return [...rows].sort((a, b) => order(a, b) || a.id - b.id);
}

/**
 * The summary chart: for the first axis as x, one series per summary field (and per value of the
 * second axis in a grid), means over seeds.
 * @returns {{key: string, log: boolean, categorical: boolean, labels: Array, series: {name: string, field: string, y: Array, percent: boolean}[]}}
 */
export function summarySeries(sweep, runs) {
  const [first, second] = sweep.axes;
  const rows = summarize(sweep.runs, runs);
  const e = first ? BY_KEY.get(first.key) : null;
  const categorical = !e || !['number', 'int'].includes(e.type);
  const log = !categorical && LOG_KEYS.has(first.key) && first.values.every((v) => v > 0);
  const series = [];
  const groups = second ? second.values.map((v) => ({ label: `${second.key} ${v}`, match: (p) => p[second.key] === v })) : [{ label: '', match: () => true }];
  for (const g of groups) {
    for (const [field, name] of COLUMNS) {
      if (second && field !== 'finalValLoss' && field !== 'finalTestAcc') continue;
      series.push({
        name: g.label ? `${name}, ${g.label}` : name, field, percent: field === 'finalTestAcc',
        y: (first?.values ?? [null]).map((v) => rows.find((r) => (first ? r.point[first.key] === v : true) && g.match(r.point))?.[field]?.mean ?? null),
      });
    }
  }
  return { key: first?.key ?? 'seed', log, categorical, labels: first?.values ?? ['all seeds'], series };
}

/** A grid's heatmap of one field: rows the second axis, columns the first; means over seeds. */
export function heatmap(sweep, runs, field = 'finalValLoss') {
  const [a, b] = sweep.axes;
  if (!a || !b) return null;
  const rows = summarize(sweep.runs, runs);
  const cells = b.values.map((vb) => a.values.map((va) => rows.find((r) => r.point[a.key] === va && r.point[b.key] === vb)?.[field]?.mean ?? null));
  const all = cells.flat().filter((x) => x !== null);
  return { x: a, y: b, field, cells, min: all.length ? Math.min(...all) : null, max: all.length ? Math.max(...all) : null };
}

/** With seeds, two groups of finished runs: the plain verdict on their test accuracies; else null. */
export function seedVerdict(runs) {
  const groups = groupRuns(runs.filter((r) => r.stopReason !== 'none' || r.shared));
  if (groups.length !== 2 || groups.some((g) => g.members.length < 2)) return null;
  return compareGroups(groups[0].members, groups[1].members, 'testAcc')?.text ?? null;
}

/**
 * Seed groups' bands of one per-epoch field for the band charts: per group its label (how it
 * differs from the first group), the mean line and the min and max lines over its seeds.
 * @returns {{label: string, n: number, mean: {x: number, y: number}[], min: {x, y}[], max: {x, y}[]}[]}
 */
export function groupBands(runs, field) {
  const groups = groupRuns(runs.filter((r) => r.epochs.length > 0));
  if (!groups.some((g) => g.members.length > 1)) return [];
  const first = groups[0].members[0].config;
  return groups.map((g) => {
    const b = band(g.members, field);
    const changed = diff(first, g.members[0].config).filter((k) => k !== 'seed');
    const label = changed.length ? changed.map((k) => `${k} ${g.members[0].config[k]}`).join(', ') : 'first group';
    return { label: `${label} (${g.members.length} seeds)`, n: g.members.length, mean: b.map((p) => ({ x: p.epoch, y: p.mean })),
      min: b.map((p) => ({ x: p.epoch, y: p.min })), max: b.map((p) => ({ x: p.epoch, y: p.max })) };
  });
}
