// The headless trainer: real MNIST, every promised output, exit codes.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { LENET_TENSORS, decodeLenet } from '../../web/lib/safetensors.mjs';

const CLI = new URL('../../tools/train.mjs', import.meta.url).pathname;
let dir;
before(async () => { dir = await mkdtemp(join(tmpdir(), 'lenet-cli-')); });
after(() => rm(dir, { recursive: true, force: true }));

/** Runs the CLI; resolves to {code, stdout, stderr} whatever the exit code. */
function cli(...args) {
  return promisify(execFile)(process.execPath, [CLI, ...args], { maxBuffer: 1 << 24 })
    .then(({ stdout, stderr }) => ({ code: 0, stdout, stderr }))
    .catch((e) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }));
}

test('trains from a link and writes JSON, CSV and weights', async () => {
  const json = join(dir, 'run.json'), csv = join(dir, 'run.csv'), weights = join(dir, 'w.safetensors');
  const link = 'http://127.0.0.1:8080/#v=1&n=1000&val=300&test=500&ep=2&reg=l1&lam=0.0001';
  const r = await cli('--config', link, '--json', json, '--csv', csv, '--save', weights);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /epoch 2: train loss/);
  assert.match(r.stdout, /samples\/s/, 'throughput on stdout');
  const { link: written, runs: [report] } = JSON.parse(await readFile(json, 'utf8'));
  assert.match(report.config, /^v=1&model=lenet5&.*&act=relu&.*&reg=l1&lam=0\.0001&.*&n=1000&val=300&test=500&/);
  assert.equal(written, report.config);
  assert.equal(report.epochs.length, 2);
  assert.equal(report.steps.length, report.stepsDone);
  for (const e of report.epochs) {
    for (const k of ['trainLoss', 'trainAcc', 'valLoss', 'valAcc', 'testLoss', 'testAcc', 'penalty', 'sparsity', 'meanLoss', 'meanAcc']) {
      assert.equal(typeof e[k], 'number', k);
    }
    for (const k of ['gradMean', 'gradMax', 'weightNorm', 'layerSparsity']) assert.equal(e[k].length, 5, k);
    assert.ok(e.gradMean.every((g, i) => g > 0 && g <= e.gradMax[i]));
    assert.ok(e.penalty > 0, 'L1 penalty reported apart');
  }
  assert.ok(report.epochs[1].trainLoss < report.epochs[0].trainLoss);
  assert.equal(report.stopReason, 'epochs');
  assert.equal(report.restoredEpoch, null);
  assert.deepEqual(report.samples, { train: 1000, val: 300, test: 500 });
  assert.ok(report.result.testAcc > 0.5 && report.result.testAcc === report.epochs[1].testAcc);
  assert.ok(!('throughput' in report));
  const lines = (await readFile(csv, 'utf8')).split('\r\n');
  assert.equal(lines.length, 4);
  assert.equal(lines[3], '');
  assert.match(lines[0], /^run,label,epoch,step,train_loss,train_acc,val_loss,val_acc,test_loss,test_acc,penalty,sparsity,mean_loss,mean_acc,best_epoch,restored,grad_mean_conv1,/);
  assert.match(lines[1], /^1,"reg l1, ep 2, n 1000, val 300, \+1 more",1,32,/);
  const { params, metadata } = decodeLenet(await readFile(weights));
  assert.equal(params.length, LENET_TENSORS.reduce((n, t) => n + t.count, 0));
  assert.equal(metadata.config, report.config);

  // --load starts from those weights: the first evaluation is already far better than chance.
  const again = await cli('--config', 'n=200&val=0&test=500&ep=1&lr=0.000001', '--load', weights, '--json', json, '-q');
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.stdout, '');
  assert.ok(JSON.parse(await readFile(json, 'utf8')).runs[0].result.testAcc > 0.5);
});

test('the files are the same bytes however the run is chunked', async () => {
  // Dropout, augmentation, L2, and early stopping with restore-best: 27 steps an epoch over 12
  // epochs at most, with epoch ends falling inside chunks of 7 and of 3 ms.
  const link = 'n=850&val=300&test=300&ep=12&bs=32&drop1=0.3&drop2=0.2&aug=2&reg=l2&lam=0.0005&es=1&pat=2&mind=0.02&best=1&lr=0.003';
  const files = [];
  for (const chunk of ['1', '7', '3ms']) {
    const json = join(dir, `chunk-${chunk}.json`), csv = join(dir, `chunk-${chunk}.csv`);
    const r = await cli('--config', link, '--chunk', chunk, '--json', json, '--csv', csv, '-q');
    assert.equal(r.code, 0, r.stderr);
    files.push({ chunk, json: await readFile(json), csv: await readFile(csv) });
  }
  const { runs: [run] } = JSON.parse(files[0].json);
  assert.ok(run.stepsDone >= 200, `${run.stepsDone} steps`);
  assert.ok(run.restoredEpoch !== null, 'restore-best went back to an earlier epoch');
  assert.equal(run.result.testAcc, run.epochs[run.restoredEpoch - 1].testAcc);
  // Past the run id and the quoted label, the 14th cell is `restored`.
  const rows = files[0].csv.toString().split('\r\n').slice(1, -1).map((l) => l.replace(/^1,"[^"]*",/, '').split(','));
  assert.equal(rows.length, run.epochsDone);
  assert.deepEqual(rows.map((r) => r[13]), rows.map((r) => (Number(r[0]) === run.restoredEpoch ? '1' : '')));
  for (const other of files.slice(1)) {
    assert.ok(other.json.equals(files[0].json), `--chunk ${other.chunk} JSON differs from --chunk 1`);
    assert.ok(other.csv.equals(files[0].csv), `--chunk ${other.chunk} CSV differs from --chunk 1`);
  }
  const bad = await cli('--chunk', '0', '--config', 'n=100&val=0&test=100&ep=1');
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /chunk '0'/);
});

test('bad arguments and input exit 2 naming the problem', async () => {
  const cases = [
    [['--lr', 'abc'], /lr: 'abc' is not a number/],
    [['--config', 'act=gelu'], /act/],
    [['--frobnicate'], /Unknown option '--frobnicate'/],
    [['--load', join(dir, 'missing.safetensors')], /cannot read weights/],
    [['--config', 'digits=5&val=30000&n=60000'], /val|n/],
  ];
  for (const [args, message] of cases) {
    const r = await cli(...args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
  const garbage = join(dir, 'garbage.safetensors');
  await import('node:fs/promises').then((fs) => fs.writeFile(garbage, 'not weights at all'));
  const r = await cli('--load', garbage, '--config', 'n=100&val=0&test=100&ep=1');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /safetensors/);
});

test('a diverging run exits 3 with the reason', async () => {
  const r = await cli('--config', 'n=500&val=0&test=100&ep=3&opt=momentum&lr=10&act=tanh', '-q');
  assert.equal(r.code, 3);
  assert.match(r.stderr, /diverged at step \d+ .*loss exceeded 1000/);
});

test('--help describes every experiment key', async () => {
  const r = await cli('--help');
  assert.equal(r.code, 0);
  for (const key of ['act', 'init', 'reg', 'drop1', 'opt', 'lr', 'bs', 'es', 'std', 'aug', 'freeze', 'seed']) {
    assert.match(r.stdout, new RegExp(`^  ${key} `, 'm'));
  }
});

test('one epoch of Adam (lr 1e-3, batch 32) on all 60,000 digits reaches 97.5 %', async () => {
  const json = join(dir, 'full.json');
  const r = await cli('--config', 'n=60000&val=0&test=10000&ep=1&opt=adam&lr=0.001&bs=32', '--json', json, '-q');
  assert.equal(r.code, 0, r.stderr);
  const { result } = JSON.parse(await readFile(json, 'utf8')).runs[0];
  assert.ok(result.testAcc >= 0.975, `test accuracy ${result.testAcc}`);
});
