// Sweeps: the spec syntax (lists, log and linear ranges, grids, seeds) and its refusals, and the
// CLI: --sweep/--seeds print one JSON line per run, in order, identical to each run alone
// (--json-line, and --json's file), and --print-commands run by GNU parallel gives the same lines.
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { defaults, parse, serialize } from '../../web/lib/config.mjs';
import { expandSweep, formatSweep, parseAxis, parseSweep } from '../../web/lib/sweep.mjs';

const CLI = new URL('../../tools/train.mjs', import.meta.url).pathname;
const ROOT = new URL('../../', import.meta.url).pathname;
let dir;
before(async () => { dir = await mkdtemp(join(tmpdir(), 'lenet-sweep-')); });
after(() => rm(dir, { recursive: true, force: true }));

function cli(...args) {
  return promisify(execFile)(process.execPath, [CLI, ...args], { maxBuffer: 1 << 26, cwd: ROOT })
    .then(({ stdout, stderr }) => ({ code: 0, stdout, stderr }))
    .catch((e) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }));
}

describe('sweep specs', () => {
  test('lists, log and linear ranges, canonical values', () => {
    assert.deepEqual(parseAxis('lam=log:1e-5..1e-1:5').values, [1e-5, 1e-4, 1e-3, 1e-2, 0.1]);
    assert.deepEqual(parseAxis('lam=log:1e-5..1e-1:6').values, [1e-5, 6.31e-5, 3.98e-4, 2.51e-3, 1.58e-2, 0.1]);
    assert.deepEqual(parseAxis('drop1=lin:0..0.5:6').values, [0, 0.1, 0.2, 0.3, 0.4, 0.5]);
    assert.deepEqual(parseAxis('n=lin:100..1000:4').values, [100, 400, 700, 1000]);
    assert.deepEqual(parseAxis('opt=sgd, adam ,momentum').values, ['sgd', 'adam', 'momentum']);
    assert.deepEqual(parseAxis('std=0,1').values, [false, true]);
    assert.equal(parseAxis(' lr = 0.01,0.1').spec, 'lr=0.01,0.1');
  });

  test('bad specs are refused with a message', () => {
    const cases = [['lam', /not KEY=/], ['nope=1,2', /unknown key/], ['lam=', /empty value/], ['lam=1e-3,x', /not a number/],
      ['lam=2', /above the maximum/], ['lam=log:0..1:3', /above 0/], ['lam=log:1e-3..1:1', /2 to 100/],
      ['lam=log:1e-3..1:101', /2 to 100/], ['act=lin:1..2:3', /numeric key/], ['lam=1e-3,0.001', /twice/],
      ['seed=1,2', /seeds N/], ['bs=1.5,2', /not an integer/], ['lam=lin:a..1:3', /must be numbers/]];
    for (const [spec, re] of cases) assert.throws(() => parseAxis(spec), (e) => e.code === 'bad-argument' && re.test(e.message), spec);
    assert.throws(() => parseSweep(['lam=1,0.5', 'lam=0.1']), /swept twice/);
    assert.throws(() => parseSweep([], 0), /seeds/);
    assert.throws(() => parseSweep([], 'x'), /seeds/);
    assert.throws(() => parseSweep(['n=lin:100..50000:100', 'lr=log:1e-5..1:100']), /more than the 1000/);
    assert.throws(() => expandSweep({ ...defaults(), seed: 4294967295 }, parseSweep([], 2)), /passes/);
  });

  test('a grid with seeds: first axis outermost, seeds innermost, from the base config', () => {
    const base = { ...defaults(), reg: 'l2', seed: 5 };
    const sweep = parseSweep(['lam=1e-4,1e-3', 'drop1=0,0.5'], 3);
    const runs = expandSweep(base, sweep);
    assert.equal(runs.length, 12);
    assert.deepEqual(runs.slice(0, 4).map((r) => [r.point.lam, r.point.drop1, r.seed]), [[1e-4, 0, 5], [1e-4, 0, 6], [1e-4, 0, 7], [1e-4, 0.5, 5]]);
    assert.ok(runs.every((r, i) => r.index === i && r.config.reg === 'l2' && r.config.lam === r.point.lam));
    assert.deepEqual(formatSweep(sweep), ['lam=1e-4,1e-3', 'drop1=0,0.5']);
    assert.deepEqual(expandSweep(base, parseSweep([], 1)).map((r) => r.config), [base]);
  });
});

describe('CLI sweeps', () => {
  const BASE = 'n=400&val=100&test=200&ep=2&reg=l2';
  let lines;

  test('--sweep and --seeds print one JSON line per run, in order, each the same as the run alone', async () => {
    const r = await cli('--config', BASE, '--sweep', 'lam=1e-4,3e-2', '--seeds', '2', '--jobs', '2');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /4 runs on 2 worker threads/);
    lines = r.stdout.split('\n').slice(0, -1);
    assert.equal(lines.length, 4);
    const configs = lines.map((l) => JSON.parse(l).runs[0].config);
    const expect = [['0.0001', 1], ['0.0001', 2], ['0.03', 1], ['0.03', 2]];
    configs.forEach((c, i) => assert.match(c, new RegExp(`&lam=${expect[i][0]}&.*&seed=${expect[i][1]}$`)));
    // Each line is the run alone: --json-line's output, and --json's file.
    const alone = await cli('--config', configs[3], '--json-line');
    assert.equal(alone.code, 0, alone.stderr);
    assert.equal(alone.stdout, `${lines[3]}\n`);
    const file = join(dir, 'one.json');
    assert.equal((await cli('--config', configs[0], '--json', file, '-q')).code, 0);
    assert.equal(await readFile(file, 'utf8'), `${lines[0]}\n`);
    // One worker gives the same bytes.
    const single = await cli('--config', BASE, '--sweep', 'lam=1e-4,3e-2', '--seeds', '2', '--jobs', '1', '-q');
    assert.equal(single.stdout, r.stdout);
    assert.equal(single.stderr, '');
  });

  test('--print-commands run by GNU parallel give the same lines', { skip: spawnSync('parallel', ['--version']).status !== 0 && 'GNU parallel is not installed' }, async () => {
    const r = await cli('--config', BASE, '--sweep', 'lam=1e-4,3e-2', '--seeds', '2', '--print-commands');
    assert.equal(r.code, 0, r.stderr);
    const commands = r.stdout.split('\n').slice(0, -1);
    assert.equal(commands.length, 4);
    assert.ok(commands.every((c) => /^node tools\/train\.mjs --config 'v=1&[^']*' --json-line$/.test(c)));
    const file = join(dir, 'commands.txt');
    await writeFile(file, r.stdout);
    const par = spawnSync('parallel', ['-j2', '--will-cite'], { input: r.stdout, cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 26 });
    assert.equal(par.status, 0, par.stderr);
    // Without -k, parallel prints in the order runs finish: sorted, the lines are the sweep's.
    assert.deepEqual(par.stdout.split('\n').slice(0, -1).sort(), [...lines].sort());
    const kept = spawnSync('parallel', ['-k', '-j2', '--will-cite'], { input: r.stdout, cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 26 });
    assert.equal(kept.stdout, `${lines.join('\n')}\n`);
  });

  test('bad sweep arguments exit 2 before training', async () => {
    for (const args of [['--sweep', 'lam=x'], ['--sweep', 'lam=1', '--json', join(dir, 'x.json')], ['--seeds', '0'],
      ['--sweep', 'lam=1', '--jobs', '0'], ['--sweep', 'lam=1', '--json-line'], ['--seeds', '2', '--seeds', '3']]) {
      const r = await cli(...args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, '');
    }
  });

  test('each line\'s config round-trips through its link', () => {
    for (const l of lines) {
      const { link, runs: [run] } = JSON.parse(l);
      assert.equal(serialize(parse(link).config), run.config);
    }
  });
});

describe('sweep experiments', () => {
  test('their links read without warnings, hold a sweep, and name their charts', async () => {
    const { EXPERIMENTS } = await import('../../web/lib/experiments.mjs');
    const { readLink } = await import('../../web/lib/result-link.mjs');
    for (const id of ['lambda-sweep', 'dropout-sweep', 'learning-curve', 'is-it-noise']) {
      const e = EXPERIMENTS.find((x) => x.id === id);
      assert.ok(e && e.title && e.text && e.formula && Array.isArray(e.charts), id);
      const { sweep, warnings, configs } = readLink(e.link);
      assert.deepEqual(warnings, [], id);
      assert.ok(sweep && configs.length >= 5, id);
    }
  });
});
