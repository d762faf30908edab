import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  SCHEMA, LAYER_NAMES, MAX_RUNS, defaults, validate, parse, parseLink, serialize, serializeLink,
  diff, describe, toCore,
} from '../../web/lib/config.mjs';
import { seededRandom } from '../seeded-random.mjs';

const KEYS = [
  'model', 'depth', 'width', 'convs', 'ch', 'bn', 'skip',
  'act', 'init', 'reg', 'lam', 'l1r', 'drop1', 'drop2', 'opt', 'lr', 'mom', 'b1', 'b2', 'rho', 'eps',
  'acc0', 'wd', 'clip', 'bs', 'ep', 'es', 'pat', 'mind', 'best', 'data', 'n', 'val', 'test', 'digits', 'std', 'aug',
  'noise', 'from', 'head', 'freeze', 'watch', 'seed',
];
const entry = (key) => SCHEMA.find((e) => e.key === key);

// Independent of the module under test: what a valid config looks like.
function assertValid(config) {
  assert.equal(Object.getPrototypeOf(config), Object.prototype);
  assert.deepEqual(Object.keys(config), KEYS);
  for (const e of SCHEMA) {
    const v = config[e.key];
    const where = `${e.key} = ${String(v)}`;
    switch (e.type) {
      case 'choice':
        assert.ok(e.choices.includes(v), where);
        break;
      case 'number':
      case 'int':
        assert.equal(typeof v, 'number', where);
        assert.ok(Number.isFinite(v) && v >= e.min && v <= e.max && !Object.is(v, -0), where);
        if (e.type === 'int') assert.ok(Number.isInteger(v), where);
        break;
      case 'bool':
        assert.equal(typeof v, 'boolean', where);
        break;
      case 'digits':
        assert.match(v, /^0?1?2?3?4?5?6?7?8?9?$/, where);
        assert.ok(v.length > 0, where);
        break;
      case 'layers':
        assert.ok(v === '' || /^(conv1,)?(conv2,)?(fc1,)?(fc2,)?(fc3,)?$/.test(v + ','), where);
        break;
      default:
        assert.fail(`unknown type ${e.type}`);
    }
  }
  assert.ok(config.n + config.val <= 60000);
  assert.ok(!config.es || config.val > 0);
}

function randomValue(r, e) {
  switch (e.type) {
    case 'choice':
      return r.pick(e.choices);
    case 'bool':
      return r.next() < 0.5;
    case 'int':
      return r.pick([e.min, e.max, e.default, r.int(e.min, e.max)]);
    case 'number': {
      const span = e.max - e.min;
      const forms = [
        () => e.min,
        () => e.max,
        () => e.default,
        () => e.min + r.next() * span,
        () => Math.fround(e.min + r.next() * span),
        () => Number((e.min + r.next() * span).toPrecision(r.int(1, 4))),
        () => Math.max(e.min, Math.min(e.max, 10 ** -r.int(0, 9))),
      ];
      return Math.min(e.max, Math.max(e.min, r.pick(forms)()));
    }
    case 'digits': {
      const d = '0123456789'.split('').filter(() => r.next() < 0.5).join('');
      return d || String(r.int(0, 9));
    }
    case 'layers':
      return LAYER_NAMES.filter(() => r.next() < 0.3).join(',');
  }
  throw new Error(e.type);
}

function randomConfig(r) {
  const c = {};
  for (const e of SCHEMA) c[e.key] = randomValue(r, e);
  if (c.n + c.val > 60000) c.val = 60000 - c.n;
  if (c.val === 0) c.es = false;
  return c;
}

const DEFAULT_HASH =
  'v=1&model=lenet5&depth=3&width=100&convs=8&ch=8&bn=0&skip=0' +
  '&act=relu&init=glorot_uniform&reg=none&lam=0.0001&l1r=0.5&drop1=0&drop2=0&opt=adam' +
  '&lr=0.001&mom=0.9&b1=0.9&b2=0.999&rho=0.9&eps=1e-7&acc0=0.1&wd=0.004&clip=0&bs=32&ep=10&es=0&pat=3&mind=0' +
  '&best=1&data=mnist&n=10000&val=2000&test=10000&digits=0123456789&std=0&aug=0&noise=0&from=scratch&head=0' +
  '&freeze=&watch=0&seed=1';

// ---- schema ------------------------------------------------------------------------------------

test('schema: keys in canonical order, self-consistent entries', () => {
  assert.deepEqual(SCHEMA.map((e) => e.key), KEYS);
  for (const e of SCHEMA) {
    assert.ok(e.label && e.group && e.help.length > 20, e.key);
    if (e.type === 'number' || e.type === 'int') {
      assert.ok(e.min <= e.default && e.default <= e.max, e.key);
    }
    if (e.type === 'choice') assert.ok(e.choices.includes(e.default), e.key);
  }
  assert.ok(Object.isFrozen(SCHEMA) && Object.isFrozen(SCHEMA[1].choices));
});

test('schema: the help states the Keras conventions', () => {
  assert.match(entry('reg').help, /λ·Σw² \(no ½/);
  assert.match(entry('reg').help, /λ·\(r·Σ\|w\| \+ \(1 − r\)·Σw²\)/);
  assert.match(entry('reg').help, /biases are not penalised/);
  assert.match(entry('drop1').help, /1\/\(1 − p\).*identity/);
  assert.match(entry('init').help, /√\(6\/\(fan_in \+ fan_out\)\)/);
  assert.match(entry('opt').help, /nesterov: v = μ·v − η·g, w \+= μ·v − η·g/);
});

test('defaults: canonical hash, fresh objects, valid', () => {
  const d = defaults();
  assertValid(d);
  assert.equal(serialize(d), DEFAULT_HASH);
  d.lr = 5;
  assert.equal(defaults().lr, 1e-3);
  assert.deepEqual(parse(DEFAULT_HASH), { config: defaults(), warnings: [] });
  assert.deepEqual(parse(''), { config: defaults(), warnings: [] });
});

// ---- round trips -------------------------------------------------------------------------------

test('round trip: random valid configs', () => {
  const r = seededRandom(12345);
  for (let i = 0; i < 2000; i++) {
    const c = randomConfig(r);
    const h = serialize(c);
    const back = parse(h);
    assert.deepEqual(back.warnings, [], h);
    assert.deepEqual(back.config, c, h);
    assert.equal(serialize(back.config), h);
    assert.deepEqual(parse('#' + h).config, c);
    assert.deepEqual(parse(`https://example.org/lab/?x=1#${h}`).config, c);
    assert.deepEqual(validate(c), { config: c, warnings: [] });
  }
});

test('round trip: numbers are written in their shortest exact form', () => {
  const c = { ...defaults(), lr: 0.1 + 0.2, lam: 1e-9, mind: Math.fround(0.1), eps: 1e-10, seed: 4294967295 };
  const h = serialize(c);
  assert.match(h, /&lr=0\.30000000000000004&/);
  assert.match(h, /&lam=1e-9&/);
  assert.match(h, /&seed=4294967295$/);
  assert.deepEqual(parse(h).config, c);
});

test('parse: accepts partial, hand-written and encoded links', () => {
  const { config, warnings } = parse('drop1=0.5&reg=L2&freeze=conv1%2Cfc3&lr=1e%2D2&es=true&digits=7311');
  assert.deepEqual(warnings, []);
  assert.deepEqual(config, {
    ...defaults(), drop1: 0.5, reg: 'l2', freeze: 'conv1,fc3', lr: 0.01, es: true, digits: '137',
  });
  assert.equal(parse('#freeze=fc3,conv1').config.freeze, 'conv1,fc3');
  assert.equal(parse('seed=-0').config.seed, 0);
  assert.ok(Object.is(parse('mind=-0').config.mind, 0));
  assert.equal(parse('http://localhost:8080/?lr=0.5').config.lr, 0.5);
});

test('parse: non-string input reads as empty', () => {
  for (const input of [undefined, null, 42, {}, ['lr=1'], Symbol('x'), () => 'lr=1']) {
    assert.deepEqual(parse(input), { config: defaults(), warnings: [] });
  }
});

// ---- warnings ----------------------------------------------------------------------------------

function warnsOnce(hash, pattern) {
  const { config, warnings } = parse(hash);
  assert.equal(warnings.length, 1, `${hash}: ${JSON.stringify(warnings)}`);
  assert.match(warnings[0], pattern);
  assertValid(config);
  return config;
}

test('warnings: unknown keys and malformed pairs', () => {
  warnsOnce('foo=1', /unknown key 'foo'/);
  warnsOnce('__proto__=1', /unknown key '__proto__'/);
  warnsOnce('%5F%5Fproto%5F%5F=1', /unknown key '__proto__'/);
  warnsOnce('lr', /'lr' has no value/);
  warnsOnce('lr=%E0%A4%A', /bad %-encoding/);
  warnsOnce('%ZZ=1', /bad %-encoding/);
  warnsOnce('v=2&lr=0.01', /v: unknown format version '2'/);
});

test('warnings: bad numbers fall back to the default', () => {
  for (const bad of ['abc', 'NaN', 'Infinity', '-Infinity', '1e999', '0x10', '', ' ', '1,5', '١']) {
    const c = warnsOnce(`lr=${encodeURIComponent(bad)}`, /^lr: .* (not a number|not a finite number); using the default 0\.001$/);
    assert.equal(c.lr, 1e-3);
  }
});

test('warnings: out-of-range values are clamped', () => {
  assert.equal(warnsOnce('lr=20', /lr: 20 is above the maximum 10; using 10/).lr, 10);
  assert.equal(warnsOnce('lr=0', /lr: 0 is below the minimum 0\.000001/).lr, 1e-6);
  assert.equal(warnsOnce('drop1=0.95', /drop1: .* maximum 0\.9/).drop1, 0.9);
  assert.equal(warnsOnce('bs=0', /bs: 0 is below the minimum 1/).bs, 1);
  assert.equal(warnsOnce('seed=4294967296', /seed: .* maximum 4294967295/).seed, 4294967295);
  assert.equal(warnsOnce('seed=-1', /seed: -1 is below the minimum 0/).seed, 0);
});

test('warnings: non-integers for ints are rounded', () => {
  assert.equal(warnsOnce('bs=3.5', /bs: 3\.5 is not an integer; using 4/).bs, 4);
  assert.equal(parse('bs=1e2').config.bs, 100);
  const { config, warnings } = parse('ep=999.7');
  assert.equal(warnings.length, 2);
  assert.equal(config.ep, 200);
});

test('warnings: invalid choices, bools, digits and layers', () => {
  assert.equal(warnsOnce('act=swish', /act: 'swish' is not one of relu, tanh, sigmoid; using the default relu/).act, 'relu');
  assert.equal(warnsOnce('opt=', /opt: '' is not one of/).opt, 'adam');
  assert.equal(warnsOnce('es=maybe', /es: expected 1 or 0, got 'maybe'/).es, false);
  assert.equal(warnsOnce('digits=', /digits: no digit given; using 0123456789/).digits, '0123456789');
  assert.equal(warnsOnce('digits=1x7', /digits: ignored characters/).digits, '17');
  assert.equal(warnsOnce('freeze=conv3,fc1', /freeze: ignored unknown layer 'conv3'/).freeze, 'fc1');
});

test('warnings: duplicate keys, last wins', () => {
  assert.equal(warnsOnce('lr=0.1&lr=0.2', /lr given more than once; the last value wins/).lr, 0.2);
});

test('warnings: cross-key rules', () => {
  const c = warnsOnce('n=59000&val=5000', /val: n \+ val = 64000 exceeds the 60000 training images; using val 1000/);
  assert.equal(c.val, 1000);
  assert.equal(warnsOnce('es=1&val=0', /es: early stopping needs validation samples/).es, false);
  const { config, warnings } = parse('n=60000&es=1');
  assert.equal(warnings.length, 2);
  assert.equal(config.val, 0);
  assert.equal(config.es, false);
  // Settings that are unused by the current choice are not an error.
  assert.deepEqual(parse('reg=none&lam=0.5&l1r=0.1').warnings, []);
});

test('warnings: oversized input and too many warnings are capped', () => {
  const long = parse('lr=0.01&seed=' + '7'.repeat(10000));
  assert.match(long.warnings[0], /only the first 8192 are read/);
  assert.equal(long.config.lr, 0.01);

  const noisy = parse(Array.from({ length: 500 }, (_, i) => `k${i}=1`).join('&'));
  assert.ok(noisy.warnings.length <= 21);
  assert.match(noisy.warnings.at(-1), /and 480 more warnings/);
});

test('warnings: echoed input is short plain text', () => {
  const { warnings } = parse(`act=${encodeURIComponent('<script>alert(1)</script>'.repeat(5) + '\u001b[31m\u202e')}`);
  assert.equal(warnings.length, 1);
  assert.ok(warnings[0].length < 120, warnings[0]);
  const shortAct = parse(`act=${encodeURIComponent('\u001b[2J\u202eevil')}`).warnings[0];
  assert.doesNotMatch(shortAct, /[\u0000-\u001f\u202e]/);
});

test('validate: typed values from controls or flags', () => {
  assert.deepEqual(validate({ lr: '0.01', bs: 64, es: 'on', junk: 1 }).config, { ...defaults(), lr: 0.01, bs: 64, es: true });
  const { config, warnings } = validate({ lr: NaN, bs: '12x', drop1: 2, act: 3, digits: 17, es: 'yes', val: 0 });
  assertValid(config);
  assert.equal(warnings.length, 6, warnings.join('\n'));
  assert.deepEqual(validate(null), { config: defaults(), warnings: [] });
});

// ---- several runs ------------------------------------------------------------------------------

test('links with several runs: later runs list only their differences', () => {
  const base = { ...defaults(), n: 1000 };
  const runs = [base, { ...base, drop1: 0.5 }, { ...base, reg: 'l2', lam: 0.001 }, { ...base }];
  const link = serializeLink(runs);
  assert.equal(link, `${serialize(base)}~drop1=0.5~reg=l2&lam=0.001~`);
  assert.deepEqual(parseLink(link), { runs, warnings: [] });
  assert.deepEqual(parseLink('#' + link).runs, runs);
  assert.deepEqual(parse(link), { config: base, warnings: [] });
  assert.equal(serializeLink([base]), serialize(base));
  assert.throws(() => serializeLink([]), RangeError);
  assert.throws(() => serializeLink(Array(MAX_RUNS + 1).fill(base)), RangeError);
});

test('links with several runs: random round trips', () => {
  const r = seededRandom(777);
  for (let i = 0; i < 300; i++) {
    const first = randomConfig(r);
    const runs = [first];
    for (let k = r.int(0, MAX_RUNS - 1); k > 0; k--) {
      const run = { ...first };
      for (let j = r.int(0, 3); j > 0; j--) {
        const e = r.pick(SCHEMA);
        run[e.key] = randomValue(r, e);
      }
      runs.push(validate(run).config);
    }
    const back = parseLink(serializeLink(runs));
    assert.deepEqual(back.warnings, []);
    assert.deepEqual(back.runs, runs);
  }
});

test('links with several runs: warnings name the run, extra runs are dropped', () => {
  const { runs, warnings } = parseLink('lr=0.01~drop1=7~foo=1');
  assert.equal(runs.length, 3);
  assert.equal(runs[1].lr, 0.01);
  assert.equal(runs[1].drop1, 0.9);
  assert.match(warnings[0], /^run 2: drop1: /);
  assert.match(warnings[1], /^run 3: unknown key 'foo'/);
  assert.match(parse('lr=0.01~drop1=7').warnings[0], /^run 2: /);

  const many = parseLink('~'.repeat(20));
  assert.equal(many.runs.length, MAX_RUNS);
  assert.match(many.warnings[0], /link holds 21 runs; only the first 8 are kept/);
});

// ---- comparing runs ----------------------------------------------------------------------------

test('diff and describe', () => {
  const d = defaults();
  const c = { ...d, drop1: 0.5, reg: 'l2' };
  assert.deepEqual(diff(d, c), ['reg', 'drop1']);
  assert.deepEqual(diff(d, d), []);
  assert.equal(describe(c, d), 'reg l2, drop1 0.5');
  assert.equal(describe(d, d), 'baseline');
  assert.equal(describe({ ...d, es: true, freeze: 'fc1' }, { ...d, freeze: 'conv1' }), 'es on, freeze fc1');
  assert.equal(describe(d, { ...d, freeze: 'conv1' }), 'freeze none');
  assert.equal(describe({ ...d, act: 'tanh', init: 'zeros', reg: 'l1', lam: 0.01, opt: 'sgd', bs: 8 }, d),
    'act tanh, init zeros, reg l1, lam 0.01, +2 more');
});

// ---- the C core ----------------------------------------------------------------------------------

test('toCore: enums, masks and flags', () => {
  const d = toCore(defaults());
  assert.deepEqual(
    [d.activation, d.init, d.reg, d.optimizer, d.digit_mask, d.freeze_mask, d.restore_best, d.early_stopping],
    [0, 3, 0, 3, 0x3ff, 0, 1, 0],
  );
  assert.equal(d.lr, 1e-3);
  const c = toCore({
    ...defaults(), act: 'sigmoid', init: 'lecun_normal', reg: 'elasticnet', opt: 'adagrad',
    digits: '17', freeze: 'conv1,fc3', std: true, es: true, seed: 4294967295, aug: 2,
  });
  assert.deepEqual(
    [c.activation, c.init, c.reg, c.optimizer, c.digit_mask, c.freeze_mask, c.standardize, c.early_stopping, c.seed, c.augment_shift],
    [2, 8, 3, 5, 0b10000010, 0b10001, 1, 1, 4294967295, 2],
  );
  assert.equal(toCore({ ...defaults(), digits: '9', freeze: LAYER_NAMES.join(',') }).freeze_mask, 31);
  assert.equal(toCore({ ...defaults(), digits: '9' }).digit_mask, 512);
});

// ---- hostile input -----------------------------------------------------------------------------

const HOSTILE_KEYS = [
  ...KEYS, 'v', '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf',
  '%5F%5Fproto%5F%5F', 'constructor.prototype.x', '', '=', '%', 'LR', 'lr ',
];
const HOSTILE_VALUES = [
  '<script>alert(1)</script>', '%E0%A4%A', '%', '%%', '%00', 'NaN', 'Infinity', '-Infinity', '1e999',
  '-1e999', '1e-400', '-0', '0x10', '0b1', '', ' ', '١٢٣', '𝟙', '\u202e', 'null', 'undefined',
  'true', 'false', '[]', '{}', '9'.repeat(400), '1'.repeat(20), '-1', '4294967296', '3.5', '.5', '5.',
  'conv1,conv1,fc3', ',,,', 'relu', 'RELU', 'ADAM', 'pretrained', '0123456789', '99', 'a=b', '~',
  '&', '#', '\ud800', '%ED%A0%80', '%F0%9F%98%80', 'constructor', '__proto__',
];

// encodeURIComponent refuses lone surrogates; such values go in raw.
function encodeOrKeep(value) {
  try {
    return encodeURIComponent(value);
  } catch {
    return value;
  }
}

function hostileLink(r) {
  switch (r.int(0, 5)) {
    case 0: { // random bytes
      let s = '';
      for (let i = r.int(0, 300); i > 0; i--) s += String.fromCharCode(r.int(0, 255));
      return s;
    }
    case 1: { // random code units, lone surrogates included
      let s = '';
      for (let i = r.int(0, 100); i > 0; i--) s += String.fromCharCode(r.int(0, 0xffff));
      return s;
    }
    case 2: { // characters that matter to the format
      let s = '';
      for (let i = r.int(0, 200); i > 0; i--) s += r.pick(['&', '=', '~', '#', '%', '?', 'lr', '1', 'e', '-', '.', ',']);
      return s;
    }
    case 3: { // huge
      return r.pick(['a', '~', '&', '%', 'lr=1&', '=', '#']).repeat(r.int(1, 200000));
    }
    default: { // plausible pairs with hostile keys and values
      const runs = [];
      for (let k = r.int(1, 12); k > 0; k--) {
        const pairs = [];
        for (let i = r.int(0, 12); i > 0; i--) {
          const value = r.pick([r.pick(HOSTILE_VALUES), String(r.next() * 10 ** r.int(-12, 12)), String(r.int(-10, 70000))]);
          pairs.push(`${r.pick(HOSTILE_KEYS)}=${r.next() < 0.3 ? encodeOrKeep(value) : value}`);
        }
        runs.push(pairs.join('&'));
      }
      return r.pick(['', '#', 'https://example.org/#', 'http://x/?a=b#']) + runs.join('~');
    }
  }
}

test('fuzz: parse never throws and always returns valid configs', () => {
  const protoBefore = Object.getOwnPropertyNames(Object.prototype).sort();
  const r = seededRandom(20261122);
  for (let i = 0; i < 5000; i++) {
    const link = hostileLink(r);
    let result;
    assert.doesNotThrow(() => { result = parseLink(link); }, `case ${i}`);
    assert.ok(result.runs.length >= 1 && result.runs.length <= MAX_RUNS);
    for (const run of result.runs) assertValid(run);
    assert.ok(result.warnings.length <= 21);
    for (const w of result.warnings) {
      assert.equal(typeof w, 'string');
      assert.ok(w.length < 300, w);
      assert.doesNotMatch(w, /[\u0000-\u001f\u007f-\u009f\u202e]/);
    }
    // What was read must survive its own round trip without complaint.
    const again = parseLink(serializeLink(result.runs));
    assert.deepEqual(again, { runs: result.runs, warnings: [] });
    assert.deepEqual(parse(link).config, result.runs[0]);
  }
  assert.deepEqual(Object.getOwnPropertyNames(Object.prototype).sort(), protoBefore);
  assert.equal({}.x, undefined);
  assert.equal(Object.getPrototypeOf({}), Object.prototype);
});
