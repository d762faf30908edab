// The trainer's outputs are written all or none: a failure while writing leaves no file of the run.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, beforeEach, test } from 'node:test';
import { prepareOutputs } from '../../tools/cli-args.mjs';

let dir;
beforeEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = await mkdtemp(join(tmpdir(), 'lenet-outputs-'));
});
after(() => rm(dir, { recursive: true, force: true }));

const at = (name) => join(dir, name);
const CONTENTS = { json: '{}\n', csv: 'epoch\n', save: new Uint8Array([1, 2, 3]) };

test('writes every output in place, replacing old files, with no temporary left', async () => {
  await writeFile(at('run.json'), 'old');
  const outputs = await prepareOutputs({ json: at('run.json'), csv: at('run.csv'), save: at('w.safetensors') });
  await outputs.write(CONTENTS);
  assert.equal(await readFile(at('run.json'), 'utf8'), '{}\n');
  assert.equal(await readFile(at('run.csv'), 'utf8'), 'epoch\n');
  assert.deepEqual([...await readFile(at('w.safetensors'))], [1, 2, 3]);
  assert.deepEqual((await readdir(dir)).sort(), ['run.csv', 'run.json', 'w.safetensors']);
});

test('an output without contents (no weights after divergence) is not written', async () => {
  const outputs = await prepareOutputs({ json: at('run.json'), save: at('w.safetensors') });
  await outputs.write({ ...CONTENTS, save: undefined });
  assert.deepEqual(await readdir(dir), ['run.json']);
});

test('a file that cannot be written after the checks leaves no output of the run', async () => {
  await mkdir(at('gone'));
  const outputs = await prepareOutputs({ json: at('run.json'), csv: at('run.csv'), save: at('gone/w.safetensors') });
  await rm(at('gone'), { recursive: true });
  await assert.rejects(outputs.write(CONTENTS), /cannot write --save .*ENOENT.*no output of this run was kept/);
  assert.deepEqual(await readdir(dir), []);
});

test('a file that cannot be put in place after the others were leaves no output of the run', async () => {
  const outputs = await prepareOutputs({ json: at('run.json'), csv: at('run.csv'), save: at('w.safetensors') });
  // json and csv get renamed into place first; then save's rename fails, as a directory is in the way.
  await mkdir(at('w.safetensors'));
  await writeFile(at('w.safetensors/keep'), '');
  await assert.rejects(outputs.write(CONTENTS), /cannot write --save .*no output of this run was kept/);
  assert.deepEqual(await readdir(dir), ['w.safetensors']);
  assert.deepEqual(await readdir(at('w.safetensors')), ['keep']);
});
