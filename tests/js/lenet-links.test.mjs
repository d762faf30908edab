// LeNet-5 links keep their numbers: each link of tests/fixtures/lenet-links.json, trained by the
// CLI, gives the CSV and the final weights whose SHA-256 digests were recorded there. The links
// cover every activation, optimiser and regulariser, dropout, augmentation, standardisation,
// digit subsets, label noise, early stopping with restore-best, fine-tuning with frozen layers,
// Fashion-MNIST and a divergence.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';

const CLI = new URL('../../tools/train.mjs', import.meta.url).pathname;
const FIXTURES = JSON.parse(await readFile(new URL('../fixtures/lenet-links.json', import.meta.url), 'utf8'));
const sha = (bytes) => createHash('sha256').update(bytes).digest('hex');
let dir;
before(async () => { dir = await mkdtemp(join(tmpdir(), 'lenet-links-')); });
after(() => rm(dir, { recursive: true, force: true }));

for (const [i, { link, csv, params }] of FIXTURES.entries()) {
  test(`link ${i + 1} keeps its numbers: ${link}`, async () => {
    const csvPath = join(dir, `${i}.csv`), weights = join(dir, `${i}.safetensors`);
    await promisify(execFile)(process.execPath, [CLI, '--config', link, '--csv', csvPath, '--save', weights, '-q'])
      .then(() => 0, (e) => e.code)
      .then((code) => assert.equal(code, i === FIXTURES.length - 1 ? 3 : 0, 'exit status (3: diverged)'));
    assert.equal(sha(await readFile(csvPath)), csv, 'CSV');
    if (params === null) return; // a diverged run writes no weights
    const file = await readFile(weights);
    assert.equal(sha(file.subarray(8 + Number(file.readBigUInt64LE(0)))), params, 'weights');
  });
}
