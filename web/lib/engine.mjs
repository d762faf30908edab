/**
 * engine.mjs - the one JavaScript wrapper over the WebAssembly training core, used by the page's
 * workers and by Node alike. It knows the C structs only through the layout tables the module
 * exports (src/wasm/layout.c), so no offset is written here.
 */
import { serialize, toCore } from './config.mjs';
import { decodeLenet, encodeLenet, LENET_NUM_PARAMS } from './safetensors.mjs';

export const LAYERS = ['conv1', 'conv2', 'fc1', 'fc2', 'fc3'];
const STOP_REASONS = ['none', 'epochs', 'early', 'diverged'];
const EV_STEP = 1, EV_EPOCH = 3, EV_DONE = 4;
const LN_OK = 0, LN_E_DIVERGED = 4;

/**
 * Loads the module. In the browser nothing needs passing: lenet.mjs and lenet.wasm sit beside this
 * file. Under Node, pass moduleUrl and the .wasm bytes (tools/engine-node.mjs does).
 * @param {{moduleUrl?: URL|string, wasmBinary?: Uint8Array}} [options]
 */
export async function createEngine({ moduleUrl = new URL('../lenet.mjs', import.meta.url), wasmBinary } = {}) {
  const { default: factory } = await import(String(moduleUrl));
  const mod = await factory(wasmBinary ? { wasmBinary } : {});
  return new Engine(mod);
}

/** Reads a NULL-terminated field table into [{name, offset, kind, count}]. */
function readFields(mod, table) {
  const fields = [];
  for (let p = mod._lnw_fields(table); ; p += 16) {
    const [name, offset, kind, count] = mod.HEAP32.subarray(p >> 2, (p >> 2) + 4);
    if (!name) return fields;
    fields.push({ name: mod.UTF8ToString(name), offset, kind, count });
  }
}

/** A view of one field of a struct at ptr: number, or array for per-layer fields. */
function readField(mod, ptr, f) {
  const heap = f.kind === 0 ? mod.HEAP32 : f.kind === 1 ? mod.HEAPU32 : mod.HEAPF32;
  const at = (ptr + f.offset) >> 2;
  if (f.count === 1) return heap[at];
  return Array.from(heap.subarray(at, at + f.count));
}

class Engine {
  constructor(mod) {
    this.mod = mod;
    this.configFields = readFields(mod, 0);
    this.metricsFields = readFields(mod, 1);
    this.sizes = { config: mod._lnw_sizeof(0), metrics: mod._lnw_sizeof(1), error: mod._lnw_sizeof(2) };
    this.train = 0;
    this.test = 0;
  }

  /** Allocates n bytes, runs fn(ptr), frees them whatever happens. */
  withScratch(n, fn) {
    const ptr = this.mod._malloc(Math.max(n, 1));
    if (!ptr) throw new Error(`out of memory (${n} bytes)`);
    try { return fn(ptr); } finally { this.mod._free(ptr); }
  }

  /** Calls a C function whose last argument is an ln_error; throws its message on failure. */
  check(call) {
    return this.withScratch(this.sizes.error, (err) => {
      this.mod.HEAPU8.fill(0, err, err + this.sizes.error);
      const status = call(err);
      if (status !== LN_OK) {
        const e = new Error(this.mod.UTF8ToString(err + 4) || `status ${status}`);
        e.status = status;
        throw e;
      }
      return status;
    });
  }

  /** Copies bytes into wasm memory for the duration of fn(ptr, length). */
  withBytes(bytes, fn) {
    const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
    return this.withScratch(u8.length, (ptr) => {
      this.mod.HEAPU8.set(u8, ptr);
      return fn(ptr, u8.length);
    });
  }

  /** Parses one IDX images/labels pair; returns the dataset pointer. */
  parseDataset(images, labels, what) {
    return this.withScratch(4, (out) => this.withBytes(images, (ip, il) => this.withBytes(labels, (lp, ll) => {
      try {
        this.check((err) => this.mod._ln_dataset_from_idx(out, ip, il, lp, ll, err));
      } catch (e) {
        e.message = `${what} set: ${e.message}`;
        throw e;
      }
      return this.mod.HEAP32[out >> 2];
    })));
  }

  /**
   * Loads MNIST from raw (gunzipped) IDX bytes. On error the previous data stays.
   * @param {{trainImages: Uint8Array, trainLabels: Uint8Array, testImages: Uint8Array, testLabels: Uint8Array}} data
   */
  setData({ trainImages, trainLabels, testImages, testLabels }) {
    const train = this.parseDataset(trainImages, trainLabels, 'training');
    let test;
    try {
      test = this.parseDataset(testImages, testLabels, 'test');
    } catch (e) {
      this.mod._ln_dataset_free(train);
      throw e;
    }
    if (this.train) this.mod._ln_dataset_free(this.train);
    if (this.test) this.mod._ln_dataset_free(this.test);
    this.train = train;
    this.test = test;
  }

  get trainCount() { return this.mod._ln_dataset_count(this.train); }
  get testCount() { return this.mod._ln_dataset_count(this.test); }

  /** The 784 pixels of test image i (a copy). */
  testImage(i) {
    const p = this.mod._ln_dataset_image(this.test, i);
    if (!p) throw new RangeError(`no test image ${i}`);
    return this.mod.HEAPU8.slice(p, p + 784);
  }

  testLabel(i) { return this.mod._ln_dataset_label(this.test, i); }

  /**
   * Starts a run. `weights` (safetensors bytes) replace the initial weights, as when fine-tuning;
   * config.head then draws a fresh fc3.
   * @param {object} config a config from config.mjs
   * @param {{weights?: Uint8Array}} [options]
   */
  createRun(config, { weights } = {}) {
    if (!this.train || !this.test) throw new Error('no data loaded');
    if (config.from === 'pretrained' && !weights) throw new Error('this experiment starts from pretrained weights, and none were given');
    const decoded = weights ? decodeLenet(weights) : null;
    const core = toCore(config);
    const trainer = this.withScratch(this.sizes.config, (cfg) => {
      this.mod._ln_config_default(cfg);
      for (const f of this.configFields) {
        if (!(f.name in core)) throw new Error(`config has no value for ${f.name}`);
        const heap = f.kind === 0 ? this.mod.HEAP32 : f.kind === 1 ? this.mod.HEAPU32 : this.mod.HEAPF32;
        heap[(cfg + f.offset) >> 2] = core[f.name];
      }
      return this.withScratch(4, (out) => {
        this.check((err) => this.mod._ln_trainer_create(out, cfg, this.train, this.test, err));
        return this.mod.HEAP32[out >> 2];
      });
    });
    const run = new Run(this, trainer, config);
    try {
      if (decoded) run.setParams(decoded.params);
      if (config.head) this.check((err) => this.mod._ln_trainer_reinit_layer(trainer, LAYERS.indexOf('fc3'), err));
    } catch (e) {
      run.free();
      throw e;
    }
    return run;
  }
}

class Run {
  constructor(engine, trainer, config) {
    this.engine = engine;
    this.mod = engine.mod;
    this.trainer = trainer;
    this.config = config;
    this.metricsPtr = this.mod._malloc(engine.sizes.metrics);
    this.eventPtr = this.mod._malloc(4);
    this.errorPtr = this.mod._malloc(engine.sizes.error);
    this.done = false;
    this.error = null;
  }

  /** Every field of the trainer's ln_metrics, by its C name. */
  rawMetrics() {
    this.mod._ln_trainer_metrics(this.trainer, this.metricsPtr);
    const m = {};
    for (const f of this.engine.metricsFields) m[f.name] = readField(this.mod, this.metricsPtr, f);
    return m;
  }

  /** The latest metrics in JavaScript's spelling; NaN (not measured) becomes null. */
  metrics() {
    const m = this.rawMetrics();
    const num = (x) => (Number.isFinite(x) ? x : null);
    return {
      epoch: m.epoch, step: m.step, stepsPerEpoch: m.steps_per_epoch,
      stopReason: STOP_REASONS[m.stop_reason], done: this.done, error: this.error,
      loss: num(m.loss), penalty: num(m.penalty), acc: num(m.acc),
      gradNorm: m.grad_norm.map(num), weightNorm: m.weight_norm.map(num),
      trainLoss: num(m.train_loss), trainAcc: num(m.train_acc), valLoss: num(m.val_loss), valAcc: num(m.val_acc),
      testLoss: num(m.test_loss), testAcc: num(m.test_acc), epochPenalty: num(m.epoch_penalty),
      sparsity: num(m.sparsity), layerSparsity: m.layer_sparsity.map(num),
      bestEpoch: m.best_epoch, bestValLoss: num(m.best_val_loss),
      trainCount: m.train_count, valCount: m.val_count, testCount: m.test_count, batchHash: m.batch_hash,
    };
  }

  /**
   * Does units of work until maxMs have passed or maxUnits are done or training ends. The numbers
   * never depend on how the work is split into calls.
   * @param {{maxMs?: number, maxUnits?: number}} [budget]
   */
  advance({ maxMs = 30, maxUnits = Infinity } = {}) {
    const steps = [], epochs = [];
    const start = performance.now();
    for (let units = 0; !this.done && units < maxUnits; units++) {
      if (units > 0 && performance.now() - start >= maxMs) break;
      const status = this.mod._ln_trainer_advance(this.trainer, this.eventPtr, this.errorPtr);
      const ev = this.mod.HEAP32[this.eventPtr >> 2];
      if (status !== LN_OK) {
        this.done = true;
        this.error = this.mod.UTF8ToString(this.errorPtr + 4);
        if (status !== LN_E_DIVERGED) break;
      }
      if (ev === EV_STEP || ev === EV_EPOCH || status === LN_E_DIVERGED) {
        const m = this.metrics();
        if (ev === EV_STEP || status === LN_E_DIVERGED) {
          // A diverged step was not counted: report it as the step it was.
          const step = status === LN_E_DIVERGED ? m.step + 1 : m.step;
          steps.push({ step, epoch: m.epoch, loss: m.loss, penalty: m.penalty, acc: m.acc,
            gradNorm: m.gradNorm, weightNorm: m.weightNorm, batchHash: m.batchHash });
        } else {
          epochs.push({ epoch: m.epoch, step: m.step, trainLoss: m.trainLoss, trainAcc: m.trainAcc,
            valLoss: m.valLoss, valAcc: m.valAcc, testLoss: m.testLoss, testAcc: m.testAcc,
            penalty: m.epochPenalty, sparsity: m.sparsity, layerSparsity: m.layerSparsity });
        }
      }
      if (ev === EV_DONE) this.done = true;
    }
    const m = this.metrics();
    // Early stopping with restore-best ends on the best epoch's weights, whose test numbers the
    // trainer reports from then on.
    const restored = this.done && m.stopReason === 'early' && this.config.best && m.bestEpoch !== m.epoch
      ? { epoch: m.bestEpoch, testLoss: m.testLoss, testAcc: m.testAcc } : null;
    return { steps, epochs, done: this.done, stopReason: m.stopReason, error: this.error,
      epoch: m.epoch, step: m.step, stepsPerEpoch: m.stepsPerEpoch, restored };
  }

  /** Counts of a layer's kernel weights in `bins` bins over [-range, range]. */
  histogram(layer, bins = 40) {
    return this.engine.withScratch(4 * bins + 4, (p) => {
      this.engine.check((err) => this.mod._ln_trainer_histogram(this.trainer, layer, bins, p, p + 4 * bins, err));
      return { counts: this.mod.HEAPU32.slice(p >> 2, (p >> 2) + bins), range: this.mod.HEAPF32[(p >> 2) + bins] };
    });
  }

  /** Class probabilities (n x 10) for n images of 784 pixels in [0, 1]. */
  predict(pixels) {
    const n = Math.floor(pixels.length / 784);
    return this.engine.withScratch(4 * n * 794, (p) => {
      this.mod.HEAPF32.set(pixels.subarray(0, n * 784), p >> 2);
      const out = p + 4 * n * 784;
      this.engine.check((err) => this.mod._ln_trainer_predict(this.trainer, p, n, out, err));
      return this.mod.HEAPF32.slice(out >> 2, (out >> 2) + n * 10);
    });
  }

  /** The predicted digit of each evaluated test sample, and its index in the test set. */
  testPredictions() {
    const n = this.rawMetrics().test_count;
    const pred = this.mod._ln_trainer_test_predictions(this.trainer);
    const idx = this.mod._ln_trainer_test_indices(this.trainer) >> 2;
    return { predictions: this.mod.HEAPU8.slice(pred, pred + n), indices: this.mod.HEAP32.slice(idx, idx + n) };
  }

  /** Evaluates the test subset with the weights held now; returns the new test loss and accuracy,
   * which testPredictions() and metrics() then describe too. */
  evaluateTest() {
    this.engine.check((err) => this.mod._ln_trainer_evaluate_test(this.trainer, err));
    const { testLoss, testAcc } = this.metrics();
    return { testLoss, testAcc };
  }

  /** A copy of the 44,426 parameters in PyTorch order. */
  params() {
    const p = this.mod._ln_trainer_params(this.trainer) >> 2;
    return this.mod.HEAPF32.slice(p, p + LENET_NUM_PARAMS);
  }

  /** Replaces every parameter; throws (and changes nothing) on a wrong size or a non-finite value. */
  setParams(params) {
    if (!(params instanceof Float32Array) || params.length !== LENET_NUM_PARAMS) {
      throw new Error(`expected ${LENET_NUM_PARAMS} float32 parameters`);
    }
    this.engine.withScratch(4 * LENET_NUM_PARAMS, (p) => {
      this.mod.HEAPF32.set(params, p >> 2);
      this.engine.check((err) => this.mod._ln_trainer_set_params(this.trainer, p, err));
    });
  }

  /** The weights as safetensors, with the experiment's link in the metadata. */
  exportSafetensors(extra = {}) {
    const m = this.metrics();
    return encodeLenet(this.params(), {
      ...extra, format: 'lenet-lab', config: serialize(this.config), epoch: String(m.epoch), step: String(m.step),
    });
  }

  /** Loads weights from safetensors bytes; a bad file throws and leaves the model unchanged. */
  importSafetensors(bytes) {
    this.setParams(decodeLenet(bytes).params);
  }

  free() {
    if (!this.trainer) return;
    this.mod._ln_trainer_free(this.trainer);
    for (const p of [this.metricsPtr, this.eventPtr, this.errorPtr]) this.mod._free(p);
    this.trainer = 0;
  }
}
