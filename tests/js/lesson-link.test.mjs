// Lesson links (web/lib/lesson-link.mjs): lock, hide and prompt, validated like settings; a fuzz
// of hostile prompts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LINK_LEVEL_KEYS, parseLink, serializeLink, defaults } from '../../web/lib/config.mjs';
import {
  LESSON_KEYS, PROMPT_MAX, parseLesson, serializeLesson, lessonFragment, cleanPrompt, enforceLocks, isLocked, isLesson, emptyLesson,
} from '../../web/lib/lesson-link.mjs';

const BAD = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/;

test('the lesson keys are the link-level keys config.mjs skips', () => {
  assert.deepEqual([...LESSON_KEYS].sort(), [...LINK_LEVEL_KEYS].sort());
});

test('a lesson link reads back: lock, hide, prompt and the runs', () => {
  const runs = parseLink('n=1000&ep=5~drop1=0.5').runs;
  const lesson = { lock: ['drop2', 'act'], hide: ['seed'], prompt: 'Change only the dropout rate & explain what happens.' };
  const frag = lessonFragment(lesson, serializeLink(runs));
  assert.match(frag, /^lock=act,drop2&hide=seed&prompt=Change%20only/);
  const { lesson: back, warnings, experiment } = parseLesson(`http://127.0.0.1:8080/#${frag}`);
  assert.deepEqual(warnings, []);
  assert.deepEqual(back, { lock: ['act', 'drop2'], hide: ['seed'], prompt: lesson.prompt });
  const parsed = parseLink(experiment);
  assert.deepEqual(parsed.warnings, []);
  assert.deepEqual(parsed.runs, runs);
  // config.mjs alone reads the same runs from the whole link, in silence
  assert.deepEqual(parseLink(frag), { runs, warnings: [] });
  assert.ok(isLesson(back) && !isLesson(emptyLesson()));
  assert.equal(serializeLesson(emptyLesson()), '');
  assert.equal(lessonFragment(emptyLesson(), 'v=1'), 'v=1');
});

test('unknown keys in lock and hide are warned and dropped; repeats warned', () => {
  const { lesson, warnings } = parseLesson('#lock=drop1,bogus,,drop1,__proto__&hide=<b>x</b>&lock=lr,drop1&v=1');
  assert.deepEqual(lesson.lock, ['drop1', 'lr']);
  assert.deepEqual(lesson.hide, []);
  assert.equal(warnings.length, 4, warnings.join('\n'));
  assert.ok(warnings.some((w) => w.includes("'bogus'")));
  assert.ok(warnings.some((w) => w.includes('given more than once')));
});

test('locks hold: enforceLocks puts locked and hidden settings back', () => {
  const pinned = { ...defaults(), drop1: 0.5 };
  const lesson = { lock: ['drop1'], hide: ['seed'], prompt: '' };
  const { config, refused } = enforceLocks(lesson, { ...pinned, drop1: 0.2, seed: 7, lr: 0.01 }, pinned);
  assert.deepEqual(refused, ['drop1', 'seed']);
  assert.equal(config.drop1, 0.5);
  assert.equal(config.seed, 1);
  assert.equal(config.lr, 0.01);
  assert.ok(isLocked(lesson, 'seed') && isLocked(lesson, 'drop1') && !isLocked(lesson, 'lr'));
});

test('a prompt is cut to its length, cleaned, and never HTML-decoded', () => {
  const long = 'é'.repeat(400);
  const r = parseLesson(`prompt=${encodeURIComponent(long)}`);
  assert.equal(Array.from(r.lesson.prompt).length, PROMPT_MAX);
  assert.ok(r.warnings.some((w) => w.includes(`${PROMPT_MAX}`)));
  const html = '<img src=x onerror=alert(1)>&amp;<script>alert(2)</script>';
  assert.equal(parseLesson(`prompt=${encodeURIComponent(html)}`).lesson.prompt, html);
  assert.equal(cleanPrompt('a\u202eb\u0000c\r\n\n\n\nd\t e').prompt, 'abc\n\nd  e');
  assert.equal(parseLesson('prompt=%E0%A4%A').lesson.prompt, '');
  assert.equal(parseLesson('prompt=%E0%A4%A').warnings.length, 1);
  assert.equal(parseLesson('prompt=a+b').lesson.prompt, 'a b');
  // the characters a link uses as separators stay inside the prompt
  const tricky = "Runs ~ compared! (it's 2*3) & more = fun # here";
  const frag = lessonFragment({ lock: [], hide: [], prompt: tricky }, 'v=1&drop1=0.5~drop1=0');
  assert.equal(parseLesson(`#${frag}`).lesson.prompt, tricky);
  assert.equal(parseLink(frag).runs.length, 2);
  assert.ok(!/[~!#]/.test(frag.slice(0, frag.indexOf('&v=1'))));
});

// A seeded generator, so a failure can be replayed.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('fuzz: 3,000 hostile prompts and lesson parts never throw and come out clean', () => {
  const next = rng(20261130);
  const pieces = ['<script>alert(1)</script>', '"><svg onload=alert(1)>', '&lt;', '%', '%25', '%E2%80%AE', '\u202e', '\u2066',
    '\u0000', '\u001b[31m', '\ud800', '\udc00', '😀', '&', '=', '~', '#', 'lock=', 'prompt=', '\n', '\r', '\t', 'javascript:', '{{x}}',
    '${x}', 'a'.repeat(300), ' ', 'drop1', ',', '\u0085', '\ufeff', '\u200b'];
  for (let i = 0; i < 3000; i++) {
    const n = 1 + Math.floor(next() * 12);
    let raw = '';
    for (let j = 0; j < n; j++) raw += next() < 0.8 ? pieces[Math.floor(next() * pieces.length)] : String.fromCharCode(Math.floor(next() * 0xffff));
    const encoded = next() < 0.5 ? encodeURIComponent(raw.replace(/[\ud800-\udfff]/g, 'x')) : raw;
    const link = `#${next() < 0.5 ? `lock=${raw}&` : ''}prompt=${encoded}&v=1&drop1=0.5${next() < 0.3 ? `&hide=${raw}` : ''}`;
    const { lesson, warnings, experiment } = parseLesson(link);
    assert.equal(typeof lesson.prompt, 'string');
    assert.ok(Array.from(lesson.prompt).length <= PROMPT_MAX, `case ${i}: long`);
    assert.ok(!BAD.test(lesson.prompt), `case ${i}: unsafe character in ${JSON.stringify(lesson.prompt)}`);
    assert.ok(!/[\ud800-\udbff](?![\udc00-\udfff])/.test(lesson.prompt), `case ${i}: lone surrogate`);
    for (const w of warnings) assert.ok(!BAD.test(w) && w.length < 200, `case ${i}: warning ${JSON.stringify(w)}`);
    for (const k of [...lesson.lock, ...lesson.hide]) assert.ok(Object.hasOwn(defaults(), k));
    assert.ok(!/(^|&)(lock|hide|prompt)=/.test(experiment.split('~')[0]), `case ${i}: lesson keys left in ${experiment}`);
    // writing it back and reading again gives the same lesson (a fixed point)
    const again = parseLesson(lessonFragment(lesson, serializeLink(parseLink(experiment).runs)));
    assert.deepEqual(again.lesson, lesson, `case ${i}`);
    assert.deepEqual(again.warnings, [], `case ${i}`);
  }
});
