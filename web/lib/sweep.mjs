/**
 * sweep.mjs - a sweep: one setting over a list of values or a range, or several for a grid, and
 * seeds, expanded into the configs of its runs. Pure ES module: the page, the CLI and the tests
 * share it.
 *
 * An axis is written `KEY=V1,V2,...` (a list), `KEY=log:A..B:N` (N values from A to B, evenly
 * spaced on a log scale, rounded to 3 significant digits) or `KEY=lin:A..B:N` (evenly spaced,
 * rounded to 6 significant digits; whole numbers for integer keys). Several axes make a grid, the
 * first axis outermost. Seeds: `seeds` = N makes N runs of every point with the seeds seed,
 * seed+1, …, seed+N-1 (seed being the base config's), innermost.
 */
import { SCHEMA, validate } from './config.mjs';
import { LabError } from './errors.mjs';

/** Most values one axis may have, and most runs one sweep may make. */
export const MAX_AXIS_VALUES = 100;
export const MAX_SWEEP_RUNS = 1000;
const MAX_SEED = 4294967295;
const BY_KEY = new Map(SCHEMA.map((e) => [e.key, e]));

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
const bad = (msg) => new LabError('bad-argument', msg);

/** Rounds to `digits` significant digits, as the shortest number that prints so. */
const round = (x, digits) => (x === 0 ? 0 : Number(x.toPrecision(digits)));

/** One value as text, checked and made canonical by the schema. */
function valueOf(key, text) {
  const { config, warnings } = validate({ [key]: text });
  if (warnings.length) throw bad(`sweep ${key}: ${warnings.join('; ')}`);
  return config[key];
}

/**
 * Reads one axis.
 * @param {string} text e.g. 'lam=1e-5,1e-4', 'lam=log:1e-5..1e-1:6', 'drop1=lin:0..0.5:6'
 * @returns {{key: string, values: Array, spec: string}} spec: the axis as given, canonical
 * @throws {LabError} 'bad-argument'
 */
export function parseAxis(text) {
  const s = String(text ?? '').trim();
  const eq = s.indexOf('=');
  if (eq <= 0) throw bad(`sweep '${s.slice(0, 40)}' is not KEY=V1,V2,... or KEY=log:A..B:N or KEY=lin:A..B:N`);
  const key = s.slice(0, eq).trim();
  const e = BY_KEY.get(key);
  if (!e) throw bad(`sweep: unknown key '${key.slice(0, 40)}'`);
  if (key === 'seed') throw bad('sweep: vary the seed with seeds N, not as a sweep key');
  const body = s.slice(eq + 1).trim();
  const range = /^(log|lin):([^.]*(?:\.[^.]+)*?)\.\.(.+):(\d+)$/.exec(body);
  let values;
  let spec;
  if (range) {
    const [, kind, a, b, n] = range;
    if (e.type !== 'number' && e.type !== 'int') throw bad(`sweep ${key}: a range needs a numeric key`);
    if (!NUMBER.test(a) || !NUMBER.test(b)) throw bad(`sweep ${key}: range ends '${a}' and '${b}' must be numbers`);
    const lo = Number(a), hi = Number(b), count = Number(n);
    if (count < 2 || count > MAX_AXIS_VALUES) throw bad(`sweep ${key}: a range needs 2 to ${MAX_AXIS_VALUES} values, not ${n}`);
    if (kind === 'log' && !(lo > 0 && hi > 0)) throw bad(`sweep ${key}: a log range needs ends above 0`);
    values = [];
    for (let i = 0; i < count; i++) {
      const f = i / (count - 1);
      const x = kind === 'log' ? round(10 ** (Math.log10(lo) + f * (Math.log10(hi) - Math.log10(lo))), 3) : round(lo + f * (hi - lo), 6);
      values.push(e.type === 'int' ? Math.round(x) : x);
    }
    values = values.map((x) => valueOf(key, String(x)));
    spec = `${key}=${kind}:${a}..${b}:${count}`;
  } else {
    const parts = body.split(',').map((p) => p.trim());
    if (parts.length > MAX_AXIS_VALUES) throw bad(`sweep ${key}: at most ${MAX_AXIS_VALUES} values`);
    if (parts.some((p) => p === '')) throw bad(`sweep ${key}: an empty value in '${body.slice(0, 40)}'`);
    values = parts.map((p) => valueOf(key, p));
    spec = `${key}=${parts.join(',')}`;
  }
  const seen = new Set(values.map(String));
  if (seen.size !== values.length) throw bad(`sweep ${key}: a value is given twice (${values.join(', ')})`);
  return { key, values, spec };
}

/**
 * Reads a sweep: its axes (each a string, see parseAxis) and a number of seeds.
 * @param {string[]} axes
 * @param {number|string} [seeds]
 * @returns {{axes: {key: string, values: Array, spec: string}[], seeds: number}}
 */
export function parseSweep(axes = [], seeds = 1) {
  const parsed = axes.map(parseAxis);
  const keys = parsed.map((a) => a.key);
  const twice = keys.find((k, i) => keys.indexOf(k) !== i);
  if (twice) throw bad(`sweep: ${twice} is swept twice`);
  const n = typeof seeds === 'number' ? seeds : /^\d+$/.test(String(seeds).trim()) ? Number(seeds) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_SWEEP_RUNS) throw bad(`seeds '${String(seeds).slice(0, 20)}' is not a whole number from 1 to ${MAX_SWEEP_RUNS}`);
  const runs = parsed.reduce((p, a) => p * a.values.length, n);
  if (runs > MAX_SWEEP_RUNS) throw bad(`sweep: ${runs} runs, more than the ${MAX_SWEEP_RUNS} a sweep may have`);
  return { axes: parsed, seeds: n };
}

/**
 * The runs of a sweep over a base config: every point of the grid (first axis outermost), each
 * with seeds seed..seed+N-1 (innermost).
 * @param {object} base a valid config
 * @param {{axes: {key: string, values: Array}[], seeds: number}} sweep from parseSweep
 * @returns {{config: object, point: object, seed: number, index: number}[]} point: the swept values
 */
export function expandSweep(base, { axes, seeds }) {
  if (base.seed + seeds - 1 > MAX_SEED) throw bad(`seeds: seed ${base.seed} + ${seeds} runs passes ${MAX_SEED}`);
  let points = [{}];
  for (const a of axes) points = points.flatMap((p) => a.values.map((v) => ({ ...p, [a.key]: v })));
  const runs = [];
  for (const point of points) {
    for (let i = 0; i < seeds; i++) {
      const { config, warnings } = validate({ ...point, seed: base.seed + i }, base);
      if (warnings.length) throw bad(`sweep point ${JSON.stringify(point)}: ${warnings.join('; ')}`);
      runs.push({ config, point, seed: config.seed, index: runs.length });
    }
  }
  return runs;
}

/** The axes as text again (parseAxis reads each back). */
export const formatSweep = ({ axes }) => axes.map((a) => a.spec);
