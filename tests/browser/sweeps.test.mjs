// Sweeps, seeds and result links in the page (Chromium): a 6-value λ sweep trains on the workers
// and its summary chart and table show 6 runs; its link with results draws at once without
// training, and Reproduce marks every run reproduced bit for bit; a link over the size limit is
// refused with a message. Needs `make web`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openLab, ready, requireSite, snapshot, waitFor } from './browser.mjs';

let lab;
before(async () => {
  await requireSite();
  lab = await openLab();
});
after(async () => {
  await lab?.close();
});

test('a λ sweep, its link with results, Reproduce, and the size limit', async () => {
  const { raw: page, errors } = await lab.page('n=300&val=100&test=200&ep=1&reg=l2');
  await ready(page);
  await page.selectOption('#sweep-key', 'lam');
  await page.fill('#sweep-values', 'log:1e-5..1e-1:6');
  await page.click('#sweep-run');
  await waitFor(async () => (await snapshot(page)).runs.length === 6, 'six runs');
  const done = await waitFor(async () => {
    const s = await snapshot(page);
    return s.runs.length === 6 && s.runs.every((r) => r.status === 'done') && s.sweep.rows === 6 ? s : null;
  }, 'the sweep to finish', { timeout: 240_000 });
  assert.match(done.link, /!sw=lam%3Dlog%3A1e-5\.\.1e-1%3A6$/);
  assert.deepEqual([done.sweep.points, done.sweep.visible], [6, true]);
  assert.deepEqual(done.runs.map((r) => r.config.lam), [1e-5, 6.31e-5, 3.98e-4, 2.51e-3, 1.58e-2, 0.1]);
  // Sorting the table by validation loss, and selecting rows, selects runs on the other charts.
  await page.click('#sweep-table button[data-column="finalValLoss"]');
  await page.click('#sweep-table tbody tr:first-child');
  await waitFor(async () => (await snapshot(page)).runs.filter((r) => r.visible !== false).length >= 1, 'a selection');

  const link = await page.evaluate(() => globalThis.lenetLab.linkWithResults());
  assert.match(link, /!sw=.*&r=[A-Za-z0-9_-]+$/);
  const shared = await lab.page(link.slice(link.indexOf('#') + 1));
  await ready(shared.raw);
  const s1 = await waitFor(async () => {
    const s = await snapshot(shared.raw);
    return s.runs.length === 6 && s.sweep.rows === 6 ? s : null;
  }, 'the shared runs to draw');
  assert.ok(s1.runs.every((r) => r.shared && !r.started && r.reproduction === 'shared result' && r.epochs.length === 1), 'drawn without training');
  assert.deepEqual(s1.runs.map((r) => r.epochs[0].valLoss), done.runs.map((r) => r.epochs[0].valLoss));
  await shared.raw.click('#reproduce');
  const s2 = await waitFor(async () => {
    const s = await snapshot(shared.raw);
    return s.runs.every((r) => r.reproduction && r.reproduction !== 'shared result' && r.reproduction !== 'reproducing…') ? s : null;
  }, 'every run reproduced', { timeout: 240_000 });
  assert.deepEqual(s2.runs.map((r) => r.reproduction), Array(6).fill('reproduced bit for bit'));

  const big = await lab.page(`n=300!r=${'A'.repeat(33_000)}`);
  await waitFor(() => big.raw.locator('.notice-error').count(), 'the refusal');
  assert.match(await big.raw.locator('.notice-error').first().textContent(), /This link was not opened.*33009 characters long, more than the 32768 a link may have/s);
  assert.equal((await snapshot(big.raw)).runs.length, 0);
  assert.deepEqual([...errors, ...shared.errors], []);
  await page.close();
  await shared.raw.close();
  await big.raw.close();
});

test('forking a finished run at epoch 1: the child shares epoch 1 and trains on with its own settings', async () => {
  const { raw: page, errors } = await lab.page('n=300&val=100&test=200&ep=2');
  await ready(page);
  await page.click('#btn-train');
  const parent = await waitFor(async () => {
    const s = await snapshot(page);
    return s.runs[0]?.status === 'done' ? s.runs[0] : null;
  }, 'the run to finish', { timeout: 120_000 });
  await page.fill('#fork-epoch', '1');
  await page.click('#fork');
  const child = await waitFor(async () => {
    const s = await snapshot(page);
    return s.runs[1]?.status === 'done' ? s.runs[1] : null;
  }, 'the fork to finish', { timeout: 120_000 });
  assert.deepEqual(child.epochs[0], parent.epochs[0]);
  assert.deepEqual(child.epochs[1], parent.epochs[1], 'the same settings continue exactly as the parent did');
  assert.deepEqual(errors, []);
  await page.close();
});

test('Repeat with 3 seeds turns a run into a group drawn as a band; two groups get a verdict', async () => {
  const { raw: page, errors } = await lab.page('n=300&val=100&test=200&ep=2');
  await ready(page);
  await page.click('#btn-train');
  await waitFor(async () => (await snapshot(page)).runs[0]?.status === 'done', 'the run to finish', { timeout: 120_000 });
  await page.fill('#sweep-seeds', '3');
  await page.click('#sweep-repeat');
  const s = await waitFor(async () => {
    const x = await snapshot(page);
    return x.runs.length === 3 && x.runs.every((r) => r.status === 'done') && x.sweep.bands === 1 ? x : null;
  }, 'three seeds drawn as one band', { timeout: 120_000 });
  assert.deepEqual(s.runs.map((r) => r.config.seed), [1, 2, 3]);
  assert.match(s.link, /!seeds=3$/);
  // Two settings over 2 seeds each: two bands and a plain statement.
  await page.selectOption('#sweep-key', 'lr');
  await page.fill('#sweep-values', '0.001,0.003');
  await page.fill('#sweep-seeds', '2');
  await page.click('#sweep-run');
  await waitFor(async () => {
    const x = await snapshot(page);
    return x.runs.length === 4 && x.runs.every((r) => r.status === 'done') && x.sweep.bands === 2;
  }, 'two groups', { timeout: 120_000 });
  assert.match(await page.locator('#seed-verdict').textContent(), /^Final test accuracy: .* (exceeds|is within) the spread between seeds/);
  assert.deepEqual(errors, []);
  await page.close();
});
