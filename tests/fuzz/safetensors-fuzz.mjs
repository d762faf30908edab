#!/usr/bin/env node
// Mutation fuzzing of the weights decoder: seeded (so a failure replays exactly), starting from the
// corpus in seeds-safetensors/. Each input is a seed mutated by bit flips, truncation, appended
// bytes, a rewritten header length, or an edit of the header's JSON (values of the wrong type,
// deep nesting, duplicate and removed keys, stray punctuation). The decoder must either return
// LeNet-5's parameters, all finite, or throw a SafetensorsError whose message names the problem.
// Usage: node tests/fuzz/safetensors-fuzz.mjs [--seconds N] [--seed N]; failures go to build/fuzz/.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { decodeLenet, LENET_NUM_PARAMS, SafetensorsError } from '../../web/lib/safetensors.mjs';
import { seededRandom } from '../seeded-random.mjs';

const SEEDS = new URL('seeds-safetensors/', import.meta.url);

/** The seed files, uncompressed. */
export async function readSeeds() {
  const names = (await readdir(SEEDS)).filter((n) => n.endsWith('.gz')).sort();
  return Promise.all(names.map(async (name) => ({ name, bytes: new Uint8Array(gunzipSync(await readFile(new URL(name, SEEDS)))) })));
}

const headerLength = (bytes) => (bytes.length < 8 ? 0 : new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true));

// Puts a new header text in front of the seed's data section, with a correct length field.
function repack(bytes, text) {
  const json = new TextEncoder().encode(text);
  const data = bytes.subarray(Math.min(bytes.length, 8 + headerLength(bytes)));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

const WRONG_VALUES = ['{"toString":"F32"}', '{"valueOf":1,"toJSON":2}', '{}', '[]', '["F32"]', '[[6,1,5,5]]', 'null', 'true',
  '-1', '1e309', '0.5', '9007199254740993', '""', '"F32\\u0000"', '"\\ud800"', '{"__proto__":[1]}'];
const deep = (r) => {
  const n = r.pick([5, 50, 5000, 200000]);
  return r.below(2) ? '['.repeat(n) + ']'.repeat(n) : '{"a":'.repeat(n) + '0' + '}'.repeat(n);
};

const MUTATIONS = {
  bitFlips(bytes, r) {
    const out = bytes.slice();
    const limit = r.below(2) ? Math.min(out.length, 8 + headerLength(bytes)) : out.length; // the header, mostly
    for (let k = 1 + r.below(8); k > 0 && limit > 0; k--) out[r.below(limit)] ^= 1 << r.below(8);
    return out;
  },
  truncate: (bytes, r) => bytes.slice(0, r.below(bytes.length + 1)),
  append(bytes, r) {
    const extra = Uint8Array.from({ length: 1 + r.below(16) }, () => r.below(256));
    const out = new Uint8Array(bytes.length + extra.length);
    out.set(bytes);
    out.set(extra, bytes.length);
    return out;
  },
  headerLength(bytes, r) {
    const out = bytes.length >= 8 ? bytes.slice() : new Uint8Array(8);
    const n = headerLength(out);
    const view = new DataView(out.buffer);
    view.setUint32(0, r.pick([0, 1, n - 1, n + 1, n + 8, 2 ** 20, 2 ** 20 + 1, 2 ** 32 - 1, r.below(2 ** 32)]) >>> 0, true);
    view.setUint32(4, r.pick([0, 0, 0, 1, 2 ** 32 - 1]), true);
    return out;
  },
  // Replaces a value after a random key: wrong types, deep nesting.
  wrongValue(bytes, r) {
    const text = headerText(bytes);
    const keys = [...text.matchAll(/"[^"\\]*"\s*:/g)];
    if (!keys.length) return bytes;
    const key = r.pick(keys);
    const start = key.index + key[0].length;
    const end = valueEnd(text, start);
    return repack(bytes, text.slice(0, start) + (r.below(4) ? r.pick(WRONG_VALUES) : deep(r)) + text.slice(end));
  },
  duplicateKey(bytes, r) {
    const text = headerText(bytes);
    const keys = [...text.matchAll(/"[^"\\]*"\s*:/g)];
    if (!keys.length) return bytes;
    const key = r.pick(keys);
    const end = valueEnd(text, key.index + key[0].length);
    const pair = text.slice(key.index, end);
    return repack(bytes, text.slice(0, key.index) + pair + ',' + pair + text.slice(end));
  },
  removeKey(bytes, r) {
    const text = headerText(bytes);
    const keys = [...text.matchAll(/"[^"\\]*"\s*:/g)];
    if (!keys.length) return bytes;
    const key = r.pick(keys);
    const end = valueEnd(text, key.index + key[0].length);
    return repack(bytes, text.slice(0, key.index) + text.slice(end).replace(/^,/, ''));
  },
  punctuation(bytes, r) {
    const text = headerText(bytes);
    const at = r.below(text.length + 1);
    const cut = r.below(3);
    return repack(bytes, text.slice(0, at) + r.pick(['{', '}', '[', ']', '"', '\\', ',', ':', '\u0000', '\u2028', '1', '-', 'e', ' ']) + text.slice(at + cut));
  },
};

function headerText(bytes) {
  return new TextDecoder().decode(bytes.subarray(8, 8 + Math.min(headerLength(bytes), Math.max(0, bytes.length - 8))));
}

// Where the JSON value starting at start ends: scans brackets and strings, good enough on mutants.
function valueEnd(text, start) {
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
      if (depth === 0) return i + 1;
    } else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      if (depth === 0) return i;
      if (--depth === 0) return i + 1;
    } else if (c === ',' && depth === 0) return i;
  }
  return text.length;
}

// Decodes one input: 'accepted' or 'refused' when the decoder kept its contract, else what went wrong.
function check(bytes) {
  let result;
  try {
    result = decodeLenet(bytes);
  } catch (e) {
    if (e instanceof SafetensorsError && /^safetensors: \S/.test(e.message)) return 'refused';
    return `${e?.name}: ${e?.message}`;
  }
  const { params, metadata } = result;
  if (!(params instanceof Float32Array) || params.length !== LENET_NUM_PARAMS) return 'accepted with wrong parameters';
  if (!params.every(Number.isFinite)) return 'accepted a non-finite parameter';
  if (!Object.values(metadata).every((v) => typeof v === 'string')) return 'accepted metadata that is not text';
  return 'accepted';
}

/**
 * Runs the fuzzer until `seconds` pass or `maxRuns` inputs were tried.
 * @returns {Promise<{runs: number, accepted: number, byMutation: Record<string, number>, failures: {run: number, mutations: string[], problem: string, bytes: Uint8Array}[]}>}
 */
export async function fuzz({ seconds = 3, maxRuns = Infinity, seed = 1 } = {}) {
  const seeds = await readSeeds();
  const r = seededRandom(seed);
  const names = Object.keys(MUTATIONS);
  const byMutation = Object.fromEntries(names.map((n) => [n, 0]));
  const failures = [];
  let runs = 0, accepted = 0;
  const deadline = performance.now() + seconds * 1000;
  const tally = (outcome) => {
    if (outcome === 'accepted') accepted++;
    else if (outcome !== 'refused') return outcome;
    return null;
  };
  for (const { bytes } of seeds) {
    const problem = tally(check(bytes));
    if (problem) failures.push({ run: runs, mutations: [], problem, bytes });
    runs++;
  }
  while (runs < maxRuns && performance.now() < deadline && failures.length < 10) {
    const seedBytes = r.pick(seeds).bytes;
    let bytes = seedBytes;
    const applied = [];
    // Mostly one mutation, sometimes a few stacked.
    for (let k = r.below(4) ? 1 : 2 + r.below(3); k > 0; k--) {
      const name = r.pick(names);
      bytes = MUTATIONS[name](bytes, r);
      applied.push(name);
      byMutation[name]++;
    }
    let outcome = check(bytes);
    // A duplicated key alone surely leaves two equal keys in one object: accepting that is a bug too.
    if (outcome === 'accepted' && applied.join() === 'duplicateKey' && bytes !== seedBytes) outcome = 'accepted a duplicate key';
    const problem = tally(outcome);
    if (problem) failures.push({ run: runs, mutations: applied, problem, bytes });
    runs++;
  }
  return { runs, accepted, byMutation, failures };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { seconds: { type: 'string', default: '60' }, seed: { type: 'string', default: '1' } } });
  const started = performance.now();
  const { runs, accepted, byMutation, failures } = await fuzz({ seconds: Number(values.seconds), seed: Number(values.seed) });
  const took = (performance.now() - started) / 1000;
  console.log(`safetensors fuzz: ${runs} runs in ${took.toFixed(1)} s (seed ${values.seed}), ${accepted} accepted; mutations ${JSON.stringify(byMutation)}`);
  if (failures.length) {
    await mkdir('build/fuzz', { recursive: true });
    for (const f of failures) {
      const file = `build/fuzz/safetensors-failure-${f.run}.safetensors`;
      await writeFile(file, f.bytes);
      console.error(`run ${f.run} (${f.mutations.join(' + ')}): ${f.problem}; input in ${file}`);
    }
    process.exitCode = 1;
  }
}
