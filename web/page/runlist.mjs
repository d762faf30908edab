// The list of runs: show/hide on the charts, pick the run to inspect, rename, pause/resume, remove.
// Rows are kept and updated in place so keyboard focus survives the frequent progress updates.
import { h, setText } from './dom.mjs';
import { statusText, progressOf, epochText, heldResult } from './runs.mjs';

const pct = (x) => `${(x * 100).toFixed(2)}%`;

// Says how many samples the splits really hold, when the chosen digits leave fewer than asked.
function shortfall(run) {
  const c = run.counts;
  if (!c || (c.trainCount === run.config.n && c.valCount === run.config.val && c.testCount === run.config.test)) return '';
  const n = (x) => x.toLocaleString('en');
  return `The chosen digits leave ${n(c.trainCount)} training, ${n(c.valCount)} validation and ${n(c.testCount)} test samples.`;
}

// Drawn as SVG: the play and pause characters are missing from many system fonts.
const ICONS = { play: 'M8 5v14l11-7z', pause: 'M7 5h4v14H7zM13 5h4v14h-4z' };
function icon(name) {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('class', 'icon');
  const path = document.createElementNS('http://www.w3.org/2000/svg', 'path');
  path.setAttribute('d', ICONS[name]);
  svg.append(path);
  return svg;
}

export function createRunList(list, { onFocus, onToggle, onPlayPause, onRemove, onRename = () => {} }) {
  const rows = new Map();

  function row(run) {
    const name = `run ${run.id}`;
    const show = h('input', { type: 'checkbox', class: 'show', 'aria-label': `Show ${name} on the charts`, onchange: () => onToggle(run, show.checked) });
    const label = h('span', { class: 'run-label' });
    const pick = h('button', { type: 'button', class: 'run-pick', onclick: () => onFocus(run) },
      h('span', { class: 'run-no' }, `#${run.id}`), label);
    const status = h('span', { class: 'run-status' });
    const acc = h('span', { class: 'run-acc' });
    const play = h('button', { type: 'button', class: 'icon-btn run-play', onclick: () => onPlayPause(run) });
    // Renaming happens in place: Enter keeps the name, Escape gives up, an empty name goes back to the label.
    const edit = h('input', { type: 'text', class: 'run-name', hidden: true, maxLength: 60, 'aria-label': `Name of ${name}` });
    const rename = h('button', { type: 'button', class: 'icon-btn run-rename', 'aria-label': `Rename ${name}`, title: `Rename ${name}` }, '✎');
    let editing = false;
    const finish = (keep) => {
      if (!editing) return;
      editing = false;
      edit.hidden = true;
      pick.hidden = false;
      if (keep) onRename(run, edit.value);
      rename.focus();
    };
    rename.addEventListener('click', () => {
      editing = true;
      edit.value = run.name || run.label;
      pick.hidden = true;
      edit.hidden = false;
      edit.focus();
      edit.select();
    });
    edit.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter') { ev.preventDefault(); finish(true); }
      if (ev.key === 'Escape') { ev.preventDefault(); finish(false); }
    });
    edit.addEventListener('blur', () => finish(true));
    const remove = h('button', { type: 'button', class: 'icon-btn run-rm', 'aria-label': `Remove ${name}`, title: `Remove ${name}`, onclick: () => onRemove(run) }, '✕');
    const fill = h('div', { class: 'meter-fill' });
    const counts = h('p', { class: 'run-counts small muted' });
    const li = h('li', { class: 'run' },
      h('span', { class: 'swatch', 'aria-hidden': 'true' }),
      show, pick, edit, status, acc, rename, play, remove,
      h('div', { class: 'meter' }, fill), counts);
    li.style.setProperty('--run-color', run.color);
    return { li, show, label, pick, status, acc, play, fill, counts };
  }

  function update(r, run, focused) {
    r.li.classList.toggle('focused', focused);
    r.pick.setAttribute('aria-pressed', String(focused));
    r.show.checked = run.visible;
    setText(r.label, run.name || run.label);
    r.pick.title = run.name ? `${run.name} (${run.label})` : run.label;
    setText(r.status, run.started || run.status === 'done' ? `${statusText(run)} · ${epochText(run)}` : statusText(run));
    r.status.title = run.error ?? run.message ?? '';
    const result = heldResult(run);
    setText(r.acc, result ? pct(result.testAcc) : '');
    r.acc.title = run.loaded ? `Test accuracy of the weights loaded from ${run.loaded.name}`
      : run.restoredEpoch ? `Test accuracy of epoch ${run.restoredEpoch}, restored by early stopping` : 'Test accuracy after the last epoch';
    const running = run.status === 'running';
    const resumable = run.status === 'paused';
    r.play.hidden = !running && !resumable;
    const shape = running ? 'pause' : 'play';
    if (r.play.dataset.icon !== shape) {
      r.play.dataset.icon = shape;
      r.play.replaceChildren(icon(shape));
    }
    const verb = running ? 'Pause' : run.started ? 'Resume' : 'Start';
    r.play.setAttribute('aria-label', `${verb} run ${run.id}`);
    r.play.title = `${verb} run ${run.id}`;
    r.fill.style.width = `${progressOf(run) * 100}%`;
    const note = shortfall(run);
    setText(r.counts, note);
    r.counts.hidden = !note;
    r.li.classList.toggle('failed', run.status === 'error' || run.stopReason === 'diverged');
  }

  return {
    render(runs, focusId) {
      for (const [id, r] of rows) {
        if (!runs.some((run) => run.id === id)) {
          r.li.remove();
          rows.delete(id);
        }
      }
      runs.forEach((run, i) => {
        let r = rows.get(run.id);
        if (!r) {
          r = row(run);
          rows.set(run.id, r);
        }
        if (list.children[i] !== r.li) list.insertBefore(r.li, list.children[i] ?? null);
        update(r, run, run.id === focusId);
      });
    },
  };
}
