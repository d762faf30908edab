/**
 * result-link.mjs - links that carry their results, and links that hold a sweep.
 *
 * A link is `#<runs>` as config.mjs writes it, optionally followed by `!` and more parts:
 *   `sw=<axis>` (one per swept setting, URI-encoded, as sweep.mjs reads them), `seeds=<N>`, and
 *   `r=<results>`: the finished per-epoch rows of every run (no steps), JSON, compressed with
 *   deflate-raw (CompressionStream) and base64url-encoded.
 * A link is at most RESULT_LINK_MAX characters: results that do not fit even without the
 * per-layer columns are refused with a message, never cut. Decoding treats the text as hostile:
 * bounded length and alphabet, bounded decompressed size, strict JSON without duplicate keys,
 * and every field's type, count and range checked against the runs the link describes.
 * Numbers are written as the shortest decimal that reads back to the same float32, so a
 * retrained run can be compared with a shared one bit for bit (compareRuns).
 */
import { parseLink, serialize, serializeLink } from './config.mjs';
import { LabError } from './errors.mjs';
import { newHistory } from './history.mjs';
import { actLayerNames, layerNames } from './network.mjs';
import { parseStrictJson } from './strict-json.mjs';
import { expandSweep, parseSweep } from './sweep.mjs';

/** Most characters a link may have (the whole link, address and hash). */
export const RESULT_LINK_MAX = 32768;
/** Most bytes the results of a link may decompress to. */
export const RESULTS_MAX_BYTES = 1 << 20;
/** Most runs a link's sweep may make in the page. */
export const LINK_SWEEP_MAX_RUNS = 64;
const FORMAT = 1;

const SCALARS = ['epoch', 'step', 'trainLoss', 'trainAcc', 'valLoss', 'valAcc', 'testLoss', 'testAcc', 'penalty',
  'sparsity', 'meanLoss', 'meanAcc', 'bestEpoch'];
const INTS = new Set(['epoch', 'step', 'bestEpoch']);
const PER_LAYER = ['gradMean', 'gradMax', 'weightNorm', 'layerSparsity'];
// Per-layer columns hold one value per layer of the run's network (network.mjs: LeNet-5's five,
// an mlp's depth + 1, a cnn's convs + 1); the core's activation statistics one per layer followed
// by an activation (every layer but the last).
const PER_ACT_LAYER = ['dead', 'saturated', 'actMean', 'actStd'];
// Links written before the core measured activation means and deviations hold only these.
const OLD_ACT_FIELDS = 2;
const STOPS = ['none', 'epochs', 'early', 'diverged', 'stopped'];

const bad = (msg) => new LabError('bad-link', `results in the link: ${msg}`);

// ---- numbers ----------------------------------------------------------------------------------

/** The shortest decimal that reads back as the same float32 (every metric is a float32). */
function short32(x) {
  if (x === null || x === undefined || !Number.isFinite(x)) return null;
  for (let p = 1; p <= 9; p++) {
    const y = Number(x.toPrecision(p));
    if (Math.fround(y) === x) return y;
  }
  return x;
}

// ---- bytes ------------------------------------------------------------------------------------

function toBase64url(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64url(text) {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) throw bad('not base64url text');
  const s = atob(text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4));
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

async function deflate(bytes) {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream('deflate-raw'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Inflates, refusing to produce more than max bytes (a small link may expand enormously). */
async function inflateBounded(bytes, max) {
  const reader = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate-raw')).getReader();
  const chunks = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > max) {
        reader.cancel().catch(() => {});
        throw bad(`they expand to more than ${max} bytes`);
      }
      chunks.push(value);
    }
  } catch (e) {
    if (e instanceof LabError) throw e;
    throw bad('they are not valid compressed data');
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) out.set(c, at), (at += c.length);
  return out;
}

// ---- the link's parts ---------------------------------------------------------------------------

/**
 * Splits a link into its runs (what config.mjs reads) and its extra parts after '!'.
 * @param {string} input a whole link, a hash or a bare hash body
 * @returns {{runs: string, extras: string}}
 */
export function splitLink(input) {
  const s = typeof input === 'string' ? input : '';
  const hash = s.indexOf('#');
  const body = hash >= 0 ? s.slice(hash + 1) : s;
  const bang = body.indexOf('!');
  return bang < 0 ? { runs: body, extras: '' } : { runs: body.slice(0, bang), extras: body.slice(bang + 1) };
}

/**
 * Reads a whole link: its runs, or its sweep's runs, and its results (still encoded).
 * @param {string} input
 * @returns {{configs: object[], base: object, sweep: object|null, results: string|null, warnings: string[]}}
 * @throws {LabError} 'bad-link' for a malformed extra part (the runs themselves never throw)
 */
export function readLink(input) {
  if (typeof input === 'string' && input.length > RESULT_LINK_MAX) {
    throw new LabError('bad-link', `the link is ${input.length} characters long, more than the ${RESULT_LINK_MAX} a link may have`);
  }
  const { runs, extras } = splitLink(input);
  const { runs: configs, warnings } = parseLink(runs);
  let axes = [], seeds = null, results = null;
  for (const pair of extras ? extras.split('&') : []) {
    const eq = pair.indexOf('=');
    const key = eq < 0 ? pair : pair.slice(0, eq);
    let value = eq < 0 ? '' : pair.slice(eq + 1);
    if (key === 'r') {
      if (results !== null) throw new LabError('bad-link', 'the link holds results twice');
      results = value;
      continue;
    }
    try {
      value = decodeURIComponent(value);
    } catch {
      throw new LabError('bad-link', `bad %-encoding in the link's ${key.slice(0, 10)} part`);
    }
    if (key === 'sw') axes.push(value);
    else if (key === 'seeds') {
      if (seeds !== null) throw new LabError('bad-link', 'the link gives seeds twice');
      seeds = value;
    } else throw new LabError('bad-link', `the link has an unknown part '${key.slice(0, 20)}'`);
  }
  let sweep = null;
  let all = configs;
  if (axes.length || seeds !== null) {
    if (configs.length !== 1) throw new LabError('bad-link', 'a sweep link holds one base run');
    try {
      sweep = parseSweep(axes, seeds ?? 1);
      all = expandSweep(configs[0], sweep).map((r) => r.config);
    } catch (e) {
      throw new LabError('bad-link', `the link's sweep: ${e.message}`);
    }
    if (all.length > LINK_SWEEP_MAX_RUNS) throw new LabError('bad-link', `the link's sweep makes ${all.length} runs; a link may hold ${LINK_SWEEP_MAX_RUNS}`);
  }
  return { configs: all, base: configs[0], sweep, results, warnings };
}

/**
 * The hash (without '#') of runs, or of a sweep over a base config, with results when given.
 * @param {{configs?: object[], base?: object, sweep?: object, results?: string}} what
 */
export function writeLink({ configs, base, sweep, results }) {
  const parts = [];
  let head;
  if (sweep) {
    head = serialize(base);
    for (const a of sweep.axes) parts.push(`sw=${encodeURIComponent(a.spec)}`);
    if (sweep.seeds > 1) parts.push(`seeds=${sweep.seeds}`);
  } else {
    head = serializeLink(configs);
  }
  if (results) parts.push(`r=${results}`);
  return parts.length ? `${head}!${parts.join('&')}` : head;
}

// ---- results --------------------------------------------------------------------------------------

function rowOf(e, perLayer, config) {
  const row = SCALARS.map((k) => (INTS.has(k) ? e[k] ?? null : short32(e[k])));
  const layers = layerNames(config).length, acts = actLayerNames(config).length;
  const fixed = (xs, n) => Array.from({ length: n }, (_, i) => short32(xs?.[i]));
  if (perLayer) for (const k of PER_LAYER) row.push(...fixed(e[k], layers));
  if (perLayer) for (const k of PER_ACT_LAYER) row.push(...fixed(e[k], acts));
  return row;
}

/** The compact form of finished histories (per-epoch rows only). */
function payload(histories, perLayer) {
  return {
    v: FORMAT,
    layers: perLayer ? 1 : 0,
    runs: histories.map((h) => ({
      stop: h.stopReason, restored: h.restoredEpoch ?? 0, samples: h.samples ? [h.samples.train, h.samples.val, h.samples.test] : null,
      message: h.message ? String(h.message).slice(0, 300) : null, rows: h.epochs.map((e) => rowOf(e, perLayer, h.config)),
    })),
  };
}

/**
 * Encodes the results of finished runs for a link, and the whole link with them.
 * @param {object[]} histories finished histories, in the link's run order
 * @param {string} hashWithoutResults writeLink({...}) without results
 * @param {{prefix?: string}} [options] prefix: what comes before the hash (the page's address), counted in the limit
 * @returns {Promise<{results: string, link: string, perLayer: boolean}>}
 * @throws {LabError} 'too-large' when the link would pass RESULT_LINK_MAX even without per-layer columns
 */
export async function encodeResults(histories, hashWithoutResults, { prefix = '' } = {}) {
  for (const perLayer of [true, false]) {
    const json = JSON.stringify(payload(histories, perLayer));
    const results = toBase64url(await deflate(new TextEncoder().encode(json)));
    const sep = hashWithoutResults.includes('!') ? '&' : '!';
    const link = `${prefix}#${hashWithoutResults}${sep}r=${results}`;
    if (link.length <= RESULT_LINK_MAX) return { results, link, perLayer };
  }
  throw new LabError('too-large', `the results of these ${histories.length} runs do not fit in a link of ${RESULT_LINK_MAX} characters, even without the per-layer columns: share the link without results, or fewer runs or epochs`);
}

const isNum = (x) => x === null || (typeof x === 'number' && Number.isFinite(x));

/**
 * Decodes a link's results into histories, checked against the runs the link describes.
 * @param {string} text the `r=` part
 * @param {object[]} configs the link's runs (readLink().configs)
 * @returns {Promise<object[]>} one history per run, marked `shared: true`, with epochs, stopReason,
 *   restoredEpoch, samples, message and result; no steps
 * @throws {LabError} 'bad-link'
 */
export async function decodeResults(text, configs) {
  if (typeof text !== 'string' || text.length > RESULT_LINK_MAX) throw bad('too long');
  const bytes = await inflateBounded(fromBase64url(text), RESULTS_MAX_BYTES);
  let data;
  try {
    data = parseStrictJson(new TextDecoder('utf-8', { fatal: true }).decode(bytes), 6);
  } catch (e) {
    throw bad(`not valid JSON (${String(e.message).slice(0, 80)})`);
  }
  if (!data || typeof data !== 'object' || Array.isArray(data)) throw bad('not an object');
  if (data.v !== FORMAT) throw bad(`unknown format ${String(data.v).slice(0, 10)}`);
  if (data.layers !== 0 && data.layers !== 1) throw bad('layers must be 0 or 1');
  if (!Array.isArray(data.runs) || data.runs.length !== configs.length) {
    throw bad(`they hold ${Array.isArray(data.runs) ? data.runs.length : 'no'} runs; the link has ${configs.length}`);
  }
  return data.runs.map((r, i) => {
    const where = `run ${i + 1}`;
    const config = configs[i];
    if (!r || typeof r !== 'object' || Array.isArray(r)) throw bad(`${where} is not an object`);
    if (!STOPS.includes(r.stop)) throw bad(`${where}: unknown stop reason`);
    if (!Number.isInteger(r.restored) || r.restored < 0 || r.restored > config.ep) throw bad(`${where}: bad restored epoch`);
    if (r.message !== null && (typeof r.message !== 'string' || r.message.length > 300)) throw bad(`${where}: bad message`);
    if (r.samples !== null && !(Array.isArray(r.samples) && r.samples.length === 3 && r.samples.every((n) => Number.isInteger(n) && n >= 0 && n <= 60000))) {
      throw bad(`${where}: bad sample counts`);
    }
    if (!Array.isArray(r.rows) || r.rows.length > config.ep) throw bad(`${where}: more epochs than its ${config.ep}`);
    const h = newHistory(i + 1, config);
    const LAYERS = h.layers.length, ACT_LAYERS = h.actLayers.length;
    const widthWith = (acts) => SCALARS.length + (data.layers ? PER_LAYER.length * LAYERS + acts * ACT_LAYERS : 0);
    let step = 0;
    h.epochs = r.rows.map((row, j) => {
      const actFields = !Array.isArray(row) ? 0 : row.length === widthWith(PER_ACT_LAYER.length) ? PER_ACT_LAYER.length
        : row.length === widthWith(OLD_ACT_FIELDS) ? OLD_ACT_FIELDS : -1;
      if (actFields < 0 || !row.every(isNum)) throw bad(`${where}, epoch ${j + 1}: malformed row`);
      const e = {};
      SCALARS.forEach((k, c) => { e[k] = INTS.has(k) || row[c] === null ? row[c] : Math.fround(row[c]); });
      if (e.epoch !== j + 1) throw bad(`${where}: epochs out of order`);
      if (!Number.isInteger(e.step) || e.step < step || e.step > 1e8) throw bad(`${where}, epoch ${j + 1}: bad step count`);
      if (e.bestEpoch !== null && !(Number.isInteger(e.bestEpoch) && e.bestEpoch >= 1 && e.bestEpoch <= e.epoch)) throw bad(`${where}, epoch ${j + 1}: bad best epoch`);
      step = e.step;
      PER_LAYER.forEach((k, p) => {
        e[k] = data.layers ? row.slice(SCALARS.length + p * LAYERS, SCALARS.length + (p + 1) * LAYERS).map((x) => (x === null ? null : Math.fround(x))) : null;
      });
      const at = SCALARS.length + PER_LAYER.length * LAYERS;
      PER_ACT_LAYER.slice(0, data.layers ? actFields : OLD_ACT_FIELDS).forEach((k, p) => {
        e[k] = data.layers ? row.slice(at + p * ACT_LAYERS, at + (p + 1) * ACT_LAYERS).map((x) => (x === null ? null : Math.fround(x))) : null;
      });
      return e;
    });
    if (r.restored > h.epochs.length) throw bad(`${where}: restored epoch beyond its epochs`);
    h.stopReason = r.stop;
    h.restoredEpoch = r.restored || null;
    h.message = r.message;
    h.samples = r.samples ? { train: r.samples[0], val: r.samples[1], test: r.samples[2] } : null;
    h.epoch = h.epochs.length;
    h.step = step;
    h.phase = 'done';
    const last = h.epochs.find((e) => e.epoch === (h.restoredEpoch ?? h.epoch));
    h.result = last ? { epoch: last.epoch, trainLoss: last.trainLoss, trainAcc: last.trainAcc, valLoss: last.valLoss, valAcc: last.valAcc,
      testLoss: last.testLoss, testAcc: last.testAcc, penalty: last.penalty, sparsity: last.sparsity,
      layerSparsity: last.layerSparsity, weightNorm: last.weightNorm, dead: last.dead, saturated: last.saturated,
      ...(last.actMean !== undefined ? { actMean: last.actMean, actStd: last.actStd } : {}) } : null;
    h.shared = true;
    h.perLayer = data.layers === 1;
    return h;
  });
}

/**
 * Compares a shared run with the same run trained again, over what the link kept.
 * @param {object} shared a history from decodeResults
 * @param {object} fresh the retrained history
 * @returns {null | {epoch: number, field: string, shared: *, fresh: *}} null: reproduced bit for bit;
 *   else the first epoch (and its first field) that differs
 */
export function compareRuns(shared, fresh) {
  const fields = [...SCALARS, ...(shared.perLayer ? [...PER_LAYER, ...PER_ACT_LAYER] : [])];
  const n = Math.max(shared.epochs.length, fresh.epochs.length);
  for (let j = 0; j < n; j++) {
    const a = shared.epochs[j], b = fresh.epochs[j];
    if (!a || !b) return { epoch: j + 1, field: 'epochs', shared: shared.epochs.length, fresh: fresh.epochs.length };
    for (const k of fields) {
      // Histories made before the core measured activations hold none: nothing to compare there.
      if (PER_ACT_LAYER.includes(k) && (a[k] === undefined || b[k] === undefined)) continue;
      const x = Array.isArray(a[k]) ? a[k].join() : String(a[k] ?? null);
      const y = Array.isArray(b[k]) ? b[k].join() : String(b[k] ?? null);
      if (x !== y) return { epoch: j + 1, field: k, shared: a[k], fresh: b[k] };
    }
  }
  if (shared.stopReason !== fresh.stopReason) return { epoch: n, field: 'stopReason', shared: shared.stopReason, fresh: fresh.stopReason };
  if ((shared.restoredEpoch ?? null) !== (fresh.restoredEpoch ?? null)) return { epoch: n, field: 'restoredEpoch', shared: shared.restoredEpoch, fresh: fresh.restoredEpoch };
  return null;
}

/** A plain sentence for a comparison's outcome. */
export function describeReproduction(diff) {
  if (!diff) return 'reproduced bit for bit';
  if (diff.field === 'epochs') return `differs: ${diff.fresh} epochs trained, the shared run had ${diff.shared}`;
  return `differs from epoch ${diff.epoch} on (${diff.field}: shared ${fmt(diff.shared)}, retrained ${fmt(diff.fresh)})`;
}

const fmt = (x) => (Array.isArray(x) ? `[${x.map(fmt).join(', ')}]` : typeof x === 'number' ? String(Number(x.toPrecision(6))) : String(x));
