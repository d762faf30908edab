import { test } from 'node:test';
import assert from 'node:assert/strict';

import { LENET_TENSORS, LENET_NUM_PARAMS, SafetensorsError, encodeLenet, decodeLenet } from '../../web/lib/safetensors.mjs';

// Parameters with awkward bit patterns: -0, subnormals, extremes, and a seeded spread of values.
function sampleParams(seed = 1) {
  const p = new Float32Array(LENET_NUM_PARAMS);
  let s = seed >>> 0;
  for (let i = 0; i < p.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    p[i] = ((s / 2 ** 32) - 0.5) * 2 ** ((s % 41) - 20);
  }
  p.set([-0, 1.4e-45, -1.1754942e-38, 3.4028234663852886e38, -3.4028234663852886e38, 1], 0);
  return p;
}

const u32 = (f32) => new Uint32Array(f32.buffer, f32.byteOffset, f32.length);
const text = (bytes) => new TextDecoder().decode(bytes);

// Builds a file from a header object and a data section, for hand-made corruptions.
function build(header, data, pad = 0) {
  const json = new TextEncoder().encode(JSON.stringify(header) + ' '.repeat(pad));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

// The header and data section of a file written by encodeLenet.
function split(file) {
  const n = new DataView(file.buffer, file.byteOffset).getUint32(0, true);
  return { header: JSON.parse(text(file.subarray(8, 8 + n))), data: file.slice(8 + n) };
}

test('tensor table matches lenet.h', () => {
  assert.equal(LENET_NUM_PARAMS, 44426);
  assert.deepEqual(LENET_TENSORS.map((t) => [t.name, t.shape, t.offset]), [
    ['conv1.weight', [6, 1, 5, 5], 0],
    ['conv1.bias', [6], 150],
    ['conv2.weight', [16, 6, 5, 5], 156],
    ['conv2.bias', [16], 2556],
    ['fc1.weight', [120, 256], 2572],
    ['fc1.bias', [120], 33292],
    ['fc2.weight', [84, 120], 33412],
    ['fc2.bias', [84], 43492],
    ['fc3.weight', [10, 84], 43576],
    ['fc3.bias', [10], 44416],
  ]);
});

test('round trip is bit-exact and keeps metadata', () => {
  const params = sampleParams();
  const metadata = { config: 'v=1&act=relu', note: 'ünïcødé ✓', empty: '', __proto__key: 'x' };
  const file = encodeLenet(params, metadata);
  assert.ok(file instanceof Uint8Array);
  const back = decodeLenet(file);
  assert.deepEqual(u32(back.params), u32(params));
  assert.ok(Object.is(back.params[0], -0));
  assert.deepEqual(back.metadata, metadata);
  assert.deepEqual(decodeLenet(file.buffer).metadata, metadata);
  assert.deepEqual(decodeLenet(encodeLenet(params)).metadata, {});
});

test('layout: 8-byte aligned header, offsets in order, data little-endian', () => {
  const params = sampleParams(7);
  const file = encodeLenet(params, { a: 'b' });
  const n = new DataView(file.buffer).getUint32(0, true);
  assert.equal(n % 8, 0);
  assert.equal(new DataView(file.buffer).getUint32(4, true), 0);
  assert.equal(file.length, 8 + n + LENET_NUM_PARAMS * 4);
  const { header, data } = split(file);
  assert.deepEqual(header.__metadata__, { a: 'b' });
  assert.deepEqual(header['fc1.bias'], { dtype: 'F32', shape: [120], data_offsets: [33292 * 4, 33412 * 4] });
  const dv = new DataView(data.buffer);
  assert.equal(dv.getUint32(4 * 100, true), u32(params)[100]);
});

test('a "__proto__" metadata key stays data', () => {
  const metadata = JSON.parse('{"__proto__": "x", "k": "v"}');
  const back = decodeLenet(encodeLenet(sampleParams(), metadata)).metadata;
  assert.equal(Object.getPrototypeOf(back), Object.prototype);
  assert.deepEqual(Object.entries(back), [['__proto__', 'x'], ['k', 'v']]);
  assert.equal({}.k, undefined);
});

test('tensors in another order, as PyTorch writes them, decode by name', () => {
  const params = sampleParams(3);
  // Sorted by name, data laid out in that same order, and no padding.
  const sorted = [...LENET_TENSORS].sort((a, b) => (a.name < b.name ? -1 : 1));
  const header = {};
  const data = new Uint8Array(LENET_NUM_PARAMS * 4);
  let at = 0;
  for (const t of [...sorted].reverse()) header[t.name] = null;
  for (const t of sorted) {
    header[t.name] = { data_offsets: [at, at + t.count * 4], shape: t.shape, dtype: 'F32' };
    data.set(new Uint8Array(params.buffer, t.offset * 4, t.count * 4), at);
    at += t.count * 4;
  }
  header.__metadata__ = { format: 'pt' };
  const back = decodeLenet(build(header, data, 3));
  assert.deepEqual(u32(back.params), u32(params));
  assert.deepEqual(back.metadata, { format: 'pt' });
  // An unaligned data section still reads right.
  assert.deepEqual(u32(decodeLenet(build(header, data, 1)).params), u32(params));
});

test('encode refuses bad parameters and metadata', () => {
  assert.throws(() => encodeLenet(new Float32Array(10)), /Float32Array of 44426/);
  assert.throws(() => encodeLenet(new Float64Array(LENET_NUM_PARAMS)), /Float32Array/);
  const p = sampleParams();
  p[33300] = NaN;
  assert.throws(() => encodeLenet(p), /parameter 33300 \(fc1\.bias\[8\]\) is NaN/);
  assert.throws(() => encodeLenet(sampleParams(), { n: 1 }), /metadata "n" is not a string/);
});

test('truncated files are rejected at every length', () => {
  const file = encodeLenet(sampleParams(), { config: 'v=1' });
  const n = new DataView(file.buffer).getUint32(0, true);
  const lengths = new Set([0, 1, 7, 8, 9, 8 + n - 1, 8 + n, 8 + n + 1, file.length - 4, file.length - 1]);
  for (let len = 0; len < file.length; len += 997) lengths.add(len);
  for (const len of lengths) {
    const cut = file.slice(0, len);
    const pattern = len < 8 ? /too short/ : len < 8 + n ? /header length \d+ exceeds/ : /out of range|the file has no|needs/;
    assert.throws(() => decodeLenet(cut), pattern, `length ${len}`);
  }
});

test('header length absurd', () => {
  const file = encodeLenet(sampleParams());
  const huge = file.slice();
  new DataView(huge.buffer).setUint32(4, 1, true);
  assert.throws(() => decodeLenet(huge), /header length \d{10} is absurd/);
  const big = file.slice();
  new DataView(big.buffer).setUint32(0, (1 << 20) + 1, true);
  assert.throws(() => decodeLenet(big), /header length 1048577 is absurd \(more than 1 MiB\)/);
  const ff = new Uint8Array(16).fill(0xff);
  assert.throws(() => decodeLenet(ff), /absurd/);
});

test('flipped header bytes never go unnoticed', () => {
  const params = sampleParams();
  const file = encodeLenet(params, { config: 'v=1&lr=0.001' });
  const n = new DataView(file.buffer).getUint32(0, true);
  let rejected = 0;
  for (let i = 8; i < 8 + n; i++) {
    const bad = file.slice();
    bad[i] ^= 0x5a;
    try {
      const back = decodeLenet(bad);
      // A flip inside the metadata or the padding can still leave a valid file, but never
      // different weights.
      assert.deepEqual(u32(back.params), u32(params), `byte ${i}`);
    } catch (e) {
      assert.match(e.message, /^safetensors: /);
      rejected++;
    }
  }
  assert.ok(rejected > n / 2, `${rejected} of ${n}`);
});

test('each corruption is named', () => {
  const file = encodeLenet(sampleParams(), { config: 'v=1' });
  const cases = [
    [(h) => { h['conv1.weight'].dtype = 'F16'; }, /tensor conv1\.weight has dtype "F16", expected "F32"/],
    [(h) => { h['conv1.weight'].shape = [6, 1, 5, 4]; }, /the file has conv1\.weight \[6,1,5,4\]; this lenet5's conv1\.weight is \[6,1,5,5\]/],
    [(h) => { h['fc2.bias'].shape = [84, 1]; }, /the file has fc2\.bias \[84,1\]; this lenet5's fc2\.bias is \[84\]/],
    [(h) => { delete h['fc3.bias']; }, /the file has no fc3\.bias, which this lenet5 has/],
    [(h) => { h['fc4.weight'] = h['fc3.weight']; }, /the file has fc4\.weight, which this lenet5 lacks/],
    [(h) => { h['conv1.bias'].data_offsets = [596, 620]; }, /tensors conv1\.bias and conv2\.weight overlap|conv1\.weight and conv1\.bias overlap/],
    [(h) => { h['conv1.bias'].data_offsets = [0, 24]; }, /overlap/],
    [(h) => { h['conv1.bias'].data_offsets = [600, 620]; }, /conv1\.bias has data_offsets \[600, 620\]: 20 bytes, but shape \[6\] needs 24/],
    [(h) => { h['fc3.bias'].data_offsets = [177704, 177744]; }, /fc3\.bias has data_offsets \[177704, 177744\] out of range/],
    [(h) => { h['fc3.bias'].data_offsets = [24, 0]; }, /out of range/],
    [(h) => { h['fc3.bias'].data_offsets = [-40, 0]; }, /malformed data_offsets/],
    [(h) => { h['fc3.bias'].data_offsets = [1.5, 41.5]; }, /malformed data_offsets/],
    [(h) => { h['fc3.bias'].data_offsets = 'x'; }, /malformed data_offsets/],
    [(h) => { h['fc3.bias'] = 5; }, /fc3\.bias has no description/],
    [(h) => { h.__metadata__ = { a: 1 }; }, /__metadata__ "a" is not a string/],
    [(h) => { h.__metadata__ = ['a']; }, /__metadata__ is not an object/],
  ];
  for (const [mutate, pattern] of cases) {
    const { header, data } = split(file);
    mutate(header);
    assert.throws(() => decodeLenet(build(header, data)), pattern, String(mutate));
  }
});

test('gaps, trailing data, bad JSON and non-finite values are named', () => {
  const file = encodeLenet(sampleParams());
  const { header, data } = split(file);

  const gap = new Uint8Array(data.length + 8);
  gap.set(data.subarray(0, 600));
  gap.set(data.subarray(600), 608);
  const shifted = structuredClone(header);
  for (const t of LENET_TENSORS.slice(1)) shifted[t.name].data_offsets = shifted[t.name].data_offsets.map((x) => x + 8);
  assert.throws(() => decodeLenet(build(shifted, gap)), /8 unused bytes before tensor conv1\.bias/);

  const trailing = new Uint8Array(data.length + 3);
  trailing.set(data);
  assert.throws(() => decodeLenet(build(header, trailing)), /3 bytes of trailing data after the last tensor/);

  const bad = (json) => {
    const bytes = new TextEncoder().encode(json);
    const out = new Uint8Array(8 + bytes.length);
    new DataView(out.buffer).setUint32(0, bytes.length, true);
    out.set(bytes, 8);
    return out;
  };
  assert.throws(() => decodeLenet(bad('{"a": ')), /header is not valid JSON/);
  assert.throws(() => decodeLenet(bad('')), /header is not valid JSON/);
  assert.throws(() => decodeLenet(bad('[1, 2]')), /header is not a JSON object/);
  assert.throws(() => decodeLenet(bad('null')), /header is not a JSON object/);
  const latin1 = bad('{"__metadata__": {"a": "?"}}');
  latin1[8 + 23] = 0xe9;
  assert.throws(() => decodeLenet(latin1), /header is not valid UTF-8/);

  for (const [value, shown] of [[NaN, 'NaN'], [Infinity, 'Infinity'], [-Infinity, '-Infinity']]) {
    const nonFinite = data.slice();
    new DataView(nonFinite.buffer).setFloat32((2572 + 5) * 4, value, true);
    assert.throws(() => decodeLenet(build(header, nonFinite)), new RegExp(`tensor fc1\\.weight holds a non-finite value \\(${shown}\\) at index 5`));
  }

  assert.throws(() => decodeLenet('not bytes'), TypeError);
  assert.throws(() => decodeLenet(null), TypeError);
});

// The file of sampleParams() with its header text rewritten, for headers JSON.stringify cannot make.
function withHeaderText(edit) {
  const file = encodeLenet(sampleParams(), { config: 'v=1' });
  const n = new DataView(file.buffer).getUint32(0, true);
  const json = new TextEncoder().encode(edit(text(file.subarray(8, 8 + n)).trimEnd()));
  const out = new Uint8Array(8 + json.length + file.length - 8 - n);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 8);
  out.set(file.subarray(8 + n), 8 + json.length);
  return out;
}

function assertRefused(bytes, pattern, what) {
  assert.throws(() => decodeLenet(bytes), (e) => {
    assert.ok(e instanceof SafetensorsError, `${what}: ${e.name}: ${e.message}`);
    assert.match(e.message, /^safetensors: /, what);
    assert.match(e.message, pattern, what);
    return true;
  }, what);
}

test('a value of any wrong JSON type where a string belongs is named, not a TypeError', () => {
  const values = ['{"toString":"F32"}', '{"valueOf":"F32","toJSON":"x"}', '{"__proto__":"F32"}', '["F32"]', '32', 'true', 'null'];
  for (const v of values) {
    assertRefused(withHeaderText((h) => h.replace('"dtype":"F32"', `"dtype":${v}`)), /tensor conv1\.weight has dtype .*, expected "F32"/, `dtype ${v}`);
    assertRefused(withHeaderText((h) => h.replace('"config":"v=1"', `"config":${v}`)), /__metadata__ "config" is not a string/, `metadata ${v}`);
  }
  assertRefused(withHeaderText((h) => h.replace('"dtype":"F32"', '"dtype":{"toString":"F32"}')), /dtype "\{\\"toString\\":\\"F32\\"\}"/, 'shown as JSON');
});

test('deep nesting anywhere in the header is refused with a message, not a stack overflow', () => {
  const deep = (n) => '['.repeat(n) + ']'.repeat(n);
  const slots = {
    shape: (h, v) => h.replace('"shape":[6,1,5,5]', `"shape":${v}`),
    dtype: (h, v) => h.replace('"dtype":"F32"', `"dtype":${v}`),
    data_offsets: (h, v) => h.replace('"data_offsets":[0,600]', `"data_offsets":${v}`),
    metadata: (h, v) => h.replace('"config":"v=1"', `"config":${v}`),
    tensor: (h, v) => h.replace(/"fc3\.bias":\{[^}]*\}/, `"fc3.bias":${v}`),
    header: (h, v) => v,
  };
  for (const [slot, edit] of Object.entries(slots)) {
    for (const n of [5, 100, 5000, 100000]) {
      assertRefused(withHeaderText((h) => edit(h, deep(n))), /nested more than 4 deep/, `${slot} ${n} deep`);
      assertRefused(withHeaderText((h) => edit(h, '{"a":'.repeat(n) + '1' + '}'.repeat(n))), /nested more than 4 deep/, `${slot} ${n} objects deep`);
    }
  }
});

test('a duplicate key is refused, wherever it is and however it is spelt', () => {
  const cases = [
    ['tensor', (h) => h.replace(/("fc3\.bias":\{[^}]*\})/, '$1,$1'), /duplicate key "fc3\.bias"/],
    ['tensor spelt with an escape', (h) => h.replace(/("fc3\.bias":(\{[^}]*\}))/, '$1,"fc3\\u002ebias":$2'), /duplicate key "fc3\.bias"/],
    ['__metadata__', (h) => h.replace('"__metadata__":{"config":"v=1"}', '"__metadata__":{},"__metadata__":{"config":"v=1"}'), /duplicate key "__metadata__"/],
    ['metadata key', (h) => h.replace('"config":"v=1"', '"config":"v=2","config":"v=1"'), /duplicate key "config"/],
    ['dtype inside a tensor', (h) => h.replace('"dtype":"F32"', '"dtype":"F16","dtype":"F32"'), /duplicate key "dtype"/],
    ['data_offsets inside a tensor', (h) => h.replace('"data_offsets":[0,600]', '"data_offsets":[0,0],"data_offsets":[0,600]'), /duplicate key "data_offsets"/],
  ];
  for (const [what, edit, pattern] of cases) assertRefused(withHeaderText(edit), pattern, what);
  // The same edits with distinct keys decode: the duplicate, not the edit, is refused.
  assert.equal(decodeLenet(withHeaderText((h) => h.replace('"config":"v=1"', '"other":"v=2","config":"v=1"'))).metadata.config, 'v=1');
});

test('a __proto__ key reaches no prototype', () => {
  const { metadata } = decodeLenet(withHeaderText((h) => h.replace('"config":"v=1"', '"__proto__":"x","config":"v=1"')));
  assert.equal(Object.getPrototypeOf(metadata), Object.prototype);
  assert.equal(Object.hasOwn(metadata, '__proto__'), true);
  assertRefused(withHeaderText((h) => h.replace('{', '{"__proto__":{},')), /the file has __proto__, which this lenet5 lacks/, '__proto__ tensor');
});
