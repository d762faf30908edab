// A short run of the weights decoder's mutation fuzzer (make fuzz runs it longer): every mutant is
// decoded or refused with the decoder's own error and a message, never anything else.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fuzz } from '../fuzz/safetensors-fuzz.mjs';

test('the weights decoder survives a few seconds of mutated files', async () => {
  const { runs, accepted, byMutation, failures } = await fuzz({ seconds: 3, seed: 1 });
  assert.deepEqual(failures.map((f) => `run ${f.run} (${f.mutations.join(' + ')}): ${f.problem}`), []);
  assert.ok(runs > 500, `only ${runs} runs`);
  assert.ok(accepted > 0, 'the valid seeds decode');
  for (const [name, count] of Object.entries(byMutation)) assert.ok(count > 0, `${name} never applied`);
});
