// The largest network the limits allow, an mlp of 30 hidden layers of 512 units (8.0 M parameters)
// at the largest batch, allocates its buffers once and trains an epoch in the page's worker in both
// browsers without running out of memory; a width past the limit is clamped with a warning.
// Needs `make web`.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { BROWSERS, openLab, ready, requireSite, trainToEnd } from './browser.mjs';

const LARGEST = 'model=mlp&depth=30&width=512&bs=512&n=512&val=0&test=100&ep=1';

before(() => requireSite());

for (const name of BROWSERS) {
  test(`${name} trains the largest allowed network`, async () => {
    const lab = await openLab(name);
    try {
      const tab = await lab.page(LARGEST);
      await ready(tab);
      const s = await trainToEnd(tab);
      assert.equal(s.runs[0].status, 'done');
      assert.deepEqual(tab.errors, []);
      const status = await tab.evaluate(() => document.body.innerText);
      assert.doesNotMatch(status, /out of memory|no memory/i);
    } finally {
      await lab.close();
    }
  });
}

test('a width past the limit is clamped with a warning naming it', async () => {
  const lab = await openLab('chromium');
  try {
    const tab = await lab.page('model=mlp&depth=2&width=600&n=200&val=0&test=100&ep=1');
    await ready(tab);
    const text = await tab.evaluate(() => document.body.innerText);
    assert.match(text, /width: 600 is above the maximum 512/);
  } finally {
    await lab.close();
  }
});
