/**
 * sweep-worker.mjs - one worker thread of a CLI sweep: loads the engine and MNIST once, then
 * trains each config it is sent and posts back its JSON line (tools/train-one.mjs).
 */
import { parentPort } from 'node:worker_threads';
import { loadEngineWithData } from './engine-node.mjs';
import { jsonLine, trainOne } from './train-one.mjs';

const engine = await loadEngineWithData('simd');
parentPort.on('message', ({ index, config, weights }) => {
  try {
    const { history, run } = trainOne(engine, config, { weights, budget: { maxUnits: 1000 } });
    run.free();
    parentPort.postMessage({ index, line: jsonLine(history), stopReason: history.stopReason });
  } catch (e) {
    parentPort.postMessage({ index, error: e.message, code: e.code });
  }
});
parentPort.postMessage({ ready: true });
