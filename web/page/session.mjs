// The page's session, without the page: the runs and their states, their placement on workers,
// the experiment's link, the focused run, labels, and what Train, Step, Stop, Reset and Compare
// do. It touches no DOM and no URL; the worker pool comes from a factory and everything the page
// must show goes out through listeners, so Node tests run it with fakes.
import { MAX_RUNS, defaults, diff, serialize, serializeLink } from '../lib/config.mjs';
import { LabError } from '../lib/errors.mjs';
import { labelRuns, setNetwork } from '../lib/history.mjs';
import { RUN_COLORS, newRun, ingest } from './runs.mjs';
import { LINK_SWEEP_MAX_RUNS, compareRuns, describeReproduction, encodeResults, writeLink } from '../lib/result-link.mjs';
import { expandSweep } from '../lib/sweep.mjs';
import { forkHistory } from '../lib/branch.mjs';

const NOOP = () => {};

/**
 * createPool({ onProgress, mayTrain }) returns the pool (see workers.mjs). Listeners in `on`:
 * change() when anything shown may have changed, results() when the focused run's results did,
 * link(text) when the experiment's link did, notice(kind, title, lines) for messages to the person,
 * needData(name) when the experiment needs a dataset ('mnist', 'fashion') the workers do not hold
 * yet: the page downloads it then (and only then) and hands it over with setData(name, data).
 */
export function createSession({ createPool, on = {} }) {
  const emit = { change: NOOP, results: NOOP, link: NOOP, notice: NOOP, needData: NOOP, ...on };
  let runs = [];
  let focusId = null;
  let nextId = 1;
  let draft = defaults();
  const loaded = new Set(); // datasets the workers hold
  const dataOf = (config) => config?.data ?? 'mnist';
  // The draft's dataset is what Train and Compare use; a link's runs wait for all of theirs.
  const dataReadyFor = (configs) => configs.every((c) => loaded.has(dataOf(c)));
  let dataReady = false;
  let linkRuns = null; // configs of an opened link, created once the data is ready
  // Each opened link starts a generation; creating a link's runs stops when another link replaces it.
  let linkGeneration = 0;
  // A sweep (sweep.mjs) over sweepBase, when the runs are one; shared: the results an opened link
  // carried (result-link.mjs), one per run of the link.
  let sweep = null;
  let sweepBase = null;
  let shared = null;
  let startWhenCreated = false;
  const maxRuns = () => (sweep ? LINK_SWEEP_MAX_RUNS : MAX_RUNS);

  const byId = (id) => runs.find((r) => r.id === id);
  const focused = () => byId(focusId) ?? null;

  const pool = createPool({
    onProgress,
    // Every run that may still train counts, so the runs of a link spread over the workers.
    mayTrain: (id) => {
      const run = byId(id);
      return Boolean(run && run.status !== 'done' && run.status !== 'error');
    },
  });
  pool.warm();

  function freeColor() {
    const used = new Set(runs.map((r) => r.color));
    return RUN_COLORS.find((c) => !used.has(c)) ?? RUN_COLORS[nextId % RUN_COLORS.length];
  }

  /** Several runs are shared as a comparison; otherwise the settings in the form. Runs of a link
   * that are still waiting for the data count as the experiment too. */
  function link() {
    if (sweep) return writeLink({ base: sweepBase, sweep });
    const configs = runs.length ? runs.map((r) => r.config) : linkRuns ?? [];
    return configs.length > 1 ? serializeLink(configs.slice(0, MAX_RUNS)) : serialize(draft);
  }

  function runsChanged() {
    emit.link(link());
    emit.results();
    emit.change();
  }

  async function addRun(config, { start, replace = null, branch = null }) {
    // A second click can arrive after the run it meant to replace is gone.
    if (replace && !runs.includes(replace)) return null;
    const run = newRun(nextId++, config, replace?.color ?? freeColor());
    // A branch starts with its parent's history up to the epoch it branches at.
    if (branch) Object.assign(run, forkHistory(branch.parent, branch.epoch, run.id, config), { phase: 'train' });
    if (replace) {
      runs.splice(runs.indexOf(replace), 1, run);
      forget(replace);
    } else {
      runs.push(run);
    }
    focusId = run.id;
    labelRuns(runs);
    runsChanged();
    try {
      const { worker, counts } = await pool.create(run.id, config, branch ? { branch: { config: branch.parent.config, epoch: branch.epoch } } : {});
      if (!byId(run.id)) {
        pool.forget(worker, run.id);
        return null;
      }
      run.worker = worker;
      run.counts = counts;
      // The network as the engine built it (the same names network.mjs gives the config).
      if (counts.net) setNetwork(run, counts.net);
      run.stepsPerEpoch = counts.stepsPerEpoch;
      if (run.status === 'creating') run.status = 'paused';
    } catch (err) {
      run.status = 'error';
      run.error = err.message;
      emit.notice('error', `Run #${run.id} could not start`, [err.message]);
      emit.change();
      return null;
    }
    if (start) play(run);
    emit.change();
    return run;
  }

  function forget(run) {
    if (run.worker) pool.forget(run.worker, run.id);
  }

  function removeRun(run) {
    if (!runs.includes(run)) return;
    runs = runs.filter((r) => r !== run);
    forget(run);
    if (focusId === run.id) focusId = runs[runs.length - 1]?.id ?? null;
    labelRuns(runs);
    runsChanged();
  }

  // The status changes when the worker says so (within one ~30 ms chunk), never before: a progress
  // message already on its way would otherwise undo it.
  function play(run) {
    if (!run.worker || run.status !== 'paused') return;
    if (run.shared && !run.started) startReproduction(run);
    run.started = true;
    pool.send(run.worker, 'run', run.id);
    emit.change();
  }

  // A run that shows a link's shared result trains again from the start; its result is then
  // compared with the shared one (onProgress).
  function startReproduction(run) {
    Object.assign(run, { epochs: [], steps: [], stepStride: 1, epoch: 0, step: 0, stopReason: 'none', message: null,
      restoredEpoch: null, result: null, samples: null, phase: 'train' });
    run.reproduction = 'reproducing…';
  }

  function showShared(run, h) {
    Object.assign(run, { epochs: h.epochs, stopReason: h.stopReason, restoredEpoch: h.restoredEpoch, result: h.result,
      samples: h.samples, message: h.message, epoch: h.epoch, step: h.step, phase: 'done' });
    run.shared = h;
    run.reproduction = 'shared result';
  }

  function pause(run) {
    if (!run.worker || run.status !== 'running') return;
    pool.send(run.worker, 'pause', run.id);
  }

  function onProgress(updates) {
    for (const u of updates) {
      const run = byId(u.id);
      if (!run) continue;
      const wasOver = run.status === 'done' || run.status === 'error';
      const newEpoch = ingest(run, u);
      // Training on moves the weights past those loaded from a file.
      if (newEpoch) run.loaded = null;
      if (run.status === 'error' && !wasOver) emit.notice('error', `Run #${run.id} failed`, [run.error ?? 'unknown error']);
      if (run.stopReason === 'diverged' && !wasOver) {
        emit.notice('warn', `Run #${run.id} diverged`, [run.message ?? 'The loss became NaN, infinite or larger than 1000.', 'A smaller learning rate usually helps.']);
      }
      if (run.shared && run.started && !wasOver && run.status === 'done') {
        const difference = compareRuns(run.shared, run);
        run.reproduced = difference === null;
        run.reproduction = describeReproduction(difference);
      }
      if (run.id === focusId && (newEpoch || (!wasOver && run.status === 'done'))) emit.results();
    }
    emit.change();
  }

  // Asks the page for every dataset the experiment needs and the workers lack.
  function requestData() {
    const names = new Set([dataOf(draft), ...(linkRuns ?? []).map(dataOf)]);
    for (const name of names) if (!loaded.has(name)) emit.needData(name);
  }

  function updateReady() {
    dataReady = loaded.has(dataOf(draft));
  }

  async function createLinkRuns() {
    const configs = linkRuns;
    if (!configs || !dataReadyFor(configs)) return;
    linkRuns = null;
    const generation = linkGeneration;
    const results = shared;
    for (const [i, config] of configs.entries()) {
      if (generation !== linkGeneration) return;
      const run = await addRun(config, { start: false });
      if (run && results?.[i]) showShared(run, results[i]);
    }
    focusId = runs[0]?.id ?? null;
    if (startWhenCreated) {
      startWhenCreated = false;
      runs.forEach(play);
    }
    emit.results();
    emit.change();
  }

  // What the Train button does for the focused run f, as [label, action or null].
  function trainAction(f) {
    if (!dataReady) return ['Train', null];
    if (!f) return ['Train', () => addRun(draft, { start: true })];
    switch (f.status) {
      case 'running':
        return ['Pause', () => pause(f)];
      case 'paused':
        return f.started ? ['Resume', () => play(f)] : ['Train', () => runs.filter((r) => r.status === 'paused' && !r.started).forEach(play)];
      case 'creating':
        return ['Train', null];
      default:
        // A new run beside the finished one, which stays: nothing is lost by training again.
        return ['Retrain', runs.length < maxRuns() ? () => addRun(draft, { start: true }) : null];
    }
  }

  /** The worker's answer to op about run (results, histogram, predict, export, import), or a
   * rejection when the run has no worker. */
  function ask(run, op, payload = {}, transfer = []) {
    if (!run?.worker) return Promise.reject(new LabError('state', 'No model yet: train a run first.'));
    return pool.request(run.worker, op, { id: run.id, ...payload }, transfer);
  }

  return {
    get runs() { return runs; },
    get focusId() { return focusId; },
    get focused() { return focused(); },
    get dataReady() { return dataReady; },
    get draft() { return draft; },
    byId,
    link,

    /** Hands a dataset to the workers; resolves once the first has it (or rejects with why). The
     * runs of an opened link are created once every dataset they need is there. setData(data)
     * alone is MNIST. */
    async setData(name, data) {
      if (typeof name !== 'string') [name, data] = ['mnist', name];
      await pool.setData(name, data);
      loaded.add(name);
      updateReady();
      emit.change();
      createLinkRuns();
    },

    /** Whether the workers hold dataset `name`. */
    hasData(name) { return loaded.has(name); },

    /** Asks (through needData) for every dataset the experiment needs and the workers lack. */
    requestData,

    setDraft(config) {
      draft = config;
      updateReady();
      requestData();
      emit.link(link());
      emit.change();
    },

    /** An opened link replaces the experiment: its first run is the draft, and a comparison link
     * brings all its runs, ready to train. */
    openLink(parsed) {
      draft = parsed.base ?? parsed.runs[0];
      linkGeneration++;
      for (const run of [...runs]) removeRun(run);
      sweep = parsed.sweep ?? null;
      sweepBase = sweep ? draft : null;
      shared = parsed.shared ?? null;
      startWhenCreated = Boolean(parsed.start);
      linkRuns = parsed.runs.length > 1 || shared || parsed.start ? parsed.runs : null;
      updateReady();
      requestData();
      emit.link(link());
      emit.change();
      if (linkRuns && dataReadyFor(linkRuns)) return createLinkRuns();
      return Promise.resolve();
    },

    /** The toolbar: what each button says and whether it can be pressed now. */
    toolbar() {
      const f = focused();
      const [label] = trainAction(f);
      const full = runs.length >= maxRuns();
      return {
        train: { label, enabled: Boolean(trainAction(f)[1]) },
        step: dataReady && (f === null || f.status === 'paused'),
        stop: Boolean(f && (f.status === 'running' || f.status === 'paused')),
        reset: Boolean(f && f.status !== 'creating'),
        compare: { enabled: dataReady && runs.length > 0 && !full, full },
        reproduce: runs.some((r) => r.shared && !r.started && r.status === 'paused'),
      };
    },

    /** Train, Pause, Resume or Retrain, as the toolbar says; Retrain trains a new run with the
     * current settings and keeps the finished one (it cannot when the page holds all the runs it may). */
    train() {
      const [, action] = trainAction(focused());
      return action ? action() : null;
    },

    /** One training step of the focused run (a new paused run when there is none). */
    async step() {
      let f = focused();
      if (!f && dataReady) f = await addRun(draft, { start: false });
      if (!f?.worker || f.status !== 'paused') return;
      f.started = true;
      emit.change();
      try {
        await ask(f, 'step');
      } catch (err) {
        emit.notice('error', `Run #${f.id}: the step failed`, [err.message]);
      }
      emit.change();
    },

    stop() {
      const f = focused();
      if (f?.worker) pool.send(f.worker, 'stop', f.id);
    },

    /** Discards the focused run; returns it. */
    reset() {
      const f = focused();
      if (f) sweep = null;
      if (f) removeRun(f);
      return f;
    },

    /** A new run with the current settings, next to the others. */
    compare() {
      if (!dataReady || runs.length >= maxRuns()) return null;
      sweep = null;
      return addRun(draft, { start: true });
    },

    focus(id) {
      if (!byId(id)) return;
      focusId = id;
      emit.results();
      emit.change();
    },

    /** Gives a run the person's own name (legends, exports); an empty name goes back to the label. */
    rename(id, name) {
      const run = byId(id);
      if (!run) return;
      run.name = String(name ?? '').replace(/\s+/g, ' ').trim().slice(0, 60);
      emit.change();
    },

    /** Whose settings the form holds: the focused run's when they are equal, else a new run's. */
    formOwner() {
      const f = focused();
      return f && diff(f.config, draft).length === 0 ? f.id : null;
    },

    setVisible(id, visible) {
      const run = byId(id);
      if (run) run.visible = visible;
      emit.change();
    },

    playPause(id) {
      const run = byId(id);
      if (!run) return;
      if (run.status === 'running') pause(run);
      else play(run);
    },

    remove(id) {
      const run = byId(id);
      if (run) sweep = null;
      if (run) removeRun(run);
    },

    /** Settings that differ between the form and the focused run while it can still train. */
    staleSettings() {
      const f = focused();
      return f && (f.status === 'running' || f.status === 'paused') ? diff(f.config, draft) : [];
    },

    ask,

    /** The open sweep ({axes, seeds}) and its base config, or null. */
    get sweep() { return sweep ? { base: sweepBase, ...sweep, runs: expandSweep(sweepBase, sweep) } : null; },

    /** Replaces the runs by a sweep over base (sweep.mjs's parseSweep) and trains them all, spread
     * over the workers. */
    openSweep(base, spec) {
      const configs = expandSweep(base, spec).map((r) => r.config);
      if (configs.length > LINK_SWEEP_MAX_RUNS) throw new LabError('bad-argument', `this sweep makes ${configs.length} runs; the page trains at most ${LINK_SWEEP_MAX_RUNS}`);
      return this.openLink({ runs: configs, base, sweep: spec, start: true });
    },

    /** A new run that continues the focused one from the end of its epoch k with the form's
     * settings (all but the data selection may change: branch.mjs), next to it. */
    fork(k) {
      const f = focused();
      if (!dataReady || !f) throw new LabError('state', 'Focus a run to fork first.');
      if (!f.epochs.some((e) => e.epoch === k)) throw new LabError('bad-argument', `Run #${f.id} has not completed epoch ${k}.`);
      forkHistory(f, k, 0, draft); // checks the data selection before anything changes
      if (runs.length >= maxRuns()) throw new LabError('state', `At most ${maxRuns()} runs.`);
      sweep = null;
      return addRun(draft, { start: true, branch: { parent: f, epoch: k } });
    },

    /** Trains again every run that shows a shared result, to check it. */
    reproduce() {
      for (const run of runs) if (run.shared && !run.started) play(run);
    },

    /** The link with every run's results (result-link.mjs); rejects while a run is unfinished or
     * when the results do not fit in a link. */
    async linkWithResults(prefix = '') {
      if (!runs.length || runs.some((r) => r.status !== 'done' && !(r.shared && !r.started))) {
        throw new LabError('state', 'Results can be shared once every run has finished.');
      }
      return (await encodeResults(runs, link(), { prefix })).link;
    },

    /** Loads safetensors bytes into the focused run (a new one when there is none) and evaluates
     * them on its test subset, so the run's accuracy and results describe the loaded weights.
     * Resolves to the run; rejects, with the run unchanged, on a bad file. */
    async loadWeights(bytes, name) {
      let f = focused();
      if (!f && dataReady) f = await addRun(draft, { start: false });
      if (!f?.worker) throw new LabError('no-data', 'Wait for the data to load, then load the weights.');
      const { testLoss, testAcc } = await ask(f, 'import', { bytes }, [bytes.buffer]);
      f.loaded = { name, epoch: f.epoch, testLoss, testAcc };
      emit.results();
      emit.change();
      return f;
    },

    snapshot() {
      return structuredClone({
        dataReady,
        focusId,
        link: link(),
        runs: runs.map((r) => ({
          id: r.id, label: r.label, name: r.name ?? '', status: r.status, stopReason: r.stopReason, started: r.started, error: r.error,
          message: r.message, restoredEpoch: r.restoredEpoch, result: r.result,
          step: r.step, epoch: r.epoch, stepsPerEpoch: r.stepsPerEpoch, config: r.config, epochs: r.epochs,
          loaded: r.loaded ?? null, shared: Boolean(r.shared), reproduction: r.reproduction ?? null, reproduced: r.reproduced ?? null,
        })),
      });
    },
  };
}
