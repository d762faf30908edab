// LeNet-5 weights as a safetensors file: an 8-byte little-endian header length N, N bytes of JSON
// header, then the raw little-endian F32 data of every tensor, back to back. Tensor names and
// shapes are PyTorch's, so a file written here loads into a PyTorch LeNet-5 and the other way round.
// Pure ES module; its one import is a sibling.

import { parseStrictJson } from './strict-json.mjs';

const SHAPES = [
  ['conv1.weight', [6, 1, 5, 5]],
  ['conv1.bias', [6]],
  ['conv2.weight', [16, 6, 5, 5]],
  ['conv2.bias', [16]],
  ['fc1.weight', [120, 256]],
  ['fc1.bias', [120]],
  ['fc2.weight', [84, 120]],
  ['fc2.bias', [84]],
  ['fc3.weight', [10, 84]],
  ['fc3.bias', [10]],
];

/**
 * The parameter tensors in the order of the flat parameter buffer (lenet.h's ln_tensor order).
 * offset and count are in floats, within that buffer.
 * @type {readonly {name: string, shape: readonly number[], offset: number, count: number}[]}
 */
export const LENET_TENSORS = Object.freeze(SHAPES.reduce((list, [name, shape]) => {
  const prev = list.at(-1);
  const offset = prev ? prev.offset + prev.count : 0;
  const count = shape.reduce((a, b) => a * b, 1);
  list.push(Object.freeze({ name, shape: Object.freeze(shape), offset, count }));
  return list;
}, []));

/** Floats in the flat parameter buffer: 44,426. */
export const LENET_NUM_PARAMS = LENET_TENSORS.at(-1).offset + LENET_TENSORS.at(-1).count;

const BY_NAME = new Map(LENET_TENSORS.map((t) => [t.name, t]));
const MAX_HEADER_BYTES = 1 << 20;

/** The largest file decodeLenet can accept: the length field, the longest header, the data. */
export const LENET_MAX_FILE_BYTES = 8 + MAX_HEADER_BYTES + LENET_NUM_PARAMS * 4;
const METADATA_KEY = '__metadata__';
// The header is an object of tensor entries holding a shape array: 3 levels, and one to spare.
const MAX_HEADER_DEPTH = 4;

/** What decodeLenet throws for a malformed file; the message names the problem. */
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

function checkParams(params) {
  if (!(params instanceof Float32Array) || params.length !== LENET_NUM_PARAMS) {
    throw new TypeError(`safetensors: expected a Float32Array of ${LENET_NUM_PARAMS} parameters`);
  }
  const bad = params.findIndex((x) => !Number.isFinite(x));
  if (bad >= 0) {
    const t = LENET_TENSORS.findLast((info) => info.offset <= bad);
    throw new RangeError(`safetensors: parameter ${bad} (${t.name}[${bad - t.offset}]) is ${params[bad]}`);
  }
}

/**
 * Writes the LeNet-5 parameters as a safetensors file.
 * @param {Float32Array} params LENET_NUM_PARAMS finite floats in LENET_TENSORS order
 * @param {Record<string, string>} [metadata] stored in the header's __metadata__
 * @returns {Uint8Array} the file
 */
export function encodeLenet(params, metadata = {}) {
  checkParams(params);
  const meta = {};
  for (const [key, value] of Object.entries(metadata ?? {})) {
    if (typeof value !== 'string') throw new TypeError(`safetensors: metadata ${quoted(key)} is not a string`);
    Object.defineProperty(meta, key, { value, enumerable: true });
  }
  const header = { [METADATA_KEY]: meta };
  for (const t of LENET_TENSORS) {
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [t.offset * 4, (t.offset + t.count) * 4] };
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  // Spaces after the JSON keep the data 8-byte aligned; the format allows trailing whitespace.
  const headerLen = Math.ceil(json.length / 8) * 8;
  const bytes = new Uint8Array(8 + headerLen + params.length * 4);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, headerLen, true);
  view.setUint32(4, 0, true);
  bytes.set(json, 8);
  bytes.fill(0x20, 8 + json.length, 8 + headerLen);
  const data = 8 + headerLen;
  for (let i = 0; i < params.length; i++) view.setFloat32(data + i * 4, params[i], true);
  return bytes;
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

const sameShape = (a, b) => Array.isArray(a) && a.length === b.length && a.every((d, i) => d === b[i]);

// Checks one tensor's entry and returns its byte range within the data section.
function readEntry(t, entry, dataLength) {
  if (entry === null || typeof entry !== 'object') fail(`tensor ${t.name} has no description`);
  if (entry.dtype !== 'F32') fail(`tensor ${t.name} has dtype ${quoted(entry.dtype)}, expected "F32"`);
  if (!sameShape(entry.shape, t.shape)) {
    fail(`tensor ${t.name} has shape ${quoted(JSON.stringify(entry.shape))}, expected [${t.shape}]`);
  }
  const off = entry.data_offsets;
  if (!Array.isArray(off) || off.length !== 2 || !off.every((x) => Number.isSafeInteger(x) && x >= 0)) {
    fail(`tensor ${t.name} has malformed data_offsets ${quoted(JSON.stringify(off))}`);
  }
  const [begin, end] = off;
  if (begin > end || end > dataLength) {
    fail(`tensor ${t.name} has data_offsets [${begin}, ${end}] out of range (data section is ${dataLength} bytes)`);
  }
  if (end - begin !== t.count * 4) {
    fail(`tensor ${t.name} has data_offsets [${begin}, ${end}]: ${end - begin} bytes, but shape [${t.shape}] needs ${t.count * 4}`);
  }
  return { t, begin, end };
}

/**
 * Reads a LeNet-5 safetensors file, checking everything: the header, that exactly the LeNet-5
 * tensors are present with F32 dtype and their shapes, that they tile the data section without
 * gaps, overlaps or trailing bytes, and that every value is finite. Tensors may come in any order.
 * @param {Uint8Array|ArrayBuffer} bytes
 * @returns {{params: Float32Array, metadata: Record<string, string>}}
 * @throws {SafetensorsError} with a message naming what is wrong (TypeError if bytes is no buffer)
 */
export function decodeLenet(bytes) {
  let u8;
  if (bytes instanceof ArrayBuffer) u8 = new Uint8Array(bytes);
  else if (ArrayBuffer.isView(bytes)) u8 = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  else throw new TypeError('safetensors: expected a Uint8Array or an ArrayBuffer');

  const { header, dataStart } = readHeader(u8);
  const metadata = readMetadata(header);
  const dataLength = u8.length - dataStart;

  for (const name of Object.keys(header)) {
    if (name !== METADATA_KEY && !BY_NAME.has(name)) fail(`unexpected tensor ${quoted(name)}`);
  }
  const ranges = LENET_TENSORS.map((t) => {
    if (!Object.hasOwn(header, t.name)) fail(`missing tensor ${t.name}`);
    return readEntry(t, header[t.name], dataLength);
  });

  // Tensors must tile the data section exactly, as the format requires.
  let expected = 0;
  let previous = null;
  for (const r of [...ranges].sort((a, b) => a.begin - b.begin)) {
    if (r.begin < expected) fail(`tensors ${previous.t.name} and ${r.t.name} overlap`);
    if (r.begin > expected) fail(`${r.begin - expected} unused bytes before tensor ${r.t.name}`);
    expected = r.end;
    previous = r;
  }
  if (dataLength > expected) fail(`${dataLength - expected} bytes of trailing data after the last tensor`);

  const view = new DataView(u8.buffer, u8.byteOffset + dataStart, dataLength);
  const params = new Float32Array(LENET_NUM_PARAMS);
  for (const { t, begin } of ranges) {
    for (let i = 0; i < t.count; i++) {
      const x = view.getFloat32(begin + i * 4, true);
      if (!Number.isFinite(x)) fail(`tensor ${t.name} holds a non-finite value (${x}) at index ${i}`);
      params[t.offset + i] = x;
    }
  }
  return { params, metadata };
}
