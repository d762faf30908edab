// One link trained in Node (the CLI), in Chromium and in Firefox ESR gives the same files: the
// curves CSV byte for byte and the saved weights bit for bit. The link uses every source of
// randomness (dropout, augmentation) plus L2 and early stopping whose restore-best applies at the
// end of the last epoch (epoch 7 of 8: val loss drops by less than min_delta after it). A second
// link does the same for a deep network: a residual tanh mlp with batch norm (its moving
// statistics are in the weights file), dropout and gradient clipping. Needs `make web`.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BROWSERS, REPO, openLab, ready, requireSite, trainToEnd } from './browser.mjs';

const LINK = 'n=1000&val=300&test=500&ep=8&drop1=0.3&drop2=0.2&aug=1&reg=l2&lam=0.001&es=1&pat=2&mind=0.05&seed=5';
const DEEP = 'model=mlp&depth=5&width=32&bn=1&skip=1&act=tanh&drop1=0.2&clip=1&lr=0.01&n=600&val=200&test=300&ep=2&seed=3';
const execute = promisify(execFile);

/** A safetensors file as its JSON header and its tensor data. */
function split(bytes) {
  const length = Number(bytes.readBigUInt64LE(0));
  return { header: JSON.parse(bytes.subarray(8, 8 + length)), data: bytes.subarray(8 + length) };
}

/** The CLI's CSV and weights for a link. */
async function trainCli(link) {
  const dir = await mkdtemp(join(tmpdir(), 'lenet-engines-'));
  try {
    await execute(process.execPath, [join(REPO, 'tools/train.mjs'), '--config', link,
      '--csv', join(dir, 'curves.csv'), '--save', join(dir, 'weights.safetensors'), '-q']);
    return { csv: await readFile(join(dir, 'curves.csv')), weights: await readFile(join(dir, 'weights.safetensors')) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

let cli, deep;
before(async () => {
  await requireSite();
  [cli, deep] = await Promise.all([trainCli(LINK), trainCli(DEEP)]);
});

for (const name of BROWSERS) {
  test(`${name} trains the link to the CLI's CSV and weights, bit for bit`, async () => {
    const lab = await openLab(name);
    try {
      const tab = await lab.page(LINK);
      await ready(tab);
      const s = await trainToEnd(tab);
      assert.equal(s.runs[0].restoredEpoch, 7, 'restore-best applies at the end of the last epoch');
      const csv = await tab.download('#export-csv');
      assert.equal(csv.bytes.toString(), cli.csv.toString());
      assert.ok(csv.bytes.equals(cli.csv));
      const page = split((await tab.download('#weights-save')).bytes);
      const node = split(cli.weights);
      assert.equal(page.data.length, 44_426 * 4);
      assert.ok(page.data.equals(node.data), 'the weights differ');
      assert.deepEqual(page.header, node.header);
      assert.deepEqual(tab.errors, []);
    } finally {
      await lab.close();
    }
  });
}

for (const name of BROWSERS) {
  test(`${name} trains a deep link to the CLI's CSV and weights, bit for bit`, async () => {
    const lab = await openLab(name);
    try {
      const tab = await lab.page(DEEP);
      await ready(tab);
      await trainToEnd(tab);
      const csv = await tab.download('#export-csv');
      assert.ok(csv.bytes.equals(deep.csv), 'the CSV differs');
      const page = split((await tab.download('#weights-save')).bytes);
      const node = split(deep.weights);
      assert.ok(page.header['bn1.running_var'], 'the batch-norm statistics are in the file');
      assert.ok(page.data.equals(node.data), 'the weights differ');
      assert.deepEqual(page.header, node.header);
      assert.deepEqual(tab.errors, []);
    } finally {
      await lab.close();
    }
  });
}
