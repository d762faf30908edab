/**
 * engine.mjs - the one JavaScript wrapper over the WebAssembly training core, used by the page's
 * workers and by Node alike. It knows the C structs and constants only through the tables the
 * module exports (src/wasm/layout.c), so no offset, code or size is written here. Every error it
 * throws is a LabError (errors.mjs).
 */
import { serialize, toCore } from './config.mjs';
import { LabError, codeOfStatus } from './errors.mjs';
import { decodeSafetensors, encodeSafetensors, LENET_NUM_PARAMS } from './safetensors.mjs';

/**
 * Loads the module. In the browser nothing needs passing: lenet.mjs and lenet.wasm sit beside this
 * file. Under Node, pass moduleUrl and the .wasm bytes (tools/engine-node.mjs does).
 * @param {{moduleUrl?: URL|string, wasmBinary?: Uint8Array}} [options]
 */
export async function createEngine({ moduleUrl = new URL('../lenet.mjs', import.meta.url), wasmBinary } = {}) {
  let mod;
  try {
    const { default: factory } = await import(String(moduleUrl));
    mod = await factory(wasmBinary ? { wasmBinary } : {});
  } catch (e) {
    throw new LabError('load', `the training module did not load: ${e.message}`, { cause: e });
  }
  return new Engine(mod);
}

/** Reads a NULL-terminated field table into [{name, offset, heap, count}]; heaps maps a kind to
 * the name of its heap view ('text' for a NUL-terminated name). */
function readFields(mod, table, heaps) {
  const fields = [];
  for (let p = mod._lnw_fields(table); ; p += 16) {
    const [name, offset, kind, count] = mod.HEAP32.subarray(p >> 2, (p >> 2) + 4);
    if (!name) return fields;
    fields.push({ name: mod.UTF8ToString(name), offset, heap: heaps[kind], count });
  }
}

/** The ln_config fields with their C defaults, ranges and enum names (src/config.c's table). */
function readConfigFields(mod, heaps) {
  const fields = [];
  for (let i = 0; i < mod._lnw_config_count(); i++) {
    const choices = mod._lnw_config_choices(i);
    fields.push({
      name: mod.UTF8ToString(mod._lnw_config_name(i)), offset: mod._lnw_config_offset(i), heap: heaps[mod._lnw_config_kind(i)], count: 1,
      default: mod._lnw_config_bound(i, 0), min: mod._lnw_config_bound(i, 1), max: mod._lnw_config_bound(i, 2),
      choices: choices ? mod.UTF8ToString(choices).split(', ') : null,
    });
  }
  return fields;
}


/** The module's constants as {group: {name: value}}, e.g. event.step, stop.early, size.params. */
function readConstants(mod) {
  const groups = {};
  for (let p = mod._lnw_constants(); ; p += 12) {
    const [group, name, value] = mod.HEAP32.subarray(p >> 2, (p >> 2) + 3);
    if (!group) break;
    (groups[mod.UTF8ToString(group)] ??= {})[mod.UTF8ToString(name)] = value;
  }
  return groups;
}

/** Value -> name of one group of constants. */
const namesOf = (group) => Object.fromEntries(Object.entries(group).map(([name, value]) => [value, name]));

/** A view of one field of a struct at ptr: number, or array for per-layer fields. */
function readField(mod, ptr, f) {
  if (f.heap === 'text') return mod.UTF8ToString(ptr + f.offset, f.count);
  const heap = mod[f.heap];
  const at = (ptr + f.offset) >> 2;
  if (f.count === 1) return heap[at];
  return Array.from(heap.subarray(at, at + f.count));
}

class Engine {
  constructor(mod) {
    this.mod = mod;
    const k = readConstants(mod);
    this.constants = k;
    // Heap views are looked up by name at each access: memory growth replaces them.
    const heaps = { [k.kind.int]: 'HEAP32', [k.kind.uint]: 'HEAPU32', [k.kind.float]: 'HEAPF32', [k.kind.text]: 'text' };
    this.configFields = readConfigFields(mod, heaps);
    this.metricsFields = readFields(mod, 1, heaps);
    this.tensorFields = readFields(mod, 2, heaps);
    this.nodeFields = readFields(mod, 3, heaps);
    this.sizes = { config: mod._lnw_sizeof(0), metrics: mod._lnw_sizeof(1), error: mod._lnw_sizeof(2),
      tensor: mod._lnw_sizeof(3), node: mod._lnw_sizeof(4) };
    this.names = { status: namesOf(k.status), event: namesOf(k.event), stop: namesOf(k.stop), phase: namesOf(k.phase),
      op: namesOf(k.op), tensor: namesOf(k.tensor) };
    // The weights format spells LeNet-5's tensors out too: they must be the module's.
    if (k.size['lenet5-params'] !== LENET_NUM_PARAMS) {
      throw new LabError('load', `the module's LeNet-5 has ${k.size['lenet5-params']} parameters; the weights format has ${LENET_NUM_PARAMS}`);
    }
    this.datasets = new Map(); // name -> { train, test } dataset pointers, each loaded once
  }

  /** Allocates n bytes, runs fn(ptr), frees them whatever happens. */
  withScratch(n, fn) {
    const ptr = this.mod._malloc(Math.max(n, 1));
    if (!ptr) throw new LabError('no-memory', `out of memory (${n} bytes)`);
    try { return fn(ptr); } finally { this.mod._free(ptr); }
  }

  /** The LabError for a C status and the message in an ln_error at err. */
  failure(status, err, inputCode, prefix = '') {
    const name = this.names.status[status] ?? 'state';
    return new LabError(codeOfStatus(name, inputCode), prefix + (this.mod.UTF8ToString(err + 4) || name));
  }

  /** Calls a C function whose last argument is an ln_error; throws a LabError on failure. */
  check(call, inputCode, prefix = '') {
    return this.withScratch(this.sizes.error, (err) => {
      this.mod.HEAPU8.fill(0, err, err + this.sizes.error);
      const status = call(err);
      if (status !== this.constants.status.ok) throw this.failure(status, err, inputCode, prefix);
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

  /** Writes ln_config field values (by C name, as toCore gives them) into scratch memory for fn(ptr). */
  withConfig(core, fn) {
    return this.withScratch(this.sizes.config, (cfg) => {
      for (const f of this.configFields) {
        if (!(f.name in core)) throw new LabError('bad-config', `config has no value for ${f.name}`);
        this.mod[f.heap][(cfg + f.offset) >> 2] = core[f.name];
      }
      return fn(cfg);
    });
  }

  /**
   * The network a config describes, as the core builds it: {layers, actLayers, nodes, tensors,
   * params, stats}. layers are the conv and dense layers' names (the per-layer metrics' order),
   * actLayers the names of the layers each activation follows (the per-activation metrics'),
   * nodes [{name, op, shape, layer, params, skipFrom}], tensors [{name, kind, layer, shape,
   * offset, count}]. A config the core refuses throws a LabError 'bad-config'.
   */
  describe(config) {
    return this.withConfig(toCore(config), (cfg) => this.withScratch(4, (out) => {
      this.check((err) => this.mod._ln_net_create(out, cfg, err), 'bad-config');
      const net = this.mod.HEAP32[out >> 2];
      try { return this.readNet(net); } finally { this.mod._ln_net_free(net); }
    }));
  }

  /** Reads an ln_net (see describe). */
  readNet(net) {
    const { mod } = this;
    const read = (fields, ptr) => Object.fromEntries(fields.map((f) => [f.name, readField(mod, ptr, f)]));
    const layers = Array.from({ length: mod._ln_net_num_layers(net) }, (_, i) => mod.UTF8ToString(mod._ln_net_layer_name(net, i)));
    const nodes = Array.from({ length: mod._ln_net_num_nodes(net) }, (_, i) => {
      const n = read(this.nodeFields, mod._ln_net_node(net, i));
      return { name: n.name, op: this.names.op[n.op], shape: n.shape, layer: n.layer, params: n.params, skipFrom: n.skip_from };
    });
    const tensors = Array.from({ length: mod._ln_net_num_tensors(net) }, (_, i) => {
      const t = read(this.tensorFields, mod._ln_net_tensor(net, i));
      return { name: t.name, kind: this.names.tensor[t.kind], layer: t.layer, shape: t.shape.slice(0, t.ndim), offset: t.offset, count: t.count };
    });
    const actLayers = Array.from({ length: mod._ln_net_num_act_layers(net) }, (_, i) => layers[nodes[mod._ln_net_act_node(net, i)].layer]);
    return Object.freeze({ layers, actLayers, nodes, tensors, params: mod._ln_net_num_params(net), stats: mod._ln_net_num_stats(net) });
  }

  /** The core's own verdict on raw ln_config values: null when it accepts them, else its message. */
  checkCoreConfig(core) {
    return this.withConfig(core, (cfg) => {
      try {
        this.check((err) => this.mod._ln_config_check(cfg, err), 'bad-config');
        return null;
      } catch (e) {
        return e.message;
      }
    });
  }

  /** Parses one IDX images/labels pair; returns the dataset pointer. */
  parseDataset(images, labels, what) {
    return this.withScratch(4, (out) => this.withBytes(images, (ip, il) => this.withBytes(labels, (lp, ll) => {
      this.check((err) => this.mod._ln_dataset_from_idx(out, ip, il, lp, ll, err), 'bad-data', `${what} set: `);
      return this.mod.HEAP32[out >> 2];
    })));
  }

  /**
   * Loads a dataset ('mnist', 'fashion') from raw (gunzipped) IDX bytes, through the core's
   * validated IDX parser. On error the dataset held before under that name stays.
   * setData(bytes) alone loads 'mnist'.
   * @param {string} name
   * @param {{trainImages: Uint8Array, trainLabels: Uint8Array, testImages: Uint8Array, testLabels: Uint8Array}} data
   */
  setData(name, data) {
    if (typeof name !== 'string') [name, data] = ['mnist', name];
    const { trainImages, trainLabels, testImages, testLabels } = data;
    const title = name === 'mnist' ? '' : `${name} `;
    const train = this.parseDataset(trainImages, trainLabels, `${title}training`);
    let test;
    try {
      test = this.parseDataset(testImages, testLabels, `${title}test`);
    } catch (e) {
      this.mod._ln_dataset_free(train);
      throw e;
    }
    const old = this.datasets.get(name);
    if (old) {
      this.mod._ln_dataset_free(old.train);
      this.mod._ln_dataset_free(old.test);
    }
    this.datasets.set(name, { train, test });
  }

  /** Whether dataset `name` is loaded. */
  hasData(name = 'mnist') { return this.datasets.has(name); }

  dataset(name = 'mnist') {
    const d = this.datasets.get(name);
    if (!d) throw new LabError('no-data', `the ${name} dataset is not loaded`);
    return d;
  }

  trainCountOf(name = 'mnist') { return this.mod._ln_dataset_count(this.dataset(name).train); }
  testCountOf(name = 'mnist') { return this.mod._ln_dataset_count(this.dataset(name).test); }
  get trainCount() { return this.trainCountOf('mnist'); }
  get testCount() { return this.testCountOf('mnist'); }

  /** The pixels (784) of test image i of a dataset (a copy). */
  testImage(i, name = 'mnist') {
    const p = this.mod._ln_dataset_image(this.dataset(name).test, i);
    if (!p) throw new LabError('bad-argument', `no test image ${i}`);
    return this.mod.HEAPU8.slice(p, p + this.constants.size.pixels);
  }

  testLabel(i, name = 'mnist') { return this.mod._ln_dataset_label(this.dataset(name).test, i); }

  /**
   * Starts a run on the dataset config.data names (default mnist). `weights` (safetensors bytes
   * holding exactly this network's tensors) replace the initial weights and batch-norm statistics,
   * as when fine-tuning; config.head then draws a fresh last layer.
   * A saved `state` (run.saveState()) continues that run instead, under this config: a branch.
   * The data selection (data, seed, n, val, test, digits, std, noise) must be the state's; weights,
   * from and head are then ignored (the state holds the weights). See ln_trainer_load_state in lenet.h.
   * @param {object} config a config from config.mjs
   * @param {{weights?: Uint8Array, state?: Uint8Array}} [options]
   */
  createRun(config, { weights, state } = {}) {
    const { train, test } = this.runData(config);
    if (state) return this.createBranch(config, state);
    if (config.from && config.from !== 'scratch' && !weights) {
      throw new LabError('bad-weights', `this experiment starts from pretrained weights (the ${config.from} checkpoint), and none were given`);
    }
    const trainer = this.withConfig(toCore(config), (cfg) => this.withScratch(4, (out) => {
      this.check((err) => this.mod._ln_trainer_create(out, cfg, train, test, err), 'bad-config');
      return this.mod.HEAP32[out >> 2];
    }));
    const run = new Run(this, trainer, config);
    try {
      if (weights) run.importSafetensors(weights);
      if (config.head) this.check((err) => this.mod._ln_trainer_reinit_layer(trainer, run.net.layers.length - 1, err), 'bad-config');
    } catch (e) {
      run.free();
      throw e;
    }
    return run;
  }

  /** The loaded dataset config.data names (default mnist); a LabError 'no-data' when it is not loaded. */
  runData(config) {
    const data = config.data ?? 'mnist';
    if (!this.datasets.has(data)) throw new LabError('no-data', this.datasets.size ? `the ${data} dataset is not loaded` : 'no data loaded');
    return this.datasets.get(data);
  }

  /** A run restored from a saved state, under config (createRun with {state}). */
  createBranch(config, state) {
    if (!(state instanceof Uint8Array)) throw new LabError('bad-state', 'a saved state is a Uint8Array');
    const { train, test } = this.runData(config);
    const trainer = this.withConfig(toCore(config), (cfg) => this.withScratch(4, (out) => {
      this.check((err) => this.mod._ln_trainer_create(out, cfg, train, test, err), 'bad-config');
      return this.mod.HEAP32[out >> 2];
    }));
    const run = new Run(this, trainer, config);
    try {
      this.withBytes(state, (ptr, len) => this.check((err) => this.mod._ln_trainer_load_state(trainer, ptr, len, err), 'bad-state', 'cannot continue from this state: '));
    } catch (e) {
      run.free();
      throw e;
    }
    run.restored = true;
    return run;
  }
}

/** Decodes safetensors bytes for a run's network; a bad or mismatched file is a LabError. */
function decodeWeights(bytes, run) {
  try {
    return decodeSafetensors(bytes, run.net.tensors, { model: run.config.model ?? 'lenet5' });
  } catch (e) {
    throw new LabError('bad-weights', e.message, { cause: e });
  }
}

const num = (x) => (Number.isFinite(x) ? x : null);

class Run {
  constructor(engine, trainer, config) {
    this.engine = engine;
    this.mod = engine.mod;
    this.trainer = trainer;
    this.config = config;
    this.data = config.data ?? 'mnist';
    this.net = engine.readNet(this.mod._ln_trainer_net(trainer));
    const layers = this.net.layers.length, acts = this.net.actLayers.length;
    // Per-layer and per-activation arrays, cut to this network's layers.
    this.perLayer = (xs) => xs.slice(0, layers).map(num);
    this.perAct = (xs) => xs.slice(0, acts).map(num);
    this.metricsPtr = this.mod._malloc(engine.sizes.metrics);
    this.eventPtr = this.mod._malloc(4);
    this.errorPtr = this.mod._malloc(engine.sizes.error);
    this.done = false;
  }

  /** Every field of the trainer's ln_metrics, by its C name. */
  rawMetrics() {
    this.mod._ln_trainer_metrics(this.trainer, this.metricsPtr);
    const m = {};
    for (const f of this.engine.metricsFields) m[f.name] = readField(this.mod, this.metricsPtr, f);
    return m;
  }

  /** The run's state now, in JavaScript's spelling; NaN (not measured) becomes null. */
  metrics() {
    const m = this.rawMetrics();
    return {
      epoch: m.epoch, step: m.step, stepsPerEpoch: m.steps_per_epoch, done: this.done,
      phase: this.engine.names.phase[m.phase], stopReason: this.engine.names.stop[m.stop_reason],
      loss: num(m.loss), penalty: num(m.penalty), acc: num(m.acc),
      gradNorm: this.perLayer(m.grad_norm), weightNorm: this.perLayer(m.weight_norm),
      trainLoss: num(m.train_loss), trainAcc: num(m.train_acc), valLoss: num(m.val_loss), valAcc: num(m.val_acc),
      testLoss: num(m.test_loss), testAcc: num(m.test_acc), epochPenalty: num(m.epoch_penalty),
      sparsity: num(m.sparsity), layerSparsity: this.perLayer(m.layer_sparsity),
      bestEpoch: m.best_epoch || null, bestValLoss: num(m.best_val_loss), restoredEpoch: m.restored_epoch || null,
      trainCount: m.train_count, valCount: m.val_count, testCount: m.test_count, batchHash: m.batch_hash,
    };
  }

  /**
   * Does units of work until maxMs have passed or maxUnits are done or training ends (at least
   * one unit a call; both unlimited by default), and returns what happened, in order. The numbers
   * never depend on how the work is split into calls. Divergence ends the run with a 'done' event
   * whose stopReason is 'diverged'; anything else going wrong throws a LabError.
   * @param {{maxMs?: number, maxUnits?: number}} [budget]
   * @returns {{events: object[], done: boolean}}
   */
  advance({ maxMs = Infinity, maxUnits = Infinity } = {}) {
    const events = [];
    const { status, event } = this.engine.constants;
    const timed = maxMs !== Infinity;
    const start = timed ? performance.now() : 0;
    for (let units = 0; !this.done && units < maxUnits; units++) {
      if (units > 0 && timed && performance.now() - start >= maxMs) break;
      const s = this.mod._ln_trainer_advance(this.trainer, this.eventPtr, this.errorPtr);
      const ev = this.mod.HEAP32[this.eventPtr >> 2];
      if (s === status.diverged) {
        const m = this.rawMetrics();
        // The diverged step was not counted: report it as the step it was, then the end.
        events.push(this.stepEvent(m, m.step + 1), this.doneEvent(m, this.mod.UTF8ToString(this.errorPtr + 4)));
        this.done = true;
      } else if (s === status.state && ev === event.done && this.restored) {
        // A state saved after its run had closed: nothing is left to do.
        events.push(this.doneEvent(this.rawMetrics(), null));
        this.done = true;
      } else if (s !== status.ok) {
        throw this.engine.failure(s, this.errorPtr, 'bad-argument');
      } else if (ev === event.done) {
        events.push(this.doneEvent(this.rawMetrics(), null));
        this.done = true;
      } else {
        const m = this.rawMetrics();
        events.push(ev === event.step ? this.stepEvent(m, m.step) : ev === event.eval ? this.evalEvent(m) : this.epochEvent(m));
      }
    }
    return { events, done: this.done };
  }

  stepEvent(m, step) {
    return { type: 'step', phase: this.engine.names.phase[m.phase], step, epoch: m.epoch, loss: num(m.loss),
      penalty: num(m.penalty), acc: num(m.acc), gradNorm: this.perLayer(m.grad_norm), weightNorm: this.perLayer(m.weight_norm),
      updateRatio: this.perLayer(m.update_ratio), gradTotal: num(m.grad_total),
      preAct: [num(m.pre_p15), num(m.pre_p50), num(m.pre_p85)], batchHash: m.batch_hash };
  }

  evalEvent(m) {
    return { type: 'eval', phase: this.engine.names.phase[m.phase], split: this.engine.names.phase[m.eval_split].replace('eval-', ''),
      done: m.eval_done, total: m.eval_total };
  }

  /** The epoch's evaluation and its steps' aggregates, or (rest) the restored epoch's. dead and
   * saturated are per activation layer (conv1, conv2, fc1, fc2): the shares of dead relu units
   * and of saturated tanh/sigmoid outputs over the training subset's evaluation (null when the
   * activation has no such thing). */
  epochRecord(m) {
    return { trainLoss: num(m.train_loss), trainAcc: num(m.train_acc), valLoss: num(m.val_loss), valAcc: num(m.val_acc),
      testLoss: num(m.test_loss), testAcc: num(m.test_acc), penalty: num(m.epoch_penalty), sparsity: num(m.sparsity),
      layerSparsity: this.perLayer(m.layer_sparsity), weightNorm: this.perLayer(m.epoch_weight_norm),
      dead: this.perAct(m.dead), saturated: this.perAct(m.saturated),
      actMean: this.perAct(m.act_mean), actStd: this.perAct(m.act_std) };
  }

  epochEvent(m) {
    return { type: 'epoch', phase: this.engine.names.phase[m.phase], epoch: m.epoch, step: m.step, ...this.epochRecord(m),
      meanLoss: num(m.epoch_loss), meanAcc: num(m.epoch_acc), gradMean: this.perLayer(m.grad_mean), gradMax: this.perLayer(m.grad_max),
      bestEpoch: m.best_epoch || null };
  }

  doneEvent(m, message) {
    const restoredEpoch = m.restored_epoch || null;
    return { type: 'done', phase: 'done', stopReason: this.engine.names.stop[m.stop_reason], message, restoredEpoch,
      epochs: m.epoch, steps: m.step, samples: { train: m.train_count, val: m.val_count, test: m.test_count },
      result: { epoch: restoredEpoch ?? m.epoch, ...this.epochRecord(m) } };
  }

  /** The trainer's whole state (ln_trainer_save_state): restore it with engine.createRun(config, {state}). */
  saveState() {
    const n = this.mod._ln_trainer_state_size(this.trainer);
    return this.engine.withScratch(n, (p) => {
      this.engine.check((err) => this.mod._ln_trainer_save_state(this.trainer, p, n, err), 'state');
      return this.mod.HEAPU8.slice(p, p + n);
    });
  }

  /** Counts of a layer's kernel weights in `bins` bins over [-range, range]. */
  histogram(layer, bins = 40) {
    return this.engine.withScratch(4 * bins + 4, (p) => {
      this.engine.check((err) => this.mod._ln_trainer_histogram(this.trainer, layer, bins, p, p + 4 * bins, err), 'bad-argument');
      return { counts: this.mod.HEAPU32.slice(p >> 2, (p >> 2) + bins), range: this.mod.HEAPF32[(p >> 2) + bins] };
    });
  }

  /** Counts of activation layer actLayer's outputs (an index into net.actLayers) for the last batch
   * the network saw, in `bins` bins over [lo, hi] (ln_trainer_act_histogram). */
  actHistogram(actLayer, bins = 30) {
    return this.engine.withScratch(4 * bins + 8, (p) => {
      this.engine.check((err) => this.mod._ln_trainer_act_histogram(this.trainer, actLayer, bins, p, p + 4 * bins, p + 4 * bins + 4, err), 'bad-argument');
      const at = p >> 2;
      return { counts: this.mod.HEAPU32.slice(at, at + bins), lo: this.mod.HEAPF32[at + bins], hi: this.mod.HEAPF32[at + bins + 1] };
    });
  }

  /** Class probabilities (n x 10) for n images of 784 pixels in [0, 1]. */
  predict(pixels) {
    const { pixels: size, classes } = this.engine.constants.size;
    const n = Math.floor(pixels.length / size);
    return this.engine.withScratch(4 * n * (size + classes), (p) => {
      this.mod.HEAPF32.set(pixels.subarray(0, n * size), p >> 2);
      const out = p + 4 * n * size;
      this.engine.check((err) => this.mod._ln_trainer_predict(this.trainer, p, n, out, err), 'bad-argument');
      return this.mod.HEAPF32.slice(out >> 2, (out >> 2) + n * classes);
    });
  }

  /** The predicted digit of each evaluated test sample, and its index in the test set. */
  testPredictions() {
    const n = this.rawMetrics().test_count;
    const pred = this.mod._ln_trainer_test_predictions(this.trainer);
    const idx = this.mod._ln_trainer_test_indices(this.trainer) >> 2;
    return { predictions: this.mod.HEAPU8.slice(pred, pred + n), indices: this.mod.HEAP32.slice(idx, idx + n) };
  }

  /** The 784 pixels and the label of image i of the run's test set. */
  testImage(i) { return this.engine.testImage(i, this.data); }
  testLabel(i) { return this.engine.testLabel(i, this.data); }

  /** Evaluates the test subset with the weights held now; returns the new test loss and accuracy,
   * which testPredictions() and metrics() then describe too. */
  evaluateTest() {
    this.engine.check((err) => this.mod._ln_trainer_evaluate_test(this.trainer, err), 'state');
    const { testLoss, testAcc } = this.metrics();
    return { testLoss, testAcc };
  }

  /** A copy of the network's parameters (run.net.params floats) in run.net.tensors order. */
  params() {
    const p = this.mod._ln_trainer_params(this.trainer) >> 2;
    return this.mod.HEAPF32.slice(p, p + this.net.params);
  }

  /** A copy of the batch-norm moving statistics (run.net.stats floats; none without batch norm). */
  stats() {
    const p = this.mod._ln_trainer_stats(this.trainer) >> 2;
    return this.net.stats ? this.mod.HEAPF32.slice(p, p + this.net.stats) : new Float32Array(0);
  }

  /** Replaces every parameter and, given them, the statistics: all checked first, so on a wrong
   * size, a non-finite value or a negative variance it throws and nothing changes. */
  setParams(params, stats) {
    const expect = (x, n, what) => {
      if (!(x instanceof Float32Array) || x.length !== n) throw new LabError('bad-weights', `expected ${n} float32 ${what}`);
    };
    expect(params, this.net.params, 'parameters');
    if (stats !== undefined) expect(stats, this.net.stats, 'batch-norm statistics');
    const bad = params.findIndex((x) => !Number.isFinite(x));
    if (bad >= 0) throw new LabError('bad-weights', `parameter ${bad} is not finite`);
    this.engine.withScratch(4 * Math.max(params.length, stats?.length ?? 0), (p) => {
      // The statistics first: the core checks them and changes nothing on error; the parameters,
      // checked above, then cannot fail.
      if (stats?.length) {
        this.mod.HEAPF32.set(stats, p >> 2);
        this.engine.check((err) => this.mod._ln_trainer_set_stats(this.trainer, p, err), 'bad-weights');
      }
      this.mod.HEAPF32.set(params, p >> 2);
      this.engine.check((err) => this.mod._ln_trainer_set_params(this.trainer, p, err), 'bad-weights');
    });
  }

  /** The weights and statistics as safetensors, with the experiment's link in the metadata. */
  exportSafetensors(extra = {}) {
    const m = this.metrics();
    return encodeSafetensors(this.net.tensors, { params: this.params(), stats: this.stats() }, {
      ...extra, format: 'lenet-lab', config: serialize(this.config), epoch: String(m.epoch), step: String(m.step),
    });
  }

  /** Loads weights (and statistics) from safetensors bytes holding exactly this network's tensors;
   * a bad or mismatched file throws, naming the difference, and leaves the model unchanged. */
  importSafetensors(bytes) {
    const { params, stats } = decodeWeights(bytes, this);
    this.setParams(params, stats);
  }

  free() {
    if (!this.trainer) return;
    this.mod._ln_trainer_free(this.trainer);
    for (const p of [this.metricsPtr, this.eventPtr, this.errorPtr]) this.mod._free(p);
    this.trainer = 0;
  }
}
