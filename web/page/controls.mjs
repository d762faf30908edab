// The settings form, generated from SCHEMA. Values go through validate() so the form, the link and
// the engine agree on what every setting means.
import { APPLIES_TO, SCHEMA, LAYER_NAMES, appliesTo, validate } from '../lib/config.mjs';
import { DATASETS, className } from '../lib/datasets.mjs';
import { h } from './dom.mjs';

// When a setting has no effect for the current choices, it is dimmed and says which choice uses it.
const USED_WHEN = {
  lam: [(c) => c.reg !== 'none', 'a regulariser'],
  l1r: [(c) => c.reg === 'elasticnet', 'elasticnet'],
  mom: [(c) => c.opt === 'momentum' || c.opt === 'nesterov', 'momentum and nesterov'],
  b1: [(c) => c.opt === 'adam' || c.opt === 'adamw', 'adam and adamw'],
  b2: [(c) => c.opt === 'adam' || c.opt === 'adamw', 'adam and adamw'],
  rho: [(c) => c.opt === 'rmsprop', 'rmsprop'],
  eps: [(c) => ['adam', 'adamw', 'rmsprop', 'adagrad'].includes(c.opt), 'adam, adamw, rmsprop and adagrad'],
  acc0: [(c) => c.opt === 'adagrad', 'adagrad'],
  wd: [(c) => c.opt === 'adamw', 'adamw'],
  pat: [(c) => c.es, 'early stopping'],
  mind: [(c) => c.es, 'early stopping'],
  best: [(c) => c.es, 'early stopping'],
  head: [(c) => c.from !== 'scratch', 'starts from a checkpoint'],
};

function rangeText(e) {
  if (e.type === 'number' || e.type === 'int') return `Range ${e.min} to ${e.max}, default ${e.default}.`;
  if (e.type === 'bool') return `Default ${e.default ? 'on' : 'off'}.`;
  return `Default ${e.default === '' ? 'none' : e.default}.`;
}

// Help texts list cases as 'name: formula' or 'name = formula' after ';' or '.': shown one per
// line, they read like a table.
const CASE_BREAK = /[;.]\s+(?=[a-z][\w]*(?:\(x\))?(?::|\s=)\s)/;

function helpBlock(text) {
  const [intro, ...cases] = text.split(CASE_BREAK);
  return [h('p', {}, intro), cases.length ? h('ul', { class: 'cases' }, cases.map((c) => h('li', {}, c))) : null];
}

function chips(e, names) {
  return names.map((name) =>
    h('label', { class: 'chip' },
      h('input', { type: 'checkbox', value: name, name: e.key }),
      h('span', {}, name)));
}

function inputFor(e, id) {
  switch (e.type) {
    case 'choice':
      return h('select', { id }, e.choices.map((c) => h('option', { value: c }, c)));
    case 'bool':
      return h('input', { id, type: 'checkbox', class: 'switch' });
    case 'number':
      return h('input', { id, type: 'number', step: 'any', min: e.min, max: e.max, inputMode: 'decimal' });
    case 'int':
      return h('input', { id, type: 'number', step: 1, min: e.min, max: e.max, inputMode: 'numeric' });
    case 'digits':
      return h('div', { class: 'chips', role: 'group', 'aria-labelledby': `${id}-label` }, chips(e, [...'0123456789']));
    case 'layers':
      return h('div', { class: 'chips', role: 'group', 'aria-labelledby': `${id}-label` }, chips(e, LAYER_NAMES));
  }
  throw new Error(`no control for type ${e.type}`);
}

function field(e) {
  const id = `cfg-${e.key}`;
  const input = inputFor(e, id);
  const helpId = `${id}-help`;
  const help = h('div', { class: 'help', id: helpId, hidden: true },
    helpBlock(e.help), h('p', { class: 'range' }, rangeText(e)));
  const toggle = h('button', {
    type: 'button', class: 'help-toggle', 'aria-expanded': 'false', 'aria-controls': helpId,
    title: `About ${e.label}`, 'aria-label': `About ${e.label}`,
  }, '?');
  toggle.addEventListener('click', () => {
    help.hidden = !help.hidden;
    toggle.setAttribute('aria-expanded', String(!help.hidden));
  });
  const grouped = e.type === 'digits' || e.type === 'layers';
  const label = grouped
    ? h('span', { class: 'label', id: `${id}-label` }, e.label)
    : h('label', { class: 'label', for: id }, e.label);
  const note = h('p', { class: 'note', 'aria-live': 'polite' });
  const row = h('div', { class: `field field-${e.type}`, 'data-key': e.key },
    h('div', { class: 'field-head' }, label, toggle),
    input, note, help);
  return { e, row, input, note };
}

function readField({ e, input }) {
  if (e.type === 'bool') return input.checked;
  if (e.type === 'number' || e.type === 'int') return input.value.trim() === '' ? NaN : Number(input.value);
  if (e.type === 'digits' || e.type === 'layers') {
    return [...input.querySelectorAll('input:checked')].map((c) => c.value).join(e.type === 'layers' ? ',' : '');
  }
  return input.value;
}

function writeField({ e, input }, value) {
  if (e.type === 'bool') input.checked = value;
  else if (e.type === 'digits') for (const c of input.querySelectorAll('input')) c.checked = value.includes(c.value);
  else if (e.type === 'layers') {
    const set = new Set(value ? value.split(',') : []);
    for (const c of input.querySelectorAll('input')) c.checked = set.has(c.value);
  } else input.value = String(value);
}

/**
 * Builds the form into `root`. onChange(config, warnings) fires after every edit.
 * Returns { read() -> {config, warnings}, write(config) }.
 */
export function createControls(root, onChange) {
  const fields = SCHEMA.map(field);
  const groups = [...new Set(SCHEMA.map((e) => e.group))];
  // On a phone the whole form would push the training buttons several screens down.
  const compact = matchMedia('(max-width: 860px)').matches;
  for (const group of groups) {
    root.append(h('details', { class: 'group', open: !compact || group === groups[0] },
      h('summary', {}, group),
      h('div', { class: 'group-body' }, fields.filter((f) => f.e.group === group).map((f) => f.row))));
  }

  function read() {
    const raw = Object.fromEntries(fields.map((f) => [f.e.key, readField(f)]));
    return validate(raw);
  }

  function refresh() {
    const { config, warnings } = read();
    labelClasses(config.data);
    for (const f of fields) {
      // A setting of another model is left out, unless it holds a value the core will refuse.
      const ofModel = appliesTo(f.e.key, config);
      const stray = !ofModel && config[f.e.key] !== f.e.default;
      f.row.classList.toggle('other-model', !ofModel && !stray);
      const rule = USED_WHEN[f.e.key];
      const used = ofModel && (!rule || rule[0](config));
      f.row.classList.toggle('unused', !used);
      const problem = warnings.find((w) => w.startsWith(`${f.e.key}:`));
      const why = stray ? `Only for ${APPLIES_TO[f.e.key].join(' and ')}: set it back to ${f.e.default === '' ? 'none' : f.e.default}.`
        : used || !rule ? '' : `Used only with ${rule[1]}.`;
      f.note.textContent = problem ? problem.slice(f.e.key.length + 1).trim() : why;
      f.note.classList.toggle('bad', Boolean(problem) || stray);
      const target = f.input.matches('input, select') ? f.input : null;
      if (target) target.setAttribute('aria-invalid', String(Boolean(problem)));
    }
    return { config, warnings };
  }

  // The class filter says what it filters: digits for MNIST, named clothing classes for Fashion-MNIST.
  const classField = fields.find((f) => f.e.type === 'digits');
  let classData = null;
  function labelClasses(data) {
    if (!classField || data === classData) return;
    classData = data;
    const { classWord } = DATASETS[data] ?? DATASETS.mnist;
    classField.row.querySelector('.label').textContent = classWord === 'digit' ? 'Digits' : 'Classes';
    for (const chip of classField.input.querySelectorAll('.chip')) {
      const k = Number(chip.querySelector('input').value);
      chip.querySelector('span').textContent = classWord === 'digit' ? String(k) : `${k} ${className(data, k)}`;
    }
  }

  root.addEventListener('input', () => {
    const { config, warnings } = refresh();
    onChange(config, warnings);
  });

  return {
    read,
    write(config) {
      for (const f of fields) writeField(f, config[f.e.key]);
      refresh();
    },
  };
}
