// Ready for a classroom: the page's hooks for offline use, lesson links, predict-then-run, typeset
// formulas and the curve diagnosis, in one place so app.mjs only calls a few functions.
import { parseLesson } from '../lib/lesson-link.mjs';
import { SCHEMA_PLAIN, SCHEMA_TEX, EXPERIMENT_TEX } from '../lib/tex.mjs';
import { h } from './dom.mjs';
import { createDiagnosisView } from './diagnosis-view.mjs';
import { formulaElement, installFormulaCopy } from './formula.mjs';
import { createLessonBuilder, createLessonView } from './lesson.mjs';
import { startOffline } from './offline.mjs';
import { createPredictBox } from './predict-view.mjs';

/**
 * @param {{form: HTMLElement, settings: HTMLElement, chartsSection: HTMLElement, statusHost: HTMLElement,
 *   bannerHost: HTMLElement, experimentFragment: () => string, copy: (text: string) => Promise<boolean>,
 *   onUnlock: () => void, onLessonWarnings?: (warnings: string[]) => void, presets?: HTMLElement[]}} o
 */
export function installClassroom(o) {
  installFormulaCopy();

  // Offline: the state line sits by the page's status.
  const offline = startOffline();
  offline.element.id = 'offline-status';
  o.statusHost.prepend(offline.element);

  // Lessons: the banner above the workspace, the builder under the settings.
  const banner = h('section', { class: 'lesson-banner', id: 'lesson', 'aria-label': 'Lesson', hidden: true });
  o.bannerHost.after(banner);
  const view = createLessonView({
    banner, form: o.form,
    onUnlock: () => {
      setPresets(false);
      o.onUnlock();
    },
  });
  const builder = createLessonBuilder({ experimentFragment: o.experimentFragment, copy: o.copy });
  o.settings.append(builder.element);

  // Typeset formulas in every help text that has one.
  for (const row of o.form.querySelectorAll('.field[data-key]')) {
    const tex = SCHEMA_TEX[row.dataset.key];
    const help = row.querySelector('.help');
    if (tex && help) help.append(formulaElement(tex, SCHEMA_PLAIN[row.dataset.key]));
  }

  // A lesson that locks settings keeps the guided experiments closed: opening one would replace them.
  const [presetSelect, presetOpen] = o.presets ?? [];
  function setPresets(locked) {
    const why = 'This lesson locks settings: "Unlock all" first to open another experiment.';
    if (presetSelect) {
      presetSelect.disabled = locked;
      presetSelect.title = locked ? why : '';
    }
    if (presetOpen) presetOpen.disabled = locked || !presetSelect?.value;
  }

  const diagnosis = createDiagnosisView(o.chartsSection);
  let predict = null;
  let latest = null;
  let idlePending = false;

  return {
    offline,
    /** Reads the lesson of a link (the raw hash) and applies it; pinned: the config it locks. */
    applyLesson(hash, pinned) {
      const { lesson, warnings } = parseLesson(hash);
      view.apply(lesson, pinned);
      setPresets(lesson.lock.length > 0 || lesson.hide.length > 0);
      if (warnings.length) o.onLessonWarnings?.(warnings);
      return lesson;
    },
    /** The config with the lesson's locked settings put back. */
    enforce: (config) => view.enforce(config),
    /** The hash to write: the lesson's keys in front of the experiment's. */
    fragment: (experiment) => view.fragment(experiment),
    lesson: () => view.lesson(),
    unlockAll: () => view.unlockAll(),
    /** What an opened guided experiment shows besides its text: its typeset formula and its question. */
    experimentExtras(experiment) {
      predict = experiment.predict ? createPredictBox(experiment) : null;
      return [formulaElement(EXPERIMENT_TEX[experiment.id], experiment.formula), predict?.element ?? null].filter(Boolean);
    },
    /** After every change to the runs: the diagnosis of the selected run, the prediction's reveal. */
    update(focusRun, runs) {
      // Kept out of the frame that draws the charts: done when the page is idle, at most once
      // per second while it is busy.
      latest = { focusRun, runs };
      if (idlePending) return;
      idlePending = true;
      const run = () => {
        idlePending = false;
        diagnosis.update(latest.focusRun);
        predict?.update(latest.runs);
      };
      if ('requestIdleCallback' in globalThis) requestIdleCallback(run, { timeout: 1000 });
      else setTimeout(run, 50);
    },
    /** The form was rebuilt or rewritten: the lock badges again. */
    mark: () => view.mark(),
  };
}
