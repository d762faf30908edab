// The page: loads the data, keeps the list of runs, and ties the form, the workers, the charts,
// the results and the link together.
import { MAX_RUNS, defaults, diff, parseLink } from '../lib/config.mjs';
import { loadMnist } from './data.mjs';
import { createPool } from './workers.mjs';
import { createControls } from './controls.mjs';
import { RUN_COLORS, newRun, ingest, statusText, progressOf, epochText } from './runs.mjs';
import { finalResult, labelRuns, toCsv, toJson } from '../lib/history.mjs';
import { createRunList } from './runlist.mjs';
import { createCharts } from './charts.mjs';
import { renderResults, GALLERY_SIZE } from './results.mjs';
import { createDrawPad } from './drawpad.mjs';
import { linkFor, writeHash, readLink, onLinkChange, copyText } from './share.mjs';
import { chartPng } from './export.mjs';
import { EXPERIMENTS } from '../lib/experiments.mjs';
import { h, $, download, setText } from './dom.mjs';
import { installClassroom } from './classroom.mjs';

const HISTOGRAM_BINS = 41;
const HISTOGRAM_EVERY_MS = 750;

const state = {
  dataReady: false,
  runs: [],
  focusId: null,
  nextId: 1,
  draft: defaults(),
  linkRuns: null, // runs of an opened link, created once the data is ready
  pixels: null, // the digit on the drawing pad
};

const focus = () => state.runs.find((r) => r.id === state.focusId) ?? null;
const byId = (id) => state.runs.find((r) => r.id === id);

const pool = createPool({
  size: Math.max(1, Math.min(4, navigator.hardwareConcurrency || 2)),
  onProgress,
  // Every run that may still train counts, so the runs of a link spread over the workers.
  mayTrain: (id) => {
    const run = byId(id);
    return Boolean(run && run.status !== 'done' && run.status !== 'error');
  },
});
pool.warm();
// The download starts before the rest of the page is built: it is what the first curve waits for.
const downloading = fetchData();

// ---- status and notices -------------------------------------------------------------------------

function say(text) {
  $('#status').textContent = text;
}

function notice(kind, title, lines = [], extra = null) {
  const box = h('div', { class: `notice notice-${kind}`, role: kind === 'error' ? 'alert' : 'status' },
    h('div', { class: 'notice-body' },
      h('strong', {}, title),
      lines.length ? h('ul', {}, lines.map((l) => h('li', {}, l))) : null,
      extra),
    h('button', { type: 'button', class: 'icon-btn', 'aria-label': 'Dismiss', onclick: () => box.remove() }, '✕'));
  $('#notices').append(box);
  return box;
}

// ---- data ---------------------------------------------------------------------------------------

const mb = (n) => `${(n / 1e6).toFixed(1)} MB`;

function fetchData() {
  const bar = $('#data-progress');
  $('#data-panel').hidden = false;
  $('#data-error').hidden = true;
  $('#data-text').textContent = 'Downloading MNIST…';
  say('Downloading MNIST…');
  return loadMnist(new URL('../data/', import.meta.url), (loaded, total) => {
    bar.max = total || 1;
    bar.value = Math.min(loaded, total || 1);
    $('#data-bytes').textContent = total ? `${mb(loaded)} of ${mb(total)}` : mb(loaded);
  });
}

async function loadData(downloading) {
  const panel = $('#data-panel');
  const bar = $('#data-progress');
  try {
    const data = await downloading;
    $('#data-text').textContent = 'Preparing the training engine…';
    bar.removeAttribute('value');
    await pool.setData(data);
    // The item count is the second big-endian word of an IDX header.
    const count = async (blob) => new DataView(await blob.slice(0, 8).arrayBuffer()).getUint32(4).toLocaleString('en');
    state.dataReady = true;
    panel.hidden = true;
    say(`Ready: MNIST loaded (${await count(data.trainImages)} training and ${await count(data.testImages)} test images).`);
    classroom.offline.keep();
    await createLinkRuns();
  } catch (err) {
    $('#data-text').textContent = 'LeNet Lab could not get ready to train.';
    $('#data-error-text').textContent = err.message;
    $('#data-error').hidden = false;
    say('Not ready: see the message below.');
  }
  refresh();
}

// ---- runs ---------------------------------------------------------------------------------------

function freeColor() {
  const used = new Set(state.runs.map((r) => r.color));
  return RUN_COLORS.find((c) => !used.has(c)) ?? RUN_COLORS[state.nextId % RUN_COLORS.length];
}

async function addRun(config, { start, replace = null }) {
  // A second click can arrive after the run it meant to replace is gone.
  if (replace && !state.runs.includes(replace)) return null;
  const run = newRun(state.nextId++, config, replace?.color ?? freeColor());
  if (replace) {
    state.runs.splice(state.runs.indexOf(replace), 1, run);
    forget(replace);
  } else {
    state.runs.push(run);
  }
  state.focusId = run.id;
  labelRuns(state.runs);
  afterRunsChanged();
  try {
    const { worker, counts } = await pool.create(run.id, config);
    if (!byId(run.id)) {
      pool.forget(worker, run.id);
      return null;
    }
    run.worker = worker;
    run.counts = counts;
    run.stepsPerEpoch = counts.stepsPerEpoch;
    if (run.status === 'creating') run.status = 'paused';
  } catch (err) {
    run.status = 'error';
    run.error = err.message;
    notice('error', `Run #${run.id} could not start`, [err.message]);
    refresh();
    return null;
  }
  if (start) play(run);
  refresh();
  return run;
}

function forget(run) {
  if (run.worker) pool.forget(run.worker, run.id);
}

function removeRun(run) {
  state.runs = state.runs.filter((r) => r !== run);
  forget(run);
  if (state.focusId === run.id) state.focusId = state.runs[state.runs.length - 1]?.id ?? null;
  labelRuns(state.runs);
  afterRunsChanged();
}

// The status changes when the worker says so (within one ~30 ms chunk), never before: a progress
// message already on its way would otherwise undo it.
function play(run) {
  if (!run.worker || run.status !== 'paused') return;
  run.started = true;
  pool.send(run.worker, 'run', run.id);
  refresh();
}

function pause(run) {
  if (!run.worker || run.status !== 'running') return;
  pool.send(run.worker, 'pause', run.id);
}

function onProgress(updates) {
  for (const u of updates) {
    const run = byId(u.id);
    if (!run) continue;
    const wasDone = run.status === 'done' || run.status === 'error';
    const newEpoch = ingest(run, u);
    if (run.status === 'error' && !wasDone) notice('error', `Run #${run.id} failed`, [run.error ?? 'unknown error']);
    if (run.stopReason === 'diverged' && !wasDone) {
      notice('warn', `Run #${run.id} diverged`, [run.message ?? 'The loss became NaN, infinite or larger than 1000.', 'A smaller learning rate usually helps.']);
    }
    if (run.id === state.focusId && (newEpoch || (!wasDone && run.status === 'done'))) refreshResults();
  }
  refresh();
}

// Runs of a link that are still waiting for the data count as the experiment too.
function syncHash() {
  const configs = state.runs.length ? state.runs.map((r) => r.config) : state.linkRuns ?? [];
  writeHash(classroom.fragment(linkFor(configs, state.draft)));
}

function afterRunsChanged() {
  syncHash();
  refreshResults();
  refresh();
}

// ---- toolbar ------------------------------------------------------------------------------------

const buttons = {
  train: $('#btn-train'),
  step: $('#btn-step'),
  stop: $('#btn-stop'),
  reset: $('#btn-reset'),
  compare: $('#btn-compare'),
};

function trainAction(f) {
  if (!state.dataReady) return ['Train', null];
  if (!f) return ['Train', () => addRun(state.draft, { start: true })];
  switch (f.status) {
    case 'running':
      return ['Pause', () => pause(f)];
    case 'paused':
      return f.started ? ['Resume', () => play(f)] : ['Train', () => state.runs.filter((r) => r.status === 'paused' && !r.started).forEach(play)];
    case 'creating':
      return ['Train', null];
    default:
      return ['Retrain', () => addRun(state.draft, { start: true, replace: f })];
  }
}

function updateToolbar(f) {
  const [label, action] = trainAction(f);
  setText(buttons.train, label);
  buttons.train.disabled = !action;
  buttons.train.onclick = action;
  buttons.train.classList.toggle('is-pause', label === 'Pause');
  buttons.step.disabled = !state.dataReady || (f !== null && f.status !== 'paused');
  buttons.stop.disabled = !f || !(f.status === 'running' || f.status === 'paused');
  buttons.reset.disabled = !f || f.status === 'creating';
  buttons.compare.disabled = !state.dataReady || state.runs.length === 0 || state.runs.length >= MAX_RUNS;
  buttons.compare.title = state.runs.length >= MAX_RUNS ? `At most ${MAX_RUNS} runs: remove one first` : 'Train a new run with the current settings next to the others';

  const fill = $('#run-meter');
  const text = $('#run-progress');
  if (!f) {
    fill.style.width = '0';
    setText(text, state.runs.length ? 'No run selected.' : 'No run yet.');
  } else {
    fill.style.width = `${progressOf(f) * 100}%`;
    fill.style.background = f.color;
    const parts = [`Run #${f.id}: ${statusText(f)}`];
    if (f.stepsPerEpoch) parts.push(epochText(f), `step ${f.step.toLocaleString('en')}`);
    if (f.status === 'running' && f.speed) parts.push(`${Math.round(f.speed).toLocaleString('en')} samples/s`);
    const result = finalResult(f);
    if (result) parts.push(`test ${(result.testAcc * 100).toFixed(2)}%${f.restoredEpoch ? ` (epoch ${f.restoredEpoch}, restored)` : ''}`);
    if (f.error ?? f.message) parts.push(f.error ?? f.message);
    setText(text, parts.join(' · '));
  }

  const stale = $('#stale');
  const changed = f && (f.status === 'running' || f.status === 'paused') ? diff(f.config, state.draft) : [];
  stale.hidden = changed.length === 0;
  if (changed.length) {
    setText(stale, `The settings (${changed.join(', ')}) differ from run #${f.id}'s. A fresh model is needed: Reset and Train, or + Compare to train one alongside.`);
  }
}

buttons.step.addEventListener('click', async () => {
  let f = focus();
  if (!f) f = await addRun(state.draft, { start: false });
  if (!f?.worker || f.status !== 'paused') return;
  f.started = true;
  buttons.step.disabled = true;
  try {
    await pool.request(f.worker, 'step', { id: f.id });
  } catch (err) {
    notice('error', `Run #${f.id}: the step failed`, [err.message]);
  }
  refresh();
});
buttons.stop.addEventListener('click', () => {
  const f = focus();
  if (f?.worker) pool.send(f.worker, 'stop', f.id);
});
buttons.reset.addEventListener('click', () => {
  const f = focus();
  if (f) removeRun(f);
  say(f ? `Run #${f.id} discarded.` : '');
});
buttons.compare.addEventListener('click', () => addRun(state.draft, { start: true }));

// ---- refresh, batched per frame -----------------------------------------------------------------

let refreshQueued = false;
let lastHistogram = { at: 0, key: '' };
const histogramKey = (f) => (f ? `${f.id}:${f.step}:${charts.layer}` : '');

function refresh() {
  if (refreshQueued) return;
  refreshQueued = true;
  requestAnimationFrame(() => {
    refreshQueued = false;
    const f = focus();
    runList.render(state.runs, state.focusId);
    $('#run-empty').hidden = state.runs.length > 0;
    updateToolbar(f);
    for (const el of document.querySelectorAll('.for-run')) setText(el, f ? `· run #${f.id}` : '');
    charts.render(state.runs, f);
    classroom.update(f, state.runs);
    const key = histogramKey(f?.worker ? f : null);
    if (key !== lastHistogram.key && !(f?.status === 'running' && performance.now() - lastHistogram.at < HISTOGRAM_EVERY_MS)) {
      refreshHistogram();
    }
  });
}

async function refreshHistogram() {
  const f = focus();
  lastHistogram = { at: performance.now(), key: histogramKey(f?.worker ? f : null) };
  if (!f?.worker) return charts.histogram(0, null);
  const layer = charts.layer;
  try {
    const data = await pool.request(f.worker, 'histogram', { id: f.id, layer, bins: HISTOGRAM_BINS });
    if (focus() === f && charts.layer === layer) charts.histogram(layer, data);
  } catch (err) {
    console.warn(err.message);
  }
}

let resultsToken = 0;
async function refreshResults() {
  const token = ++resultsToken;
  const f = focus();
  const els = { accEl: $('#test-acc'), confusionEl: $('#confusion'), galleryEl: $('#gallery') };
  if (!f?.worker || f.epochs.length === 0) {
    renderResults(els, null);
  } else {
    try {
      const result = await pool.request(f.worker, 'results', { id: f.id, limit: GALLERY_SIZE });
      if (token === resultsToken) renderResults(els, result, showTestDigit);
    } catch (err) {
      if (token === resultsToken) renderResults(els, null);
      console.warn(err.message);
    }
  }
  predict();
}

// ---- drawing pad --------------------------------------------------------------------------------

const probs = $('#probs');
const probRows = Array.from({ length: 10 }, (_, d) => {
  const bar = h('span', { class: 'prob-bar' });
  const value = h('span', { class: 'prob-value' }, '–');
  const li = h('li', {}, h('span', { class: 'prob-digit' }, String(d)), h('span', { class: 'prob-track' }, bar), value);
  probs.append(li);
  return { li, bar, value };
});

function showProbs(p) {
  const best = p ? p.indexOf(Math.max(...p)) : -1;
  probRows.forEach((r, d) => {
    r.bar.style.width = p ? `${p[d] * 100}%` : '0';
    r.value.textContent = p ? `${(p[d] * 100).toFixed(1)}%` : '–';
    r.li.classList.toggle('best', d === best);
    r.li.setAttribute('aria-label', p ? `${d}: ${(p[d] * 100).toFixed(1)} percent` : `${d}: no prediction`);
  });
  $('#pad-note').textContent = p ? `The network reads a ${best} (${(p[best] * 100).toFixed(1)}%).` : 'Train a run, then draw a digit to see what it predicts.';
}

let predictToken = 0;
async function predict() {
  const token = ++predictToken;
  const f = focus();
  if (!state.pixels || !f?.worker) return showProbs(null);
  try {
    const out = await pool.request(f.worker, 'predict', { id: f.id, pixels: state.pixels });
    if (token === predictToken) showProbs(Array.from(out));
  } catch (err) {
    if (token === predictToken) showProbs(null);
    console.warn(err.message);
  }
}

function setDigit(pixels) {
  state.pixels = pixels;
  $('.pad-wrap').classList.toggle('blank', !pixels);
  predict();
}

const pad = createDrawPad($('#pad'), $('#pad-preview'), $('#pad-clear'), setDigit);

// A test image is already 28x28 and centred: it goes to the network as it is.
function showTestDigit(bytes) {
  pad.show(bytes);
  setDigit(Float32Array.from(bytes, (v) => v / 255));
  $('#pad').scrollIntoView({ block: 'center' });
}

// ---- export and import --------------------------------------------------------------------------

function exportNote(text, bad = false) {
  const note = $('#export-note');
  note.textContent = text;
  note.classList.toggle('bad', bad);
}

$('#export-csv').addEventListener('click', () => {
  if (!state.runs.length) return exportNote('Nothing to export yet: train a run first.', true);
  download('lenet-lab-curves.csv', toCsv(state.runs), 'text/csv');
});
$('#export-json').addEventListener('click', () => {
  if (!state.runs.length) return exportNote('Nothing to export yet: train a run first.', true);
  download('lenet-lab-runs.json', toJson(state.runs), 'application/json');
});
$('#weights-save').addEventListener('click', async () => {
  const f = focus();
  if (!f?.worker) return exportNote('No model yet: train a run first.', true);
  try {
    const bytes = await pool.request(f.worker, 'export', { id: f.id });
    download(`lenet5-run${f.id}.safetensors`, bytes, 'application/octet-stream');
    exportNote(`Weights of run #${f.id} saved (${(bytes.length / 1024).toFixed(0)} KB).`);
  } catch (err) {
    exportNote(`Could not export the weights: ${err.message}`, true);
  }
});
$('#weights-file').addEventListener('change', async (ev) => {
  const file = ev.target.files[0];
  ev.target.value = '';
  if (!file) return;
  let f = focus();
  if (!f && state.dataReady) f = await addRun(state.draft, { start: false });
  if (!f?.worker) return exportNote('Wait for the data to load, then load the weights.', true);
  try {
    const bytes = new Uint8Array(await file.arrayBuffer());
    await pool.request(f.worker, 'import', { id: f.id, bytes }, [bytes.buffer]);
    exportNote(`Loaded ${file.name} into run #${f.id}.`);
    refreshHistogram();
    predict();
  } catch (err) {
    exportNote(`${file.name} was not loaded (run #${f.id} is unchanged): ${err.message}`, true);
  }
});
for (const card of document.querySelectorAll('.chart-card')) {
  const name = card.dataset.chart;
  card.querySelector('.png').addEventListener('click', async () => {
    download(`lenet-lab-${name}.png`, await chartPng(charts.charts[name]));
  });
}

// ---- settings and links -------------------------------------------------------------------------

const controls = createControls($('#controls'), (config) => {
  state.draft = lessonChecked(config);
  syncHash();
  refresh();
});

// Offline use, lesson links, predict-then-run, typeset formulas and the diagnosis (classroom.mjs).
const classroom = installClassroom({
  form: $('#controls'), settings: $('aside.settings'), chartsSection: $('section.charts'), statusHost: $('.top-actions'),
  bannerHost: $('#notices'), presets: [$('#presets'), $('#open-experiment')], copy: copyText,
  experimentFragment: () => linkFor(state.runs.length ? state.runs.map((r) => r.config) : [state.draft], state.draft),
  onUnlock: () => { syncHash(); refresh(); },
  onLessonWarnings: (warnings) => notice('warn', 'Parts of this lesson link were not valid and were left out:', warnings),
});

// A setting the lesson locks keeps its value, whatever the control did.
function lessonChecked(config) {
  const { config: kept, refused } = classroom.enforce(config);
  if (refused.length) {
    controls.write(kept);
    say(`Locked by the lesson: ${refused.join(', ')} cannot be changed.`);
  }
  return kept;
}

// An opened link replaces the experiment: its first run fills the form, and a comparison link
// brings all its runs, ready to train.
function applyLink(link, hash = '') {
  $('#notices').replaceChildren();
  if (!link) return;
  if (link.warnings.length) {
    notice('warn', 'Parts of this link were not valid and were replaced:', link.warnings);
  }
  controls.write(link.runs[0]);
  classroom.applyLesson(hash, link.runs[0]);
  state.draft = controls.read().config;
  linkGeneration++;
  for (const run of [...state.runs]) removeRun(run);
  state.linkRuns = link.runs.length > 1 ? link.runs : null;
  syncHash();
  if (state.dataReady) createLinkRuns();
  refresh();
}

// Each opened link starts a generation; creating a link's runs stops when another link replaces it.
let linkGeneration = 0;

async function createLinkRuns() {
  const configs = state.linkRuns;
  if (!configs) return;
  state.linkRuns = null;
  const generation = linkGeneration;
  for (const config of configs) {
    if (generation !== linkGeneration) return;
    await addRun(config, { start: false });
  }
  state.focusId = state.runs[0]?.id ?? null;
  refresh();
}

// Choosing in the list only selects: keyboards change a closed select with the arrow keys, and
// opening replaces the runs on the page.
const presets = $('#presets');
const openExperiment = $('#open-experiment');
EXPERIMENTS.forEach((e) => presets.append(new Option(e.title, e.id)));
presets.addEventListener('change', () => { openExperiment.disabled = !presets.value; });
openExperiment.addEventListener('click', () => {
  const experiment = EXPERIMENTS.find((e) => e.id === presets.value);
  presets.value = '';
  openExperiment.disabled = true;
  if (!experiment) return;
  const link = parseLink(experiment.link);
  applyLink(link);
  notice('info', experiment.title, [], h('div', { class: 'experiment' },
    h('p', {}, experiment.text),
    h('p', { class: 'formula' }, experiment.formula),
    ...classroom.experimentExtras(experiment),
    h('p', { class: 'small muted' }, `${link.runs.length} runs are ready: press Train to start them all.`)));
});

$('#defaults').addEventListener('click', () => {
  controls.write(defaults());
  state.draft = lessonChecked(controls.read().config);
  syncHash();
  refresh();
});

$('#copy-link').addEventListener('click', async () => {
  const url = location.href;
  if (await copyText(url)) {
    say('Link copied. Whoever opens it gets this experiment and the same numbers.');
    return;
  }
  const field = h('input', { class: 'link-field', readOnly: true, value: url, 'aria-label': 'Link to this experiment' });
  notice('info', 'Copy this link:', [], field);
  field.focus();
  field.select();
});

onLinkChange((link) => applyLink(link, location.hash));
$('#data-retry').addEventListener('click', () => loadData(fetchData()));

// ---- start --------------------------------------------------------------------------------------

const runList = createRunList($('#run-list'), {
  onFocus(run) {
    state.focusId = run.id;
    refreshResults();
    refresh();
  },
  onToggle(run, visible) {
    run.visible = visible;
    refresh();
  },
  onPlayPause(run) {
    if (run.status === 'running') pause(run);
    else play(run);
  },
  onRemove: removeRun,
});

const charts = createCharts(document, () => refreshHistogram());

controls.write(defaults());
state.draft = controls.read().config;
applyLink(readLink(), location.hash);
syncHash();

// Read-only hooks for the browser tests and for anyone curious in the console.
Object.defineProperty(globalThis, 'lenetLab', {
  value: Object.freeze({
    snapshot: () =>
      structuredClone({
        dataReady: state.dataReady,
        focusId: state.focusId,
        link: location.hash.slice(1),
        charts: charts.stats(),
        runs: state.runs.map((r) => ({
          id: r.id, label: r.label, status: r.status, stopReason: r.stopReason, started: r.started, error: r.error,
          message: r.message, restoredEpoch: r.restoredEpoch, step: r.step, epoch: r.epoch, stepsPerEpoch: r.stepsPerEpoch, config: r.config, epochs: r.epochs,
        })),
      }),
  }),
});

refresh();
loadData(downloading);
