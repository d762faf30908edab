// The schema (web/lib/config.mjs) and the core's config table (src/config.c) describe the same
// settings twice, once for links and controls and once for the C checks. These tests walk every key
// through the wasm module at its minimum, its maximum and just outside them, and require the two
// sides to agree on each value, on the defaults and on the enum names.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { SCHEMA, defaults, toCore, validate } from '../../web/lib/config.mjs';
import { loadEngine } from '../../tools/engine-node.mjs';

let engine;
let fields;
before(async () => {
  engine = await loadEngine('simd');
  fields = new Map(engine.configFields.map((f) => [f.name, f]));
});

// A config where no key's probe trips a rule that involves another key (n + val ≤ 60,000).
const BASE = { ...defaults(), val: 0 };

// Early stopping needs validation samples, so flags are probed with some.
const WITH_VAL = { ...BASE, val: 2000 };

// Keys that apply to some networks only are probed on a network they apply to: skips need an mlp
// or a cnn, and the last activation layer to watch is the deepest mlp's 30th.
const CONTEXT = { skip: { model: 'mlp' }, watch: { model: 'mlp', depth: 30, width: 8 } };
const baseOf = (key, base) => ({ ...base, ...CONTEXT[key] });

const jsAccepts = (key, value, base = BASE) => validate({ [key]: value }, baseOf(key, base)).warnings.length === 0;
const coreAccepts = (field, value, base = BASE) => engine.checkCoreConfig({ ...toCore(base), [field]: value }) === null;

test('every schema key with a core field maps to a distinct ln_config field, and every field has a key', () => {
  const mapped = SCHEMA.filter((e) => e.core).map((e) => e.core);
  assert.equal(new Set(mapped).size, mapped.length, 'two keys set one field');
  assert.deepEqual([...mapped].sort(), [...fields.keys()].sort());
  assert.deepEqual(SCHEMA.filter((e) => !e.core).map((e) => e.key), ['data', 'from', 'head'], 'only the engine-side keys lack a field');
});

test('the defaults agree', () => {
  const core = toCore(defaults());
  for (const f of fields.values()) {
    const want = f.heap === 'HEAPF32' ? Math.fround(f.default) : f.default;
    const got = f.heap === 'HEAPF32' ? Math.fround(core[f.name]) : core[f.name];
    assert.equal(got, want, `${f.name}: schema default ${core[f.name]}, core default ${f.default}`);
  }
  assert.equal(engine.checkCoreConfig(core), null);
});

// Just outside a bound: the next integer, or a step clearly beyond float32's resolution.
const beyond = (e, bound, dir) => (e.type === 'int' ? bound + dir : bound + dir * Math.max(Math.abs(bound) * 1e-4, 1e-6));

for (const e of SCHEMA.filter((x) => x.type === 'number' || x.type === 'int')) {
  test(`${e.key}: accepted at ${e.min} and ${e.max} and refused just outside, by both sides`, () => {
    const f = fields.get(e.core);
    assert.ok(f, `no core field ${e.core}`);
    for (const [value, ok] of [[e.min, true], [e.max, true], [beyond(e, e.min, -1), false], [beyond(e, e.max, 1), false]]) {
      assert.equal(jsAccepts(e.key, value), ok, `schema on ${e.key} = ${value}`);
      // A value past a uint32 field's full range cannot even be written to it.
      if (f.heap === 'HEAPU32' && (value < 0 || value > 0xffffffff)) continue;
      assert.equal(coreAccepts(f.name, value, baseOf(e.key, BASE)), ok, `core on ${f.name} = ${value}`);
    }
  });
}

for (const e of SCHEMA.filter((x) => x.type === 'choice' && x.core)) {
  test(`${e.key}: the same choices in the same order, nothing past them`, () => {
    const f = fields.get(e.core);
    assert.deepEqual(f.choices, e.choices);
    e.choices.forEach((c, i) => {
      assert.ok(jsAccepts(e.key, c));
      assert.ok(coreAccepts(f.name, i), `core refuses ${f.name} = ${i}`);
    });
    assert.ok(!jsAccepts(e.key, 'none-such'));
    for (const i of [-1, e.choices.length]) assert.ok(!coreAccepts(f.name, i), `core accepts ${f.name} = ${i}`);
  });
}

for (const e of SCHEMA.filter((x) => x.type === 'bool' && x.core)) {
  test(`${e.key}: a flag on both sides`, () => {
    const base = baseOf(e.key, WITH_VAL);
    for (const v of [false, true]) assert.ok(jsAccepts(e.key, v, WITH_VAL) && coreAccepts(e.core, v ? 1 : 0, base));
    assert.ok(!jsAccepts(e.key, '2', WITH_VAL));
    assert.ok(!coreAccepts(e.core, 2, base));
  });
}

test('digits: every non-empty set of 0-9 on both sides, nothing else', () => {
  assert.ok(jsAccepts('digits', '0') && coreAccepts('digit_mask', 1));
  assert.ok(jsAccepts('digits', '0123456789') && coreAccepts('digit_mask', 0x3ff));
  assert.ok(!jsAccepts('digits', '') && !coreAccepts('digit_mask', 0));
  assert.ok(!jsAccepts('digits', 'a') && !coreAccepts('digit_mask', 0x400));
});

test('freeze: any set of the layers on both sides, no other layer', () => {
  const all = toCore({ ...BASE, freeze: 'conv1,conv2,fc1,fc2,fc3' }).freeze_mask;
  assert.ok(jsAccepts('freeze', '') && coreAccepts('freeze_mask', 0));
  assert.ok(coreAccepts('freeze_mask', all));
  assert.ok(!jsAccepts('freeze', 'fc4'));
  assert.ok(!coreAccepts('freeze_mask', all + 1));
});

test('early stopping without validation samples is refused by both sides', () => {
  assert.ok(!jsAccepts('es', true));
  assert.match(engine.checkCoreConfig({ ...toCore(BASE), early_stopping: 1 }), /validation/);
});
