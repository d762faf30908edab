// The page: loads the data and wires the panels (form, toolbar, run list, charts, results, drawing
// pad, files, links) to the session, which holds the runs and decides what each action does.
import { MAX_RUNS, defaults } from '../lib/config.mjs';
import { loadDataset } from './data.mjs';
import { DATASETS, className } from '../lib/datasets.mjs';
import { createPool } from './workers.mjs';
import { createSession } from './session.mjs';
import { createControls } from './controls.mjs';
import { statusText, progressOf, epochText, heldResult } from './runs.mjs';
import { toCsv, toJson } from '../lib/history.mjs';
import { createRunList } from './runlist.mjs';
import { createCharts } from './charts.mjs';
import { renderResults, GALLERY_SIZE } from './results.mjs';
import { createDrawPad } from './drawpad.mjs';
import { writeHash, readLink, onLinkChange, copyText, shareUrl } from './share.mjs';
import { createLesson } from './lesson-panel.mjs';
import { createSweepPanel, readPageLink } from './sweep-panel.mjs';
import { EXPERIMENTS } from '../lib/experiments.mjs';
import { diff } from '../lib/config.mjs';
import { h, $, download, setText } from './dom.mjs';
import { installClassroom } from './classroom.mjs';
import { createNetworkPanel } from './network-panel.mjs';
import { layersOf } from '../lib/network.mjs';
import { createGradFlow } from './gradflow.mjs';
import { createActivationsView } from './activations-view.mjs';

const HISTOGRAM_BINS = 41;
const HISTOGRAM_EVERY_MS = 750;

// The digit on the drawing pad: the page's own, not the session's.
let pixels = null;

let pool = null; // the session's workers; the Network panel asks the first for descriptions
const session = createSession({
  createPool: (hooks) => (pool = createPool({ size: Math.max(1, Math.min(4, navigator.hardwareConcurrency || 2)), ...hooks })),
  on: {
    change: () => refresh(),
    results: () => refreshResults(),
    link: (text) => writeHash(withLesson(text)),
    notice: (kind, title, lines) => notice(kind, title, lines),
    needData: (name) => ensureData(name),
  },
});

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

// A dataset is downloaded when the experiment first needs it, and kept for the session.
let started = false; // the opened link decides which dataset the page needs first
const loading = new Map(); // name -> the download and hand-over under way
let failedData = null; // the dataset whose download failed: what Retry tries again

function ensureData(name) {
  if (!started || session.hasData(name) || loading.has(name)) return;
  const job = loadData(name).finally(() => loading.delete(name));
  loading.set(name, job);
}

function fetchData(name) {
  const { title, dir } = DATASETS[name];
  const bar = $('#data-progress');
  $('#data-panel').hidden = false;
  $('#data-error').hidden = true;
  $('#data-text').textContent = `Downloading ${title}…`;
  say(`Downloading ${title}…`);
  bar.max = 1;
  bar.value = 0;
  $('#data-bytes').textContent = '';
  return loadDataset(new URL(`../${dir}`, import.meta.url), (loaded, total) => {
    bar.max = total || 1;
    bar.value = Math.min(loaded, total || 1);
    $('#data-bytes').textContent = total ? `${mb(loaded)} of ${mb(total)}` : mb(loaded);
  });
}

async function loadData(name) {
  const { title } = DATASETS[name];
  const panel = $('#data-panel');
  const bar = $('#data-progress');
  try {
    const data = await fetchData(name);
    $('#data-text').textContent = 'Preparing the training engine…';
    bar.removeAttribute('value');
    // The item count is the second big-endian word of an IDX header.
    const count = async (blob) => new DataView(await blob.slice(0, 8).arrayBuffer()).getUint32(4).toLocaleString('en');
    const counts = [await count(data.trainImages), await count(data.testImages)];
    await session.setData(name, data);
    classroom.offline.keep();
    if (failedData === name) failedData = null;
    if (loading.size <= 1 && !failedData) panel.hidden = true;
    say(`Ready: ${title} loaded (${counts[0]} training and ${counts[1]} test images).`);
  } catch (err) {
    failedData = name;
    $('#data-panel').hidden = false;
    $('#data-text').textContent = `LeNet Lab could not get ${title} ready to train.`;
    $('#data-error-text').textContent = err.message;
    $('#data-error').hidden = false;
    say('Not ready: see the message below.');
  }
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

function updateToolbar(f) {
  const bar = session.toolbar();
  setText(buttons.train, bar.train.label);
  buttons.train.disabled = !bar.train.enabled;
  buttons.train.classList.toggle('is-pause', bar.train.label === 'Pause');
  buttons.step.disabled = !bar.step;
  buttons.stop.disabled = !bar.stop;
  buttons.reset.disabled = !bar.reset;
  buttons.compare.disabled = !bar.compare.enabled;
  buttons.compare.title = bar.compare.full ? `At most ${MAX_RUNS} runs: remove one first` : 'Train a new run with the current settings next to the others';

  const fill = $('#run-meter');
  const text = $('#run-progress');
  if (!f) {
    fill.style.width = '0';
    setText(text, session.runs.length ? 'No run selected.' : 'No run yet.');
  } else {
    fill.style.width = `${progressOf(f) * 100}%`;
    fill.style.background = f.color;
    const parts = [`Run #${f.id}: ${statusText(f)}`];
    if (f.stepsPerEpoch) parts.push(epochText(f), `step ${f.step.toLocaleString('en')}`);
    if (f.status === 'running' && f.speed) parts.push(`${Math.round(f.speed).toLocaleString('en')} samples/s`);
    const result = heldResult(f);
    const whose = f.loaded ? ` (weights from ${f.loaded.name})` : f.restoredEpoch ? ` (epoch ${f.restoredEpoch}, restored)` : '';
    if (result) parts.push(`test ${(result.testAcc * 100).toFixed(2)}%${whose}`);
    if (f.error ?? f.message) parts.push(f.error ?? f.message);
    setText(text, parts.join(' · '));
  }

  const stale = $('#stale');
  const changed = session.staleSettings();
  stale.hidden = changed.length === 0;
  if (changed.length) {
    setText(stale, `The settings (${changed.join(', ')}) differ from run #${f.id}'s. A fresh model is needed: Reset and Train, or + Compare to train one alongside.`);
  }
}

buttons.train.addEventListener('click', () => session.train());
buttons.step.addEventListener('click', () => session.step());
buttons.stop.addEventListener('click', () => session.stop());
buttons.reset.addEventListener('click', () => {
  const f = session.reset();
  say(f ? `Run #${f.id} discarded.` : '');
});
buttons.compare.addEventListener('click', () => session.compare());

// ---- refresh, batched per frame -----------------------------------------------------------------

let refreshQueued = false;
let lastPadData = null;
let lastHistogram = { at: 0, key: '' };
// The histogram overlays every run shown that has a model; it is asked for again when one of them
// took a step, at most every HISTOGRAM_EVERY_MS while any trains.
const histogramRuns = () => session.runs.filter((r) => r.visible && r.worker);
const histogramKey = () => `${charts.layer}:${histogramRuns().map((r) => `${r.id}.${r.step}.${r.loaded?.name ?? ''}`).join(',')}`;
const anyRunning = () => session.runs.some((r) => r.status === 'running');

function refreshHistogramSoon() {
  if (histogramKey() !== lastHistogram.key && !(anyRunning() && performance.now() - lastHistogram.at < HISTOGRAM_EVERY_MS)) {
    refreshHistogram();
  }
}

function refresh() {
  if (refreshQueued) return;
  refreshQueued = true;
  requestAnimationFrame(() => {
    refreshQueued = false;
    const f = session.focused;
    runList.render(session.runs, session.focusId);
    $('#run-empty').hidden = session.runs.length > 0;
    updateToolbar(f);
    for (const el of document.querySelectorAll('.for-run')) setText(el, f ? `· run #${f.id}` : '');
    charts.render(session.runs, f, lesson.current?.title ?? '');
    const shown = session.runs.filter((r) => r.visible);
    gradFlow.render(shown);
    activationsView.render(shown);
    networkPanel.update(session.draft);
    if (padData() !== lastPadData) {
      lastPadData = padData();
      predict();
    }
    classroom.update(f, session.runs);
    sweepPanel?.render();
    showFormOwner();
    refreshHistogramSoon();
  });
}

async function refreshHistogram() {
  lastHistogram = { at: performance.now(), key: histogramKey() };
  const layer = charts.layer;
  const items = [];
  for (const run of histogramRuns()) {
    // The layer by name: runs of another network without it are left out.
    const index = layersOf(run).indexOf(layer);
    if (index < 0) continue;
    try {
      items.push({ run, data: await session.ask(run, 'histogram', { layer: index, bins: HISTOGRAM_BINS }) });
    } catch (err) {
      console.warn(err.message);
    }
  }
  if (charts.layer === layer) charts.histogram(layer, items);
}

let resultsToken = 0;
async function refreshResults() {
  const token = ++resultsToken;
  const f = session.focused;
  const els = { accEl: $('#test-acc'), confusionEl: $('#confusion'), galleryEl: $('#gallery') };
  const isDigits = (DATASETS[f?.config.data] ?? DATASETS.mnist).classWord === 'digit';
  setText($('#confusion-axes'), `(rows: true ${isDigits ? 'digit' : 'class'}, columns: predicted)`);
  setText($('#gallery-title'), isDigits ? 'Misclassified test digits' : 'Misclassified test images');
  if (!f?.worker || (f.epochs.length === 0 && !f.loaded)) {
    renderResults(els, null);
  } else {
    try {
      const result = await session.ask(f, 'results', { limit: GALLERY_SIZE });
      if (token === resultsToken) renderResults(els, result, showTestDigit, f.config.data);
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

// The pad's classes follow the inspected run's dataset (the form's when no run is inspected).
function padData() {
  return session.focused?.config.data ?? session.draft.data ?? 'mnist';
}

function showProbs(p) {
  const data = padData();
  const fashion = data !== 'mnist';
  const best = p ? p.indexOf(Math.max(...p)) : -1;
  probRows.forEach((r, d) => {
    const name = className(data, d);
    r.li.querySelector('.prob-digit').textContent = name;
    r.li.classList.toggle('named', fashion);
    r.bar.style.width = p ? `${p[d] * 100}%` : '0';
    r.value.textContent = p ? `${(p[d] * 100).toFixed(1)}%` : '–';
    r.li.classList.toggle('best', d === best);
    r.li.setAttribute('aria-label', p ? `${name}: ${(p[d] * 100).toFixed(1)} percent` : `${name}: no prediction`);
  });
  const forDigits = fashion
    ? `The pad is for digits: this network learnt ${DATASETS[data].title}, so it reads any drawing as one of its clothing classes. `
    : '';
  $('#pad-note').textContent = forDigits + (p
    ? `The network reads ${fashion ? className(data, best) : `a ${best}`} (${(p[best] * 100).toFixed(1)}%).`
    : `Train a run, then draw a digit to see what it predicts.`);
}

let predictToken = 0;
async function predict() {
  const token = ++predictToken;
  const f = session.focused;
  if (!pixels || !f?.worker) return showProbs(null);
  try {
    const out = await session.ask(f, 'predict', { pixels });
    if (token === predictToken) showProbs(Array.from(out));
  } catch (err) {
    if (token === predictToken) showProbs(null);
    console.warn(err.message);
  }
}

function setDigit(digit) {
  pixels = digit;
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
  if (!session.runs.length) return exportNote('Nothing to export yet: train a run first.', true);
  download('lenet-lab-curves.csv', toCsv(session.runs), 'text/csv');
});
$('#export-json').addEventListener('click', () => {
  if (!session.runs.length) return exportNote('Nothing to export yet: train a run first.', true);
  download('lenet-lab-runs.json', toJson(session.runs), 'application/json');
});
$('#weights-save').addEventListener('click', async () => {
  const f = session.focused;
  if (!f?.worker) return exportNote('No model yet: train a run first.', true);
  try {
    const bytes = await session.ask(f, 'export');
    download(`${f.config.model}-run${f.id}.safetensors`, bytes, 'application/octet-stream');
    exportNote(`Weights of run #${f.id} saved (${(bytes.length / 1024).toFixed(0)} KB).`);
  } catch (err) {
    exportNote(`Could not export the weights: ${err.message}`, true);
  }
});
$('#weights-file').addEventListener('change', async (ev) => {
  const file = ev.target.files[0];
  ev.target.value = '';
  if (!file) return;
  const into = session.focused;
  try {
    const run = await session.loadWeights(new Uint8Array(await file.arrayBuffer()), file.name);
    exportNote(`Loaded ${file.name} into run #${run.id}: ${(run.loaded.testAcc * 100).toFixed(2)}% test accuracy.`);
    refreshHistogram();
  } catch (err) {
    exportNote(into ? `${file.name} was not loaded (run #${into.id} is unchanged): ${err.message}` : err.message, true);
  }
});
for (const card of document.querySelectorAll('.chart-card')) {
  const name = card.dataset.chart;
  card.querySelector('.png').addEventListener('click', async () => {
    download(`lenet-lab-${name}.png`, await charts.png(name));
  });
}

// ---- settings and links -------------------------------------------------------------------------

const controls = createControls($('#controls'), (config) => session.setDraft(lessonChecked(config)));
const lesson = createLesson($('#lesson-panel'));

// Offline use, lesson links, predict-then-run, typeset formulas and the diagnosis (classroom.mjs).
const classroom = installClassroom({
  form: $('#controls'), settings: $('aside.settings'), chartsSection: $('section.charts'), statusHost: $('.top-actions'),
  bannerHost: $('#notices'), presets: [$('#presets'), $('#open-experiment')], copy: copyText,
  experimentFragment: () => session.link(),
  onUnlock: () => { writeHash(withLesson(session.link())); refresh(); },
  onLessonWarnings: (warnings) => notice('warn', 'Parts of this lesson link were not valid and were left out:', warnings),
});

// The link of the experiment with the lesson's keys (lock, hide, prompt) in front.
function withLesson(text) {
  return typeof classroom === 'undefined' ? text : classroom.fragment(text);
}

// A setting the lesson locks keeps its value, whatever the control did.
function lessonChecked(config) {
  const { config: kept, refused } = classroom.enforce(config);
  if (refused.length) {
    controls.write(kept);
    say(`Locked by the lesson: ${refused.join(', ')} cannot be changed.`);
  }
  return kept;
}

// An opened link replaces the experiment; the form shows its first run (a sweep's base run).
function applyLink(link, hash = '') {
  $('#notices').replaceChildren();
  lesson.close();
  if (!link) return;
  if (link.warnings.length) {
    notice('warn', 'Parts of this link were not valid and were replaced:', link.warnings);
  }
  controls.write(link.base ?? link.runs[0]);
  classroom.applyLesson(hash, link.base ?? link.runs[0]);
  session.openLink(link);
  if (link.resultsError) notice('error', 'The results in this link were not used', [link.resultsError]);
}

// A whole link: its runs, and after a '!' a sweep and results (sweep-panel.mjs reads them).
async function openLinkText(text) {
  const link = await readPageLink(text);
  if (link.error) {
    $('#notices').replaceChildren();
    notice('error', 'This link was not opened', [link.error]);
    return null;
  }
  applyLink(link, text);
  return link;
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
  openLinkText(experiment.link).then((link) => {
    if (!link) return;
    lesson.open(experiment, `${link.runs.length} runs are ready: press Train to start them all.`, classroom.experimentExtras(experiment));
  });
});

$('#defaults').addEventListener('click', () => {
  controls.write(defaults());
  session.setDraft(lessonChecked(controls.read().config));
});

// The link is built from the session, never read back from the address bar, which an in-page
// anchor such as the skip link (#workspace) may hold.
$('#copy-link').addEventListener('click', async () => {
  const url = shareUrl(withLesson(session.link()));
  if (await copyText(url)) {
    say('Link copied. Whoever opens it gets this experiment and the same numbers.');
    return;
  }
  const field = h('input', { class: 'link-field', readOnly: true, value: url, 'aria-label': 'Link to this experiment' });
  notice('info', 'Copy this link:', [], field);
  field.focus();
  field.select();
});

onLinkChange(() => openLinkText(location.hash));
$('#data-retry').addEventListener('click', () => {
  if (failedData) ensureData(failedData);
});

// ---- start --------------------------------------------------------------------------------------

const runList = createRunList($('#run-list'), {
  // Selecting a run shows its settings in the form.
  onFocus: (run) => {
    session.focus(run.id);
    controls.write(run.config);
    session.setDraft(controls.read().config);
  },
  onRename: (run, name) => session.rename(run.id, name),
  onToggle: (run, visible) => session.setVisible(run.id, visible),
  onPlayPause: (run) => session.playPause(run.id),
  onRemove: (run) => session.remove(run.id),
});

const charts = createCharts(document, () => refreshHistogram());
const gradFlow = createGradFlow($('section.charts'));
const activationsView = createActivationsView($('section.charts'));
// The core's own message when it refuses the form's combination of settings, under the form.
const networkPanel = createNetworkPanel($('#network'), (config) => pool.describe(config), (error) => {
  const el = $('#core-problem');
  el.hidden = !error;
  setText(el, error ? `These settings cannot be trained: ${error}.` : '');
});
const sweepPanel = createSweepPanel($('section.charts'), { session, notice, say, shareUrl, copyText });

// The form says whose settings it holds: a run's (Retrain and + Compare train them again) or a
// new run's, once they differ from the selected run's.
function showFormOwner() {
  const owner = session.formOwner();
  const f = session.focused;
  const el = $('#form-owner');
  const changes = f ? diff(f.config, session.draft).length : 0;
  el.style.setProperty('--run-color', owner ? f.color : 'transparent');
  setText(el, owner ? `Settings of run #${owner}` : f ? `New run settings (${changes} change${changes === 1 ? '' : 's'} from run #${f.id})` : 'New run settings');
}

// The address bar's link is read before the form's defaults would write theirs over it.
const opened = readLink();
const openedText = location.hash;
controls.write(defaults());
session.setDraft(controls.read().config);
if (openedText.includes('!')) openLinkText(openedText);
else applyLink(opened, openedText);

// Read-only hooks for the browser tests and for anyone curious in the console.
Object.defineProperty(globalThis, 'lenetLab', {
  value: Object.freeze({
    snapshot: () => ({ ...session.snapshot(), charts: charts.stats(), sweep: sweepPanel.stats(),
      deep: { ...gradFlow.stats(), ...activationsView.stats(), network: Number($('#network').dataset.layers ?? 0) } }),
    linkWithResults: () => session.linkWithResults(shareUrl('').replace(/#$/, '')),
  }),
});

refresh();
// Now that the opened link has set the experiment, download what it needs.
started = true;
session.requestData();
