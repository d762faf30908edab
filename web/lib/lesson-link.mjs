/**
 * lesson-link.mjs - the link-level part of a lesson link: which settings a student may not change
 * (lock), which are not shown at all (hide), and a short plain-text prompt. Pure module, shared by
 * the page and Node.
 *
 * A lesson link is an experiment link (config.mjs) whose first run also holds these keys, e.g.
 *   #lock=drop1,drop2&hide=seed&prompt=Change%20only%20the%20dropout…&v=1&act=relu&…
 * They may stand anywhere in the first run; config.mjs skips them (LINK_LEVEL_KEYS), this module
 * reads them. They are validated like any setting: unknown keys in lock or hide are dropped with a
 * warning, a prompt is cut to PROMPT_MAX characters and cleaned of control and bidi characters;
 * nothing is ever thrown. The prompt is text and stays text: the page shows it with textContent.
 * A hidden setting keeps the link's value and cannot be changed either (it counts as locked).
 */
import { SCHEMA, fragmentOf } from './config.mjs';

/** Longest prompt, in characters (code points). */
export const PROMPT_MAX = 280;
/** The keys this module owns in a link. */
export const LESSON_KEYS = Object.freeze(['lock', 'hide', 'prompt']);

const SCHEMA_KEYS = SCHEMA.map((e) => e.key);
const MAX_ECHO = 40;
// C0/C1 controls except tab and newline, bidi embeddings/overrides/isolates, line/paragraph
// separators, zero-width joiners used for spoofing, and lone surrogates.
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function echo(text) {
  const chars = Array.from(String(text));
  const s = chars.length > MAX_ECHO ? chars.slice(0, MAX_ECHO).join('') + '…' : chars.join('');
  return `'${s.replace(UNSAFE, '\ufffd').replace(/[\t\n]/g, ' ')}'`;
}

/** An empty lesson: nothing locked or hidden, no prompt. */
export function emptyLesson() {
  return { lock: [], hide: [], prompt: '' };
}

/** Whether a lesson restricts or says anything. */
export function isLesson(lesson) {
  return Boolean(lesson && (lesson.lock.length || lesson.hide.length || lesson.prompt));
}

/**
 * A prompt as it will be shown: plain text, tabs as spaces, at most two line breaks in a row, no
 * control or bidi characters, trimmed, at most PROMPT_MAX characters.
 * @returns {{prompt: string, changed: string[]}} the clean text and what was changed
 */
export function cleanPrompt(text) {
  const changed = [];
  let s = typeof text === 'string' ? text : '';
  const safe = s.replace(/\r\n?/g, '\n').replace(/\t/g, ' ').replace(UNSAFE, '');
  if (safe !== s.replace(/\r\n?/g, '\n').replace(/\t/g, ' ')) changed.push('removed control or direction characters');
  s = safe.replace(/\n{3,}/g, '\n\n').replace(/[ ]+\n/g, '\n').trim();
  const chars = Array.from(s);
  if (chars.length > PROMPT_MAX) {
    s = chars.slice(0, PROMPT_MAX).join('').trimEnd();
    changed.push(`cut to ${PROMPT_MAX} characters`);
  }
  return { prompt: s, changed };
}

/** Setting keys from a comma-separated list, in schema order; unknown ones warned. */
function readKeys(name, text, warn) {
  const wanted = new Set();
  for (const part of String(text).split(',')) {
    const key = part.trim();
    if (key === '') continue;
    if (SCHEMA_KEYS.includes(key)) wanted.add(key);
    else warn(`${name}: unknown setting ${echo(key)} ignored`);
  }
  return SCHEMA_KEYS.filter((k) => wanted.has(k));
}

function decode(text, warn) {
  try {
    return decodeURIComponent(text.replace(/\+/g, '%20'));
  } catch {
    warn(`bad %-encoding in ${echo(text)}; ignored`);
    return undefined;
  }
}

/**
 * Reads the lesson part of a link. Never throws.
 * @param {*} input a whole link, a hash or a bare fragment
 * @returns {{lesson: {lock: string[], hide: string[], prompt: string}, warnings: string[], experiment: string}}
 *   experiment: the fragment without the lesson keys, for config.mjs's parseLink
 */
export function parseLesson(input) {
  const warnings = [];
  const warn = (m) => { if (warnings.length < 20) warnings.push(m); };
  const fragment = fragmentOf(input).slice(0, 8192);
  const cut = fragment.indexOf('~');
  const first = cut >= 0 ? fragment.slice(0, cut) : fragment;
  const rest = cut >= 0 ? fragment.slice(cut) : '';
  const lesson = emptyLesson();
  const seen = new Set();
  const kept = [];
  for (const pair of first.split('&')) {
    const eq = pair.indexOf('=');
    const key = eq >= 0 ? pair.slice(0, eq) : pair;
    if (!LESSON_KEYS.includes(key)) {
      if (pair !== '') kept.push(pair);
      continue;
    }
    if (seen.has(key)) warn(`${key} given more than once; the last value wins`);
    seen.add(key);
    const value = decode(eq >= 0 ? pair.slice(eq + 1) : '', warn);
    if (value === undefined) continue;
    if (key === 'prompt') {
      const { prompt, changed } = cleanPrompt(value);
      for (const c of changed) warn(`prompt: ${c}`);
      lesson.prompt = prompt;
    } else {
      lesson[key] = readKeys(key, value, warn);
    }
  }
  return { lesson, warnings, experiment: kept.join('&') + rest };
}

/**
 * The lesson keys as link text ('' for an empty lesson), to put before an experiment's fragment.
 * Invalid parts are dropped as parseLesson would.
 */
export function serializeLesson(lesson) {
  if (!lesson) return '';
  const ignore = () => {};
  const lock = readKeys('lock', (lesson.lock ?? []).join(','), ignore);
  const hide = readKeys('hide', (lesson.hide ?? []).join(','), ignore);
  const { prompt } = cleanPrompt(lesson.prompt ?? '');
  const parts = [];
  if (lock.length) parts.push(`lock=${lock.join(',')}`);
  if (hide.length) parts.push(`hide=${hide.join(',')}`);
  // encodeURIComponent leaves ! ' ( ) * ~ as they are; '~' separates runs and '!' starts a sweep's
  // part of a link, so every one of them is escaped.
  if (prompt) parts.push(`prompt=${encodeURIComponent(prompt).replace(/[!'()*~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`);
  return parts.join('&');
}

/**
 * A lesson link's fragment: the lesson keys, then the experiment's fragment (config.mjs).
 * @param {object} lesson
 * @param {string} experiment e.g. serializeLink(runs)
 */
export function lessonFragment(lesson, experiment) {
  const head = serializeLesson(lesson);
  return head ? `${head}&${experiment}` : experiment;
}

/** Whether a setting may be changed under the lesson (hidden settings are locked too). */
export function isLocked(lesson, key) {
  return Boolean(lesson && (lesson.lock.includes(key) || lesson.hide.includes(key)));
}

/**
 * Keeps the locked settings of a config at the lesson's values: the page applies it to every
 * change, so a locked setting cannot move whatever the control does.
 * @param {object} lesson
 * @param {object} config the wanted config
 * @param {object} pinned the config the lesson link set
 * @returns {{config: object, refused: string[]}}
 */
export function enforceLocks(lesson, config, pinned) {
  const out = { ...config };
  const refused = [];
  for (const key of SCHEMA_KEYS) {
    if (isLocked(lesson, key) && String(out[key]) !== String(pinned[key])) {
      out[key] = pinned[key];
      refused.push(key);
    }
  }
  return { config: out, refused };
}
