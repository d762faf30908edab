// The Network panel: the nodes of the network the settings describe, as the core builds it
// (engine.describe in a worker), with output shapes, parameter counts and the residual adds'
// shortcuts; or the core's own reason when it refuses the settings. The rows come from
// web/lib/network.mjs.
import { serialize } from '../lib/config.mjs';
import { networkRows } from '../lib/network.mjs';
import { h, setText } from './dom.mjs';

const count = (n) => n.toLocaleString('en-US');
const MODEL_NAMES = { lenet5: 'LeNet-5', mlp: 'MLP', cnn: 'CNN' };

/**
 * @param {HTMLElement} root the panel
 * @param {(config: object) => Promise<{net: object|null, error: string|null}>} describe
 * @param {(error: string|null) => void} [onProblem] told the core's reason for refusing the settings, or null
 */
export function createNetworkPanel(root, describe, onProblem = () => {}) {
  const summary = h('p', { class: 'net-summary', 'aria-live': 'polite' }, 'The network appears once the engine has loaded.');
  const problem = h('p', { class: 'net-problem', role: 'alert', hidden: true });
  const body = h('tbody');
  const table = h('table', { class: 'net-table' },
    h('caption', { class: 'sr-only' }, 'The network, input first: each node, its output shape and its parameters'),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'node'), h('th', { scope: 'col' }, 'op'), h('th', { scope: 'col' }, 'output'),
      h('th', { scope: 'col', class: 'num' }, 'parameters'))),
    body);
  const scroller = h('div', { class: 'net-scroll', tabindex: 0, role: 'region', 'aria-label': 'Network nodes' }, table);
  root.append(summary, problem, scroller);
  let shown = null;
  let asked = 0;

  function render(config, { net, error }) {
    onProblem(error);
    problem.hidden = !error;
    setText(problem, error ? `The core refuses these settings: ${error}` : '');
    scroller.hidden = !net;
    if (!net) {
      setText(summary, error ? 'No network for these settings.' : '');
      root.dataset.layers = '0';
      return;
    }
    const { rows, params } = networkRows(net);
    const skips = rows.filter((r) => r.skipFrom).length;
    setText(summary, `${MODEL_NAMES[config.model] ?? config.model}: ${net.layers.length} layers (${net.layers.join(', ').replace(/^(.{60}).+$/, '$1…')}), ` +
      `${count(params)} parameters${skips ? `, ${skips} residual skip${skips > 1 ? 's' : ''}` : ''}.`);
    body.replaceChildren(...rows.map((r) => h('tr', { class: `net-${r.op}${r.skipFrom ? ' net-skip' : ''}`, 'data-node': r.name },
      h('th', { scope: 'row' }, r.name),
      h('td', {}, r.skipFrom ? `add ← ${r.skipFrom}` : r.op),
      h('td', {}, r.shape),
      h('td', { class: 'num' }, r.params ? count(r.params) : '')),
    ), h('tr', { class: 'net-total' }, h('th', { scope: 'row', colspan: 3 }, 'total'), h('td', { class: 'num' }, count(params))));
    root.dataset.layers = String(net.layers.length);
  }

  return {
    /** Shows the network of config; asks the worker only when the settings changed. */
    async update(config) {
      const key = serialize(config);
      if (key === shown) return;
      shown = key;
      const token = ++asked;
      try {
        const answer = await describe(config);
        if (token === asked) render(config, answer);
      } catch (err) {
        if (token === asked) render(config, { net: null, error: err.message });
      }
    },
  };
}
