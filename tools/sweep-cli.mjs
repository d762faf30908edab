/**
 * sweep-cli.mjs - train.mjs's sweeps: --sweep KEY=... (repeatable, a grid) and --seeds N expand
 * the experiment into runs (web/lib/sweep.mjs), trained in parallel on worker threads, one per
 * core by default (--jobs N), each printed to standard output as one JSON line, in the sweep's
 * order: exactly the line `train.mjs --config '<that run>' --json-line` prints. --print-commands
 * prints those commands instead, one per run, for GNU parallel, a Slurm job array or any other
 * way of spreading them over machines.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { serialize } from '../web/lib/config.mjs';
import { expandSweep, parseSweep } from '../web/lib/sweep.mjs';
import { UsageError } from './cli-args.mjs';

/** Whether the arguments ask for a sweep (or its commands). */
export const isSweep = (values) => values.sweep !== undefined || values.seeds !== undefined || values['print-commands'] === true;

/** The runs of the sweep the arguments describe over the base config; a UsageError if they are bad. */
export function sweepRuns(values, base) {
  for (const flag of ['json', 'csv', 'save', 'chunk']) {
    if (values[flag] !== undefined) throw new UsageError(`--${flag} is for one run: a sweep prints one JSON line per run to standard output`);
  }
  if (values['json-line']) throw new UsageError('--json-line is for one run: a sweep prints JSON lines already');
  try {
    return expandSweep(base, parseSweep(values.sweep ?? [], values.seeds ?? 1));
  } catch (e) {
    throw new UsageError(e.message);
  }
}

/** How many worker threads: --jobs N (1 to 256), else one per core. */
export function jobCount(text, runs) {
  if (text !== undefined && !/^\s*\d+\s*$/.test(text)) throw new UsageError(`--jobs '${String(text).slice(0, 20)}' is not a whole number`);
  const n = text === undefined ? availableParallelism() : Number(text);
  if (n < 1 || n > 256) throw new UsageError(`--jobs ${n} is outside [1, 256]`);
  return Math.max(1, Math.min(n, runs));
}

/** One shell command per run, the config in single quotes (a canonical hash has no quote in it). */
export function commandLines(runs) {
  return runs.map(({ config }) => `node tools/train.mjs --config '${serialize(config)}' --json-line\n`).join('');
}

/**
 * Trains every run on `jobs` worker threads; writes each run's line through write() in the runs'
 * order as soon as it and every earlier one are done.
 * @param {{config: object}[]} runs
 * @param {{jobs: number, weightsFor: (config: object) => Uint8Array|undefined, write: (line: string) => void}} options
 * @returns {Promise<{diverged: number}>}
 */
export function runSweep(runs, { jobs, weightsFor, write }) {
  return new Promise((resolve, reject) => {
    const lines = new Array(runs.length);
    let next = 0, printed = 0, diverged = 0, failed = null;
    const workers = [];
    const finish = (err) => {
      for (const w of workers) w.terminate();
      if (err) reject(err);
      else resolve({ diverged });
    };
    const feed = (w) => {
      if (failed || next >= runs.length) return;
      const index = next++;
      w.postMessage({ index, config: runs[index].config, weights: weightsFor(runs[index].config) });
    };
    for (let j = 0; j < jobs; j++) {
      const w = new Worker(new URL('./sweep-worker.mjs', import.meta.url));
      workers.push(w);
      w.on('message', (msg) => {
        if (msg.ready) return feed(w);
        if (msg.error) {
          failed = new Error(`run ${msg.index + 1} (${serialize(runs[msg.index].config)}): ${msg.error}`);
          return finish(failed);
        }
        lines[msg.index] = msg.line;
        if (msg.stopReason === 'diverged') diverged++;
        while (printed < runs.length && lines[printed] !== undefined) {
          write(lines[printed]);
          lines[printed++] = null;
        }
        if (printed === runs.length) return finish();
        feed(w);
      });
      w.on('error', (e) => finish(failed ??= e));
    }
  });
}
