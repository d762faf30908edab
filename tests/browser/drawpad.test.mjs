// The drawing pad's preprocessing, which runs without a browser: the ink's box scaled to 20x20
// and its centre of mass moved to the middle of 28x28, as MNIST was made.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toMnist } from '../../web/page/drawpad.mjs';

function pad(side, fill) {
  const gray = new Uint8Array(side * side);
  for (let y = 0; y < side; y++) for (let x = 0; x < side; x++) gray[y * side + x] = fill(x, y);
  return gray;
}

function massCentre(pixels) {
  let m = 0;
  let mx = 0;
  let my = 0;
  pixels.forEach((v, i) => {
    m += v;
    mx += v * ((i % 28) + 0.5);
    my += v * (Math.floor(i / 28) + 0.5);
  });
  return { m, x: mx / m, y: my / m };
}

test('an empty pad gives nothing to predict', () => {
  assert.equal(toMnist(new Uint8Array(280 * 280), 280), null);
});

test('a square in a corner becomes a 20x20 block centred by mass', () => {
  const out = toMnist(pad(280, (x, y) => (x >= 10 && x < 110 && y >= 150 && y < 250 ? 255 : 0)), 280);
  assert.equal(out.length, 784);
  const c = massCentre(out);
  assert.ok(Math.abs(c.x - 14) < 0.01 && Math.abs(c.y - 14) < 0.01, `centre ${c.x}, ${c.y}`);
  assert.ok(Math.abs(c.m - 400) < 1, `ink ${c.m}`);
  assert.ok(out.every((v) => v >= 0 && v <= 1));
});

test('a tall stroke keeps its aspect ratio: 20 pixels high', () => {
  const out = toMnist(pad(280, (x, y) => (x >= 130 && x < 150 && y >= 40 && y < 240 ? 255 : 0)), 280);
  const rows = new Set();
  const cols = new Set();
  out.forEach((v, i) => {
    if (v > 0) {
      rows.add(Math.floor(i / 28));
      cols.add(i % 28);
    }
  });
  assert.equal(rows.size, 20);
  assert.equal(cols.size, 2);
});
