// The TeX forms of the formulas (web/lib/tex.mjs): every one names a real schema key or
// experiment, and KaTeX typesets each without an error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import katex from 'katex';
import { SCHEMA } from '../../web/lib/config.mjs';
import { EXPERIMENTS } from '../../web/lib/experiments.mjs';
import { SCHEMA_PLAIN, SCHEMA_TEX, EXPERIMENT_TEX } from '../../web/lib/tex.mjs';

test('TeX keys are schema keys and experiment ids; every experiment has one', () => {
  const keys = new Set(SCHEMA.map((e) => e.key));
  for (const k of Object.keys(SCHEMA_TEX)) assert.ok(keys.has(k) && SCHEMA_PLAIN[k], k);
  assert.deepEqual(Object.keys(SCHEMA_PLAIN).sort(), Object.keys(SCHEMA_TEX).sort());
  for (const e of EXPERIMENTS) assert.ok(EXPERIMENT_TEX[e.id], `experiment ${e.id} has a TeX formula`);
  for (const id of Object.keys(EXPERIMENT_TEX)) assert.ok(EXPERIMENTS.some((e) => e.id === id), id);
  // every setting whose help holds a formula (an '=' or a '√') has its TeX form
  for (const e of SCHEMA) if (/[=√Σ]/.test(e.help) && !['digits', 'from', 'head', 'freeze', 'seed', 'n', 'val', 'test', 'bs', 'ep', 'pat', 'best'].includes(e.key)) assert.ok(SCHEMA_TEX[e.key], e.key);
});

test('KaTeX typesets every formula without an error', () => {
  for (const [k, tex] of [...Object.entries(SCHEMA_TEX), ...Object.entries(EXPERIMENT_TEX)]) {
    const html = katex.renderToString(tex, { throwOnError: true, output: 'htmlAndMathml', displayMode: true, strict: 'error' });
    assert.match(html, /class="katex"/, k);
    assert.match(html, /<math/, `${k} has MathML`);
  }
});
