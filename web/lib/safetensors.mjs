// Network weights as a safetensors file: an 8-byte little-endian header length N, N bytes of JSON
// header, then the raw little-endian F32 data of every tensor, back to back. Tensor names and
// shapes are PyTorch's ("fc1.weight", "bn1.running_var"), so a file written here loads into the
// matching PyTorch module and the other way round. A network's tensors come from its tensor table
// (engine.describe(config).tensors): trainable ones live in the parameter buffer, batch norm's
// running_mean and running_var (kind 'mean', 'var') in the statistics buffer. LeNet-5 without
// batch norm is the case spelt out here (LENET_TENSORS, encodeLenet, decodeLenet).
// Pure ES module; its one import is a sibling.

import { parseStrictJson } from './strict-json.mjs';

const SHAPES = [
  ['conv1.weight', [6, 1, 5, 5], 'kernel'],
  ['conv1.bias', [6], 'bias'],
  ['conv2.weight', [16, 6, 5, 5], 'kernel'],
  ['conv2.bias', [16], 'bias'],
  ['fc1.weight', [120, 256], 'kernel'],
  ['fc1.bias', [120], 'bias'],
  ['fc2.weight', [84, 120], 'kernel'],
  ['fc2.bias', [84], 'bias'],
  ['fc3.weight', [10, 84], 'kernel'],
  ['fc3.bias', [10], 'bias'],
];

/**
 * LeNet-5's parameter tensors (without batch norm) in the order of the flat parameter buffer
 * (lenet.h's ln_tensor order). offset and count are in floats, within that buffer.
 * @type {readonly {name: string, kind: string, shape: readonly number[], offset: number, count: number}[]}
 */
export const LENET_TENSORS = Object.freeze(SHAPES.reduce((list, [name, shape, kind]) => {
  const prev = list.at(-1);
  const offset = prev ? prev.offset + prev.count : 0;
  const count = shape.reduce((a, b) => a * b, 1);
  list.push(Object.freeze({ name, kind, shape: Object.freeze(shape), offset, count }));
  return list;
}, []));

/** Floats in LeNet-5's flat parameter buffer: 44,426. */
export const LENET_NUM_PARAMS = LENET_TENSORS.at(-1).offset + LENET_TENSORS.at(-1).count;

const MAX_HEADER_BYTES = 1 << 20;
/** The most floats a file may hold: lenet.h's LN_MAX_PARAMS (2^23) and room for the statistics. */
const MAX_FLOATS = 2 ** 23 + 2 ** 16;

/** The largest file the decoder accepts: the length field, the longest header, the data. */
export const MAX_FILE_BYTES = 8 + MAX_HEADER_BYTES + MAX_FLOATS * 4;
const METADATA_KEY = '__metadata__';
// The header is an object of tensor entries holding a shape array: 3 levels, and one to spare.
const MAX_HEADER_DEPTH = 4;

/** What the decoder throws for a malformed or mismatched file; the message names the problem. */
export class SafetensorsError extends Error {
  name = 'SafetensorsError';
}

function fail(message) {
  throw new SafetensorsError(`safetensors: ${message}`);
}

// Values from a file appear in messages: shown as JSON (cheap, as the header's depth is bounded),
// short and printable.
function quoted(value) {
  const text = typeof value === 'string' ? value : String(JSON.stringify(value));
  const s = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028-\u202e\u2066-\u2069]/g, '\ufffd');
  return JSON.stringify(s.length > 40 ? s.slice(0, 40) + '…' : s);
}

// A tensor name from a file: plain when it looks like one, else quoted.
const shown = (name) => (/^[A-Za-z0-9_.]{1,40}$/.test(name) ? name : quoted(name));
const isStat = (t) => t.kind === 'mean' || t.kind === 'var';
const isBn = (name) => /^bn\d+\./.test(name);
// Floats in the parameter (stats false) or statistics (stats true) buffer of a tensor table.
const bufferSize = (tensors, stats) => tensors.reduce((n, t) => (isStat(t) === stats ? Math.max(n, t.offset + t.count) : n), 0);

function checkBuffer(tensors, values, stats) {
  const size = bufferSize(tensors, stats);
  const what = stats ? 'batch-norm statistics' : 'parameters';
  if (!(values instanceof Float32Array) || values.length !== size) {
    throw new TypeError(`safetensors: expected a Float32Array of ${size} ${what}`);
  }
  const bad = values.findIndex((x) => !Number.isFinite(x));
  if (bad >= 0) {
    const t = tensors.filter((info) => isStat(info) === stats).findLast((info) => info.offset <= bad);
    throw new RangeError(`safetensors: ${stats ? 'statistic' : 'parameter'} ${bad} (${t.name}[${bad - t.offset}]) is ${values[bad]}`);
  }
}

/**
 * Writes a network's tensors as a safetensors file, in table order.
 * @param {readonly {name: string, kind?: string, shape: readonly number[], offset: number, count: number}[]} tensors
 *   the network's tensor table (run.net.tensors, engine.describe(config).tensors)
 * @param {{params: Float32Array, stats?: Float32Array}} values the parameter and statistics
 *   buffers, finite floats (stats may be left out when the network has none)
 * @param {Record<string, string>} [metadata] stored in the header's __metadata__
 * @returns {Uint8Array} the file
 */
export function encodeSafetensors(tensors, { params, stats = new Float32Array(0) }, metadata = {}) {
  checkBuffer(tensors, params, false);
  checkBuffer(tensors, stats, true);
  const meta = {};
  for (const [key, value] of Object.entries(metadata ?? {})) {
    if (typeof value !== 'string') throw new TypeError(`safetensors: metadata ${quoted(key)} is not a string`);
    Object.defineProperty(meta, key, { value, enumerable: true });
  }
  const header = { [METADATA_KEY]: meta };
  let at = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [at, at + t.count * 4] };
    at += t.count * 4;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  // Spaces after the JSON keep the data 8-byte aligned; the format allows trailing whitespace.
  const headerLen = Math.ceil(json.length / 8) * 8;
  const bytes = new Uint8Array(8 + headerLen + at);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, headerLen, true);
  view.setUint32(4, 0, true);
  bytes.set(json, 8);
  bytes.fill(0x20, 8 + json.length, 8 + headerLen);
  let data = 8 + headerLen;
  for (const t of tensors) {
    const source = isStat(t) ? stats : params;
    for (let i = 0; i < t.count; i++) view.setFloat32(data + i * 4, source[t.offset + i], true);
    data += t.count * 4;
  }
  return bytes;
}

/**
 * Writes LeNet-5's parameters (LENET_TENSORS order) as a safetensors file.
 * @param {Float32Array} params LENET_NUM_PARAMS finite floats
 * @param {Record<string, string>} [metadata]
 */
export function encodeLenet(params, metadata = {}) {
  return encodeSafetensors(LENET_TENSORS, { params }, metadata);
}

function readHeader(bytes) {
  if (bytes.length < 8) fail(`file too short (${bytes.length} bytes): no 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const low = view.getUint32(0, true);
  const high = view.getUint32(4, true);
  const length = high * 2 ** 32 + low;
  if (length > MAX_HEADER_BYTES) fail(`header length ${length} is absurd (more than 1 MiB)`);
  if (length > bytes.length - 8) {
    fail(`header length ${length} exceeds the ${bytes.length - 8} bytes after it (truncated file?)`);
  }
  let text;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + length));
  } catch {
    fail('header is not valid UTF-8');
  }
  let header;
  try {
    // Not JSON.parse: it keeps the last of duplicate tensors silently and overflows the stack on deep nesting.
    header = parseStrictJson(text, MAX_HEADER_DEPTH);
  } catch (e) {
    fail(`header is not valid JSON (${e.message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    fail('header is not a JSON object');
  }
  return { header, dataStart: 8 + length };
}

function readMetadata(header) {
  if (!Object.hasOwn(header, METADATA_KEY)) return {};
  const meta = header[METADATA_KEY];
  if (meta === null || typeof meta !== 'object' || Array.isArray(meta)) fail('__metadata__ is not an object');
  for (const [key, value] of Object.entries(meta)) {
    if (typeof value !== 'string') fail(`__metadata__ ${quoted(key)} is not a string`);
  }
  return Object.fromEntries(Object.entries(meta));
}

// Checks one tensor's entry as far as it stands alone: a description, F32, a well-formed shape.
function readEntry(name, entry) {
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) fail(`tensor ${shown(name)} has no description`);
  if (entry.dtype !== 'F32') fail(`tensor ${shown(name)} has dtype ${quoted(entry.dtype)}, expected "F32"`);
  const { shape } = entry;
  if (!Array.isArray(shape) || shape.length > 8 || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    fail(`tensor ${shown(name)} has malformed shape ${quoted(JSON.stringify(shape))}`);
  }
  const count = shape.reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(count) || count > MAX_FLOATS) fail(`tensor ${shown(name)} has shape [${shape}]: too many values`);
  return { name, entry, shape, count };
}

const sameShape = (a, b) => a.length === b.length && a.every((d, i) => d === b[i]);

// The first difference between the file's tensor names and the network's: tensors the network
// lacks, then tensors the file lacks. `model` names the network in messages.
function matchNames(names, tensors, model) {
  const wanted = new Set(tensors.map((t) => t.name));
  const netBn = tensors.some((t) => isBn(t.name));
  for (const name of names) {
    if (wanted.has(name)) continue;
    const why = isBn(name) && !netBn ? ': it was saved with batch norm' : '';
    fail(`the file has ${shown(name)}, which this ${model} lacks${why}`);
  }
  const present = new Set(names);
  if (netBn && !names.some(isBn)) fail(`the file has no ${(tensors.find(isStat) ?? tensors.find((t) => isBn(t.name))).name}: it was saved without batch norm`);
  for (const t of tensors) {
    if (!present.has(t.name)) fail(`the file has no ${t.name}, which this ${model} has`);
  }
}

/**
 * Reads a safetensors file, checking everything: the header, every entry (F32, a shape, in-range
 * data_offsets of the shape's size), that the tensors tile the data section without gaps, overlaps
 * or trailing bytes, and that every value is finite. Given a network's tensor table, the file must
 * hold exactly its tensors with its shapes (in any order); a difference is refused with a message
 * naming it, and running variances must not be negative.
 * @param {Uint8Array|ArrayBuffer} bytes
 * @param {readonly {name: string, kind?: string, shape: readonly number[], offset: number, count: number}[]|null} tensors
 *   the network's tensor table, or null to read whatever tensors the file holds
 * @param {{model?: string}} [options] model names the network in messages ("this mlp's fc1.weight")
 * @returns {{params: Float32Array, stats: Float32Array, metadata: Record<string, string>,
 *   tensors: {name: string, shape: number[], values: Float32Array}[]}} params and stats laid
 *   out as the table says (empty without a table); tensors as the file holds them, in file order
 * @throws {SafetensorsError} with a message naming what is wrong (TypeError if bytes is no buffer)
 */
export function decodeSafetensors(bytes, tensors, { model = 'network' } = {}) {
  let u8;
  if (bytes instanceof ArrayBuffer) u8 = new Uint8Array(bytes);
  else if (ArrayBuffer.isView(bytes)) u8 = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  else throw new TypeError('safetensors: expected a Uint8Array or an ArrayBuffer');

  const { header, dataStart } = readHeader(u8);
  const metadata = readMetadata(header);
  const dataLength = u8.length - dataStart;
  const names = Object.keys(header).filter((name) => name !== METADATA_KEY);
  if (tensors) matchNames(names, tensors, model);
  const entries = names.map((name) => readEntry(name, header[name]));
  for (const t of tensors ?? []) {
    const { shape } = entries.find((e) => e.name === t.name);
    if (!sameShape(shape, t.shape)) fail(`the file has ${t.name} [${shape}]; this ${model}'s ${t.name} is [${t.shape}]`);
  }

  for (const e of entries) {
    const off = e.entry.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((x) => Number.isSafeInteger(x) && x >= 0)) {
      fail(`tensor ${shown(e.name)} has malformed data_offsets ${quoted(JSON.stringify(off))}`);
    }
    const [begin, end] = off;
    if (begin > end || end > dataLength) {
      fail(`tensor ${shown(e.name)} has data_offsets [${begin}, ${end}] out of range (data section is ${dataLength} bytes)`);
    }
    if (end - begin !== e.count * 4) {
      fail(`tensor ${shown(e.name)} has data_offsets [${begin}, ${end}]: ${end - begin} bytes, but shape [${e.shape}] needs ${e.count * 4}`);
    }
    Object.assign(e, { begin, end });
  }

  // Tensors must tile the data section exactly, as the format requires.
  let expected = 0;
  let previous = null;
  for (const r of [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end)) {
    if (r.begin < expected) fail(`tensors ${shown(previous.name)} and ${shown(r.name)} overlap`);
    if (r.begin > expected) fail(`${r.begin - expected} unused bytes before tensor ${shown(r.name)}`);
    expected = r.end;
    previous = r;
  }
  if (dataLength > expected) fail(`${dataLength - expected} bytes of trailing data after the last tensor`);

  const view = new DataView(u8.buffer, u8.byteOffset + dataStart, dataLength);
  const kinds = new Map((tensors ?? []).map((t) => [t.name, t]));
  for (const e of entries) {
    const values = new Float32Array(e.count);
    const variance = kinds.get(e.name)?.kind === 'var';
    for (let i = 0; i < e.count; i++) {
      const x = view.getFloat32(e.begin + i * 4, true);
      if (!Number.isFinite(x)) fail(`tensor ${shown(e.name)} holds a non-finite value (${x}) at index ${i}`);
      if (variance && x < 0) fail(`tensor ${e.name} holds a negative variance (${x}) at index ${i}`);
      values[i] = x;
    }
    e.values = values;
  }
  const params = new Float32Array(tensors ? bufferSize(tensors, false) : 0);
  const stats = new Float32Array(tensors ? bufferSize(tensors, true) : 0);
  const byName = new Map(entries.map((e) => [e.name, e]));
  for (const t of tensors ?? []) (isStat(t) ? stats : params).set(byName.get(t.name).values, t.offset);
  return { params, stats, metadata, tensors: entries.map(({ name, shape, values }) => ({ name, shape, values })) };
}

/**
 * Reads a LeNet-5 (no batch norm) safetensors file: decodeSafetensors with LENET_TENSORS.
 * @param {Uint8Array|ArrayBuffer} bytes
 * @returns {{params: Float32Array, metadata: Record<string, string>}}
 */
export function decodeLenet(bytes) {
  const { params, metadata } = decodeSafetensors(bytes, LENET_TENSORS, { model: 'lenet5' });
  return { params, metadata };
}
