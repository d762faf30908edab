// A training worker: one engine instance holding each dataset once, any number of runs. Running runs
// take turns in chunks of ~30 ms; between chunks the worker reads its messages, so pause, step and
// stop take effect within one chunk. Each run's engine events go out in order, at most ~10 times
// a second: {op: 'progress', updates: [{id, status, events, error?}]}.
import { advanceChunk, drive } from '../lib/driver.mjs';
import { createEngine } from '../lib/engine.mjs';
import { LabError } from '../lib/errors.mjs';
import { CHECKPOINTS } from '../lib/datasets.mjs';
import { stateAtEpoch } from '../lib/branch.mjs';

const CHUNK_MS = 30;
const POST_EVERY_MS = 100;
const ACT_BINS = 30;

const enginePromise = createEngine();
// A failed load is reported when the data arrives; until then it must not count as unhandled.
enginePromise.catch(() => {});
let engine = null;
const runs = new Map(); // id -> { run, status: running|paused|done|error, events, error, dirty }
let lastPost = 0;
let turn = 0;

// A MessageChannel gives a zero-delay yield (setTimeout is clamped to 4 ms when nested).
const tick = new MessageChannel();
let tickPending = false;
tick.port1.onmessage = () => {
  tickPending = false;
  trainChunk();
};
function schedule() {
  if (tickPending) return;
  tickPending = true;
  tick.port2.postMessage(0);
}

// At the end of each epoch (after its evaluation) the histograms of every activation layer's
// outputs over the last batch evaluated, sent with the next progress update as actHist.
function snapshotActivations(r, epoch) {
  const layers = r.run.net.actLayers.map((_, i) => {
    const { counts, lo, hi } = r.run.actHistogram(i, ACT_BINS);
    return { counts: Array.from(counts), lo, hi };
  });
  r.actHist = { epoch, layers };
}

function take(r, events) {
  r.events.push(...events);
  const epoch = events.findLast((e) => e.type === 'epoch');
  if (epoch) snapshotActivations(r, epoch.epoch);
  // Divergence ends training like the last epoch does; the done event says why.
  if (events.at(-1).type === 'done') r.status = 'done';
  r.dirty = true;
}

// Runs fn, which advances r; whatever it throws makes the run fail with that message.
function guarded(r, fn) {
  try {
    fn();
  } catch (err) {
    r.status = 'error';
    r.error = err?.message ?? String(err);
    r.dirty = true;
  }
}

function flush(force) {
  const now = performance.now();
  if (!force && now - lastPost < POST_EVERY_MS) return;
  const updates = [];
  for (const [id, r] of runs) {
    if (!r.dirty) continue;
    const u = r.error ? { id, status: r.status, events: r.events, error: r.error } : { id, status: r.status, events: r.events };
    if (r.actHist) u.actHist = r.actHist;
    updates.push(u);
    r.events = [];
    r.actHist = null;
    r.dirty = false;
  }
  if (updates.length) postMessage({ op: 'progress', updates });
  lastPost = now;
}

function trainChunk() {
  const running = [...runs.values()].filter((r) => r.status === 'running');
  if (running.length) {
    const r = running[turn++ % running.length];
    // Unit by unit within the chunk's time, so a chunk ends right after an epoch's evaluation and
    // the activation histograms are that evaluation's last batch.
    const start = performance.now();
    guarded(r, () => {
      let epochEnded = false;
      while (!epochEnded && r.status === 'running' && !r.run.done && performance.now() - start < CHUNK_MS) {
        advanceChunk(r.run, { maxUnits: 1 }, (events) => {
          take(r, events);
          epochEnded = events.some((e) => e.type === 'epoch');
        });
      }
    });
  }
  const more = running.some((r) => r.status === 'running');
  flush(!more);
  if (more) schedule();
}

// One training step; if it closes an epoch, also the evaluation that follows, so the epoch's
// numbers arrive with it: units one at a time until the run is back to training (or over).
function singleStep(r) {
  let stepped = false;
  guarded(r, () => drive(r.run, {
    budget: { maxUnits: 1 },
    onEvents: (events) => take(r, events),
    until: (events) => (stepped ||= events.some((e) => e.type === 'step')) && events.at(-1).phase === 'train',
  }));
}

// Each checkpoint is fetched once per worker, when a run first starts from it.
const checkpoints = new Map();
async function fetchCheckpoint(path) {
  let res;
  try {
    res = await fetch(new URL(`../${path}`, import.meta.url));
  } catch {
    throw new LabError('load', `Could not download the pretrained weights (${path}).`);
  }
  if (!res.ok) throw new LabError('load', `The pretrained weights file ${path} is missing (HTTP ${res.status}).`);
  return new Uint8Array(await res.arrayBuffer());
}
function pretrainedWeights(from) {
  const path = CHECKPOINTS[from];
  if (!checkpoints.has(from)) checkpoints.set(from, fetchCheckpoint(path).catch((e) => { checkpoints.delete(from); throw e; }));
  return checkpoints.get(from);
}

function get(id) {
  const r = runs.get(id);
  if (!r) throw new LabError('state', `No run ${id} in this worker.`);
  return r;
}

const requests = {
  // Each dataset is held once, by name; a run trains on the one its config names.
  async data({ name = 'mnist', data }) {
    const bytes = {};
    for (const [key, blob] of Object.entries(data)) bytes[key] = new Uint8Array(await blob.arrayBuffer());
    const e = await enginePromise;
    e.setData(name, bytes);
    engine = e;
  },
  // branch: {config, epoch}: the new run continues the run `config` describes from the end of
  // that epoch, which is trained again here from its seed (web/lib/branch.mjs). A branch keeps
  // its parent's dataset (BRANCH_FIXED), so both train on the one config.data names.
  async create({ id, config, branch }) {
    if (!engine?.hasData(config.data ?? 'mnist')) throw new LabError('no-data', 'The training data is not loaded yet.');
    const from = branch ? branch.config : config;
    const weights = from.from !== 'scratch' ? await pretrainedWeights(from.from) : undefined;
    const run = branch
      ? engine.createRun(config, { state: stateAtEpoch(engine, branch.config, branch.epoch, { weights }) })
      : engine.createRun(config, weights ? { weights } : undefined);
    runs.set(id, { run, status: 'paused', events: [], error: null, dirty: true, actHist: null });
    flush(true);
    // With few digits chosen the splits can hold fewer samples than asked for.
    const { trainCount, valCount, testCount, stepsPerEpoch } = run.metrics();
    return { trainCount, valCount, testCount, stepsPerEpoch, net: run.net };
  },
  // The network a config describes (engine.describe), or the core's reason for refusing it.
  async describe({ config }) {
    const e = await enginePromise;
    try {
      return { net: e.describe(config), error: null };
    } catch (err) {
      if (err?.code !== 'bad-config') throw err;
      return { net: null, error: err.message };
    }
  },
  step({ id }) {
    const r = get(id);
    if (r.status === 'paused') singleStep(r);
    flush(true);
  },
  histogram({ id, layer, bins }) {
    const { counts, range } = get(id).run.histogram(layer, bins);
    return { counts: Array.from(counts), range };
  },
  results({ id, limit }) {
    const { run } = get(id);
    const { predictions, indices } = run.testPredictions();
    const confusion = Array.from({ length: 10 }, () => new Array(10).fill(0));
    const wrong = [];
    for (let i = 0; i < predictions.length; i++) {
      const label = run.testLabel(indices[i]);
      confusion[label][predictions[i]]++;
      if (label !== predictions[i] && wrong.length < limit) {
        wrong.push({ index: indices[i], label, predicted: predictions[i], image: run.testImage(indices[i]).slice() });
      }
    }
    const errors = predictions.length - confusion.reduce((s, row, i) => s + row[i], 0);
    return { confusion, wrong, errors, total: predictions.length };
  },
  predict({ id, pixels }) {
    return get(id).run.predict(pixels);
  },
  export({ id }) {
    return get(id).run.exportSafetensors();
  },
  // The test numbers of the loaded weights replace those of the weights they replaced.
  import({ id, bytes }) {
    const { run } = get(id);
    run.importSafetensors(bytes);
    return run.evaluateTest();
  },
};

const controls = {
  run({ id }) {
    const r = get(id);
    if (r.status !== 'paused') return;
    r.status = 'running';
    r.dirty = true;
    lastPost = 0; // the first steps go out at once, so the curve starts without a wait
    schedule();
  },
  pause({ id }) {
    const r = get(id);
    if (r.status !== 'running') return;
    r.status = 'paused';
    r.dirty = true;
    flush(true);
  },
  stop({ id }) {
    const r = get(id);
    if (r.status !== 'running' && r.status !== 'paused') return;
    r.status = 'done'; // without a done event: the page reads it as stopped
    r.dirty = true;
    flush(true);
  },
  free({ id }) {
    runs.get(id)?.run.free();
    runs.delete(id);
  },
};

onmessage = async ({ data: msg }) => {
  if (msg.op in controls) {
    try {
      controls[msg.op](msg);
    } catch (err) {
      postMessage({ op: 'error', error: err.message });
    }
    return;
  }
  try {
    const value = await requests[msg.op](msg);
    postMessage({ req: msg.req, ok: true, value });
  } catch (err) {
    // The code crosses to the page with the message, so the page's LabError keeps it.
    postMessage({ req: msg.req, ok: false, error: err?.message ?? String(err), code: err?.code ?? 'state' });
  }
};
