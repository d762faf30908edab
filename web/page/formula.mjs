// Formulas typeset with KaTeX (served from the build: vendor/katex/, its CSS and woff2 fonts).
// Each typeset formula keeps its plain text: in data-plain, in a visually hidden copy that screen
// readers read, and on the clipboard: copying a selection that holds a formula gives its plain text.
// KaTeX is loaded on first use, so it never delays the first curve.
import { h } from './dom.mjs';

const KATEX_URL = new URL('../vendor/katex/katex.mjs', import.meta.url);
const CSS_URL = new URL('../vendor/katex/katex.min.css', import.meta.url);
let loading = null;

function loadKatex() {
  if (!loading) {
    if (!document.querySelector('link[data-katex]')) {
      document.head.append(h('link', { rel: 'stylesheet', href: CSS_URL.href, 'data-katex': '' }));
    }
    loading = import(KATEX_URL.href).then((m) => m.default);
  }
  return loading;
}

/**
 * An element showing `plain` at once and the typeset `tex` as soon as KaTeX has loaded.
 * @param {string} tex
 * @param {string} plain the same formula as plain text
 * @param {{display?: boolean}} [options]
 */
export function formulaElement(tex, plain, { display = true } = {}) {
  const el = h(display ? 'div' : 'span', { class: `formula-tex${display ? ' display' : ''}`, 'data-plain': plain });
  const fallback = h('span', { class: 'formula-plain' }, plain);
  el.append(fallback);
  if (!tex) return el;
  loadKatex().then((katex) => {
    const box = h('span', { class: 'formula-katex', 'aria-hidden': 'true' });
    // trust: false and a strict parse: the TeX is the project's own, but no \href or \html… runs.
    box.innerHTML = katex.renderToString(tex, { throwOnError: false, output: 'htmlAndMathml', displayMode: display, trust: false, strict: 'ignore' });
    fallback.className = 'sr-only';
    el.prepend(box);
    el.classList.add('typeset');
  }).catch(() => { /* the plain text stays */ });
  return el;
}

// On copy, a formula in the selection gives its plain text instead of KaTeX's spans.
let copyInstalled = false;
export function installFormulaCopy(doc = document) {
  if (copyInstalled) return;
  copyInstalled = true;
  doc.addEventListener('copy', (event) => {
    const sel = doc.getSelection();
    if (!sel || sel.rangeCount === 0 || !event.clipboardData) return;
    const range = sel.getRangeAt(0);
    const start = range.commonAncestorContainer;
    const host = (start.nodeType === 1 ? start : start.parentElement)?.closest('.formula-tex');
    const frag = range.cloneContents();
    const inner = frag.querySelectorAll('.formula-tex');
    if (!host && inner.length === 0) return;
    let text;
    if (host) text = host.dataset.plain;
    else {
      for (const f of inner) f.replaceWith(doc.createTextNode(f.dataset.plain ?? ''));
      for (const hidden of frag.querySelectorAll('[aria-hidden="true"], .sr-only')) hidden.remove();
      text = frag.textContent;
    }
    event.clipboardData.setData('text/plain', text);
    event.preventDefault();
  });
}
