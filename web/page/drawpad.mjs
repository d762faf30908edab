// A drawing pad for mouse, touch and pen, and the MNIST-style preprocessing of what is drawn:
// the ink's bounding box scaled to fit 20x20 (area-averaged), then placed in 28x28 so that its
// centre of mass sits at the centre, as in the original dataset.

const SIDE = 280;
const INK = 20;
const LIVE_EVERY_MS = 150;

export function toMnist(gray, side) {
  let x0 = side;
  let y0 = side;
  let x1 = -1;
  let y1 = -1;
  let mass = 0;
  let mx = 0;
  let my = 0;
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const v = gray[y * side + x];
      if (v < 8) continue;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
      mass += v;
      mx += v * (x + 0.5);
      my += v * (y + 0.5);
    }
  }
  if (mass === 0) return null;
  const s = 20 / Math.max(x1 - x0 + 1, y1 - y0 + 1);
  // Offsets that put the centre of mass at (14, 14), moved if needed so the whole box stays on the
  // 28x28 grid: the box's near edge (o + lo·s) is clamped to [0, 28 − size·s].
  const clamp = (o, lo, size) => Math.min(28 - size * s, Math.max(0, o + lo * s)) - lo * s;
  const ox = clamp(14 - (mx / mass) * s, x0, x1 - x0 + 1);
  const oy = clamp(14 - (my / mass) * s, y0, y1 - y0 + 1);
  const out = new Float32Array(784);
  const area = s * s;
  for (let y = y0; y <= y1; y++) {
    const ty = Math.floor(oy + (y + 0.5) * s);
    if (ty < 0 || ty > 27) continue;
    for (let x = x0; x <= x1; x++) {
      const tx = Math.floor(ox + (x + 0.5) * s);
      if (tx < 0 || tx > 27) continue;
      out[ty * 28 + tx] += (gray[y * side + x] / 255) * area;
    }
  }
  for (let i = 0; i < 784; i++) out[i] = Math.min(1, out[i]);
  return out;
}

/** Wires the pad; onDigit(pixels | null) gets 784 values in [0, 1] while and after drawing. */
export function createDrawPad(canvas, preview, clearButton, onDigit) {
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  const pctx = preview.getContext('2d');
  let drawing = false;
  let last = null;
  let lastLive = 0;

  function clear() {
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, SIDE, SIDE);
    pctx.fillStyle = '#000';
    pctx.fillRect(0, 0, 28, 28);
  }

  function emit() {
    const rgba = ctx.getImageData(0, 0, SIDE, SIDE).data;
    const gray = new Uint8Array(SIDE * SIDE);
    for (let i = 0; i < gray.length; i++) gray[i] = rgba[i * 4];
    const pixels = toMnist(gray, SIDE);
    const img = pctx.createImageData(28, 28);
    for (let i = 0; i < 784; i++) {
      const v = pixels ? Math.round(pixels[i] * 255) : 0;
      img.data.set([v, v, v, 255], i * 4);
    }
    pctx.putImageData(img, 0, 0);
    onDigit(pixels);
  }

  const at = (ev) => {
    const r = canvas.getBoundingClientRect();
    return { x: ((ev.clientX - r.left) / r.width) * SIDE, y: ((ev.clientY - r.top) / r.height) * SIDE };
  };

  function stroke(to) {
    ctx.strokeStyle = '#fff';
    ctx.fillStyle = '#fff';
    ctx.lineWidth = INK;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.beginPath();
    if (last) {
      ctx.moveTo(last.x, last.y);
      ctx.lineTo(to.x, to.y);
      ctx.stroke();
    } else {
      ctx.arc(to.x, to.y, INK / 2, 0, Math.PI * 2);
      ctx.fill();
    }
    last = to;
  }

  canvas.addEventListener('pointerdown', (ev) => {
    ev.preventDefault();
    canvas.setPointerCapture(ev.pointerId);
    drawing = true;
    last = null;
    stroke(at(ev));
  });
  canvas.addEventListener('pointermove', (ev) => {
    if (!drawing) return;
    for (const e of ev.getCoalescedEvents?.() ?? [ev]) stroke(at(e));
    if (performance.now() - lastLive > LIVE_EVERY_MS) {
      lastLive = performance.now();
      emit();
    }
  });
  const end = () => {
    if (!drawing) return;
    drawing = false;
    last = null;
    emit();
  };
  canvas.addEventListener('pointerup', end);
  canvas.addEventListener('pointercancel', end);
  clearButton.addEventListener('click', () => {
    clear();
    onDigit(null);
  });
  // The keyboard's way in: with the pad focused, a digit key writes that digit in the page's font,
  // which then goes through the same centring and scaling as a drawn one.
  canvas.tabIndex = 0;
  canvas.addEventListener('keydown', (ev) => {
    if (/^[0-9]$/.test(ev.key)) {
      ev.preventDefault();
      clear();
      ctx.fillStyle = '#fff';
      ctx.textAlign = 'center';
      ctx.textBaseline = 'middle';
      ctx.font = `bold ${Math.round(SIDE * 0.7)}px ${getComputedStyle(document.body).fontFamily}`;
      ctx.fillText(ev.key, SIDE / 2, SIDE / 2);
      emit();
    } else if (ev.key === 'Delete' || ev.key === 'Backspace') {
      ev.preventDefault();
      clear();
      onDigit(null);
    }
  });
  clear();
  return {
    /** Puts a 28x28 MNIST image (784 bytes) on the pad and the preview, as it is, without onDigit. */
    show(bytes) {
      const img = pctx.createImageData(28, 28);
      for (let i = 0; i < 784; i++) img.data.set([bytes[i], bytes[i], bytes[i], 255], i * 4);
      pctx.putImageData(img, 0, 0);
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(preview, 0, 0, SIDE, SIDE);
    },
  };
}
