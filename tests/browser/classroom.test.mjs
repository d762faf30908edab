// Ready for a classroom, in real browsers: lesson links (prompt as text, locked and hidden
// settings, Unlock all, the teacher's builder), KaTeX formulas, predict-then-run, the curve
// diagnosis, and working offline after the first visit. Needs `make web`.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseLesson } from '../../web/lib/lesson-link.mjs';
import { SCHEMA_PLAIN } from '../../web/lib/tex.mjs';
import { BROWSERS, SCREENSHOTS, openLab, ready, requireSite, snapshot, trainToEnd, waitFor } from './browser.mjs';

before(async () => {
  await requireSite();
  await mkdir(SCREENSHOTS, { recursive: true });
});

const HOSTILE = 'Change only the dropout rate <img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script> & explain \u202eevil';
const LESSON = `lock=act,drop2&hide=seed,opt&prompt=${encodeURIComponent(HOSTILE)}&v=1&n=500&val=200&test=500&ep=2&drop1=0.2`;

for (const name of BROWSERS) {
  test(`${name}: a lesson link shows its prompt as text, locks and hides settings, and Unlock all frees them`, async () => {
    const lab = await openLab(name);
    try {
      const tab = await lab.page(LESSON);
      await waitFor(() => tab.evaluate(() => !document.querySelector('#lesson')?.hidden), 'the lesson banner');
      const expected = parseLesson(`#${LESSON}`).lesson.prompt;
      assert.equal(await tab.text('#lesson .lesson-prompt'), expected);
      assert.ok(expected.includes('<img src=x') && !expected.includes('\u202e'));
      assert.equal(await tab.count('#lesson img, #lesson script, #notices img'), 0, 'the prompt injected markup');
      assert.equal(await tab.evaluate(() => globalThis.__pwned ?? null), null);
      // locked: disabled with a badge that explains; hidden: not shown at all
      assert.equal(await tab.evaluate(() => document.querySelector('#cfg-drop2').disabled), true);
      assert.equal(await tab.evaluate(() => document.querySelector('#cfg-act').disabled), true);
      assert.match(await tab.text('[data-key="drop2"] .lock-badge'), /Locked/);
      assert.match(await tab.attribute('[data-key="drop2"] .lock-badge', 'title'), /Locked by this lesson/);
      assert.equal(await tab.evaluate(() => document.querySelector('[data-key="seed"]').hidden), true);
      assert.equal(await tab.evaluate(() => document.querySelector('#cfg-drop1').disabled), false);
      assert.equal(await tab.evaluate(() => document.querySelector('#presets').disabled), true, 'no guided experiment replaces a locking lesson');
      // a change forced onto a locked control is refused and put back; a free one goes through
      await tab.evaluate(() => {
        for (const [id, v] of [['#cfg-drop2', '0.7'], ['#cfg-drop1', '0.4']]) {
          const el = document.querySelector(id);
          el.disabled = false;
          el.value = v;
          el.dispatchEvent(new Event('input', { bubbles: true }));
        }
      });
      await waitFor(async () => (await tab.value('#cfg-drop2')) === '0', 'the locked value to come back');
      const hash = await tab.evaluate(() => location.hash);
      assert.match(hash, /&drop2=0&/);
      assert.match(hash, /&drop1=0\.4&/);
      assert.match(hash, /^#lock=act,drop2&hide=opt,seed&prompt=/, 'the lesson stays in the link');
      assert.match(await tab.text('#status'), /Locked by the lesson: drop2/);
      await tab.screenshot(join(SCREENSHOTS, `classroom-lesson-${name}.png`));
      // the teacher's one click
      await tab.click('#unlock-all');
      await waitFor(() => tab.evaluate(() => !document.querySelector('#cfg-drop2').disabled), 'the settings to unlock');
      assert.equal(await tab.evaluate(() => document.querySelector('[data-key="seed"]').hidden), false);
      assert.equal(await tab.count('.lock-badge'), 0);
      assert.equal(await tab.evaluate(() => document.querySelector('#presets').disabled), false);
      assert.ok(!(await tab.evaluate(() => location.hash)).includes('lock='));
      assert.deepEqual(tab.errors, []);
    } finally {
      await lab.close();
    }
  });
}

test('chromium: the teacher makes a lesson link from the page', async () => {
  const lab = await openLab('chromium');
  try {
    const tab = await lab.page('v=1&drop1=0.5');
    await tab.click('#lesson-builder summary');
    await tab.click('input[name="lesson-lock"][value="drop2"]');
    await tab.click('input[name="lesson-hide"][value="seed"]');
    await tab.raw.fill('#lesson-prompt', 'Change only dropout after fc1. What happens to the gap?');
    const link = await tab.value('#lesson-link');
    const { lesson, warnings } = parseLesson(link);
    assert.deepEqual(warnings, []);
    assert.deepEqual(lesson, { lock: ['drop2'], hide: ['seed'], prompt: 'Change only dropout after fc1. What happens to the gap?' });
    assert.match(link, /&drop1=0\.5&/);
    await tab.click('#copy-lesson');
    await waitFor(() => tab.text('#lesson-builder [aria-live]:last-child'), 'the copy note');
    assert.deepEqual(tab.errors, []);
  } finally {
    await lab.close();
  }
});

// A picture of one element, in either browser.
async function elementShot(tab, name, selector, file) {
  const path = join(SCREENSHOTS, file);
  if (name === 'chromium') await tab.raw.locator(selector).first().screenshot({ path });
  else await (await tab.raw.$(selector)).screenshot({ path });
}

for (const name of BROWSERS) {
  test(`${name}: KaTeX typesets the L2 formula in the help, keeping the plain text`, async () => {
    const lab = await openLab(name);
    try {
      const tab = await lab.page('v=1&reg=l2');
      await tab.click('[data-key="reg"] .help-toggle');
      await waitFor(() => tab.count('[data-key="reg"] .help .katex'), 'KaTeX markup in the regulariser help');
      assert.ok(await tab.count('[data-key="reg"] .help .katex-mathml math'), 'MathML for screen readers');
      assert.equal(await tab.attribute('[data-key="reg"] .formula-tex', 'data-plain'), SCHEMA_PLAIN.reg);
      assert.equal(await tab.text('[data-key="reg"] .formula-tex .sr-only'), SCHEMA_PLAIN.reg);
      assert.match(await tab.text('[data-key="reg"] .formula-tex .katex-mathml annotation'), /L_2&=\\lambda\\sum w\^2/);
      assert.equal(await tab.count('.katex-error'), 0);
      // KaTeX's fonts come from the build
      await waitFor(() => tab.evaluate(() => document.fonts.check('16px KaTeX_Main')), 'the KaTeX fonts');
      if (name === 'chromium') {
        // copying the formula gives its plain text
        const copied = await tab.evaluate(() => {
          const el = document.querySelector('[data-key="reg"] .formula-katex');
          const range = document.createRange();
          range.selectNodeContents(el);
          getSelection().removeAllRanges();
          getSelection().addRange(range);
          const data = new DataTransfer();
          document.dispatchEvent(new ClipboardEvent('copy', { clipboardData: data, bubbles: true, cancelable: true }));
          getSelection().removeAllRanges();
          return data.getData('text/plain');
        });
        assert.equal(copied, SCHEMA_PLAIN.reg);
      }
      await tab.raw.evaluate(() => document.querySelector('[data-key="reg"]').scrollIntoView());
      await tab.screenshot(join(SCREENSHOTS, `classroom-katex-${name}.png`));
      await elementShot(tab, name, '[data-key="reg"]', `classroom-katex-help-${name}.png`);
      assert.deepEqual(tab.errors, []);
    } finally {
      await lab.close();
    }
  });
}

for (const name of BROWSERS) {
test(`${name}: predict, then run: the choice is recorded and the result revealed beside it`, async () => {
  const lab = await openLab(name);
  try {
    const tab = await lab.page();
    await ready(tab);
    await tab.evaluate(() => {
      const select = document.querySelector('#presets');
      select.value = 'exploding';
      select.dispatchEvent(new Event('change', { bubbles: true }));
    });
    await tab.click('#open-experiment');
    await waitFor(() => tab.count('#predict input[type=radio]'), 'the prediction question');
    assert.match(await tab.text('#predict legend'), /Which run will diverge\?/);
    await tab.click('#predict input[value="1"]');
    await tab.click('#predict-lock');
    assert.equal(await tab.attribute('#predict', 'data-choice'), '1');
    assert.match(await tab.text('#predict .predict-status'), /Your prediction: η = 0\.01/);
    assert.equal(await tab.evaluate(() => document.querySelector('#predict .predict-reveal').hidden), true);
    await trainToEnd(tab, 2);
    await waitFor(() => tab.evaluate(() => !document.querySelector('#predict .predict-reveal').hidden), 'the reveal');
    const s = await snapshot(tab);
    const diverged = s.runs.flatMap((r, i) => (r.stopReason === 'diverged' ? [i] : []));
    assert.deepEqual(diverged, [0]);
    assert.equal(await tab.attribute('#predict', 'data-answer'), diverged.join(','));
    const reveal = await tab.text('#predict .predict-reveal');
    assert.match(reveal, /Not this time\. You predicted η = 0\.01\. η = 10 diverged\./);
    assert.match(reveal, /\(your pick\)/);
    await elementShot(tab, name, '#predict', `classroom-predict-${name}.png`);
    // the diagnosis of the diverged run, with a link to its chart
    await tab.click('#run-list li:first-child .run-pick');
    await waitFor(() => tab.count('.diagnosis-note[data-rule="divergence"]'), 'the divergence note');
    assert.match(await tab.text('.diagnosis-note[data-rule="divergence"]'), /Diverged at step \d+.*step \d+/s);
    await tab.click('.diagnosis-note[data-rule="divergence"] button');
    await waitFor(() => tab.count('[data-chart="loss"].chart-highlight'), 'the loss chart to be highlighted');
    await tab.screenshot(join(SCREENSHOTS, `classroom-diagnosis-${name}.png`));
    await elementShot(tab, name, '#diagnosis', `classroom-diagnosis-note-${name}.png`);
    assert.deepEqual(tab.errors.filter((e) => !/diverged/.test(e)), []);
  } finally {
    await lab.close();
  }
});
}

test('chromium: dead ReLUs are diagnosed from the core\'s numbers, with the activations chart', async () => {
  const lab = await openLab('chromium');
  try {
    const tab = await lab.page('v=1&n=1000&val=200&test=200&ep=2&lr=0.05');
    await ready(tab);
    const s = await trainToEnd(tab, 1);
    const dead = s.runs[0].epochs.at(-1).dead;
    assert.ok(dead.some((x) => x >= 0.5), `dead shares ${dead}`);
    await waitFor(() => tab.count('.diagnosis-note[data-rule="dead-relu"]'), 'a dead-ReLU note');
    await tab.click('.diagnosis-note[data-rule="dead-relu"] button');
    await waitFor(() => tab.count('[data-chart="activations"].chart-highlight'), 'the activations chart to be highlighted');
    assert.deepEqual(tab.errors, []);
  } finally {
    await lab.close();
  }
});

// Offline: visit once, stop the server, reload, train.
for (const name of BROWSERS) {
  test(`${name}: after one visit the page reloads and trains with the server gone`, async (t) => {
    const lab = await openLab(name);
    try {
      const tab = await lab.page('v=1&n=500&val=100&test=200&ep=1');
      await ready(tab);
      const supported = await tab.evaluate(() => 'serviceWorker' in navigator);
      if (!supported) {
        t.skip(`${name} offers no service worker here`);
        return;
      }
      const status = await waitFor(async () => {
        const el = await tab.evaluate(() => ({ ready: document.querySelector('#offline-status')?.dataset.ready, text: document.querySelector('#offline-status')?.textContent }));
        return el.ready === 'true' && el.text;
      }, 'the page to be ready offline', { timeout: 90_000 });
      assert.match(status, /^Ready offline: \d+(\.\d)? MB stored$/);
      const mb = Number(/([\d.]+) MB/.exec(status)[1]);
      assert.ok(mb >= 11, `only ${mb} MB stored`);
      await lab.stopServer();
      await tab.raw.reload();
      await ready(tab);
      const s = await trainToEnd(tab, 1);
      assert.equal(s.runs[0].stopReason, 'epochs');
      assert.ok(s.runs[0].epochs[0].testAcc > 0.2, 'it learnt (chance is 0.1)');
      await tab.screenshot(join(SCREENSHOTS, `classroom-offline-${name}.png`));
      assert.deepEqual(tab.errors.filter((e) => !/ERR_CONNECTION_REFUSED|NS_ERROR_CONNECTION_REFUSED/.test(e)), []);
    } finally {
      await lab.close();
    }
  });
}
