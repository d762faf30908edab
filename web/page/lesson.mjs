// Lesson links in the page: the prompt (shown as text, never markup), locked settings (a badge and
// a disabled control saying why; any change to them is refused and put back), hidden settings,
// the teacher's one-click "Unlock all", and the form a teacher makes such a link with.
import { SCHEMA } from '../lib/config.mjs';
import { PROMPT_MAX, cleanPrompt, emptyLesson, enforceLocks, isLesson, isLocked, lessonFragment } from '../lib/lesson-link.mjs';
import { h } from './dom.mjs';

const LABEL = new Map(SCHEMA.map((e) => [e.key, e.label]));
// A padlock drawn inline: emoji fonts are missing on many classroom machines.
const lockIcon = () => {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 16 16');
  svg.setAttribute('class', 'lock-icon');
  svg.setAttribute('aria-hidden', 'true');
  const path = document.createElementNS('http://www.w3.org/2000/svg', 'path');
  path.setAttribute('d', 'M4.5 7V5a3.5 3.5 0 0 1 7 0v2M3.5 7h9v7h-9z');
  svg.append(path);
  return svg;
};
const LOCK_WHY = 'Locked by this lesson: the teacher wants you to change other settings and watch what happens.';

/**
 * @param {{banner: HTMLElement, form: HTMLElement, onUnlock: () => void}} options
 *   banner: where the prompt goes; form: the settings form (fields carry data-key)
 */
export function createLessonView({ banner, form, onUnlock }) {
  let lesson = emptyLesson();
  let pinned = null;

  function markFields() {
    for (const row of form.querySelectorAll('.field[data-key]')) {
      const key = row.dataset.key;
      const locked = isLocked(lesson, key);
      const hidden = lesson.hide.includes(key);
      row.classList.toggle('locked', locked);
      row.hidden = hidden;
      for (const input of row.querySelectorAll('input, select, textarea')) {
        input.disabled = locked;
        if (locked) input.setAttribute('aria-describedby', `lock-${key}`);
        else if (input.getAttribute('aria-describedby') === `lock-${key}`) input.removeAttribute('aria-describedby');
      }
      row.querySelector('.lock-badge')?.remove();
      if (locked && !hidden) {
        row.querySelector('.field-head')?.append(h('span', { class: 'lock-badge', id: `lock-${key}`, title: LOCK_WHY, role: 'note' },
          lockIcon(), 'Locked', h('span', { class: 'sr-only' }, ` by the lesson: ${LOCK_WHY}`)));
      }
    }
    // A group whose every field is hidden goes too.
    for (const group of form.querySelectorAll('details.group')) {
      const rows = [...group.querySelectorAll('.field[data-key]')];
      group.hidden = rows.length > 0 && rows.every((r) => r.hidden);
    }
  }

  function renderBanner() {
    banner.replaceChildren();
    banner.hidden = !isLesson(lesson);
    if (banner.hidden) return;
    const locked = lesson.lock.filter((k) => !lesson.hide.includes(k));
    banner.append(
      h('div', { class: 'lesson-body' },
        h('strong', {}, 'Lesson'),
        lesson.prompt ? h('p', { class: 'lesson-prompt' }, lesson.prompt) : null,
        locked.length ? h('p', { class: 'small' }, 'Locked: ', locked.map((k) => h('span', { class: 'lock-chip', title: LOCK_WHY }, lockIcon(), LABEL.get(k) ?? k))) : null,
        lesson.hide.length ? h('p', { class: 'small muted' }, `${lesson.hide.length} setting${lesson.hide.length > 1 ? 's are' : ' is'} hidden by the lesson and keep${lesson.hide.length > 1 ? '' : 's'} the link's value${lesson.hide.length > 1 ? 's' : ''}.`) : null),
      h('button', { type: 'button', class: 'btn btn-small', id: 'unlock-all', title: 'For the teacher: show and unlock every setting', onclick: unlockAll }, 'Unlock all'));
  }

  function unlockAll() {
    lesson = { ...emptyLesson(), prompt: lesson.prompt };
    markFields();
    renderBanner();
    onUnlock?.();
  }

  return {
    /** Applies a lesson read from a link; pinnedConfig holds the locked settings' values. */
    apply(next, pinnedConfig) {
      lesson = next ?? emptyLesson();
      pinned = pinnedConfig;
      markFields();
      renderBanner();
    },
    /** Refreshes the badges after the form was rebuilt or rewritten. */
    mark: markFields,
    /** The config with locked settings put back; refused: the keys that were. */
    enforce(config) {
      if (!pinned || (!lesson.lock.length && !lesson.hide.length)) return { config, refused: [] };
      return enforceLocks(lesson, config, pinned);
    },
    /** The link text of the current lesson in front of an experiment fragment. */
    fragment: (experiment) => lessonFragment(lesson, experiment),
    lesson: () => ({ ...lesson, lock: [...lesson.lock], hide: [...lesson.hide] }),
    unlockAll,
  };
}

/**
 * The teacher's form: choose settings to lock or hide, write a prompt, copy the link.
 * @param {{experimentFragment: () => string, copy: (text: string) => Promise<boolean>}} options
 */
export function createLessonBuilder({ experimentFragment, copy }) {
  const rows = SCHEMA.map((e) => {
    const lock = h('input', { type: 'checkbox', name: 'lesson-lock', value: e.key, 'aria-label': `Lock ${e.label}` });
    const hide = h('input', { type: 'checkbox', name: 'lesson-hide', value: e.key, 'aria-label': `Hide ${e.label}` });
    return { key: e.key, lock, hide, row: h('tr', {}, h('td', {}, e.label, ' ', h('code', {}, e.key)), h('td', {}, lock), h('td', {}, hide)) };
  });
  const prompt = h('textarea', { id: 'lesson-prompt', rows: 3, maxLength: PROMPT_MAX, placeholder: 'e.g. Change only the dropout rate and explain what happens to the validation loss.' });
  const count = h('span', { class: 'small muted', 'aria-live': 'polite' }, `0 / ${PROMPT_MAX}`);
  const out = h('input', { class: 'link-field', id: 'lesson-link', readOnly: true, 'aria-label': 'The lesson link' });
  const note = h('p', { class: 'small muted', 'aria-live': 'polite' });

  const lesson = () => ({
    lock: rows.filter((r) => r.lock.checked).map((r) => r.key),
    hide: rows.filter((r) => r.hide.checked).map((r) => r.key),
    prompt: cleanPrompt(prompt.value).prompt,
  });
  const link = () => `${location.origin}${location.pathname}#${lessonFragment(lesson(), experimentFragment())}`;
  const update = () => {
    count.textContent = `${Array.from(prompt.value).length} / ${PROMPT_MAX}`;
    out.value = link();
  };
  prompt.addEventListener('input', update);
  for (const r of rows) {
    r.lock.addEventListener('change', update);
    r.hide.addEventListener('change', update);
  }
  const button = h('button', { type: 'button', class: 'btn btn-small', id: 'copy-lesson', onclick: async () => {
    update();
    note.textContent = (await copy(out.value)) ? 'Lesson link copied: students who open it see your prompt, with those settings locked or hidden.' : 'Select the link above and copy it.';
    out.select();
  } }, 'Copy lesson link');

  const root = h('details', { class: 'group lesson-builder', id: 'lesson-builder' },
    h('summary', {}, 'Make a lesson link'),
    h('div', { class: 'group-body' },
      h('p', { class: 'small muted' }, 'For teachers: students who open the link start from the current settings, see your prompt, and cannot change what you lock or hide.'),
      h('label', { for: 'lesson-prompt', class: 'label' }, 'Prompt for the students (plain text)'), prompt, count,
      h('div', { class: 'lesson-table-box' },
        h('table', { class: 'lesson-table' },
          h('thead', {}, h('tr', {}, h('th', {}, 'Setting'), h('th', {}, 'Lock'), h('th', {}, 'Hide'))),
          h('tbody', {}, rows.map((r) => r.row)))),
      out, button, note));
  root.addEventListener('toggle', update);
  return { element: root, lesson, link, update };
}
