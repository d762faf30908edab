/**
 * sweep-worker.mjs - one worker thread of a CLI sweep: loads the engine once and each dataset the
 * first time a config names it, then trains each config it is sent and posts back its JSON line
 * (tools/train-one.mjs).
 */
import { parentPort } from 'node:worker_threads';
import { ensureData, loadEngine } from './engine-node.mjs';
import { jsonLine, trainOne } from './train-one.mjs';

const engine = await loadEngine('simd');
// One message at a time, in order: a dataset is loaded once, before the run that needs it.
let queue = Promise.resolve();
parentPort.on('message', (msg) => { queue = queue.then(() => train(msg)); });

async function train({ index, config, weights }) {
  try {
    await ensureData(engine, config.data ?? 'mnist');
    const { history, run } = trainOne(engine, config, { weights, budget: { maxUnits: 1000 } });
    run.free();
    parentPort.postMessage({ index, line: jsonLine(history), stopReason: history.stopReason });
  } catch (e) {
    parentPort.postMessage({ index, error: e.message, code: e.code });
  }
}
parentPort.postMessage({ ready: true });
