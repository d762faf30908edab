#!/usr/bin/env node
/**
 * bench_browser.mjs - training throughput in headless Chromium, through the playground itself (its
 * worker, its progress messages), beside the same experiment under Node. Median of several runs;
 * samples/s over the steps of one epoch, timed between the first and the last progress report.
 * Each page trains twice: a fresh worker starts on V8's baseline code and switches to optimised
 * code once it is compiled in the background, so the first run is slower than the second.
 * usage: node tools/bench_browser.mjs [--reps N]   (needs `make web`)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { loadEngineWithData } from './engine-node.mjs';
import { startServer } from './serve.mjs';
import { median, nodeRate } from './throughput.mjs';

const { values } = parseArgs({ options: { reps: { type: 'string', default: '3' } } });
const HASH = 'n=8192&val=0&test=100&ep=1&bs=32'; // the same experiment as nodeRate(engine, 8192, 32)
const SITE = new URL('../build/web', import.meta.url).pathname;

/** Samples/s of the page's current run, from its own step counter, once it starts afresh. */
function pageRate(page) {
  return page.evaluate(() => new Promise((resolve) => {
    let first = null, latest = null;
    const giveUp = performance.now() + 60_000; // no figure (NaN) rather than a bench that never ends
    const poll = () => {
      const [run] = globalThis.lenetLab.snapshot().runs;
      const now = performance.now();
      if (now > giveUp) {
        resolve(NaN);
        return;
      }
      if (!first && run?.status === 'running' && run.step > 0 && run.step < run.stepsPerEpoch / 4) first = { step: run.step, at: now };
      if (first && run.step > (latest?.step ?? first.step) && run.step < run.stepsPerEpoch) latest = { step: run.step, at: now };
      if (first && latest && (run.epoch >= 1 || run.status === 'done')) {
        resolve(((latest.step - first.step) * 32) / ((latest.at - first.at) / 1000));
        return;
      }
      setTimeout(poll, 5);
    };
    poll();
  }));
}

/** [first run, second run] samples/s in a fresh page. */
async function browserRates(context, url) {
  const page = await context.newPage();
  await page.goto(`${url}#${HASH}`);
  await page.waitForFunction(() => globalThis.lenetLab?.snapshot().dataReady, null, { timeout: 120_000 });
  const rates = [];
  for (let i = 0; i < 2; i++) {
    await page.click('#btn-train');
    rates.push(await pageRate(page));
  }
  await page.close();
  return rates;
}

const server = await startServer({ root: SITE, port: 0 });
const profile = await mkdtemp(join(tmpdir(), 'lenet-bench-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
const engine = await loadEngineWithData('simd');
const cold = [], warm = [], node = [];
try {
  for (let i = 0; i < Number(values.reps); i++) {
    const [first, second] = await browserRates(context, server.url);
    cold.push(first);
    warm.push(second);
    node.push(nodeRate(engine, 8192, 32));
  }
} finally {
  await context.close();
  await server.close();
  await rm(profile, { recursive: true, force: true });
}
console.log(`wasm SIMD, batch 32, ${HASH}: median of ${values.reps} (samples/s)`);
const show = (label, xs) => console.log(`  ${label.padEnd(44)}${Math.round(median(xs)).toLocaleString('en').padStart(8)}`);
show('headless Chromium, page worker, first run', cold);
show('headless Chromium, page worker, second run', warm);
show('Node, the same module', node);
