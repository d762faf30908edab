// The export contract checked against PyTorch: files the CLI writes for an mlp with batch norm and
// skips and for a cnn with batch norm load into tools/torch_check_export.py's PyTorch modules, which
// predict the same classes as the CLI on the evaluated test images. Needs /usr/bin/python3 with torch.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const PYTHON = '/usr/bin/python3';
const CLI = fileURLToPath(new URL('../../tools/train.mjs', import.meta.url));
const CHECK = fileURLToPath(new URL('../../tools/torch_check_export.py', import.meta.url));

function hasTorch() {
  try {
    execFileSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const skip = hasTorch() ? false : `${PYTHON} cannot import torch`;
if (skip) console.log(`# skipping the PyTorch check: ${skip}`);

const run = (file, args) => new Promise((resolve) => {
  execFile(file, args, { timeout: 120_000 }, (err, stdout, stderr) => resolve({ code: err ? err.code : 0, stdout, stderr }));
});

let dir;
before(async () => { dir = await mkdtemp(join(tmpdir(), 'lenet-torch-')); });
after(() => rm(dir, { recursive: true, force: true }));

const CASES = {
  'mlp bn skip': 'model=mlp&bn=1&skip=1&depth=4&width=64&n=1500&val=200&test=1000&ep=2',
  'cnn bn': 'model=cnn&bn=1&convs=3&ch=4&n=600&val=0&test=500&ep=1',
};

for (const [what, config] of Object.entries(CASES)) {
  test(`PyTorch predicts as the core: ${what}`, { skip }, async () => {
    const weights = join(dir, `${what.replaceAll(' ', '-')}.safetensors`);
    const predictions = `${weights}.txt`;
    const trained = await run(process.execPath, [CLI, '--config', config, '--save', weights, '--predictions', predictions, '-q']);
    assert.equal(trained.code, 0, trained.stderr);
    const checked = await run(PYTHON, [CHECK, weights, '--predictions', predictions]);
    assert.equal(checked.code, 0, checked.stdout + checked.stderr);
    const [, agree, total] = checked.stdout.match(/predictions: (\d+)\/(\d+) agree with PyTorch/);
    assert.equal(Number(total), Number(config.match(/test=(\d+)/)[1]));
    // Float rounding may flip a near-tie (the script tolerates those); anything more is a mismatch.
    assert.ok(Number(agree) >= Number(total) - 2, checked.stdout);
    assert.match(checked.stdout, new RegExp(`${config.match(/model=(\w+)/)[1]} .*bn=1`));
  });
}

test('the PyTorch check refuses a file whose tensors do not fit its config', { skip }, async () => {
  const weights = join(dir, 'edited.safetensors');
  const trained = await run(process.execPath, [CLI, '--config', 'model=mlp&depth=2&width=16&n=200&val=0&test=100&ep=1', '--save', weights, '-q']);
  assert.equal(trained.code, 0, trained.stderr);
  // The same bytes, with the config claiming batch norm.
  const { readFile, writeFile } = await import('node:fs/promises');
  const bytes = await readFile(weights);
  const edited = Buffer.from(bytes.toString('latin1').replace('&bn=0&', '&bn=1&'), 'latin1');
  await writeFile(weights, edited);
  const checked = await run(PYTHON, [CHECK, weights]);
  assert.equal(checked.code, 2);
  assert.match(checked.stderr, /the file has no bn1\.weight, which this mlp has/);
});
