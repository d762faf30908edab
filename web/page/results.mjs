// Test-set results of the inspected run: accuracy, confusion matrix and misclassified images, with
// the class names of the run's dataset (digits for MNIST, clothing for Fashion-MNIST).
import { h } from './dom.mjs';
import { DATASETS, className } from '../lib/datasets.mjs';

/** Paints a 28x28 MNIST image (784 bytes, white ink on black) into a canvas. */
function paintDigit(canvas, pixels) {
  const ctx = canvas.getContext('2d');
  const img = ctx.createImageData(28, 28);
  for (let i = 0; i < 784; i++) {
    const v = pixels[i];
    img.data[i * 4] = v;
    img.data[i * 4 + 1] = v;
    img.data[i * 4 + 2] = v;
    img.data[i * 4 + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

function confusionTable(confusion, data) {
  const name = (k) => className(data, k);
  const digits = DATASETS[data]?.classWord !== 'class';
  const max = Math.max(1, ...confusion.flatMap((row, i) => row.filter((_, j) => j !== i)));
  const rowTotals = confusion.map((row) => row.reduce((a, b) => a + b, 0));
  // Named classes: full names down the side, a short form (T-shirt, boot) across.
  const colHead = (j) => (digits ? String(j) : h('abbr', { title: name(j) }, name(j).split('/')[0].split(' ').at(-1)));
  const head = h('tr', {}, h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'true \\ predicted')),
    confusion.map((_, j) => h('th', { scope: 'col' }, colHead(j))));
  const body = confusion.map((row, i) =>
    h('tr', {}, h('th', { scope: 'row' }, name(i)),
      row.map((count, j) => {
        const share = rowTotals[i] ? count / rowTotals[i] : 0;
        const of = digits ? `the ${i}s` : `the ${name(i)} images`;
        const cell = h('td', { title: `true ${name(i)}, predicted ${name(j)}: ${count} (${(share * 100).toFixed(1)}% of ${of})` }, count ? String(count) : '');
        if (i === j) cell.className = 'diag';
        else if (count) cell.style.setProperty('--heat', String(0.12 + 0.88 * (count / max)));
        return cell;
      })));
  return h('table', { class: digits ? 'confusion' : 'confusion named' },
    h('caption', { class: 'sr-only' }, `Confusion matrix: rows are the true ${digits ? 'digits' : 'classes'}, columns the predicted ones`),
    h('thead', {}, head), h('tbody', {}, body));
}

/** Misclassified digits shown at most. */
export const GALLERY_SIZE = 48;

// Gallery tiles are made once, while the page loads, and then only repainted: creating dozens of
// canvases during training would cost a long main-thread task.
// Each tile is a button: picking a digit shows what the network thinks of it, on the drawing pad.
const tiles = Array.from({ length: GALLERY_SIZE }, () => {
  const canvas = h('canvas', { width: 28, height: 28, 'aria-hidden': 'true' });
  canvas.getContext('2d');
  const caption = h('span', { class: 'caption' });
  return { canvas, caption, button: h('button', { type: 'button', class: 'digit' }, canvas, caption) };
});
// The tiles stay in one container and keep their places, so a focused tile keeps its focus
// when the gallery is refreshed after an epoch.
const digits = h('div', { class: 'digits' });
const galleryNote = h('p', { class: 'muted small' });

/** Shows a run's test results; onPick(pixels) gets the 784 bytes of a gallery image picked; data
 * names the run's dataset (its class names label the matrix and the gallery). */
export function renderResults({ accEl, confusionEl, galleryEl }, result, onPick, data = 'mnist') {
  const name = (k) => className(data, k);
  const isDigits = DATASETS[data]?.classWord !== 'class';
  if (!result) {
    accEl.textContent = '–';
    confusionEl.replaceChildren(h('p', { class: 'muted' }, 'Appears after the first epoch.'));
    galleryEl.replaceChildren(h('p', { class: 'muted' }, 'Appears after the first epoch.'));
    return;
  }
  const { confusion, wrong, errors, total } = result;
  accEl.textContent = `${(((total - errors) / total) * 100).toFixed(2)}% test accuracy`;
  accEl.title = `${total - errors} of ${total} test ${isDigits ? 'digits' : 'images'} right`;
  confusionEl.replaceChildren(confusionTable(confusion, data));
  if (!wrong.length) {
    galleryEl.replaceChildren(h('p', { class: 'muted' }, `No test ${isDigits ? 'digit' : 'image'} was misclassified.`));
    return;
  }
  const items = wrong.slice(0, GALLERY_SIZE).map((w, i) => {
    const t = tiles[i];
    paintDigit(t.canvas, w.image);
    t.button.setAttribute('aria-label', `Test image ${w.index}: a ${name(w.label)} read as ${name(w.predicted)}. Show it on the pad.`);
    t.button.onclick = () => onPick(w.image);
    t.button.classList.toggle('named', !isDigits);
    t.caption.replaceChildren(h('b', {}, name(w.predicted)), isDigits ? ` (${w.label})` : h('span', {}, ` (${name(w.label)})`));
    return t.button;
  });
  const legend = `${isDigits ? 'Big number' : 'Bold'} = predicted, (true label); pick one to see all ten probabilities.`;
  const note = errors > wrong.length ? `First ${wrong.length} of ${errors} mistakes. ${legend}` : legend;
  while (digits.children.length > items.length) digits.lastChild.remove();
  for (let i = digits.children.length; i < items.length; i++) digits.append(items[i]);
  galleryNote.textContent = note;
  if (galleryEl.firstChild !== digits) galleryEl.replaceChildren(digits, galleryNote);
}
