// Test-set results of the inspected run: accuracy, confusion matrix and misclassified digits.
import { h } from './dom.mjs';

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

function confusionTable(confusion) {
  const max = Math.max(1, ...confusion.flatMap((row, i) => row.filter((_, j) => j !== i)));
  const rowTotals = confusion.map((row) => row.reduce((a, b) => a + b, 0));
  const head = h('tr', {}, h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'true \\ predicted')),
    confusion.map((_, j) => h('th', { scope: 'col' }, String(j))));
  const body = confusion.map((row, i) =>
    h('tr', {}, h('th', { scope: 'row' }, String(i)),
      row.map((count, j) => {
        const share = rowTotals[i] ? count / rowTotals[i] : 0;
        const cell = h('td', { title: `true ${i}, predicted ${j}: ${count} (${(share * 100).toFixed(1)}% of the ${i}s)` }, count ? String(count) : '');
        if (i === j) cell.className = 'diag';
        else if (count) cell.style.setProperty('--heat', String(0.12 + 0.88 * (count / max)));
        return cell;
      })));
  return h('table', { class: 'confusion' },
    h('caption', { class: 'sr-only' }, 'Confusion matrix: rows are the true digits, columns the predicted ones'),
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

/** Shows a run's test results; onPick(pixels) gets the 784 bytes of a gallery digit picked. */
export function renderResults({ accEl, confusionEl, galleryEl }, result, onPick) {
  if (!result) {
    accEl.textContent = '–';
    confusionEl.replaceChildren(h('p', { class: 'muted' }, 'Appears after the first epoch.'));
    galleryEl.replaceChildren(h('p', { class: 'muted' }, 'Appears after the first epoch.'));
    return;
  }
  const { confusion, wrong, errors, total } = result;
  accEl.textContent = `${(((total - errors) / total) * 100).toFixed(2)}% test accuracy`;
  accEl.title = `${total - errors} of ${total} test digits right`;
  confusionEl.replaceChildren(confusionTable(confusion));
  if (!wrong.length) {
    galleryEl.replaceChildren(h('p', { class: 'muted' }, 'No test digit was misclassified.'));
    return;
  }
  const items = wrong.slice(0, GALLERY_SIZE).map((w, i) => {
    const t = tiles[i];
    paintDigit(t.canvas, w.image);
    t.button.setAttribute('aria-label', `Test image ${w.index}: a ${w.label} read as ${w.predicted}. Show it on the pad.`);
    t.button.onclick = () => onPick(w.image);
    t.caption.replaceChildren(h('b', {}, String(w.predicted)), ` (${w.label})`);
    return t.button;
  });
  const note = errors > wrong.length
    ? `First ${wrong.length} of ${errors} mistakes. Big number = predicted, (true label); pick one to see all ten probabilities.`
    : 'Big number = predicted, (true label); pick one to see all ten probabilities.';
  while (digits.children.length > items.length) digits.lastChild.remove();
  for (let i = digits.children.length; i < items.length; i++) digits.append(items[i]);
  galleryNote.textContent = note;
  if (galleryEl.firstChild !== digits) galleryEl.replaceChildren(digits, galleryNote);
}
